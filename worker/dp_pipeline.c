/*  dp_pipeline.c — one deal in, one signed result out (see dp_pipeline.h).

    The per-deal state lives in an s_run_t on the job thread's stack; the
    shared dp_pipeline_t holds only read-only configuration, the TEE
    client, the enclave key and the DKIM lookup, all three thread-safe. */

#include "dp_pipeline.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_binding.h"
#include "dp_claude.h"
#include "dp_deal.h"
#include "dp_dkim.h"
#include "dp_enclave_key.h"
#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_log.h"
#include "dp_money.h"
#include "dp_negotiate.h"
#include "dp_props.h"
#include "dp_result.h"
#include "dp_sha256.h"
#include "dp_tee.h"

struct dp_pipeline_t {
    dp_tee_t *tee;
    dp_enclave_key_t *key;
    dp_dkim_lookup_t *dkim;
    int64_t dkim_now;
    int escrow_on;
    uint64_t chain_id;
    uint8_t contract [20];
    char contract_text [43];
    dp_claude_t *claude;        //  shared by every deal's Claude turns, or NULL
    char *anthropic_url;
    char *anthropic_key;
    char *model;
    int llm_budget_ms;
    char worker_name [128];
};

//  One deal's state, on the job thread's stack.
typedef struct {
    dp_pipeline_t *pipeline;
    const dp_job_t *job;
    dp_deal_t *deal;
    json_object *result;        //  the result being built
    json_object *timings;       //  borrowed from result
    struct timespec started;
    dp_props_record_t props;
    int proof_verified;
    char verified_domain [DP_DKIM_NAME_MAX];
    char status [DP_JOB_STATUS_MAX + 1];
    char reason [DP_JOB_REASON_MAX + 1];
} s_run_t;

static int64_t
s_elapsed_us (const struct timespec *since)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) (now.tv_sec - since->tv_sec) * 1000000
         + (now.tv_nsec - since->tv_nsec) / 1000;
}

static void
s_timing (s_run_t *run, const char *name, const struct timespec *since)
{
    json_object_object_add (run->timings, name, json_object_new_int64 (s_elapsed_us (since)));
}

//  Ends the deal with a status other than agreed; the reason names the
//  step and what was wrong. Returns DP_OK so steps can `return s_end (...)`.
static dp_status
s_end (s_run_t *run, const char *status, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static dp_status
s_end (s_run_t *run, const char *status, const char *format, ...)
{
    snprintf (run->status, sizeof run->status, "%s", status);
    va_list args;
    va_start (args, format);
    vsnprintf (run->reason, sizeof run->reason, format, args);
    va_end (args);
    return DP_OK;
}

static json_object *
s_hex_string (const char *prefix, const uint8_t *data, size_t len)
{
    size_t prefix_len = strlen (prefix);
    char *text = malloc (prefix_len + 2 * len + 1);
    if (!text)
        return NULL;
    memcpy (text, prefix, prefix_len);
    dp_hex_encode (data, len, text + prefix_len);
    json_object *value = json_object_new_string (text);
    free (text);
    return value;
}

//  ---------------------------------------------------------------------
//  Quotes: report data per SPEC §5, the quote from the TEE.

//  Quotes payload (kind 1 deal attestation, 2 data verification). On
//  DP_OK, *quote_json is "0x" + hex of the quote and report_data holds
//  the 64 bytes. Any TEE failure ends the deal as failed.
static dp_status
s_quote (s_run_t *run, json_object *payload, int kind, const uint8_t transcript_digest [32],
         json_object **quote_json, uint8_t report_data [64])
{
    dp_error_t err;
    uint8_t payload_hash [32];
    if (dp_result_payload_digest (payload, payload_hash, &err) != DP_OK)
        return s_end (run, "failed", "attestation payload: %s", err.text);
    static const uint8_t zeros [32];
    const char *deal_id = run->deal->deal_id;
    dp_binding_report_data (payload_hash, kind, deal_id,
                            kind == DP_BINDING_DEAL? transcript_digest: zeros,
                            dp_enclave_key_address (run->pipeline->key), report_data);
    struct timespec since;
    clock_gettime (CLOCK_MONOTONIC, &since);
    uint8_t *quote = NULL;
    size_t quote_len = 0;
    dp_status rc = dp_tee_quote (run->pipeline->tee, report_data, &quote, &quote_len, &err);
    s_timing (run, kind == DP_BINDING_DEAL? "quote_us": "data_quote_us", &since);
    if (rc != DP_OK) {
        dp_log_warn ("deal=%s tee quote failed: %s", deal_id, err.text);
        return s_end (run, "failed", "tee: %s", err.text);
    }
    *quote_json = s_hex_string ("0x", quote, quote_len);
    free (quote);
    return *quote_json? DP_OK: DP_NOMEM;
}

//  ---------------------------------------------------------------------
//  Steps

static dp_status
s_step_props (s_run_t *run)
{
    if (!run->deal->seller_proof)
        return DP_OK;
    struct timespec since;
    clock_gettime (CLOCK_MONOTONIC, &since);
    dp_error_t err;
    dp_status rc = dp_props_verify (run->deal->seller_proof, run->deal->data_hash,
                                    &run->props, &err);
    s_timing (run, "props_us", &since);
    json_object *record = dp_props_record_to_json (&run->props);
    if (!record)
        return DP_NOMEM;
    json_object_object_add (run->result, "verification", record);
    if (rc != DP_OK) {
        const char *reason = run->props.reason [0]? run->props.reason: err.text;
        //  Props reasons usually name their field already (seller_proof.…).
        return s_end (run, "verification_failed", "%s%s",
                      strncmp (reason, "seller_proof", 12) == 0? "": "seller_proof: ", reason);
    }
    run->proof_verified = 1;
    json_object *payload = dp_props_record_payload (&run->props);
    if (!payload)
        return DP_NOMEM;
    json_object *quote = NULL;
    uint8_t report_data [64];
    rc = s_quote (run, payload, DP_BINDING_DATA, NULL, &quote, report_data);
    json_object_put (payload);
    if (rc != DP_OK || run->status [0])
        return rc;
    json_object_object_add (run->result, "data_verification_attestation", quote);
    json_object_object_add (record, "attestation", json_object_get (quote));
    json_object_object_add (record, "report_data", s_hex_string ("", report_data, 64));
    return DP_OK;
}

static dp_status
s_step_dkim (s_run_t *run)
{
    dp_deal_t *deal = run->deal;
    if (!deal->email)
        return DP_OK;
    struct timespec since;
    clock_gettime (CLOCK_MONOTONIC, &since);
    dp_dkim_options_t options = {
        .lookup = run->pipeline->dkim, .now = run->pipeline->dkim_now, .clock_skew = -1
    };
    dp_dkim_result_t *verdict = calloc (1, sizeof *verdict);
    if (!verdict)
        return DP_NOMEM;
    dp_error_t err;
    dp_status rc = dp_dkim_verify (deal->email, deal->email_len, &options, verdict, &err);
    //  The raw email is private: drop it as soon as it has been checked.
    OPENSSL_cleanse (deal->email, deal->email_len);
    s_timing (run, "dkim_us", &since);
    if (rc == DP_NOMEM) {
        free (verdict);
        return DP_NOMEM;
    }
    const char *why = NULL;
    const char *credential = dp_dkim_result_credential (verdict, &why);
    if (credential)
        snprintf (run->verified_domain, sizeof run->verified_domain, "%s", credential);
    else
    if (verdict->verified)
        //  SPEC §4 fixes dkim_verification's fields, so a verified e-mail that
        //  grants nothing (t=y, or an unauthenticated key path) is only logged.
        dp_log_info ("deal=%s seller credential withheld: domain=%s %s",
                     run->job->envelope->deal_id, verdict->domain, why);
    json_object *record = dp_dkim_result_to_json (verdict, 0);
    free (verdict);
    if (!record)
        return DP_NOMEM;
    json_object_object_add (run->result, "dkim_verification", record);
    return DP_OK;
}

static void
s_negotiate_input (s_run_t *run, dp_negotiate_package_t *packages, dp_negotiate_input_t *input)
{
    const dp_deal_t *deal = run->deal;
    for (size_t i = 0; i < deal->package_count; i++) {
        packages [i].access_scope = deal->packages [i].scope;
        packages [i].duration_days = deal->packages [i].days;
        packages [i].buyer_budget_cents = deal->packages [i].budget_cents;
        packages [i].seller_floor_cents = deal->packages [i].floor_cents;
    }
    memset (input, 0, sizeof *input);
    input->deal_id = deal->deal_id;
    input->buyer_budget_cents = deal->budget_cents;
    input->seller_floor_cents = deal->floor_cents;
    input->packages = packages;
    input->package_count = deal->package_count;
    input->max_rounds = deal->max_rounds;
    dp_negotiate_engine_parse (deal->buyer_engine, &input->buyer_engine);
    dp_negotiate_engine_parse (deal->seller_engine, &input->seller_engine);
    input->buyer_requirements = deal->buyer_requirements;
    input->data_description = deal->data_description;
    input->seller_verified_domain = run->verified_domain [0]? run->verified_domain: NULL;
    input->model = run->pipeline->model;
}

static void
s_no_agreement_reason (s_run_t *run, const dp_negotiate_outcome_t *outcome)
{
    size_t moves = json_object_array_length (outcome->transcript);
    json_object *last = moves? json_object_array_get_idx (outcome->transcript, moves - 1): NULL;
    json_object *action = NULL, *role = NULL;
    if (last && json_object_object_get_ex (last, "action", &action)
    &&  strcmp (json_object_get_string (action), "reject") == 0
    &&  json_object_object_get_ex (last, "role", &role))
        s_end (run, "failed", "no agreement: %s rejected in round %d",
               json_object_get_string (role), outcome->rounds);
    else
        s_end (run, "failed", "no agreement within %d rounds", outcome->rounds);
}

//  Escrow (SPEC §7): only for agreed deals with escrow fields, on a worker
//  configured with a chain id and a contract address.
static dp_status
s_step_escrow (s_run_t *run, const uint8_t report_data [64])
{
    const dp_deal_t *deal = run->deal;
    dp_pipeline_t *pipeline = run->pipeline;
    if (!deal->has_escrow || !pipeline->escrow_on)
        return DP_OK;
    char seller [43], wei [DP_MONEY_WEI_TEXT_MAX];
    dp_eth_address_eip55 (deal->seller, seller);
    json_object *escrow = json_object_new_object ();
    if (!escrow)
        return DP_NOMEM;
    json_object_object_add (escrow, "chain_id", json_object_new_int64 ((int64_t) pipeline->chain_id));
    json_object_object_add (escrow, "contract", json_object_new_string (pipeline->contract_text));
    json_object_object_add (escrow, "seller_address", json_object_new_string (seller));
    json_object_object_add (escrow, "amount_wei",
                            json_object_new_string (dp_money_wei_format (deal->escrow_wei, wei)));
    json_object_object_add (run->result, "escrow", escrow);

    uint8_t digest [32], signature [65];
    dp_eth_release_digest (pipeline->chain_id, pipeline->contract, deal->deal_id, deal->seller,
                           deal->data_hash_bytes, deal->escrow_wei, report_data, digest);
    dp_error_t err;
    if (dp_enclave_key_sign (pipeline->key, digest, signature, &err) != DP_OK)
        return s_end (run, "failed", "release signature: %s", err.text);
    char text [133];
    dp_eth_signature_format (signature, text);
    json_object_object_add (run->result, "release_signature", json_object_new_string (text));
    return DP_OK;
}

static dp_status
s_step_attest (s_run_t *run, const dp_negotiate_outcome_t *outcome)
{
    dp_error_t err;
    uint8_t transcript_digest [32];
    if (dp_result_transcript_digest (outcome->transcript, transcript_digest, &err) != DP_OK)
        return s_end (run, "failed", "transcript: %s", err.text);
    json_object *payload = dp_result_deal_payload_new (
        outcome->price_cents, outcome->access_scope, outcome->duration_days,
        run->proof_verified? run->deal->data_hash: NULL);
    if (!payload)
        return DP_NOMEM;
    json_object *quote = NULL;
    uint8_t report_data [64];
    dp_status rc = s_quote (run, payload, DP_BINDING_DEAL, transcript_digest, &quote, report_data);
    json_object_put (payload);
    if (rc != DP_OK || run->status [0])
        return rc;
    json_object *result = run->result;
    json_object_object_add (result, "agreed", json_object_new_boolean (1));
    json_object_object_add (result, "final_price", dp_json_price_new (outcome->price_cents));
    json_object_object_add (result, "terms",
                            dp_result_terms_new (outcome->access_scope, outcome->duration_days));
    json_object_object_add (result, "attestation", quote);
    json_object_object_add (result, "report_data", s_hex_string ("", report_data, 64));
    snprintf (run->status, sizeof run->status, "agreed");
    return s_step_escrow (run, report_data);
}

static dp_status
s_step_negotiate (s_run_t *run, dp_progress_fn *progress, void *progress_arg)
{
    dp_negotiate_package_t *packages = calloc (run->deal->package_count + 1, sizeof *packages);
    if (!packages)
        return DP_NOMEM;
    dp_negotiate_input_t input;
    s_negotiate_input (run, packages, &input);
    dp_negotiate_options_t options;
    dp_negotiate_options_init (&options);
    options.api_url = run->pipeline->anthropic_url;
    options.api_key = run->pipeline->anthropic_key;
    options.claude = run->pipeline->claude;
    options.deal_budget_ms = run->pipeline->llm_budget_ms;
    //  Deterministic per deal: the same body negotiates the same way.
    memcpy (&options.seed, run->deal->body_sha256, sizeof options.seed);

    struct timespec since;
    clock_gettime (CLOCK_MONOTONIC, &since);
    dp_negotiate_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    dp_error_t err;
    dp_status rc = dp_negotiate_run (&input, &options, progress, progress_arg, &outcome, &err);
    s_timing (run, "negotiate_us", &since);
    free (packages);
    if (rc != DP_OK) {
        dp_negotiate_outcome_clear (&outcome);
        return rc == DP_NOMEM? DP_NOMEM: s_end (run, "failed", "negotiation: %s", err.text);
    }
    uint8_t digest [32];
    json_object_object_add (run->result, "transcript", json_object_get (outcome.transcript));
    json_object_object_add (run->result, "engines", dp_negotiate_engines_json (&outcome));
    json_object_object_add (run->result, "usage", dp_negotiate_usage_json (&outcome));
    if (dp_result_transcript_digest (outcome.transcript, digest, &err) == DP_OK)
        json_object_object_add (run->result, "transcript_digest", s_hex_string ("", digest, 32));
    if (outcome.agreed)
        rc = s_step_attest (run, &outcome);
    else
        s_no_agreement_reason (run, &outcome);
    dp_negotiate_outcome_clear (&outcome);
    return rc;
}

//  ---------------------------------------------------------------------
//  The result object

static json_object *
s_result_new (s_run_t *run)
{
    dp_pipeline_t *pipeline = run->pipeline;
    const dp_envelope_t *envelope = run->job->envelope;
    json_object *result = json_object_new_object ();
    if (!result)
        return NULL;
    json_object_object_add (result, "deal_id", json_object_new_string (envelope->deal_id));
    json_object_object_add (result, "status", NULL);
    json_object_object_add (result, "reason", NULL);
    json_object_object_add (result, "agreed", json_object_new_boolean (0));
    json_object_object_add (result, "final_price", NULL);
    json_object_object_add (result, "terms", NULL);
    json_object_object_add (result, "data_hash",
                            envelope->data_hash [0]? json_object_new_string (envelope->data_hash): NULL);
    json_object_object_add (result, "attestation", NULL);
    json_object_object_add (result, "data_verification_attestation", NULL);
    json_object_object_add (result, "verification", NULL);
    json_object_object_add (result, "dkim_verification", NULL);
    json_object_object_add (result, "escrow_tx", NULL);
    json_object_object_add (result, "completion_tx", NULL);
    json_object_object_add (result, "transcript", json_object_new_array ());
    json_object_object_add (result, "transcript_digest", NULL);
    json_object_object_add (result, "report_data", NULL);
    json_object_object_add (result, "tee_mode", json_object_new_string (dp_tee_mode_name (pipeline->tee)));
    const char *sim_root = dp_tee_sim_root_hex (pipeline->tee);
    if (sim_root)
        json_object_object_add (result, "sim_root", json_object_new_string (sim_root));
    json_object_object_add (result, "signer",
                            json_object_new_string (dp_enclave_key_address_text (pipeline->key)));
    json_object_object_add (result, "signature", NULL);
    json_object_object_add (result, "escrow", NULL);
    json_object_object_add (result, "release_signature", NULL);
    json_object_object_add (result, "engines", NULL);
    json_object_object_add (result, "worker", json_object_new_string (pipeline->worker_name));
    run->timings = json_object_new_object ();
    json_object_object_add (result, "timings", run->timings);
    json_object_object_add (result, "usage", NULL);
    return result;
}

//  Engines as the body asked for them, for deals that end before the
//  negotiation reports its own.
static void
s_engines_from_deal (s_run_t *run)
{
    json_object *engines = NULL;
    if (json_object_object_get_ex (run->result, "engines", &engines) && engines)
        return;
    if (!run->deal)
        return;
    engines = json_object_new_object ();
    json_object_object_add (engines, "buyer", json_object_new_string (run->deal->buyer_engine));
    json_object_object_add (engines, "seller", json_object_new_string (run->deal->seller_engine));
    json_object_object_add (engines, "model", NULL);
    json_object_object_add (run->result, "engines", engines);
}

//  SPEC §4 defines transcript_digest for every result: a deal that ends
//  before negotiating (bad proof, invalid body) gets the digest of its
//  empty transcript, so verifiers need no special case.
static void
s_transcript_digest_if_missing (s_run_t *run)
{
    json_object *digest_json = NULL, *transcript = NULL;
    if (json_object_object_get_ex (run->result, "transcript_digest", &digest_json) && digest_json)
        return;
    if (!json_object_object_get_ex (run->result, "transcript", &transcript) || !transcript)
        return;
    uint8_t digest [32];
    if (dp_result_transcript_digest (transcript, digest, NULL) == DP_OK)
        json_object_object_add (run->result, "transcript_digest", s_hex_string ("", digest, 32));
}

//  Sets the final fields, signs (SPEC §6) and serialises into outcome.
static dp_status
s_finish (s_run_t *run, dp_job_outcome_t *outcome)
{
    json_object *result = run->result;
    s_engines_from_deal (run);
    s_transcript_digest_if_missing (run);
    json_object_object_add (result, "status", json_object_new_string (run->status));
    json_object_object_add (result, "reason",
                            run->reason [0]? json_object_new_string (run->reason): NULL);
    s_timing (run, "total_us", &run->started);

    //  The signed part is serialised once: its text is hashed and signed,
    //  then sent with the unsigned members (signature among them) after it.
    uint8_t result_hash [32], digest [32], signature [65];
    dp_error_t err;
    char *signed_text = NULL;
    size_t signed_len = 0;
    if (dp_result_signed_text (result, &signed_text, &signed_len, result_hash, &err) != DP_OK) {
        dp_log_error ("deal=%s cannot hash result: %s", run->job->envelope->deal_id, err.text);
        return err.code == DP_NOMEM? DP_NOMEM: DP_INTERNAL;
    }
    dp_eth_eip191_hash32 (result_hash, digest);
    if (dp_enclave_key_sign (run->pipeline->key, digest, signature, &err) != DP_OK) {
        dp_log_error ("deal=%s cannot sign result: %s", run->job->envelope->deal_id, err.text);
        free (signed_text);
        return DP_INTERNAL;
    }
    char text [133];
    dp_eth_signature_format (signature, text);
    json_object_object_add (result, "signature", json_object_new_string (text));
    dp_status rc = dp_result_text (result, signed_text, signed_len, &outcome->result_json,
                                   &outcome->result_len, &err);
    free (signed_text);
    if (rc != DP_OK) {
        dp_log_error ("deal=%s cannot serialise result: %s", run->job->envelope->deal_id, err.text);
        return rc == DP_NOMEM? DP_NOMEM: DP_INTERNAL;
    }
    snprintf (outcome->status, sizeof outcome->status, "%s", run->status);
    snprintf (outcome->reason, sizeof outcome->reason, "%s", run->reason);
    return DP_OK;
}

static dp_status
s_steps (s_run_t *run, dp_progress_fn *progress, void *progress_arg)
{
    const dp_job_t *job = run->job;
    dp_error_t err;
    if (dp_deal_from_json ((const char *) job->body, job->body_len, NULL, &run->deal, &err) != DP_OK)
        return err.code == DP_NOMEM? DP_NOMEM: s_end (run, "failed", "body: %s", err.text);
    if (dp_deal_check_envelope (run->deal, job->envelope, &err) != DP_OK)
        return s_end (run, "failed", "%s", err.text);
    json_object_object_add (run->result, "data_hash", json_object_new_string (run->deal->data_hash));

    dp_status rc = s_step_props (run);
    if (rc != DP_OK || run->status [0])
        return rc;
    rc = s_step_dkim (run);
    if (rc != DP_OK)
        return rc;
    return s_step_negotiate (run, progress, progress_arg);
}

dp_status
dp_pipeline_handle (void *handler_arg, const dp_job_t *job, dp_progress_fn *progress,
                    void *progress_arg, dp_job_outcome_t *outcome)
{
    s_run_t run;
    memset (&run, 0, sizeof run);
    run.pipeline = handler_arg;
    run.job = job;
    clock_gettime (CLOCK_MONOTONIC, &run.started);
    run.result = s_result_new (&run);
    if (!run.result)
        return DP_NOMEM;
    dp_status rc = s_steps (&run, progress, progress_arg);
    if (rc == DP_OK && !run.status [0])
        s_end (&run, "failed", "internal: the pipeline ended without an outcome");
    if (rc == DP_OK)
        rc = s_finish (&run, outcome);
    dp_log_debug ("deal=%s status=%s", job->envelope->deal_id, run.status);
    json_object_put (run.result);
    dp_deal_destroy (&run.deal);
    return rc;
}

//  ---------------------------------------------------------------------
//  Construction

static dp_status
s_open_dkim (dp_pipeline_t *self, const dp_pipeline_options_t *options, dp_error_t *err)
{
    dp_dkim_lookup_options_t lookup = { 0 };
    const char *path = options->dkim_path? options->dkim_path: "doh";
    if (strcmp (path, "doh") == 0) {
        lookup.path = DP_DKIM_PATH_DOH;
        //  A public resolver over TLS verified inside the enclave: the host
        //  cannot forge answers as it can with plain DNS (DESIGN.md).
        lookup.doh_url = options->dkim_doh_url? options->dkim_doh_url
                                              : "https://cloudflare-dns.com/dns-query";
        lookup.ca_file = options->dkim_ca_file;
    }
    else
    if (strcmp (path, "dnssec") == 0) {
        lookup.path = DP_DKIM_PATH_DNSSEC;
        lookup.trust_anchor_file = options->dkim_trust_anchor;
        lookup.server = options->dkim_server;
    }
    else
    if (strcmp (path, "dns") == 0) {
        lookup.path = DP_DKIM_PATH_DNS;
        lookup.server = options->dkim_server;
    }
    else
    if (strcmp (path, "file") == 0) {
        lookup.path = DP_DKIM_PATH_FILE;
        lookup.zone_file = options->dkim_zone_file;
        if (!lookup.zone_file)
            return dp_error_set (err, DP_INVALID, "dkim-keys: required with --dkim-path file");
    }
    else
        return dp_error_set (err, DP_INVALID, "dkim-path: '%s' is not doh, dnssec, dns or file", path);
    self->dkim = dp_dkim_lookup_new (&lookup, err);
    if (!self->dkim)
        return dp_error_prefix (err, "dkim-path %s", path);
    return DP_OK;
}

static dp_status
s_open_escrow (dp_pipeline_t *self, const dp_pipeline_options_t *options, dp_error_t *err)
{
    if (!options->chain_id && !options->contract_address)
        return DP_OK;
    if (!options->chain_id || !options->contract_address)
        return dp_error_set (err, DP_INVALID,
                             "CHAIN_ID and CONTRACT_ADDRESS: set both to sign escrow releases, or neither");
    if (dp_eth_address_parse (options->contract_address, self->contract, err) != DP_OK)
        return dp_error_prefix (err, "CONTRACT_ADDRESS");
    dp_eth_address_eip55 (self->contract, self->contract_text);
    self->chain_id = options->chain_id;
    self->escrow_on = 1;
    return DP_OK;
}

static char *
s_strdup_or_null (const char *text)
{
    return text? strdup (text): NULL;
}

dp_pipeline_t *
dp_pipeline_new (const dp_pipeline_options_t *options, dp_error_t *err)
{
    dp_pipeline_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->dkim_now = options->dkim_now;
    if (options->worker_name)
        snprintf (self->worker_name, sizeof self->worker_name, "%s", options->worker_name);
    else {
        char host [64] = "worker";
        gethostname (host, sizeof host - 1);
        snprintf (self->worker_name, sizeof self->worker_name, "%s-%d", host, (int) getpid ());
    }
    dp_tee_options_t tee = {
        .mode = options->tee_mode, .dstack_endpoint = options->dstack_endpoint,
        .tappd_endpoint = options->tappd_endpoint, .sim_root = options->sim_root
    };
    self->tee = dp_tee_new (&tee, err);
    if (!self->tee)
        goto failed;
    dp_enclave_key_options_t key = {
        .key_file = options->key_file, .data_dir = options->data_dir,
        .allow_stored = options->allow_stored_key,
    };
    self->key = dp_enclave_key_new (self->tee, &key, err);
    if (!self->key)
        goto failed;
    if (s_open_dkim (self, options, err) != DP_OK || s_open_escrow (self, options, err) != DP_OK)
        goto failed;
    self->anthropic_url = s_strdup_or_null (options->anthropic_url);
    self->anthropic_key = s_strdup_or_null (options->anthropic_key);
    self->model = s_strdup_or_null (options->model);
    self->llm_budget_ms = options->llm_budget_ms;
    if ((options->anthropic_url && !self->anthropic_url) || (options->anthropic_key && !self->anthropic_key)
    ||  (options->model && !self->model)) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        goto failed;
    }
    //  One Claude client for all deals (connection reuse, one rate limit).
    //  Without an API key there is none; a deal that asks for Claude then
    //  gets the negotiation's own "no API key" fallback, said in its result.
    dp_claude_config_t claude = {
        .base_url = self->anthropic_url, .api_key = self->anthropic_key, .model = self->model
    };
    dp_error_t claude_err;
    self->claude = dp_claude_new (&claude, &claude_err);
    if (!self->claude)
        dp_log_debug ("no shared Claude client: %s", claude_err.text);
    dp_log_info ("pipeline ready tee=%s signer=%s escrow=%s", dp_tee_mode_name (self->tee),
                 dp_enclave_key_address_text (self->key), self->escrow_on? "on": "off");
    return self;
failed:
    dp_pipeline_destroy (&self);
    return NULL;
}

void
dp_pipeline_destroy (dp_pipeline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_pipeline_t *self = *self_p;
    dp_claude_destroy (&self->claude);
    dp_dkim_lookup_destroy (&self->dkim);
    dp_enclave_key_destroy (&self->key);
    dp_tee_destroy (&self->tee);
    if (self->anthropic_key)
        OPENSSL_cleanse (self->anthropic_key, strlen (self->anthropic_key));
    free (self->anthropic_key);
    free (self->anthropic_url);
    free (self->model);
    free (self);
    *self_p = NULL;
}

const char *
dp_pipeline_tee_mode (const dp_pipeline_t *self)
{
    return dp_tee_mode_name (self->tee);
}

const char *
dp_pipeline_signer (const dp_pipeline_t *self)
{
    return dp_enclave_key_address_text (self->key);
}

const char *
dp_pipeline_sim_root (const dp_pipeline_t *self)
{
    return dp_tee_sim_root_hex (self->tee);
}
