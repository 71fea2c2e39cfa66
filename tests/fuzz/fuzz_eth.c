/*  fuzz_eth.c — address parsing and strict signature recovery on arbitrary
    bytes: never a crash, and what is accepted keeps its invariants.

    Input: a text line (the address candidate) up to the first NUL; if at
    least 97 bytes follow the NUL, they are a digest (32) and a signature
    (65) for dp_eth_recover. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dp_eth.h"

//  n/2 big-endian: an accepted signature's s is never above it.
static const uint8_t s_half_order [32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0
};

static void
s_address (const char *text)
{
    uint8_t addr [20], back [20];
    if (dp_eth_address_parse (text, addr, NULL) != DP_OK)
        return;
    //  Accepted: the checksummed form parses to the same bytes and, when
    //  the input was mixed case, is exactly the input.
    char eip55 [DP_ETH_ADDRESS_TEXT_SIZE];
    dp_eth_address_eip55 (addr, eip55);
    if (dp_eth_address_parse (eip55, back, NULL) != DP_OK || memcmp (addr, back, 20) != 0)
        abort ();
    if (strlen (text) != 42 || strncasecmp (text, eip55, 42) != 0)
        abort ();
}

static void
s_signature (const uint8_t *digest, const uint8_t *sig)
{
    uint8_t addr [20];
    dp_error_t err;
    if (dp_eth_recover (digest, sig, addr, &err) != DP_OK) {
        if (err.code != DP_CRYPTO || err.text [0] == '\0')
            abort ();
        return;
    }
    if ((sig [64] != 27 && sig [64] != 28) || memcmp (sig + 32, s_half_order, 32) > 0)
        abort ();
    if (dp_eth_verify (digest, sig, addr, NULL) != DP_OK)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';
    size_t len = strlen (text);
    s_address (text);
    if (len < size && size - len - 1 >= 97)
        s_signature (data + len + 1, data + len + 1 + 32);
    char sig_text [200];
    if (len < sizeof sig_text) {
        uint8_t sig [65];
        memcpy (sig_text, text, len + 1);
        if (dp_eth_signature_parse (sig_text, sig, NULL) == DP_OK && len != 132)
            abort ();
    }
    free (text);
    return 0;
}
