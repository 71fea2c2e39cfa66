/*  fuzz_tee_response.c — the dstack/tappd answer parsers never crash or
    read out of bounds, and what they accept is well-formed: a quote of
    48..DP_TEE_QUOTE_MAX bytes with a NUL-terminated event log, a valid
    32-byte secp256k1 key. Also the seed's "sim_quote:<hex>" recogniser
    (dp_simroot), which reads the same kind of untrusted text. */

#include <secp256k1.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_simroot.h"
#include "dp_tee.h"
#include "dp_tee_api.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *body = (const char *) data;
    uint8_t *quote = NULL, key [32];
    size_t len = 0, at = 0;
    char *log = NULL;
    dp_error_t err;
    if (dp_tee_api_parse_quote (body, size, &quote, &len, &log, &err) == DP_OK) {
        if (len < 48 || len > DP_TEE_QUOTE_MAX || !log || strlen (log) > size + 16 * size)
            abort ();
        if (dp_tee_api_quote_report_data (quote, len, &at, &err) == DP_OK && at + 64 > len)
            abort ();
        free (quote);
        free (log);
    }
    else
    if (quote || log || err.code == DP_OK)
        abort ();
    const char *fields [] = { "key", "k256_key" };
    for (int i = 0; i < 2; i++)
        if (dp_tee_api_parse_key (body, size, fields [i], key, &err) == DP_OK
            && !secp256k1_ec_seckey_verify (secp256k1_context_static, key))
            abort ();
    uint8_t hash [64];
    size_t hash_len = 0;
    dp_status rc = dp_simroot_parse_seed_quote (body, size, hash, &hash_len, &err);
    if (rc == DP_OK && (hash_len < 1 || hash_len > 64 || size != 10 + 2 * hash_len))
        abort ();
    if (rc != DP_OK && rc != DP_NOTFOUND && rc != DP_INVALID)
        abort ();
    return 0;
}
