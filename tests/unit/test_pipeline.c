/*  test_pipeline.c — the enclave pipeline end to end in one process, with
    the simulated TEE: each outcome, the bindings, the signatures. */

#define _GNU_SOURCE

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_binding.h"
#include "dp_deal.h"
#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_pipeline.h"
#include "dp_props.h"
#include "dp_result.h"
#include "dp_sha256.h"

static char s_dir [256];
static dp_pipeline_t *s_pipeline;
static int s_progress_calls;

static void
s_setup_with (uint64_t chain_id, const char *contract)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dp-test-pipeline-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    char sim_root [300], key_file [300], zone [512];
    snprintf (sim_root, sizeof sim_root, "%s/sim-root", s_dir);
    snprintf (key_file, sizeof key_file, "%s/worker-key", s_dir);
    snprintf (zone, sizeof zone, "%s/vectors/dkim/zone.txt", DP_SHARED_DIR);
    dp_pipeline_options_t options = {
        .tee_mode = "simulation", .sim_root = sim_root, .key_file = key_file,
        .dkim_path = "file", .dkim_zone_file = zone, .worker_name = "test-worker",
        .chain_id = chain_id, .contract_address = contract,
    };
    dp_error_t err;
    s_pipeline = dp_pipeline_new (&options, &err);
    cr_assert_not_null (s_pipeline, "%s", err.text);
    s_progress_calls = 0;
}

static void
s_setup (void)
{
    s_setup_with (0, NULL);
}

static void
s_setup_escrow (void)
{
    s_setup_with (1337, "0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab");
}

static void
s_teardown (void)
{
    dp_pipeline_destroy (&s_pipeline);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    cr_assert_eq (system (command), 0);
}

static void
s_progress (void *arg, const char *event_json, size_t len)
{
    (void) arg;
    json_object *entry = NULL;
    cr_assert_eq (dp_json_parse (event_json, len, &entry, NULL), DP_OK, "progress is JSON");
    cr_assert (json_object_object_get_ex (entry, "role", NULL));
    json_object_put (entry);
    s_progress_calls++;
}

//  The vision scenario of the seed's demo, with its seller proof built
//  from chunk texts; extra is spliced into the object (", ..." or "").
static char *
s_vision_body (const char *deal_id, const char *extra, int break_proof)
{
    const char *chunks [] = { "chunk-a", "chunk-b", "chunk-c" };
    uint8_t hashes [3][32];
    for (int i = 0; i < 3; i++)
        dp_sha256 (chunks [i], strlen (chunks [i]), hashes [i]);
    dp_props_proof_t *proof = dp_props_proof_from_hashes ((const uint8_t (*) [32]) hashes, 3);
    json_object *proof_json = dp_props_proof_to_json (proof);
    char data_hash [65];
    dp_props_proof_data_hash (proof, data_hash);
    if (break_proof)
        json_object_object_add (proof_json, "chunk_count", json_object_new_int (4));
    char *text = NULL;
    cr_assert_eq (asprintf (&text,
        "{\"deal_id\": \"%s\", \"buyer_budget\": 1000.0, \"floor_price\": 600.0,"
        " \"buyer_requirements\": \"labelled images\", \"data_description\": \"COCO-style\","
        " \"data_hash\": \"%s\", \"seller_proof\": %s%s}",
        deal_id, data_hash, json_object_to_json_string (proof_json), extra) > 0, 1);
    json_object_put (proof_json);
    dp_props_proof_destroy (&proof);
    return text;
}

typedef struct {
    dp_job_outcome_t outcome;
    json_object *result;
} s_ran_t;

//  Submits text as the submitter would (dp_deal body + envelope), then
//  tamper (if given) edits the envelope, and runs the pipeline.
static s_ran_t
s_run (const char *text, void (*tamper) (dp_envelope_t *))
{
    dp_deal_t *deal = NULL;
    dp_error_t err;
    dp_deal_defaults_t defaults = { .assign_deal_id = 1 };
    cr_assert_eq (dp_deal_from_json (text, strlen (text), &defaults, &deal, &err), DP_OK, "%s", err.text);
    dp_envelope_t envelope;
    dp_deal_envelope (deal, &envelope);
    if (tamper)
        tamper (&envelope);
    dp_job_t job = {
        .envelope = &envelope, .body = (const uint8_t *) deal->body,
        .body_len = deal->body_len, .attempt = 1
    };
    s_ran_t ran;
    memset (&ran, 0, sizeof ran);
    cr_assert_eq (dp_pipeline_handle (s_pipeline, &job, s_progress, NULL, &ran.outcome), DP_OK);
    cr_assert_not_null (ran.outcome.result_json);
    cr_assert_eq (dp_json_parse (ran.outcome.result_json, ran.outcome.result_len, &ran.result, &err),
                  DP_OK, "result is JSON: %s", err.text);
    dp_deal_destroy (&deal);
    return ran;
}

static void
s_ran_free (s_ran_t *ran)
{
    free (ran->outcome.result_json);
    json_object_put (ran->result);
}

static const char *
s_get (json_object *object, const char *key)
{
    json_object *value = NULL;
    json_object_object_get_ex (object, key, &value);
    return value? json_object_get_string (value): NULL;
}

//  The result's signature recovers to its signer (SPEC §6).
static void
s_assert_signed (json_object *result)
{
    uint8_t hash [32], digest [32], sig [65], recovered [20];
    cr_assert_eq (dp_result_hash (result, hash, NULL), DP_OK);
    dp_eth_eip191_hash32 (hash, digest);
    cr_assert_eq (dp_eth_signature_parse (s_get (result, "signature"), sig, NULL), DP_OK);
    cr_assert_eq (dp_eth_recover (digest, sig, recovered, NULL), DP_OK);
    char address [43];
    dp_eth_address_eip55 (recovered, address);
    cr_assert_str_eq (address, s_get (result, "signer"));
    cr_assert_str_eq (address, dp_pipeline_signer (s_pipeline));
}

//  The quote's REPORTDATA (TDX v4, offset 568) is the result's report_data.
static void
s_assert_quote_binds (const char *quote_hex, const uint8_t report_data [64])
{
    size_t len = strlen (quote_hex) - 2;
    uint8_t *quote = malloc (len / 2);
    cr_assert_eq (dp_hex_decode (quote_hex + 2, len, quote, len / 2, NULL), DP_OK);
    cr_assert_arr_eq (quote + 568, report_data, 64);
    free (quote);
}

Test (pipeline, vision_agrees_with_both_attestations, .init = s_setup, .fini = s_teardown)
{
    char *body = s_vision_body ("vision-1", "", 0);
    s_ran_t ran = s_run (body, NULL);
    cr_assert_str_eq (ran.outcome.status, "agreed", "reason: %s", ran.outcome.reason);
    json_object *result = ran.result;
    cr_assert_str_eq (s_get (result, "status"), "agreed");
    cr_assert_str_eq (s_get (result, "tee_mode"), "simulation");
    cr_assert_not_null (s_get (result, "sim_root"));
    cr_assert_gt (s_progress_calls, 1, "a progress event per move");
    s_assert_signed (result);

    //  report_data[0:32] = sha256(pydumps(payload)); [32:64] = SPEC §5 binding.
    json_object *price = NULL, *terms = NULL, *transcript = NULL;
    json_object_object_get_ex (result, "final_price", &price);
    json_object_object_get_ex (result, "terms", &terms);
    json_object_object_get_ex (result, "transcript", &transcript);
    json_object *payload = json_object_new_object ();
    json_object_object_add (payload, "final_price", json_object_get (price));
    json_object_object_add (payload, "terms", json_object_get (terms));
    json_object_object_add (payload, "data_hash", json_object_new_string (s_get (result, "data_hash")));
    json_object_object_add (payload, "data_verified", json_object_new_boolean (1));
    uint8_t payload_hash [32], transcript_digest [32], report_data [64], signer [20];
    cr_assert_eq (dp_result_payload_digest (payload, payload_hash, NULL), DP_OK);
    cr_assert_eq (dp_result_transcript_digest (transcript, transcript_digest, NULL), DP_OK);
    cr_assert_eq (dp_hex_decode (s_get (result, "report_data"), 128, report_data, 64, NULL), DP_OK);
    cr_assert_eq (dp_eth_address_parse (s_get (result, "signer"), signer, NULL), DP_OK);
    dp_error_t err;
    cr_assert_eq (dp_binding_check (report_data, payload_hash, DP_BINDING_DEAL, "vision-1",
                                    transcript_digest, signer, &err), DP_OK, "%s", err.text);
    s_assert_quote_binds (s_get (result, "attestation"), report_data);

    //  The data verification attestation binds {data_hash, verified, chunk_count, algorithm}.
    json_object *verification = NULL;
    cr_assert (json_object_object_get_ex (result, "verification", &verification));
    cr_assert_str_eq (s_get (verification, "attestation"), s_get (result, "data_verification_attestation"));
    json_object *data_payload = dp_result_data_payload_new (s_get (result, "data_hash"), 3);
    uint8_t data_hash [32], data_report [64];
    static const uint8_t zeros [32];
    cr_assert_eq (dp_result_payload_digest (data_payload, data_hash, NULL), DP_OK);
    cr_assert_eq (dp_hex_decode (s_get (verification, "report_data"), 128, data_report, 64, NULL), DP_OK);
    cr_assert_eq (dp_binding_check (data_report, data_hash, DP_BINDING_DATA, "vision-1", zeros,
                                    signer, &err), DP_OK, "%s", err.text);
    s_assert_quote_binds (s_get (result, "data_verification_attestation"), data_report);
    json_object_put (payload);
    json_object_put (data_payload);
    s_ran_free (&ran);
    free (body);
}

Test (pipeline, same_deal_same_transcript, .init = s_setup, .fini = s_teardown)
{
    char *body = s_vision_body ("twice", "", 0);
    s_ran_t first = s_run (body, NULL), second = s_run (body, NULL);
    cr_assert_str_eq (s_get (first.result, "transcript_digest"), s_get (second.result, "transcript_digest"));
    cr_assert_str_eq (s_get (first.result, "report_data"), s_get (second.result, "report_data"));
    s_ran_free (&first);
    s_ran_free (&second);
    free (body);
}

Test (pipeline, broken_proof_is_verification_failed, .init = s_setup, .fini = s_teardown)
{
    char *body = s_vision_body ("broken-proof", "", 1);
    s_ran_t ran = s_run (body, NULL);
    cr_assert_str_eq (ran.outcome.status, "verification_failed");
    cr_assert (strstr (ran.outcome.reason, "seller_proof"), "%s", ran.outcome.reason);
    cr_assert_eq (s_progress_calls, 0, "no negotiation after a failed proof");
    cr_assert_null (s_get (ran.result, "attestation"));
    s_assert_signed (ran.result);
    s_ran_free (&ran);
    free (body);
}

static void
s_tamper_data_hash (dp_envelope_t *envelope)
{
    envelope->data_hash [0] = envelope->data_hash [0] == 'a'? 'b': 'a';
}

Test (pipeline, envelope_mismatch_fails_naming_the_field, .init = s_setup, .fini = s_teardown)
{
    char *body = s_vision_body ("tampered", "", 0);
    s_ran_t ran = s_run (body, s_tamper_data_hash);
    cr_assert_str_eq (ran.outcome.status, "failed");
    cr_assert (strstr (ran.outcome.reason, "data_hash"), "%s", ran.outcome.reason);
    s_assert_signed (ran.result);
    s_ran_free (&ran);
    free (body);
}

Test (pipeline, garbage_body_fails_with_reason, .init = s_setup, .fini = s_teardown)
{
    dp_envelope_t envelope;
    memset (&envelope, 0, sizeof envelope);
    snprintf (envelope.deal_id, sizeof envelope.deal_id, "garbage");
    const char *body = "{\"buyer_budget\": ";
    dp_job_t job = { .envelope = &envelope, .body = (const uint8_t *) body, .body_len = strlen (body) };
    dp_job_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    cr_assert_eq (dp_pipeline_handle (s_pipeline, &job, s_progress, NULL, &outcome), DP_OK);
    cr_assert_str_eq (outcome.status, "failed");
    cr_assert (strstr (outcome.reason, "body: "), "%s", outcome.reason);
    free (outcome.result_json);
}

//  A body the submitter would have refused (a broker may send anything):
//  the worker validates it again and fails the deal naming the field.
Test (pipeline, invalid_body_fails_naming_the_field, .init = s_setup, .fini = s_teardown)
{
    const char *body = "{\"deal_id\": \"nozone\", \"buyer_budget\": 500, \"floor_price\": 500,"
                       " \"buyer_requirements\": \"r\", \"data_description\": \"d\","
                       " \"data_hash\": \"" "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" "\","
                       " \"floor_by_terms\": {\"full/365\": 900}}";
    dp_envelope_t envelope;
    memset (&envelope, 0, sizeof envelope);
    snprintf (envelope.deal_id, sizeof envelope.deal_id, "nozone");
    dp_job_t job = { .envelope = &envelope, .body = (const uint8_t *) body, .body_len = strlen (body) };
    dp_job_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    cr_assert_eq (dp_pipeline_handle (s_pipeline, &job, s_progress, NULL, &outcome), DP_OK);
    cr_assert_str_eq (outcome.status, "failed");
    cr_assert (strstr (outcome.reason, "full/365"), "%s", outcome.reason);
    //  The limits are private: the reason is published with the result.
    cr_assert (!strstr (outcome.reason, "500") && !strstr (outcome.reason, "900"), "%s", outcome.reason);
    cr_assert_eq (s_progress_calls, 0);
    json_object *result = NULL;
    cr_assert_eq (dp_json_parse (outcome.result_json, outcome.result_len, &result, NULL), DP_OK);
    s_assert_signed (result);
    json_object_put (result);
    free (outcome.result_json);
}

//  A budget below the floor (a body the submitter would have refused):
//  the signed result's reason, which every subscriber sees, names the
//  fields but neither private limit.
Test (pipeline, budget_below_floor_reason_keeps_the_limits_private, .init = s_setup,
      .fini = s_teardown)
{
    const char *body = "{\"deal_id\": \"under\", \"buyer_budget\": 512.34, \"floor_price\": 777.77,"
                       " \"buyer_requirements\": \"r\", \"data_description\": \"d\","
                       " \"data_hash\": \"" "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" "\"}";
    dp_envelope_t envelope;
    memset (&envelope, 0, sizeof envelope);
    snprintf (envelope.deal_id, sizeof envelope.deal_id, "under");
    dp_job_t job = { .envelope = &envelope, .body = (const uint8_t *) body, .body_len = strlen (body) };
    dp_job_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    cr_assert_eq (dp_pipeline_handle (s_pipeline, &job, s_progress, NULL, &outcome), DP_OK);
    cr_assert_str_eq (outcome.status, "failed");
    cr_assert (strstr (outcome.reason, "buyer_budget is below floor_price"), "%s", outcome.reason);
    const char *secrets [] = { "512", "777" };
    for (size_t i = 0; i < 2; i++)
        cr_assert (!strstr (outcome.reason, secrets [i]), "reason shows %s: %s", secrets [i],
                   outcome.reason);
    json_object *result = NULL;
    cr_assert_eq (dp_json_parse (outcome.result_json, outcome.result_len, &result, NULL), DP_OK);
    s_assert_signed (result);
    cr_assert_str_eq (s_get (result, "reason"), outcome.reason);
    cr_assert (!strstr (outcome.result_json, "512.34") && !strstr (outcome.result_json, "777.77"),
               "%s", outcome.result_json);
    json_object_put (result);
    free (outcome.result_json);
}

Test (pipeline, escrow_release_signature_recovers, .init = s_setup_escrow, .fini = s_teardown)
{
    char *body = s_vision_body ("escrowed",
        ", \"seller_address\": \"0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0\", \"escrow_amount_eth\": 0.5", 0);
    s_ran_t ran = s_run (body, NULL);
    cr_assert_str_eq (ran.outcome.status, "agreed", "%s", ran.outcome.reason);
    json_object *escrow = NULL;
    cr_assert (json_object_object_get_ex (ran.result, "escrow", &escrow) && escrow);
    cr_assert_str_eq (s_get (escrow, "amount_wei"), "500000000000000000");
    cr_assert_str_eq (s_get (escrow, "seller_address"), "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0");

    uint8_t contract [20], seller [20], data_hash [32], wei [32] = { 0 }, report_data [64];
    uint8_t digest [32], sig [65], recovered [20];
    cr_assert_eq (dp_eth_address_parse (s_get (escrow, "contract"), contract, NULL), DP_OK);
    cr_assert_eq (dp_eth_address_parse (s_get (escrow, "seller_address"), seller, NULL), DP_OK);
    cr_assert_eq (dp_hex_decode (s_get (ran.result, "data_hash"), 64, data_hash, 32, NULL), DP_OK);
    cr_assert_eq (dp_hex_decode (s_get (ran.result, "report_data"), 128, report_data, 64, NULL), DP_OK);
    //  0.5 ETH = 5 * 10^17 = 0x06f05b59d3b20000
    const uint8_t half [] = { 0x06, 0xf0, 0x5b, 0x59, 0xd3, 0xb2, 0x00, 0x00 };
    memcpy (wei + 24, half, 8);
    dp_eth_release_digest (1337, contract, "escrowed", seller, data_hash, wei, report_data, digest);
    cr_assert_eq (dp_eth_signature_parse (s_get (ran.result, "release_signature"), sig, NULL), DP_OK);
    cr_assert_eq (dp_eth_recover (digest, sig, recovered, NULL), DP_OK);
    char address [43];
    dp_eth_address_eip55 (recovered, address);
    cr_assert_str_eq (address, s_get (ran.result, "signer"));
    s_assert_signed (ran.result);
    s_ran_free (&ran);
    free (body);
}

Test (pipeline, escrow_fields_without_chain_sign_no_release, .init = s_setup, .fini = s_teardown)
{
    char *body = s_vision_body ("no-chain",
        ", \"seller_address\": \"0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0\", \"escrow_amount_eth\": 0.5", 0);
    s_ran_t ran = s_run (body, NULL);
    cr_assert_str_eq (ran.outcome.status, "agreed");
    cr_assert_null (s_get (ran.result, "release_signature"));
    s_ran_free (&ran);
    free (body);
}

Test (pipeline, dkim_email_is_checked_and_recorded, .init = s_setup, .fini = s_teardown)
{
    char path [512];
    snprintf (path, sizeof path, "%s/vectors/dkim/rsa2048-relaxed-relaxed.eml", DP_SHARED_DIR);
    FILE *file = fopen (path, "rb");
    cr_assert_not_null (file);
    static char eml [65536];
    size_t len = fread (eml, 1, sizeof eml, file);
    fclose (file);
    char *b64 = malloc (4 * len / 3 + 8);
    EVP_EncodeBlock ((unsigned char *) b64, (unsigned char *) eml, (int) len);
    char *extra = NULL;
    cr_assert_gt (asprintf (&extra, ", \"seller_email_eml\": \"%s\"", b64), 0);
    char *body = s_vision_body ("with-email", extra, 0);
    s_ran_t ran = s_run (body, NULL);
    json_object *dkim = NULL;
    cr_assert (json_object_object_get_ex (ran.result, "dkim_verification", &dkim) && dkim);
    cr_assert_str_eq (s_get (dkim, "domain"), "example.com");
    cr_assert_str_eq (s_get (dkim, "key_path"), "file");
    cr_assert_str_eq (ran.outcome.status, "agreed");
    s_ran_free (&ran);
    free (body);
    free (extra);
    free (b64);
}
