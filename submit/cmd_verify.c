/*  cmd_verify.c — `dp-submit verify RESULT.json|ID …`: offline checks of
    results (dp_submit_verify.h), each printed with ✓ / ✗.

    A file may hold one result (pretty-printed or not), a JSON array of
    results, or JSON Lines of results (what `run --out` writes). An
    argument that is not a file is a deal id, fetched from the broker;
    only the fetching trusts the broker, never the checks. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dp_json.h"
#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"
#include "dp_submit_input.h"
#include "dp_submit_quote.h"
#include "dp_submit_verify.h"

#define S_COMMAND "verify"
#define S_FILE_MAX (64u * 1024 * 1024)     //  one pretty-printed result

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_SIM_ROOT,
    { "root", NULL, NULL, "verify quotes against this root certificate (PEM) instead", 0, 0 },
    { "collateral", NULL, NULL, "collateral JSON for real quotes (QuoteCollateralV3 shape), or a folder of them (chosen by FMSPC)", 0, 0 },
    DP_SUBMIT_OPTION_PCCS,
    { "policy", NULL, NULL, "quote acceptance policy JSON: TCB statuses, MRTD/RTMR allow-list (docs/quote-verification.md)", 0, 0 },
    { "now", NULL, NULL, "Unix time for certificate and collateral checks (default: now)", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

typedef struct {
    int json;
    json_object *checks;        //  --json: the checks of the current result
} s_printer_t;

static void
s_print_check (void *arg, const char *check, int ok, const char *detail)
{
    s_printer_t *printer = arg;
    if (printer->json) {
        json_object *entry = json_object_new_object ();
        json_object_object_add (entry, "check", json_object_new_string (check));
        json_object_object_add (entry, "ok", ok < 0? NULL: json_object_new_boolean (ok));
        json_object_object_add (entry, "detail", json_object_new_string (detail));
        json_object_array_add (printer->checks, entry);
    }
    else
        printf ("  %s %-18s %s\n", ok > 0? "✓": ok == 0? "✗": "–", check, detail);
}

//  Verifies one result; returns the number of failed checks, or -1 if
//  the value is not a result object (reported with where).
static int
s_verify_one (json_object *result, const char *where, const dp_submit_verify_options_t *options,
              int json)
{
    s_printer_t printer = { .json = json, .checks = json? json_object_new_array (): NULL };
    json_object *id = NULL;
    json_object_object_get_ex (result, "deal_id", &id);
    if (!json)
        printf ("%s (%s)\n", id? json_object_get_string (id): "?", where);
    int failed = 0;
    dp_error_t err;
    if (dp_submit_verify_result (result, options, s_print_check, &printer, &failed, &err) != DP_OK) {
        fprintf (stderr, "dp-submit verify: %s: %s\n", where, err.text);
        json_object_put (printer.checks);
        return -1;
    }
    if (json) {
        json_object *line = json_object_new_object ();
        json_object_object_add (line, "deal_id", id? json_object_get (id): NULL);
        json_object_object_add (line, "source", json_object_new_string (where));
        json_object_object_add (line, "verified", json_object_new_boolean (failed == 0));
        json_object_object_add (line, "checks", printer.checks);
        puts (json_object_to_json_string_ext (line, JSON_C_TO_STRING_PLAIN));
        json_object_put (line);
    }
    else
        printf ("  => %s\n", failed? "NOT VERIFIED": "verified");
    fflush (stdout);
    return failed;
}

typedef struct {
    const dp_submit_verify_options_t *options;
    int json, results, failures, bad_input;
} s_run_t;

static void
s_account (s_run_t *run, int failed)
{
    if (failed < 0)
        run->bad_input++;
    else {
        run->results++;
        run->failures += failed > 0;
    }
}

//  A whole file holding one (pretty-printed) result.
static void
s_verify_whole (s_run_t *run, const char *path)
{
    char *text;
    size_t len;
    dp_error_t err;
    json_object *value = NULL;
    dp_status rc = dp_submit_cli_read_file (path, S_FILE_MAX, &text, &len, &err);
    if (rc == DP_OK) {
        rc = dp_json_parse (text, len, &value, &err);
        free (text);
    }
    if (rc != DP_OK) {
        fprintf (stderr, "dp-submit verify: %s: %s\n", path, err.text);
        run->bad_input++;
        return;
    }
    s_account (run, s_verify_one (value, path, run->options, run->json));
    json_object_put (value);
}

//  JSON Lines (what `run --out` writes) or a JSON array: each record is a
//  result, named FILE:LINE. Returns 0, without verifying anything, when
//  the first line is not a JSON value by itself (a pretty-printed result).
static int
s_verify_records (s_run_t *run, const char *path)
{
    dp_error_t err;
    dp_submit_input_t *input = dp_submit_input_open (path, 0, &err);
    if (!input) {
        dp_submit_report (S_COMMAND, &err);
        run->bad_input++;
        return 1;
    }
    dp_submit_record_t record;
    dp_status rc;
    while ((rc = dp_submit_input_next (input, &record, &err)) != DP_NOTFOUND) {
        char where [4200];
        snprintf (where, sizeof where, "%s:%zu", path, record.line);
        json_object *result = NULL;
        if (rc == DP_OK)
            rc = dp_json_parse (record.text, record.len, &result, &err);
        if (rc != DP_OK && record.index == 0 && !dp_submit_input_is_array (input)) {
            dp_submit_input_destroy (&input);
            return 0;
        }
        if (rc != DP_OK) {
            fprintf (stderr, "dp-submit verify: %s: %s\n", where, err.text);
            run->bad_input++;
            if (rc != DP_LIMIT && rc != DP_INVALID)
                break;
            continue;
        }
        s_account (run, s_verify_one (result, where, run->options, run->json));
        json_object_put (result);
    }
    dp_submit_input_destroy (&input);
    return 1;
}

static void
s_verify_file (s_run_t *run, const char *path)
{
    //  Standard input cannot be read twice: it is taken as records.
    if (!s_verify_records (run, path) && strcmp (path, "-") != 0)
        s_verify_whole (run, path);
}

static int
s_verify_id (s_run_t *run, dp_config_t *config, const char *id)
{
    json_object *result = NULL;
    dp_error_t err;
    dp_status rc = dp_submit_fetch_result (config, id, &result, &err);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        if (rc == DP_NOTFOUND)
            run->bad_input++;
        return dp_submit_exit_for (rc);
    }
    char where [256];
    snprintf (where, sizeof where, "broker result of %s", id);
    s_account (run, s_verify_one (result, where, run->options, run->json));
    json_object_put (result);
    return DP_SUBMIT_EXIT_OK;
}

int
dp_submit_cmd_verify (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit verify RESULT.json|ID… [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, -1, &code);
    if (!config)
        return code;
    long long now = 0;
    if (!dp_submit_cli_int (config, S_COMMAND, "now", 0, 32503680000LL, &now, &code)) {
        dp_config_destroy (&config);
        return code;
    }
    dp_submit_verify_options_t options = {
        .sim_root_dir = dp_config_get (config, "sim-root"),
        .root_pem_path = dp_config_get (config, "root"),
        .collateral_path = dp_config_get (config, "collateral"),
        .now = now,
    };
    //  Files that apply to every result are read once, first: one that
    //  cannot be used is bad input, not a failure of each result.
    dp_quote_policy_doc_t *policy = NULL;
    const char *policy_path = dp_config_get (config, "policy");
    dp_error_t err;
    if (dp_submit_quote_preflight (options.root_pem_path, options.collateral_path, &err) != DP_OK
    ||  (policy_path && dp_submit_quote_policy_load (policy_path, 1, &policy, &err) != DP_OK)) {
        dp_submit_report (S_COMMAND, &err);
        dp_config_destroy (&config);
        return DP_SUBMIT_EXIT_USAGE;
    }
    options.policy = policy? dp_quote_policy_get (policy): NULL;
    char cache_dir [1024];
    options.pccs_url = dp_config_get (config, "pccs");
    if (options.pccs_url && dp_submit_quote_cache_dir (cache_dir, sizeof cache_dir) == 0)
        options.cache_dir = cache_dir;
    s_run_t run = { .options = &options, .json = dp_config_get_switch (config, "json") };
    int unreachable = 0;
    for (int i = 0; i < dp_config_positional_count (config); i++) {
        const char *arg = dp_config_positional (config, i);
        struct stat st;
        if (strcmp (arg, "-") == 0 || stat (arg, &st) == 0)
            s_verify_file (&run, arg);
        else
        if (s_verify_id (&run, config, arg) == DP_SUBMIT_EXIT_UNREACHABLE)
            unreachable = 1;
    }
    dp_config_destroy (&config);
    dp_quote_policy_destroy (&policy);
    if (unreachable)
        return DP_SUBMIT_EXIT_UNREACHABLE;
    if (run.bad_input)
        return DP_SUBMIT_EXIT_USAGE;
    return run.failures? DP_SUBMIT_EXIT_NEGATIVE: DP_SUBMIT_EXIT_OK;
}
