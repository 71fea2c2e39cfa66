/*  test_submit_verify.c — `verify`'s checks on results built here with
    the real primitives (a key, the SPEC §5 binding, the §6 signature, the
    §7 release signature), then with one field changed at a time: each
    change must fail the check that covers it, and only that one. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_binding.h"
#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_result.h"
#include "dp_submit_verify.h"

static const uint8_t s_key [32] = {
    0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47, 0x1b, 0x5d, 0xbb, 0x62, 0x04,
    0xfe, 0x51, 0x29, 0x61, 0x70, 0x82, 0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18 };

//  A signed result without quotes (attestation absent), or with the deal
//  report data filled in (attestation given as a non-empty string so the
//  payload and binding checks run; its quote check then fails, which the
//  tests account for).
static json_object *
s_result (int with_escrow)
{
    json_object *result = NULL;
    const char *text =
        "{\"deal_id\": \"deal-1\", \"agreed\": true, \"status\": \"agreed\", \"reason\": null,"
        " \"final_price\": 730.0, \"terms\": {\"access_scope\": \"full\", \"duration_days\": 365},"
        " \"data_hash\": \"bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f\","
        " \"transcript\": [{\"round\": 1, \"role\": \"seller\", \"action\": \"offer\", \"price\": 840.0,"
        " \"terms\": {}, \"reasoning\": \"Premium — curated\", \"source\": \"engine\"},"
        " {\"round\": 1, \"role\": \"buyer\", \"action\": \"accept\", \"price\": 730.0,"
        " \"terms\": {\"access_scope\": \"full\", \"duration_days\": 365}, \"reasoning\": \"ok\", \"source\": \"engine\"}],"
        " \"tee_mode\": \"simulation\", \"escrow_tx\": null, \"completion_tx\": null,"
        " \"dkim_verification\": null, \"data_verification_attestation\": null}";
    cr_assert_eq (dp_json_parse (text, strlen (text), &result, NULL), DP_OK);
    uint8_t signer [20], digest [32], payload_hash [32], report_data [64];
    cr_assert_eq (dp_eth_address_from_key (s_key, signer, NULL), DP_OK);
    char address [DP_ETH_ADDRESS_TEXT_SIZE], hex [129];
    dp_eth_address_eip55 (signer, address);
    json_object_object_add (result, "signer", json_object_new_string (address));
    json_object *transcript;
    json_object_object_get_ex (result, "transcript", &transcript);
    cr_assert_eq (dp_result_transcript_digest (transcript, digest, NULL), DP_OK);
    json_object_object_add (result, "transcript_digest", json_object_new_string (dp_hex_encode (digest, 32, hex)));
    json_object *payload = dp_result_deal_payload_new (73000, "full", 365, NULL);
    cr_assert_eq (dp_result_payload_digest (payload, payload_hash, NULL), DP_OK);
    json_object_put (payload);
    dp_binding_report_data (payload_hash, DP_BINDING_DEAL, "deal-1", digest, signer, report_data);
    json_object_object_add (result, "report_data", json_object_new_string (dp_hex_encode (report_data, 64, hex)));
    if (with_escrow) {
        uint8_t contract [20] = { 0x5f, 0xbd, 0xb2, 0x31 }, seller [20] = { 0x11, 0x22 }, wei [32] = { 0 };
        wei [31] = 0x10;        //  16 wei
        char c [DP_ETH_ADDRESS_TEXT_SIZE], s [DP_ETH_ADDRESS_TEXT_SIZE];
        dp_eth_address_eip55 (contract, c);
        dp_eth_address_eip55 (seller, s);
        json_object *escrow = json_object_new_object ();
        json_object_object_add (escrow, "chain_id", json_object_new_int64 (31337));
        json_object_object_add (escrow, "contract", json_object_new_string (c));
        json_object_object_add (escrow, "seller_address", json_object_new_string (s));
        json_object_object_add (escrow, "amount_wei", json_object_new_string ("16"));
        json_object_object_add (result, "escrow", escrow);
        uint8_t data_hash [32], release [32], sig [65];
        cr_assert_eq (dp_hex_decode ("bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f", 64, data_hash, 32, NULL), DP_OK);
        dp_eth_release_digest (31337, contract, "deal-1", seller, data_hash, wei, report_data, release);
        cr_assert_eq (dp_eth_sign (s_key, release, sig, NULL), DP_OK);
        char sig_text [133];
        dp_eth_signature_format (sig, sig_text);
        json_object_object_add (result, "release_signature", json_object_new_string (sig_text));
    }
    uint8_t hash [32], eip191 [32], sig [65];
    cr_assert_eq (dp_result_hash (result, hash, NULL), DP_OK);
    dp_eth_eip191_hash32 (hash, eip191);
    cr_assert_eq (dp_eth_sign (s_key, eip191, sig, NULL), DP_OK);
    char sig_text [133];
    dp_eth_signature_format (sig, sig_text);
    json_object_object_add (result, "signature", json_object_new_string (sig_text));
    return result;
}

typedef struct {
    char failed [16][32];
    int failed_count;
    char passed [16][32];
    int passed_count;
} s_outcome_t;

static void
s_collect (void *arg, const char *check, int ok, const char *detail)
{
    s_outcome_t *outcome = arg;
    if (ok == 0 && outcome->failed_count < 16)
        snprintf (outcome->failed [outcome->failed_count++], 32, "%s", check);
    if (ok == 1 && outcome->passed_count < 16)
        snprintf (outcome->passed [outcome->passed_count++], 32, "%s", check);
}

static int
s_has (char (*list) [32], int count, const char *check)
{
    for (int i = 0; i < count; i++)
        if (strcmp (list [i], check) == 0)
            return 1;
    return 0;
}

static s_outcome_t
s_verify (json_object *result)
{
    s_outcome_t outcome = { 0 };
    int failed = 0;
    dp_error_t err;
    cr_assert_eq (dp_submit_verify_result (result, NULL, s_collect, &outcome, &failed, &err), DP_OK);
    cr_assert_eq (failed, outcome.failed_count);
    return outcome;
}

Test (submit_verify, good_result_without_quotes_passes)
{
    json_object *result = s_result (0);
    s_outcome_t outcome = s_verify (result);
    cr_assert_eq (outcome.failed_count, 0, "failed: %s", outcome.failed [0]);
    cr_assert (s_has (outcome.passed, outcome.passed_count, "result signature"));
    cr_assert (s_has (outcome.passed, outcome.passed_count, "transcript digest"));
    json_object_put (result);
}

Test (submit_verify, release_signature_checked)
{
    json_object *result = s_result (1);
    s_outcome_t outcome = s_verify (result);
    cr_assert (s_has (outcome.passed, outcome.passed_count, "release signature"));
    cr_assert_eq (outcome.failed_count, 0, "failed: %s", outcome.failed [0]);
    //  Another amount: the release no longer recovers to the signer (the
    //  escrow object is signed as part of the result, so that fails too).
    json_object *escrow;
    json_object_object_get_ex (result, "escrow", &escrow);
    json_object_object_add (escrow, "amount_wei", json_object_new_string ("17"));
    outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "release signature"));
    json_object_put (result);
}

Test (submit_verify, changed_price_fails_payload_and_signature)
{
    json_object *result = s_result (0);
    json_object_object_add (result, "attestation", json_object_new_string ("0x00"));
    json_object_object_add (result, "final_price", json_object_new_double_s (731.0, "731.0"));
    s_outcome_t outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "payload hash"));
    cr_assert (s_has (outcome.failed, outcome.failed_count, "result signature"));
    cr_assert (s_has (outcome.passed, outcome.passed_count, "binding"));
    json_object_put (result);
}

Test (submit_verify, changed_terms_fail_payload)
{
    json_object *result = s_result (0);
    json_object_object_add (result, "attestation", json_object_new_string ("0x00"));
    json_object *terms;
    json_object_object_get_ex (result, "terms", &terms);
    json_object_object_add (terms, "duration_days", json_object_new_int (366));
    s_outcome_t outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "payload hash"));
    json_object_put (result);
}

Test (submit_verify, changed_report_data_fails_binding)
{
    json_object *result = s_result (0);
    json_object_object_add (result, "attestation", json_object_new_string ("0x00"));
    json_object *rd;
    json_object_object_get_ex (result, "report_data", &rd);
    char text [129];
    snprintf (text, sizeof text, "%s", json_object_get_string (rd));
    text [100] = text [100] == '0'? '1': '0';
    json_object_object_add (result, "report_data", json_object_new_string (text));
    s_outcome_t outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "binding"));
    cr_assert (s_has (outcome.passed, outcome.passed_count, "payload hash"));
    json_object_put (result);
}

Test (submit_verify, changed_signature_or_transcript)
{
    json_object *result = s_result (0);
    json_object *sig;
    json_object_object_get_ex (result, "signature", &sig);
    char text [133];
    snprintf (text, sizeof text, "%s", json_object_get_string (sig));
    text [10] = text [10] == 'a'? 'b': 'a';
    json_object_object_add (result, "signature", json_object_new_string (text));
    s_outcome_t outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "result signature"));
    cr_assert_eq (outcome.failed_count, 1);
    json_object_put (result);

    result = s_result (0);
    json_object *transcript;
    json_object_object_get_ex (result, "transcript", &transcript);
    json_object_object_add (json_object_array_get_idx (transcript, 0), "reasoning",
                            json_object_new_string ("changed"));
    outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "transcript digest"));
    json_object_put (result);
}

Test (submit_verify, unsigned_result_fails)
{
    json_object *result = s_result (0);
    json_object_object_add (result, "signature", NULL);
    s_outcome_t outcome = s_verify (result);
    cr_assert (s_has (outcome.failed, outcome.failed_count, "result signature"));
    json_object_put (result);
    dp_error_t err;
    int failed;
    json_object *array = json_object_new_array ();
    cr_assert_eq (dp_submit_verify_result (array, NULL, s_collect, &outcome, &failed, &err), DP_INVALID);
    json_object_put (array);
}

Test (submit_verify, chunk_count_search_matches_pydumps)
{
    const char *hash = "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f";
    for (long count = 1; count <= 200001; count += 99999) {
        json_object *payload = dp_result_data_payload_new (hash, count);
        uint8_t digest [32];
        cr_assert_eq (dp_result_payload_digest (payload, digest, NULL), DP_OK);
        json_object_put (payload);
        long found = dp_submit_verify_chunk_count (hash, digest, 200000);
        cr_assert_eq (found, count <= 200000? count: -1, "count %ld found %ld", count, found);
    }
}
