/*  dp_result_check.c — what every verifier of a result recomputes. */

#include "dp_result_check.h"

#include <stdlib.h>
#include <string.h>

#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_result.h"
#include "dp_sha256.h"

static json_object *
s_field (json_object *object, const char *key)
{
    json_object *value = NULL;
    if (!object || !json_object_object_get_ex (object, key, &value))
        return NULL;
    return value;
}

static const char *
s_string (json_object *object, const char *key)
{
    json_object *value = s_field (object, key);
    return json_object_is_type (value, json_type_string)? json_object_get_string (value): NULL;
}

dp_status
dp_result_check_payload (json_object *result, uint8_t hash [32], char **text_out, dp_error_t *err)
{
    json_object *price = s_field (result, "final_price"), *terms = s_field (result, "terms");
    if (!price || !terms)
        return dp_error_set (err, DP_INVALID, "payload: final_price or terms missing");
    json_object *payload = json_object_new_object ();
    if (!payload)
        return dp_error_set (err, DP_NOMEM, "payload: out of memory");
    json_object_object_add (payload, "final_price", json_object_get (price));
    json_object_object_add (payload, "terms", json_object_get (terms));
    const char *data_attestation = s_string (result, "data_verification_attestation");
    if (data_attestation && *data_attestation) {
        json_object_object_add (payload, "data_hash", json_object_get (s_field (result, "data_hash")));
        json_object_object_add (payload, "data_verified", json_object_new_boolean (1));
    }
    char *text = NULL;
    size_t len = 0;
    dp_status rc = dp_json_pydumps (payload, &text, &len, err);
    json_object_put (payload);
    if (rc != DP_OK)
        return dp_error_prefix (err, "payload");
    dp_sha256 (text, len, hash);
    if (text_out)
        *text_out = text;
    else
        free (text);
    return DP_OK;
}

dp_status
dp_result_check_signer (json_object *result, uint8_t signer [20], dp_error_t *err)
{
    const char *text = s_string (result, "signature");
    if (!text)
        return dp_error_set (err, DP_NOTFOUND, "signature: null (unsigned: not made by an enclave)");
    uint8_t sig [65], hash [32], digest [32];
    if (dp_eth_signature_parse (text, sig, err) != DP_OK)
        return dp_error_prefix (err, "signature");
    if (dp_result_hash (result, hash, err) != DP_OK)
        return dp_error_prefix (err, "signature: result hash");
    dp_eth_eip191_hash32 (hash, digest);
    if (dp_eth_recover (digest, sig, signer, err) != DP_OK)
        return dp_error_prefix (err, "signature");
    return DP_OK;
}

//  Decimal digits to a 256-bit big-endian integer. 0 on a bad digit or
//  overflow.
static int
s_decimal_u256 (const char *text, uint8_t out [32])
{
    memset (out, 0, 32);
    if (!text || !*text)
        return 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        unsigned carry = (unsigned) (*p - '0');
        for (int i = 31; i >= 0; i--) {
            unsigned v = out [i] * 10u + carry;
            out [i] = (uint8_t) v;
            carry = v >> 8;
        }
        if (carry)
            return 0;
    }
    return 1;
}

dp_status
dp_result_escrow (json_object *result, dp_result_escrow_t *escrow, dp_error_t *err)
{
    memset (escrow, 0, sizeof *escrow);
    json_object *object = s_field (result, "escrow");
    if (!object)
        return dp_error_set (err, DP_NOTFOUND, "escrow: missing");
    json_object *chain = s_field (object, "chain_id"), *wei = s_field (object, "amount_wei");
    char buf [96];
    const char *wei_text = json_object_is_type (wei, json_type_string)? json_object_get_string (wei)
                         : json_object_is_type (wei, json_type_int)? dp_json_number_text (wei, buf, sizeof buf)
                         : NULL;
    if (!json_object_is_type (chain, json_type_int) || json_object_get_int64 (chain) <= 0)
        return dp_error_set (err, DP_INVALID, "escrow.chain_id: missing or not a positive integer");
    if (dp_eth_address_parse (s_string (object, "contract"), escrow->contract, err) != DP_OK)
        return dp_error_prefix (err, "escrow.contract");
    if (dp_eth_address_parse (s_string (object, "seller_address"), escrow->seller, err) != DP_OK)
        return dp_error_prefix (err, "escrow.seller_address");
    if (!s_decimal_u256 (wei_text, escrow->amount_wei))
        return dp_error_set (err, DP_INVALID, "escrow.amount_wei: not a decimal integer below 2^256");
    escrow->chain_id = (uint64_t) json_object_get_int64 (chain);
    return DP_OK;
}

dp_status
dp_result_check_releaser (json_object *result, const dp_result_escrow_t *escrow,
                          const uint8_t report_data [64], uint8_t releaser [20],
                          uint8_t signature [65], dp_error_t *err)
{
    const char *text = s_string (result, "release_signature");
    if (!text)
        return dp_error_set (err, DP_NOTFOUND, "release_signature: none (no escrow release authorised)");
    const char *deal_id = s_string (result, "deal_id"), *hash_text = s_string (result, "data_hash");
    uint8_t data_hash [32], sig [65], digest [32];
    if (!deal_id)
        return dp_error_set (err, DP_INVALID, "deal_id: missing");
    if (!hash_text)
        return dp_error_set (err, DP_INVALID, "data_hash: missing");
    if (dp_hex_decode (hash_text, strlen (hash_text), data_hash, 32, err) != DP_OK)
        return dp_error_prefix (err, "data_hash");
    if (dp_eth_signature_parse (text, sig, err) != DP_OK)
        return dp_error_prefix (err, "release_signature");
    dp_eth_release_digest (escrow->chain_id, escrow->contract, deal_id, escrow->seller, data_hash,
                           escrow->amount_wei, report_data, digest);
    if (dp_eth_recover (digest, sig, releaser, err) != DP_OK)
        return dp_error_prefix (err, "release_signature");
    if (signature)
        memcpy (signature, sig, 65);
    return DP_OK;
}
