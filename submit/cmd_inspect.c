/*  cmd_inspect.c — `dp-submit inspect QUOTE|ID`: parse and verify a TDX or
    SGX quote and print the seed's DCAP fields (mode, version, tee_type,
    qe_vendor_id, report_data_hex, deal_terms_hash, verification_status,
    error) with the measurements and the TCB outcome.

    QUOTE is a file (binary or hex) or hex text; anything else is a deal
    id whose attestation is fetched from the broker. Exit 0 when the quote
    verified (or simulation_only against the simulation root), 1 when it
    parsed but did not verify, 2 when it cannot be read or parsed. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dp_eventlog.h"
#include "dp_hex.h"
#include "dp_quote.h"
#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"
#include "dp_submit_quote.h"

#define S_COMMAND "inspect"

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_SIM_ROOT,
    { "root", NULL, NULL, "verify against this root certificate (PEM) instead", 0, 0 },
    { "collateral", NULL, NULL, "collateral JSON (QuoteCollateralV3 shape) for real quotes, or a folder of them (chosen by FMSPC)", 0, 0 },
    DP_SUBMIT_OPTION_PCCS,
    { "policy", NULL, NULL, "quote acceptance policy JSON: TCB statuses, MRTD/RTMR allow-list (docs/quote-verification.md)", 0, 0 },
    { "now", NULL, NULL, "Unix time for certificate and collateral checks (default: now)", 0, 0 },
    { "event-log", NULL, NULL, "the quote's dstack event log (JSON): replay it to RTMR0-3 and list its events", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

//  Hex text given on the command line: only hex digits after an optional
//  0x, and long enough to be a quote rather than a deal id.
static int
s_is_hex_text (const char *arg)
{
    if (arg [0] == '0' && (arg [1] == 'x' || arg [1] == 'X'))
        arg += 2;
    size_t len = strlen (arg);
    if (len < 256)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit ((unsigned char) arg [i]))
            return 0;
    return 1;
}

static dp_status
s_load (dp_config_t *config, const char *arg, dp_quote_t **quote, char **deal_id,
        dp_error_t *err)
{
    struct stat st;
    *deal_id = NULL;
    if (stat (arg, &st) == 0)
        return dp_quote_load (arg, quote, err);
    if (s_is_hex_text (arg))
        return dp_quote_parse ((const uint8_t *) arg, strlen (arg), quote, err);
    char *hex = NULL;
    dp_status rc = dp_submit_fetch_attestation (config, arg, &hex, err);
    if (rc != DP_OK)
        return rc;
    rc = dp_quote_parse ((const uint8_t *) hex, strlen (hex), quote, err);
    free (hex);
    if (rc == DP_OK)
        *deal_id = strdup (arg);
    return rc;
}

#define S_EVENT_LOG_MAX (4u * 1024 * 1024)   //  a real log is a few KB

//  --event-log: reads the log, replays it against the quote and adds
//  "event_log" to the report: the number of events, whether the replay
//  gives the quote's RTMRs, and dstack's own events (app-id,
//  compose-hash, ...) with their payloads in hex. 1 when it matches, 0
//  when not (*detail says why), -1 when the file cannot be read.
static int
s_event_log (const char *path, const dp_quote_t *quote, json_object *report, char *detail,
             size_t size)
{
    FILE *file = fopen (path, "rb");
    char *text = file? malloc (S_EVENT_LOG_MAX + 1): NULL;
    size_t len = text? fread (text, 1, S_EVENT_LOG_MAX + 1, file): 0;
    if (file)
        fclose (file);
    if (!text || len > S_EVENT_LOG_MAX) {
        snprintf (detail, size, "--event-log: %s: %s", path,
                  !file? "cannot be read": !text? "out of memory": "larger than 4 MiB");
        free (text);
        return -1;
    }
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    dp_status rc = dp_eventlog_parse (text, len, &log, &err);
    free (text);
    json_object *summary = json_object_new_object ();
    json_object_object_add (report, "event_log", summary);
    if (rc == DP_OK)
        rc = dp_eventlog_check_quote (log, quote, &err);
    json_object_object_add (summary, "rtmr_replay", json_object_new_string (rc == DP_OK? "match": err.text));
    if (log) {
        json_object_object_add (summary, "events", json_object_new_int64 ((int64_t) dp_eventlog_count (log)));
        json_object *runtime = json_object_new_array ();
        for (size_t i = 0; i < dp_eventlog_count (log); i++) {
            const dp_eventlog_event_t *e = dp_eventlog_event (log, i);
            if (!e->payload_checked)
                continue;
            char *hex = malloc (2 * e->payload_len + 1);
            json_object *entry = json_object_new_object ();
            json_object_object_add (entry, "event", json_object_new_string (e->name));
            json_object_object_add (entry, "payload", json_object_new_string (
                hex? dp_hex_encode (e->payload, e->payload_len, hex): ""));
            json_object_array_add (runtime, entry);
            free (hex);
        }
        json_object_object_add (summary, "runtime_events", runtime);
    }
    dp_eventlog_destroy (&log);
    if (rc != DP_OK)
        snprintf (detail, size, "%s", err.text);
    else
        snprintf (detail, size, "event log: RTMR0-3 replayed to the quote's");
    return rc == DP_OK;
}

static void
s_print_human (json_object *report)
{
    json_object_object_foreach (report, key, value) {
        if (json_object_is_type (value, json_type_object) || json_object_is_type (value, json_type_array))
            printf ("%-22s %s\n", key, json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN));
        else
            printf ("%-22s %s\n", key, value? json_object_get_string (value): "null");
    }
}

int
dp_submit_cmd_inspect (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit inspect QUOTE|ID [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, 1, &code);
    if (!config)
        return code;
    long long now = 0;
    if (!dp_submit_cli_int (config, S_COMMAND, "now", 0, 32503680000LL, &now, &code)) {
        dp_config_destroy (&config);
        return code;
    }
    dp_quote_t *quote = NULL;
    char *deal_id = NULL;
    dp_error_t err;
    dp_quote_policy_doc_t *policy = NULL;
    const char *policy_path = dp_config_get (config, "policy");
    if (dp_submit_quote_preflight (dp_config_get (config, "root"), dp_config_get (config, "collateral"),
                                   &err) != DP_OK
    ||  (policy_path && dp_submit_quote_policy_load (policy_path, 0, &policy, &err) != DP_OK)) {
        dp_submit_report (S_COMMAND, &err);
        dp_config_destroy (&config);
        return DP_SUBMIT_EXIT_USAGE;
    }
    dp_status rc = s_load (config, dp_config_positional (config, 0), &quote, &deal_id, &err);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        dp_quote_policy_destroy (&policy);
        dp_config_destroy (&config);
        return dp_submit_exit_for (rc == DP_CRYPTO? DP_INVALID: rc);
    }
    dp_submit_quote_options_t options = {
        .sim_root_dir = dp_config_get (config, "sim-root"),
        .root_pem_path = dp_config_get (config, "root"),
        .collateral_path = dp_config_get (config, "collateral"),
        .policy = policy? dp_quote_policy_get (policy): NULL,
        .pccs_url = dp_config_get (config, "pccs"),
        .now = now,
    };
    char cache_dir [1024];
    if (options.pccs_url && dp_submit_quote_cache_dir (cache_dir, sizeof cache_dir) == 0)
        options.cache_dir = cache_dir;
    dp_submit_quote_check_t check;
    dp_submit_quote_check (quote, &options, &check);
    json_object *report = check.report? check.report: json_object_new_object ();
    if (deal_id)
        json_object_object_add (report, "deal_id", json_object_new_string (deal_id));
    const char *event_log = dp_config_get (config, "event-log");
    char log_detail [DP_ERROR_TEXT_MAX + 64] = "";
    int log_ok = event_log? s_event_log (event_log, quote, report, log_detail, sizeof log_detail): 1;
    if (log_ok < 0) {
        fprintf (stderr, "dp-submit %s: %s\n", S_COMMAND, log_detail);
        json_object_put (report);
        free (deal_id);
        dp_quote_destroy (&quote);
        dp_quote_policy_destroy (&policy);
        dp_config_destroy (&config);
        return DP_SUBMIT_EXIT_USAGE;
    }
    if (dp_config_get_switch (config, "json"))
        puts (json_object_to_json_string_ext (report, JSON_C_TO_STRING_PLAIN));
    else {
        s_print_human (report);
        printf ("%s %s\n", check.ok? "✓": "✗", check.detail);
        if (event_log)
            printf ("%s %s\n", log_ok? "✓": "✗", log_detail);
    }
    json_object_put (report);
    free (deal_id);
    dp_quote_destroy (&quote);
    dp_quote_policy_destroy (&policy);
    dp_config_destroy (&config);
    return check.ok && log_ok? DP_SUBMIT_EXIT_OK: DP_SUBMIT_EXIT_NEGATIVE;
}
