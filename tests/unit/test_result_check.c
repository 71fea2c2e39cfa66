/*  test_result_check.c — the checks dp-submit verify and the relayer
    share: payload rebuilding, escrow decoding, absent signatures. Whole
    signed results are exercised by test_submit_verify and
    test_relayer_check. */

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_result_check.h"
#include "dp_sha256.h"

static json_object *
s_parse (const char *text)
{
    json_object *object = json_tokener_parse (text);
    cr_assert_not_null (object, "bad test JSON: %s", text);
    return object;
}

Test (result_check, payload_as_python_prints_it)
{
    json_object *result = s_parse ("{\"final_price\": 730.0, \"terms\": {\"duration_days\": 365, "
                                   "\"access_scope\": \"full\"}, \"data_hash\": \"ab\", "
                                   "\"data_verification_attestation\": \"\"}");
    uint8_t hash [32], want [32];
    char *text = NULL;
    dp_error_t err;
    cr_assert_eq (dp_result_check_payload (result, hash, &text, &err), DP_OK, "%s", err.text);
    //  An empty data attestation is no attestation: no data_hash in the payload.
    const char *python = "{\"final_price\": 730.0, \"terms\": {\"access_scope\": \"full\", "
                         "\"duration_days\": 365}}";
    cr_expect_str_eq (text, python);
    dp_sha256 (python, strlen (python), want);
    cr_expect_arr_eq (hash, want, 32);
    free (text);
    json_object_put (result);
}

Test (result_check, payload_with_verified_data)
{
    json_object *result = s_parse ("{\"final_price\": 700.5, \"terms\": {}, \"data_hash\": \"ab\", "
                                   "\"data_verification_attestation\": \"0400\"}");
    uint8_t hash [32];
    char *text = NULL;
    cr_assert_eq (dp_result_check_payload (result, hash, &text, NULL), DP_OK);
    cr_expect_str_eq (text, "{\"data_hash\": \"ab\", \"data_verified\": true, "
                            "\"final_price\": 700.5, \"terms\": {}}");
    free (text);
    json_object_put (result);
}

Test (result_check, payload_missing_fields)
{
    json_object *result = s_parse ("{\"terms\": {}}");
    uint8_t hash [32];
    dp_error_t err;
    cr_expect_eq (dp_result_check_payload (result, hash, NULL, &err), DP_INVALID);
    cr_expect (strstr (err.text, "final_price"), "%s", err.text);
    json_object_put (result);
}

Test (result_check, unsigned_and_unreleased_are_not_found)
{
    json_object *result = s_parse ("{\"signature\": null, \"release_signature\": null}");
    uint8_t who [20], report_data [64] = { 0 };
    dp_result_escrow_t escrow = { 0 };
    dp_error_t err;
    cr_expect_eq (dp_result_check_signer (result, who, &err), DP_NOTFOUND);
    cr_expect (strstr (err.text, "unsigned"), "%s", err.text);
    cr_expect_eq (dp_result_check_releaser (result, &escrow, report_data, who, NULL, &err),
                  DP_NOTFOUND);
    cr_expect_eq (dp_result_escrow (result, &escrow, &err), DP_NOTFOUND);
    json_object_put (result);
}

Test (result_check, malformed_signature_names_the_field)
{
    json_object *result = s_parse ("{\"signature\": \"0x1234\"}");
    uint8_t who [20];
    dp_error_t err;
    cr_expect_eq (dp_result_check_signer (result, who, &err), DP_INVALID);
    cr_expect (strncmp (err.text, "signature", 9) == 0, "%s", err.text);
    json_object_put (result);
}

#define S_CONTRACT "\"contract\": \"0x5FbDB2315678afecb367f032d93F642f64180aa3\""
#define S_SELLER "\"seller_address\": \"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\""

Test (result_check, escrow_decodes_text_and_integer_amounts)
{
    const char *texts [] = {
        "{\"escrow\": {\"chain_id\": 31337, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": \"1000000000000000000\"}}",
        "{\"escrow\": {\"chain_id\": 31337, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": 1000000000000000000}}",
    };
    for (int i = 0; i < 2; i++) {
        json_object *result = s_parse (texts [i]);
        dp_result_escrow_t escrow;
        dp_error_t err;
        cr_assert_eq (dp_result_escrow (result, &escrow, &err), DP_OK, "%s", err.text);
        cr_expect_eq (escrow.chain_id, 31337);
        uint8_t want [32] = { 0 };
        //  10^18 = 0x0de0b6b3a7640000
        const uint8_t tail [8] = { 0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0x00, 0x00 };
        memcpy (want + 24, tail, 8);
        cr_expect_arr_eq (escrow.amount_wei, want, 32);
        cr_expect_eq (escrow.contract [0], 0x5f);
        cr_expect_eq (escrow.seller [0], 0x70);
        json_object_put (result);
    }
}

Test (result_check, escrow_errors_name_the_field)
{
    struct { const char *json, *field; } cases [] = {
        { "{\"escrow\": {\"chain_id\": 0, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": \"1\"}}",
          "escrow.chain_id" },
        { "{\"escrow\": {\"chain_id\": \"1\", " S_CONTRACT ", " S_SELLER ", \"amount_wei\": \"1\"}}",
          "escrow.chain_id" },
        { "{\"escrow\": {\"chain_id\": 1, \"contract\": \"0x12\", " S_SELLER ", \"amount_wei\": \"1\"}}",
          "escrow.contract" },
        { "{\"escrow\": {\"chain_id\": 1, " S_CONTRACT ", \"amount_wei\": \"1\"}}",
          "escrow.seller_address" },
        { "{\"escrow\": {\"chain_id\": 1, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": \"1.5\"}}",
          "escrow.amount_wei" },
        { "{\"escrow\": {\"chain_id\": 1, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": \"-1\"}}",
          "escrow.amount_wei" },
        { "{\"escrow\": {\"chain_id\": 1, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": "
          "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\"}}",
          "escrow.amount_wei" },
        { "{\"escrow\": {\"chain_id\": 1, " S_CONTRACT ", " S_SELLER ", \"amount_wei\": 1.5}}",
          "escrow.amount_wei" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        json_object *result = s_parse (cases [i].json);
        dp_result_escrow_t escrow;
        dp_error_t err;
        cr_expect_eq (dp_result_escrow (result, &escrow, &err), DP_INVALID, "case %zu", i);
        cr_expect (strncmp (err.text, cases [i].field, strlen (cases [i].field)) == 0,
                   "case %zu: %s", i, err.text);
        json_object_put (result);
    }
}
