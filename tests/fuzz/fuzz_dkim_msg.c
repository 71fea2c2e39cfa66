/*  fuzz_dkim_msg.c — the whole verifier on arbitrary message bytes: the
    header/body split, every DKIM-Signature's tag parser and checks, both
    canonicalisations, key lookups from a fixed zone and the crypto calls.
    Must never crash, hang or leak, and must always fill the result. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_dkim.h"

static const char s_zone [] =
    "rsa2048._domainkey.example.com TXT \"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqWdN0PoTeGrCd3dAqe6FLM+HVrEeZn+JwdpbqGgAhO93c4ebmn4SNPL7gl+empZF7ip01X1/scSdk6+/5AtqZfTWBq/bMfeUpRzNVw9CUQa9n/z7TBhoftf4X06m/kxrXHbmaF8ZI0p+xE8KyKx5/jdP4UGEDleekpaEG7aF5q4wgXed/AzHGZ7rbgq4\" \"O+NrtJqN7czQJvkgHO1dbQnuW3xt44cNx4NKvOivqROHV2zUUIfDVA6PBw8oJqrSyuH3Ct9xxS6oqhRYMohRdCQh3LvTqwbvryxDEe4cwrybUzGx4K2exKPVFRqy4rB/aFJFGuD51UZ80+NcGe2QSYG6fwIDAQAB\"\n"
    "ed._domainkey.example.com TXT \"v=DKIM1; k=ed25519; p=Km8MDFi9J6goHRhf7HBSTqN+BNAE+Gz9HPRYSuQZ3Dg=\"\n"
    "revoked._domainkey.example.com TXT \"v=DKIM1; k=rsa; p=\"\n";

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static dp_dkim_lookup_t *lookup;
    if (!lookup) {
        dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_FILE, .zone_text = s_zone,
                                        .zone_text_len = sizeof s_zone - 1 };
        lookup = dp_dkim_lookup_new (&lo, NULL);
        if (!lookup)
            abort ();
    }
    if (size > 256 * 1024)
        return 0;
    dp_dkim_options_t options = { .lookup = lookup, .now = 1700086400, .clock_skew = -1 };
    dp_dkim_result_t result;
    dp_status rc = dp_dkim_verify (data, size, &options, &result, NULL);
    if (rc != DP_OK && rc != DP_LIMIT)
        abort ();
    if (result.count > DP_DKIM_SIGNATURES_MAX || (result.verified && result.error [0]))
        abort ();
    if (!result.verified && !result.error [0])
        abort ();   //  a refusal always says why
    json_object *obj = dp_dkim_result_to_json (&result, 1);
    json_object_put (obj);
    return 0;
}
