/*  dp_submit_verify.c — the offline checks of `dp-submit verify`.

    Every check recomputes from the result's own fields; a field that is
    missing or malformed makes the checks that need it fail with the field
    named, and the other checks still run. */

#include "dp_submit_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_binding.h"
#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_props.h"
#include "dp_quote.h"
#include "dp_result.h"
#include "dp_result_check.h"
#include "dp_sha256.h"
#include "dp_submit_quote.h"

typedef struct {
    json_object *result;
    const dp_submit_verify_options_t *options;
    dp_submit_verify_report_fn *report;
    void *arg;
    int failed;
    const char *deal_id;
    int have_report_data, have_signer, have_digest;
    uint8_t report_data [64];
    uint8_t signer [20];
    uint8_t digest [32];            //  the transcript digest, recomputed
} s_ctx_t;

static void
s_report (s_ctx_t *ctx, const char *check, int ok, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_report (s_ctx_t *ctx, const char *check, int ok, const char *format, ...)
{
    char detail [768];
    va_list args;
    va_start (args, format);
    vsnprintf (detail, sizeof detail, format, args);
    va_end (args);
    if (ok == 0)
        ctx->failed++;
    ctx->report (ctx->arg, check, ok, detail);
}

//  The string value of a key, or NULL when absent, null or not a string.
static const char *
s_string (json_object *object, const char *key)
{
    json_object *value;
    if (!json_object_object_get_ex (object, key, &value) || !json_object_is_type (value, json_type_string))
        return NULL;
    return json_object_get_string (value);
}

static json_object *
s_field (json_object *object, const char *key)
{
    json_object *value = NULL;
    json_object_object_get_ex (object, key, &value);
    return value;
}

static void
s_short_hex (const uint8_t *data, size_t size, char out [20])
{
    char full [129];
    dp_hex_encode (data, size > 64? 64: size, full);
    snprintf (out, 20, "%.16s…", full);
}

//  SPEC §5 [0:32] of the deal attestation.
static void
s_check_payload (s_ctx_t *ctx)
{
    const char *check = "payload hash";
    char *text = NULL;
    uint8_t digest [32];
    dp_error_t err;
    if (dp_result_check_payload (ctx->result, digest, &text, &err) != DP_OK) {
        s_report (ctx, check, 0, "%s", err.text);
        return;
    }
    char want [20], got [20];
    s_short_hex (ctx->report_data, 32, want);
    s_short_hex (digest, 32, got);
    if (memcmp (digest, ctx->report_data, 32) == 0)
        s_report (ctx, check, 1, "sha256(%s) = report_data[0:32] %s", text, want);
    else
        s_report (ctx, check, 0, "sha256(%s) = %s, but report_data[0:32] is %s", text, got, want);
    free (text);
}

static void
s_check_transcript (s_ctx_t *ctx)
{
    const char *check = "transcript digest";
    dp_error_t err;
    json_object *transcript = s_field (ctx->result, "transcript");
    if (!transcript || dp_result_transcript_digest (transcript, ctx->digest, &err) != DP_OK) {
        s_report (ctx, check, 0, "transcript: %s", transcript? err.text: "missing");
        return;
    }
    ctx->have_digest = 1;
    const char *field = s_string (ctx->result, "transcript_digest");
    uint8_t claimed [32];
    char got [20];
    s_short_hex (ctx->digest, 32, got);
    if (!field || dp_hex_decode (field, strlen (field), claimed, 32, &err) != DP_OK)
        s_report (ctx, check, 0, "transcript_digest: %s", field? err.text: "missing");
    else
    if (memcmp (claimed, ctx->digest, 32) != 0)
        s_report (ctx, check, 0, "the transcript hashes to %s, not transcript_digest %.16s…", got, field);
    else
        s_report (ctx, check, 1, "%zu moves hash to %s", json_object_array_length (transcript), got);
}

static void
s_check_binding (s_ctx_t *ctx, const char *check, int kind, const uint8_t report_data [64])
{
    static const uint8_t zero [32];
    uint8_t want [64];
    dp_binding_report_data (report_data, kind, ctx->deal_id, kind == 1? ctx->digest: zero,
                            ctx->signer, want);
    char a [20], b [20];
    s_short_hex (want + 32, 32, a);
    s_short_hex (report_data + 32, 32, b);
    if (memcmp (want + 32, report_data + 32, 32) == 0)
        s_report (ctx, check, 1, "report_data[32:64] %s binds deal %s, %s and signer", b,
                  ctx->deal_id, kind == 1? "transcript": "data verification");
    else
        s_report (ctx, check, 0, "report_data[32:64] is %s, the binding of deal %s is %s",
                  b, ctx->deal_id, a);
}

//  Parses a quote field and compares its report data; on success *quote
//  is the parsed quote (caller destroys).
static int
s_parse_quote (s_ctx_t *ctx, const char *check, const char *field, dp_quote_t **quote)
{
    const char *text = s_string (ctx->result, field);
    dp_error_t err;
    *quote = NULL;
    if (!text || !*text) {
        s_report (ctx, check, 0, "%s: missing", field);
        return 0;
    }
    if (dp_quote_parse ((const uint8_t *) text, strlen (text), quote, &err) != DP_OK) {
        s_report (ctx, check, 0, "%s: %s", field, err.text);
        return 0;
    }
    return 1;
}

static void
s_check_quote_chain (s_ctx_t *ctx, const char *check, dp_quote_t *quote)
{
    dp_submit_quote_options_t options = {
        .tee_mode = s_string (ctx->result, "tee_mode"),
        .sim_root_hex = s_string (ctx->result, "sim_root"),
        .sim_root_dir = ctx->options->sim_root_dir,
        .root_pem_path = ctx->options->root_pem_path,
        .collateral_path = ctx->options->collateral_path,
        .policy = ctx->options->policy,
        .pccs_url = ctx->options->pccs_url,
        .cache_dir = ctx->options->cache_dir,
        .now = ctx->options->now,
    };
    dp_submit_quote_check_t outcome;
    dp_submit_quote_check (quote, &options, &outcome);
    json_object_put (outcome.report);
    s_report (ctx, check, outcome.ok, "%s", outcome.detail);
}

static void
s_check_deal_quote (s_ctx_t *ctx)
{
    dp_quote_t *quote;
    if (!s_parse_quote (ctx, "quote report data", "attestation", &quote))
        return;
    char a [20], b [20];
    s_short_hex (quote->report_data, 64, a);
    s_short_hex (ctx->report_data, 64, b);
    if (memcmp (quote->report_data, ctx->report_data, 64) == 0)
        s_report (ctx, "quote report data", 1, "the %s v%u quote carries report_data %s",
                  dp_quote_tee_name (quote), quote->version, b);
    else
        s_report (ctx, "quote report data", 0, "the quote carries %s, the result's report_data is %s", a, b);
    s_check_quote_chain (ctx, "quote chain", quote);
    dp_quote_destroy (&quote);
}

long
dp_submit_verify_chunk_count (const char *data_hash, const uint8_t report_data32 [32], long max)
{
    //  Python's json.dumps(payload, sort_keys=True) of SPEC §5's data
    //  payload; chunk_count is its only unknown, so it is found by trying
    //  each count (200,000 hashes at most: a few tens of milliseconds).
    char text [256];
    for (long count = 1; count <= max; count++) {
        int len = snprintf (text, sizeof text,
                            "{\"algorithm\": \"sha256\", \"chunk_count\": %ld, "
                            "\"data_hash\": \"%s\", \"verified\": true}", count, data_hash);
        if (len <= 0 || (size_t) len >= sizeof text)
            return -1;
        uint8_t digest [32];
        dp_sha256 (text, (size_t) len, digest);
        if (memcmp (digest, report_data32, 32) == 0)
            return count;
    }
    return -1;
}

//  SPEC §5 [0:32] of the data verification quote.
static void
s_check_data_payload (s_ctx_t *ctx, const uint8_t report_data [64])
{
    const char *data_hash = s_string (ctx->result, "data_hash");
    char got [20];
    s_short_hex (report_data, 32, got);
    if (!data_hash || strlen (data_hash) != 64 || !dp_hex_is_valid (data_hash, 64)) {
        s_report (ctx, "data payload hash", 0, "data_hash: missing or not 64 hex digits");
        return;
    }
    long count = dp_submit_verify_chunk_count (data_hash, report_data, DP_PROPS_MAX_CHUNKS);
    if (count > 0)
        s_report (ctx, "data payload hash", 1,
                  "report_data[0:32] %s = sha256 of {data_hash, verified: true, chunk_count: %ld, "
                  "algorithm: sha256}", got, count);
    else
        s_report (ctx, "data payload hash", 0,
                  "report_data[0:32] %s is no verified payload of data_hash %.16s… (any chunk count)",
                  got, data_hash);
}

static void
s_check_data_quote (s_ctx_t *ctx)
{
    const char *text = s_string (ctx->result, "data_verification_attestation");
    if (!text || !*text)
        return;
    dp_quote_t *quote;
    if (!s_parse_quote (ctx, "data binding", "data_verification_attestation", &quote))
        return;
    s_check_data_payload (ctx, quote->report_data);
    if (ctx->have_signer)
        s_check_binding (ctx, "data binding", 2, quote->report_data);
    s_check_quote_chain (ctx, "data quote chain", quote);
    dp_quote_destroy (&quote);
}

//  Reports whether who (recovered by the check) is the result's signer:
//  "<lead> <address>" when it is.
static void
s_report_recovered (s_ctx_t *ctx, const char *check, const uint8_t who [20], const char *lead)
{
    char got [DP_ETH_ADDRESS_TEXT_SIZE], want [DP_ETH_ADDRESS_TEXT_SIZE];
    dp_eth_address_eip55 (who, got);
    dp_eth_address_eip55 (ctx->signer, want);
    if (memcmp (who, ctx->signer, 20) != 0)
        s_report (ctx, check, 0, "recovers to %s, not signer %s", got, want);
    else
        s_report (ctx, check, 1, "%s %s", lead, got);
}

static void
s_check_signature (s_ctx_t *ctx)
{
    const char *check = "result signature";
    dp_error_t err;
    uint8_t who [20];
    if (!s_string (ctx->result, "signature")) {
        s_report (ctx, check, 0, "unsigned (signature is null: not made by an enclave)");
        return;
    }
    if (!ctx->have_signer) {
        s_report (ctx, check, 0, "signer: missing or malformed");
        return;
    }
    if (dp_result_check_signer (ctx->result, who, &err) != DP_OK)
        s_report (ctx, check, 0, "%s", err.text);
    else
        s_report_recovered (ctx, check, who, "signed by");
}

static void
s_check_release (s_ctx_t *ctx)
{
    const char *check = "release signature";
    if (!s_string (ctx->result, "release_signature")) {
        s_report (ctx, check, -1, "none (no escrow release authorised)");
        return;
    }
    dp_result_escrow_t escrow;
    uint8_t who [20];
    dp_error_t err;
    if (dp_result_escrow (ctx->result, &escrow, &err) != DP_OK
    ||  dp_result_check_releaser (ctx->result, &escrow, ctx->report_data, who, NULL, &err) != DP_OK)
        s_report (ctx, check, 0, "%s", err.text);
    else {
        char lead [64];
        snprintf (lead, sizeof lead, "Release on chain %llu authorised by",
                  (unsigned long long) escrow.chain_id);
        s_report_recovered (ctx, check, who, lead);
    }
}

static void
s_load_identity (s_ctx_t *ctx)
{
    dp_error_t err;
    ctx->deal_id = s_string (ctx->result, "deal_id");
    const char *signer = s_string (ctx->result, "signer");
    ctx->have_signer = signer && dp_eth_address_parse (signer, ctx->signer, &err) == DP_OK;
    const char *report_data = s_string (ctx->result, "report_data");
    ctx->have_report_data = report_data
        && dp_hex_decode_0x (report_data, ctx->report_data, 64, &err) == DP_OK;
}

dp_status
dp_submit_verify_result (json_object *result, const dp_submit_verify_options_t *options,
                         dp_submit_verify_report_fn *report, void *arg, int *failed,
                         dp_error_t *err)
{
    *failed = 0;
    if (!json_object_is_type (result, json_type_object))
        return dp_error_set (err, DP_INVALID, "result: not a JSON object");
    dp_submit_verify_options_t defaults = { 0 };
    s_ctx_t ctx = { .result = result, .options = options? options: &defaults,
                    .report = report, .arg = arg };
    s_load_identity (&ctx);
    if (!ctx.deal_id) {
        s_report (&ctx, "deal_id", 0, "deal_id: missing");
        ctx.deal_id = "";
    }
    s_check_transcript (&ctx);
    const char *attestation = s_string (result, "attestation");
    if (attestation && *attestation) {
        if (!ctx.have_report_data)
            s_report (&ctx, "payload hash", 0, "report_data: missing or not 64 bytes of hex");
        else {
            s_check_payload (&ctx);
            if (!ctx.have_signer)
                s_report (&ctx, "binding", 0, "signer: missing or malformed");
            else
            if (!ctx.have_digest)
                s_report (&ctx, "binding", 0, "needs the transcript digest");
            else
                s_check_binding (&ctx, "binding", 1, ctx.report_data);
            s_check_deal_quote (&ctx);
        }
        s_check_data_quote (&ctx);
    }
    else
        s_report (&ctx, "attestation", -1, "none (status %s)",
                  s_string (result, "status")? s_string (result, "status"): "unknown");
    s_check_signature (&ctx);
    if (ctx.have_report_data && ctx.have_signer)
        s_check_release (&ctx);
    *failed = ctx.failed;
    return DP_OK;
}
