/*  test_relayer_tx.c — RLP and signed transactions against the Ethereum
    vectors in shared/vectors/eth (made with ethers, checked on anvil and
    ganache): rlp.json, tx_eip1559.json, tx_legacy_eip155.json. */

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_ethtx.h"
#include "dp_hex.h"
#include "dp_rlp.h"

static json_object *
s_vectors (const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/vectors/eth/%s", DP_SHARED_DIR, name);
    json_object *cases = json_object_from_file (path);
    cr_assert_not_null (cases, "cannot read %s", path);
    return cases;
}

static const char *
s_str (json_object *object, const char *key)
{
    json_object *value = NULL;
    cr_assert (json_object_object_get_ex (object, key, &value), "missing %s", key);
    return json_object_get_string (value);
}

//  Decodes "0x..." into a malloc'd buffer.
static uint8_t *
s_bytes (const char *hex, size_t *len)
{
    cr_assert_eq (strncmp (hex, "0x", 2), 0);
    size_t digits = strlen (hex + 2);
    *len = digits / 2;
    uint8_t *out = malloc (*len + 1);
    cr_assert_eq (dp_hex_decode (hex + 2, digits, out, *len, NULL), DP_OK, "%s", hex);
    return out;
}

static void
s_assert_hex (const uint8_t *data, size_t len, const char *expected, const char *what)
{
    char *text = malloc (2 * len + 3);
    strcpy (text, "0x");
    dp_hex_encode (data, len, text + 2);
    cr_assert_str_eq (text, expected, "%s", what);
    free (text);
}

static void
s_encode_value (dp_rlp_t *rlp, json_object *value)
{
    if (json_object_is_type (value, json_type_array)) {
        size_t mark = dp_rlp_list_begin (rlp);
        for (size_t i = 0; i < json_object_array_length (value); i++)
            s_encode_value (rlp, json_object_array_get_idx (value, i));
        dp_rlp_list_end (rlp, mark);
        return;
    }
    size_t len;
    uint8_t *bytes = s_bytes (json_object_get_string (value), &len);
    dp_rlp_bytes (rlp, bytes, len);
    free (bytes);
}

Test (rlp, vectors)
{
    json_object *cases = s_vectors ("rlp.json");
    int checked = 0;
    for (size_t i = 0; i < json_object_array_length (cases); i++) {
        json_object *vector = json_object_array_get_idx (cases, i);
        const char *kind = s_str (vector, "kind");
        dp_rlp_t rlp;
        dp_rlp_init (&rlp);
        if (strcmp (kind, "uint") == 0) {
            uint8_t value [32];
            cr_assert_eq (dp_ethtx_u256_parse (s_str (vector, "value_dec"), value, NULL), DP_OK);
            dp_rlp_uint_be (&rlp, value, 32);
        }
        else
        if (strcmp (kind, "bytes") == 0 || strcmp (kind, "list") == 0) {
            json_object *value = NULL;
            json_object_object_get_ex (vector, "value", &value);
            s_encode_value (&rlp, value);
        }
        else
            continue;           //  "invalid": decoder cases; we only encode
        cr_assert_not (dp_rlp_failed (&rlp));
        s_assert_hex (rlp.data, rlp.len, s_str (vector, "encoded"), s_str (vector, "name"));
        dp_rlp_clear (&rlp);
        checked++;
    }
    cr_assert_geq (checked, 30);
    json_object_put (cases);
}

static void
s_u256 (json_object *vector, const char *key, uint8_t out [32])
{
    cr_assert_eq (dp_ethtx_u256_parse (s_str (vector, key), out, NULL), DP_OK, "%s", key);
}

static uint64_t
s_u64 (json_object *vector, const char *key)
{
    return strtoull (s_str (vector, key), NULL, 16);
}

static void
s_check_tx_file (const char *file, int type)
{
    json_object *cases = s_vectors (file);
    size_t count = json_object_array_length (cases);
    for (size_t i = 0; i < count; i++) {
        json_object *vector = json_object_array_get_idx (cases, i);
        const char *name = s_str (vector, "name");
        dp_ethtx_t tx;
        memset (&tx, 0, sizeof tx);
        tx.type = type;
        tx.chain_id = s_u64 (vector, "chain_id");
        tx.nonce = s_u64 (vector, "nonce");
        tx.gas_limit = s_u64 (vector, "gas_limit");
        s_u256 (vector, "value", tx.value);
        if (type == 2) {
            s_u256 (vector, "max_priority_fee_per_gas", tx.max_priority_fee);
            s_u256 (vector, "max_fee_per_gas", tx.max_fee);
        }
        else
            s_u256 (vector, "gas_price", tx.gas_price);
        json_object *to = NULL;
        json_object_object_get_ex (vector, "to", &to);
        if (to) {
            tx.has_to = 1;
            cr_assert_eq (dp_hex_decode_0x (json_object_get_string (to), tx.to, 20, NULL), DP_OK);
        }
        size_t data_len, key_len;
        uint8_t *data = s_bytes (s_str (vector, "data"), &data_len);
        tx.data = data;
        tx.data_len = data_len;
        dp_ethtx_access_t access [4];
        uint8_t keys [4][8][32];
        json_object *list = NULL;
        if (type == 2 && json_object_object_get_ex (vector, "access_list", &list)) {
            tx.access_count = json_object_array_length (list);
            cr_assert_leq (tx.access_count, 4);
            for (size_t a = 0; a < tx.access_count; a++) {
                json_object *entry = json_object_array_get_idx (list, a), *slots = NULL;
                cr_assert_eq (dp_hex_decode_0x (s_str (entry, "address"), access [a].address, 20, NULL), DP_OK);
                json_object_object_get_ex (entry, "storage_keys", &slots);
                access [a].storage_key_count = json_object_array_length (slots);
                for (size_t k = 0; k < access [a].storage_key_count; k++)
                    cr_assert_eq (dp_hex_decode_0x (json_object_get_string (json_object_array_get_idx (slots, k)),
                                                    keys [a][k], 32, NULL), DP_OK);
                access [a].storage_keys = (const uint8_t (*) [32]) keys [a];
            }
            tx.access = access;
        }
        uint8_t *payload = NULL, *raw = NULL, hash [32];
        size_t payload_len = 0, raw_len = 0;
        cr_assert_eq (dp_ethtx_signing_payload (&tx, &payload, &payload_len, NULL), DP_OK);
        s_assert_hex (payload, payload_len, s_str (vector, "signing_payload"), name);
        uint8_t *key = s_bytes (s_str (vector, "private_key"), &key_len);
        dp_error_t err;
        cr_assert_eq (dp_ethtx_sign (&tx, key, &raw, &raw_len, hash, &err), DP_OK, "%s", err.text);
        s_assert_hex (raw, raw_len, s_str (vector, "raw_tx"), name);
        s_assert_hex (hash, 32, s_str (vector, "tx_hash"), name);
        free (payload);
        free (raw);
        free (key);
        free (data);
    }
    cr_assert_geq (count, 10);
    json_object_put (cases);
}

Test (ethtx, eip1559_vectors)
{
    s_check_tx_file ("tx_eip1559.json", 2);
}

Test (ethtx, legacy_eip155_vectors)
{
    s_check_tx_file ("tx_legacy_eip155.json", 0);
}

Test (ethtx, u256_parse_and_quantity)
{
    uint8_t value [32];
    char text [67];
    cr_assert_eq (dp_ethtx_u256_parse ("0x0", value, NULL), DP_OK);
    cr_assert_str_eq (dp_ethtx_u256_quantity (value, text), "0x0");
    cr_assert_eq (dp_ethtx_u256_parse ("1000000000000000000", value, NULL), DP_OK);
    cr_assert_str_eq (dp_ethtx_u256_quantity (value, text), "0xde0b6b3a7640000");
    dp_error_t err;
    cr_assert_eq (dp_ethtx_u256_parse ("0x", value, &err), DP_INVALID);
    cr_assert_eq (dp_ethtx_u256_parse ("12a", value, &err), DP_INVALID);
    cr_assert (strstr (err.text, "base-10"), "%s", err.text);
    cr_assert_eq (dp_ethtx_u256_parse ("0x1" "0000000000000000000000000000000000000000000000000000000000000000",
                                       value, &err), DP_INVALID);
    cr_assert (strstr (err.text, "2^256"), "%s", err.text);
}
