/*  test_result.c — SPEC §4–§6: transcript entries and prices, the
    transcript digest, attestation payload digests and the result hash.
    Expected digests were computed with Python's json and hashlib:
        hashlib.sha256(json.dumps(x, sort_keys=True).encode()).hexdigest() */

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_json.h"
#include "dp_result.h"

#define S_HASH "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f"

static void
s_assert_digest (const uint8_t digest [32], const char *expect)
{
    char hex [65];
    dp_hex_encode (digest, 32, hex);
    cr_assert_str_eq (hex, expect);
}

static char *
s_dumps (json_object *value)
{
    char *text;
    cr_assert_eq (dp_json_pydumps (value, &text, NULL, NULL), DP_OK);
    return text;
}

static json_object *
s_transcript (void)
{
    json_object *transcript = json_object_new_array ();
    json_object_array_add (transcript, dp_result_entry_new (1, "seller", "offer", 84000, NULL,
                                                            "Premium dataset, opening price", "engine"));
    json_object_array_add (transcript, dp_result_entry_new (1, "buyer", "counter", 60000,
                                                            dp_result_terms_new ("full", 365),
                                                            "Above budget, need justif\xc3\xa9", "llm"));
    json_object_array_add (transcript, dp_result_entry_new (2, "seller", "accept", 73029,
                                                            dp_result_terms_new ("full", 365), NULL,
                                                            "guardrail"));
    return transcript;
}

Test (result, entries_have_the_seed_fields)
{
    json_object *transcript = s_transcript ();
    char *text = s_dumps (transcript);
    cr_assert_str_eq (text,
        "[{\"action\": \"offer\", \"price\": 840.0, \"reasoning\": \"Premium dataset, opening price\", "
        "\"role\": \"seller\", \"round\": 1, \"source\": \"engine\", \"terms\": {}}, "
        "{\"action\": \"counter\", \"price\": 600.0, \"reasoning\": \"Above budget, need justif\\u00e9\", "
        "\"role\": \"buyer\", \"round\": 1, \"source\": \"llm\", \"terms\": {\"access_scope\": \"full\", "
        "\"duration_days\": 365}}, {\"action\": \"accept\", \"price\": 730.29, \"reasoning\": \"\", "
        "\"role\": \"seller\", \"round\": 2, \"source\": \"guardrail\", \"terms\": {\"access_scope\": "
        "\"full\", \"duration_days\": 365}}]");
    free (text);
    json_object_put (transcript);
    json_object *entry = dp_result_entry_new (3, "buyer", "reject", -1, NULL, "no", "engine");
    text = s_dumps (entry);
    cr_assert (strstr (text, "\"price\": null"), "%s", text);
    free (text);
    json_object_put (entry);
}

Test (result, transcript_digest_matches_python)
{
    json_object *transcript = s_transcript ();
    uint8_t digest [32];
    cr_assert_eq (dp_result_transcript_digest (transcript, digest, NULL), DP_OK);
    s_assert_digest (digest, "0f887f613ea787510fca2907f89cdfd8c41e6a48cacdbf690e1f9eb03c57a0d3");
    json_object_put (transcript);
}

Test (result, payload_digests_match_python)
{
    json_object *payload = dp_result_deal_payload_new (73000, "full", 365, NULL);
    char *text = s_dumps (payload);
    cr_assert_str_eq (text, "{\"final_price\": 730.0, \"terms\": {\"access_scope\": \"full\", \"duration_days\": 365}}");
    free (text);
    uint8_t digest [32];
    cr_assert_eq (dp_result_payload_digest (payload, digest, NULL), DP_OK);
    s_assert_digest (digest, "faf05494e23ceb3a15c89d30d388d8d2c37f3dfae3d51c9c7610aef867f8a2a8");
    json_object_put (payload);

    payload = dp_result_deal_payload_new (73000, "full", 365, S_HASH);
    cr_assert_eq (dp_result_payload_digest (payload, digest, NULL), DP_OK);
    s_assert_digest (digest, "8ff475d6be64f10b809fdb3bbfed02ec9b47f4d60bc16bf4a511b16cc2f71236");
    json_object_put (payload);

    payload = dp_result_data_payload_new (S_HASH, 5);
    cr_assert_eq (dp_result_payload_digest (payload, digest, NULL), DP_OK);
    s_assert_digest (digest, "5cdad56ffa45e66273928a0b7c1abcff9f43638016833068a4f566e7e5c7d7bd");
    json_object_put (payload);
}

static json_object *
s_result (void)
{
    json_object *result = json_object_new_object ();
    json_object_object_add (result, "deal_id", json_object_new_string ("d1"));
    json_object_object_add (result, "agreed", json_object_new_boolean (1));
    json_object_object_add (result, "final_price", dp_json_price_new (73000));
    json_object_object_add (result, "status", json_object_new_string ("agreed"));
    json_object_object_add (result, "reason", NULL);
    json_object_object_add (result, "terms", dp_result_terms_new ("full", 365));
    json_object_object_add (result, "transcript", s_transcript ());
    json_object_object_add (result, "signer", json_object_new_string ("0xabc"));
    return result;
}

Test (result, hash_leaves_out_unsigned_keys)
{
    json_object *result = s_result ();
    uint8_t digest [32], again [32];
    cr_assert_eq (dp_result_hash (result, digest, NULL), DP_OK);
    s_assert_digest (digest, "a6256a4d1f7d8fde7311673e52b7c737d7d968a591c7b7d8dd5992c38a2b65f2");
    //  Annotations anyone may add do not change the hash...
    for (int i = 0; dp_result_unsigned_keys [i]; i++)
        json_object_object_add (result, dp_result_unsigned_keys [i], json_object_new_string ("0x01"));
    cr_assert_eq (dp_result_hash (result, again, NULL), DP_OK);
    cr_assert_arr_eq (digest, again, 32);
    cr_assert_not_null (json_object_object_get (result, "signature"), "the result itself is unchanged");
    //  ...every other key does.
    json_object_object_add (result, "final_price", dp_json_price_new (73001));
    cr_assert_eq (dp_result_hash (result, again, NULL), DP_OK);
    cr_assert_neq (memcmp (digest, again, 32), 0);
    json_object_put (result);
}

Test (result, unsigned_keys_and_errors)
{
    const char *expect [] = { "signature", "release_signature", "escrow_tx", "completion_tx",
                              "worker", "timings", "usage" };
    int count = 0;
    while (dp_result_unsigned_keys [count])
        count++;
    cr_assert_eq (count, 7);
    for (int i = 0; i < 7; i++)
        cr_assert (dp_result_key_is_unsigned (expect [i]), "%s", expect [i]);
    cr_assert_not (dp_result_key_is_unsigned ("signer"));
    cr_assert_not (dp_result_key_is_unsigned (NULL));
    uint8_t digest [32];
    dp_error_t err;
    json_object *array = json_object_new_array ();
    cr_assert_eq (dp_result_hash (array, digest, &err), DP_INVALID);
    cr_assert_str_eq (err.text, "result: not a JSON object");
    json_object_array_add (array, json_object_new_string ("\xff"));
    cr_assert_eq (dp_result_transcript_digest (array, digest, &err), DP_INVALID);
    json_object_put (array);
}

Test (result, text_is_the_signed_text_then_the_unsigned_members)
{
    json_object *result = json_tokener_parse (
        "{\"deal_id\": \"d-1\", \"agreed\": true, \"final_price\": 730.0, \"signature\": \"0xab\", "
        "\"worker\": \"w\", \"timings\": {\"total_us\": 12}, \"reason\": null}");
    cr_assert_not_null (result);
    char *signed_text = NULL, *text = NULL;
    size_t signed_len = 0, len = 0;
    uint8_t hash [32], want [32];
    cr_assert_eq (dp_result_signed_text (result, &signed_text, &signed_len, hash, NULL), DP_OK);
    cr_expect_str_eq (signed_text,
                      "{\"agreed\": true, \"deal_id\": \"d-1\", \"final_price\": 730.0, \"reason\": null}");
    cr_assert_eq (dp_result_hash (result, want, NULL), DP_OK);
    cr_expect_arr_eq (hash, want, 32);
    cr_assert_eq (dp_result_text (result, signed_text, signed_len, &text, &len, NULL), DP_OK);
    cr_expect_str_eq (text, "{\"agreed\": true, \"deal_id\": \"d-1\", \"final_price\": 730.0, "
                            "\"reason\": null, \"signature\": \"0xab\", \"worker\": \"w\", "
                            "\"timings\": {\"total_us\": 12}}");
    cr_expect_eq (len, strlen (text));
    //  The text is the same object, and hashes the same once parsed again.
    json_object *again = json_tokener_parse (text);
    cr_assert_not_null (again);
    cr_expect (json_object_equal (again, result));
    cr_assert_eq (dp_result_hash (again, hash, NULL), DP_OK);
    cr_expect_arr_eq (hash, want, 32);
    json_object_put (again);
    free (text);
    free (signed_text);

    //  An object with only unsigned members, and a signed text that is not an object.
    json_object *bare = json_tokener_parse ("{\"signature\": null}");
    cr_assert_eq (dp_result_text (bare, "{}", 2, &text, &len, NULL), DP_OK);
    cr_expect_str_eq (text, "{\"signature\": null}");
    free (text);
    dp_error_t err;
    cr_expect_eq (dp_result_text (bare, "[]", 2, &text, &len, &err), DP_INVALID);
    json_object_put (bare);
    json_object_put (result);
}
