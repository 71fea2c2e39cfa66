/*  test_relayer_check.c — the relayer's checks before it moves money, on
    a real result from the pipeline (simulated TEE) and on forged copies:
    each forgery is refused by the check that names it. */

#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_deal.h"
#include "dp_eth.h"
#include "dp_json.h"
#include "dp_hex.h"
#include "dp_pipeline.h"
#include "dp_quote.h"
#include "dp_relayer_check.h"

#define S_CONTRACT "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab"
#define S_SELLER   "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0"

static char s_dir [256];
static dp_envelope_t s_envelope;
static json_object *s_result;
static uint8_t s_contract [20];

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dp-test-relayer-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    char sim_root [300], key_file [300];
    snprintf (sim_root, sizeof sim_root, "%s/sim-root", s_dir);
    snprintf (key_file, sizeof key_file, "%s/worker-key", s_dir);
    dp_pipeline_options_t options = {
        .tee_mode = "simulation", .sim_root = sim_root, .key_file = key_file,
        .chain_id = 1337, .contract_address = S_CONTRACT, .worker_name = "t",
    };
    dp_error_t err;
    dp_pipeline_t *pipeline = dp_pipeline_new (&options, &err);
    cr_assert_not_null (pipeline, "%s", err.text);
    const char *text = "{\"deal_id\": \"escrowed\", \"buyer_budget\": 1000, \"floor_price\": 600,"
        " \"buyer_requirements\": \"r\", \"data_description\": \"d\","
        " \"data_hash\": \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
        " \"seller_address\": \"" S_SELLER "\", \"escrow_amount_eth\": 0.5}";
    dp_deal_t *deal = NULL;
    cr_assert_eq (dp_deal_from_json (text, strlen (text), NULL, &deal, &err), DP_OK, "%s", err.text);
    dp_deal_envelope (deal, &s_envelope);
    dp_job_t job = { .envelope = &s_envelope, .body = (const uint8_t *) deal->body, .body_len = deal->body_len };
    dp_job_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    cr_assert_eq (dp_pipeline_handle (pipeline, &job, NULL, NULL, &outcome), DP_OK);
    cr_assert_str_eq (outcome.status, "agreed", "%s", outcome.reason);
    cr_assert_eq (dp_json_parse (outcome.result_json, outcome.result_len, &s_result, &err), DP_OK);
    free (outcome.result_json);
    dp_deal_destroy (&deal);
    dp_pipeline_destroy (&pipeline);
    cr_assert_eq (dp_eth_address_parse (S_CONTRACT, s_contract, NULL), DP_OK);
}

static void
s_teardown (void)
{
    json_object_put (s_result);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    cr_assert_eq (system (command), 0);
}

static dp_relayer_checker_t *
s_checker (int allow_simulation)
{
    char sim_root [300];
    snprintf (sim_root, sizeof sim_root, "%s/sim-root", s_dir);
    dp_relayer_policy_t policy = { .allow_simulation = allow_simulation, .sim_root = sim_root };
    dp_error_t err;
    dp_relayer_checker_t *checker = dp_relayer_checker_new (&policy, &err);
    cr_assert_not_null (checker, "%s", err.text);
    return checker;
}

//  Runs the checks on a copy of the result changed by edit (may be NULL).
static dp_status
s_check (json_object *result, const dp_envelope_t *envelope, uint64_t chain_id, int allow_simulation,
         dp_error_t *err)
{
    dp_relayer_checker_t *checker = s_checker (allow_simulation);
    dp_relayer_release_t release;
    dp_status rc = dp_relayer_check (checker, result, envelope, chain_id, s_contract, &release, err);
    dp_relayer_checker_destroy (&checker);
    return rc;
}

static json_object *
s_copy (void)
{
    json_object *copy = NULL;
    cr_assert_eq (json_object_deep_copy (s_result, &copy, NULL), 0);
    return copy;
}

Test (relayer_check, genuine_result_passes, .init = s_setup, .fini = s_teardown)
{
    dp_error_t err;
    cr_assert_eq (s_check (s_result, &s_envelope, 1337, 1, &err), DP_OK, "%s", err.text);
}

Test (relayer_check, simulated_quote_refused_unless_allowed, .init = s_setup, .fini = s_teardown)
{
    dp_error_t err;
    cr_assert_neq (s_check (s_result, &s_envelope, 1337, 0, &err), DP_OK);
    cr_assert (strstr (err.text, "quote: simulated"), "%s", err.text);
}

Test (relayer_check, changed_price_breaks_the_signature, .init = s_setup, .fini = s_teardown)
{
    json_object *forged = s_copy ();
    json_object_object_add (forged, "final_price", dp_json_price_new (99900));
    dp_error_t err;
    cr_assert_neq (s_check (forged, &s_envelope, 1337, 1, &err), DP_OK);
    cr_assert (strstr (err.text, "signature"), "%s", err.text);
    json_object_put (forged);
}

Test (relayer_check, envelope_amount_or_seller_mismatch, .init = s_setup, .fini = s_teardown)
{
    dp_envelope_t envelope = s_envelope;
    snprintf (envelope.escrow_amount_eth, sizeof envelope.escrow_amount_eth, "0.6");
    dp_error_t err;
    cr_assert_neq (s_check (s_result, &envelope, 1337, 1, &err), DP_OK);
    cr_assert (strstr (err.text, "escrow: amount_wei"), "%s", err.text);
    envelope = s_envelope;
    snprintf (envelope.seller_address, sizeof envelope.seller_address, "0x%040d", 1);
    cr_assert_neq (s_check (s_result, &envelope, 1337, 1, &err), DP_OK);
    cr_assert (strstr (err.text, "escrow: seller_address"), "%s", err.text);
}

Test (relayer_check, other_chain_refused, .init = s_setup, .fini = s_teardown)
{
    dp_error_t err;
    cr_assert_neq (s_check (s_result, &s_envelope, 1, 1, &err), DP_OK);
    cr_assert (strstr (err.text, "escrow: chain_id"), "%s", err.text);
}

Test (relayer_check, swapped_release_signature_refused, .init = s_setup, .fini = s_teardown)
{
    //  release_signature is an unsigned annotation (SPEC §6): the result
    //  signature still holds, the release check must catch it.
    json_object *forged = s_copy ();
    uint8_t key [32], digest [32] = { 1 }, sig [65];
    char text [133];
    cr_assert_eq (dp_eth_key_generate (key, NULL), DP_OK);
    cr_assert_eq (dp_eth_sign (key, digest, sig, NULL), DP_OK);
    dp_eth_signature_format (sig, text);
    json_object_object_add (forged, "release_signature", json_object_new_string (text));
    dp_error_t err;
    cr_assert_neq (s_check (forged, &s_envelope, 1337, 1, &err), DP_OK);
    cr_assert (strstr (err.text, "release"), "%s", err.text);
    json_object_put (forged);
}

Test (relayer_check, not_agreed_refused, .init = s_setup, .fini = s_teardown)
{
    json_object *forged = s_copy ();
    json_object_object_add (forged, "status", json_object_new_string ("failed"));
    dp_error_t err;
    cr_assert_neq (s_check (forged, &s_envelope, 1337, 1, &err), DP_OK);
    cr_assert (strstr (err.text, "status: failed"), "%s", err.text);
    json_object_put (forged);
}

//  A checker with a policy file holding text (and --mrtd if given).
static dp_relayer_checker_t *
s_checker_with_policy (const char *text, const char *mrtd_hex, dp_error_t *err)
{
    char sim_root [300], path [300];
    snprintf (sim_root, sizeof sim_root, "%s/sim-root", s_dir);
    snprintf (path, sizeof path, "%s/policy.json", s_dir);
    FILE *file = fopen (path, "w");
    cr_assert (file);
    fputs (text, file);
    fclose (file);
    dp_relayer_policy_t policy = { .allow_simulation = 1, .sim_root = sim_root, .policy_path = path,
                                   .mrtd_hex = mrtd_hex };
    return dp_relayer_checker_new (&policy, err);
}

//  The result's quote's MRTD and RTMR3 in hex.
static void
s_measurements (char mrtd [97], char rtmr3 [97])
{
    json_object *value = NULL;
    cr_assert (json_object_object_get_ex (s_result, "attestation", &value));
    const char *hex = json_object_get_string (value);
    dp_quote_t *quote = NULL;
    cr_assert_eq (dp_quote_parse ((const uint8_t *) hex, strlen (hex), &quote, NULL), DP_OK);
    dp_hex_encode (quote->td.mrtd, 48, mrtd);
    dp_hex_encode (quote->td.rtmr [3], 48, rtmr3);
    dp_quote_destroy (&quote);
}

//  --policy: an MRTD + RTMR allow-list (the app is in RTMR3 on dstack)
//  and TCB statuses; refused when the file is unusable or contradicts the
//  other flags.
Test (relayer_check, quote_policy_file, .init = s_setup, .fini = s_teardown)
{
    char mrtd [97], rtmr3 [97], text [1024];
    s_measurements (mrtd, rtmr3);
    const char *other = "abababababababababababababababababababababababababababababababababababababababababababababababab";
    dp_error_t err;
    dp_relayer_release_t release;
    struct {
        const char *rtmr3;
        const char *statuses;
        int ok;
    } cases [] = {
        { rtmr3, "[\"UpToDate\"]", 1 },
        { rtmr3, "[\"OutOfDate\"]", 0 },
        { other, "[\"UpToDate\"]", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        snprintf (text, sizeof text, "{\"tcb_statuses\":%s,\"measurements\":[{\"mrtd\":\"%s\",\"rtmr3\":\"%s\"}]}",
                  cases [i].statuses, mrtd, cases [i].rtmr3);
        dp_relayer_checker_t *checker = s_checker_with_policy (text, NULL, &err);
        cr_assert_not_null (checker, "%s", err.text);
        dp_status rc = dp_relayer_check (checker, s_result, &s_envelope, 1337, s_contract, &release, &err);
        if (cases [i].ok)
            cr_assert_eq (rc, DP_OK, "case %zu: %s", i, err.text);
        else {
            cr_assert_neq (rc, DP_OK, "case %zu accepted", i);
            cr_assert (strstr (err.text, "quote") == err.text, "case %zu: %s", i, err.text);
            cr_assert (strstr (err.text, "policy"), "case %zu: %s", i, err.text);
        }
        dp_relayer_checker_destroy (&checker);
    }
    //  Unusable or contradictory: the checker is not made.
    snprintf (text, sizeof text, "{\"measurements\":[{\"mrtd\":\"%s\"}]}", mrtd);
    cr_assert_null (s_checker_with_policy (text, mrtd, &err));
    cr_assert (strstr (err.text, "--policy and --mrtd"), "%s", err.text);
    cr_assert_null (s_checker_with_policy ("{\"mrtds\":[]}", NULL, &err));
    cr_assert (strstr (err.text, "--policy") == err.text, "%s", err.text);
    snprintf (text, sizeof text, "{\"report_data\":\"%0128d\"}", 0);
    cr_assert_null (s_checker_with_policy (text, NULL, &err));
    cr_assert (strstr (err.text, "report_data cannot be fixed"), "%s", err.text);
}

//  --collateral: a missing path is refused at start; a folder is taken
//  (its files are read at each check, by dp_quote_collateral_load_for, as
//  `dp-submit inspect --collateral DIR` reads them: quote_policy.sh).
Test (relayer_check, collateral_file_or_folder, .init = s_setup, .fini = s_teardown)
{
    char missing [300];
    snprintf (missing, sizeof missing, "%s/no-such-collateral.json", s_dir);
    dp_relayer_policy_t policy = { .collateral = missing };
    dp_error_t err;
    dp_relayer_checker_t *checker = dp_relayer_checker_new (&policy, &err);
    cr_assert_null (checker);
    cr_assert (strstr (err.text, "--collateral") && strstr (err.text, "no-such-collateral"), "%s", err.text);
    policy.collateral = s_dir;
    checker = dp_relayer_checker_new (&policy, &err);
    cr_assert_not_null (checker, "%s", err.text);
    dp_relayer_checker_destroy (&checker);
}
