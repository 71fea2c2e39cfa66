/*  fuzz_dkim_key.c — key record parsing (tag list, base64, DER decoding
    of RSA and Ed25519 keys) on arbitrary TXT text. */

#include <stdint.h>
#include <stdlib.h>

#include "dp_dkim_key.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    dp_dkim_key_t *key = NULL;
    if (dp_dkim_key_parse ((const char *) data, size, &key, NULL) == DP_OK) {
        int bits = dp_dkim_key_bits (key);
        if (!dp_dkim_key_pkey (key) || (dp_dkim_key_type (key) == DP_DKIM_KEY_RSA
                                        && (bits < DP_DKIM_RSA_MIN_BITS || bits > DP_DKIM_RSA_MAX_BITS)))
            abort ();
        dp_dkim_key_destroy (&key);
    }
    else
    if (key)
        abort ();
    return 0;
}
