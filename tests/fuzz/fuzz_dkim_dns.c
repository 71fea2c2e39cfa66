/*  fuzz_dkim_dns.c — the DNS response decoder of the DoH path (names with
    compression pointers, CNAME chains, TXT strings) on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_dkim_dns.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > DP_DKIM_DNS_MAX)
        return 0;
    char *txt = NULL;
    size_t len = 0;
    uint16_t id = size >= 2? (uint16_t) ((data [0] << 8) | data [1]): 0;
    if (dp_dkim_dns_answer_txt (data, size, "s._domainkey.a.b", id, &txt, &len, NULL) == DP_OK) {
        if (!txt || strlen (txt) > len || len >= size)
            abort ();
        free (txt);
    }
    else
    if (txt)
        abort ();
    return 0;
}
