/*  dp_submit_flow.c — `submit` and `run`: validate every line first, then
    send, then (run, submit --wait) follow until every deal is final. */

#include "dp_submit_flow.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_deals.h"
#include "dp_submit_embedded.h"
#include "dp_submit_session.h"

//  Flags both commands take.
#define S_COMMON_OPTIONS \
    { "dry-run", NULL, NULL, "validate only: print the ids the valid deals would get", 1, 0 }, \
    { "strict", NULL, NULL, "submit nothing if any line is bad", 1, 0 }, \
    { "ids", NULL, NULL, "append each acknowledged deal id to FILE (flushed at once)", 0, 0 }, \
    { "engine", NULL, NULL, "builtin|claude for both sides of deals that name no engine", 0, 0 }, \
    { "buyer-engine", NULL, NULL, "builtin|claude for the buyer side of deals that name none", 0, 0 }, \
    { "seller-engine", NULL, NULL, "builtin|claude for the seller side of deals that name none", 0, 0 }, \
    { "batch", NULL, NULL, "batch label for deals without one (default: the file's name)", 0, 0 }, \
    { "batch-size", NULL, "1000", "deals per submit request (at most 10000)", 0, 0 }, \
    { "out", NULL, NULL, "write each final result as a JSON line to FILE", 0, 0 }, \
    { "progress", NULL, "auto", "auto|bar|plain|off: progress on stderr while waiting", 0, 0 }, \
    { "wait-timeout", NULL, "0", "seconds to wait for results before giving up (0: no limit)", 0, 0 }, \
    DP_SUBMIT_OPTION_JSON, \
    DP_SUBMIT_OPTION_BROKER, \
    DP_SUBMIT_OPTION_TIMEOUT

static const dp_config_option_t s_submit_options [] = {
    { "wait", NULL, NULL, "follow the deals until every one is final (as run)", 1, 0 },
    S_COMMON_OPTIONS,
};

static const dp_config_option_t s_run_options [] = {
    S_COMMON_OPTIONS,
    { "workers", NULL, "2", "embedded mode (no broker set): in-process workers", 0, 0 },
    { "capacity", NULL, "8", "embedded mode: deals each worker runs at once", 0, 0 },
    DP_SUBMIT_OPTION_SIM_ROOT,
    { "key-file", "DP_KEY_FILE", NULL, "embedded mode: the enclave key file (default: dp-worker's)", 0, 0 },
};


static volatile sig_atomic_t s_stop;

static void
s_on_signal (int signum)
{
    s_stop = 1;
}

typedef struct {
    const char *command;
    dp_config_t *config;
    int is_run, wait, json, dry_run;
    int embedded;                       //  the broker lives in this process
    long long batch_size, wait_timeout, workers, capacity, timeout;
    dp_submit_deals_options_t deal_options;
    dp_submit_deals_t *deals;
    size_t invalid;
    int unreadable;
} s_flow_t;

static int
s_engine_ok (s_flow_t *flow, const char *name)
{
    const char *value = dp_config_get (flow->config, name);
    if (!value || strcmp (value, "builtin") == 0 || strcmp (value, "claude") == 0)
        return 1;
    dp_submit_reportf (flow->command, "--%s: '%s' is not builtin or claude", name, value);
    return 0;
}

//  Reads the numeric flags and engine choices. 0 on a usage error.
static int
s_read_flags (s_flow_t *flow, int *code)
{
    dp_config_t *config = flow->config;
    const char *command = flow->command;
    if (!dp_submit_cli_int (config, command, "batch-size", 1, 10000, &flow->batch_size, code)
    ||  !dp_submit_cli_int (config, command, "wait-timeout", 0, 86400 * 365, &flow->wait_timeout, code)
    ||  !dp_submit_cli_int (config, command, "workers", 1, 64, &flow->workers, code)
    ||  !dp_submit_cli_int (config, command, "capacity", 1, 1024, &flow->capacity, code)
    ||  !dp_submit_cli_int (config, command, "timeout", 1, 3600000, &flow->timeout, code))
        return 0;
    if (!s_engine_ok (flow, "engine") || !s_engine_ok (flow, "buyer-engine")
    ||  !s_engine_ok (flow, "seller-engine")) {
        *code = DP_SUBMIT_EXIT_USAGE;
        return 0;
    }
    const char *both = dp_config_get (config, "engine");
    const char *buyer = dp_config_get (config, "buyer-engine");
    const char *seller = dp_config_get (config, "seller-engine");
    flow->deal_options.batch = dp_config_get (config, "batch");
    flow->deal_options.buyer_engine = buyer? buyer: both;
    flow->deal_options.seller_engine = seller? seller: both;
    flow->wait = flow->is_run || dp_config_get_switch (config, "wait");
    flow->json = dp_config_get_switch (config, "json");
    flow->dry_run = dp_config_get_switch (config, "dry-run");
    return 1;
}

//  Validates every file; bad lines are reported as FILE:LINE on stderr.
static void
s_load_all (s_flow_t *flow)
{
    for (int i = 0; i < dp_config_positional_count (flow->config); i++) {
        const char *path = dp_config_positional (flow->config, i);
        size_t valid = 0, invalid = 0;
        dp_error_t err;
        dp_status rc = dp_submit_deals_load (flow->deals, path, &flow->deal_options, stderr,
                                             &valid, &invalid, &err);
        flow->invalid += invalid;
        if (rc == DP_IO || rc == DP_NOMEM) {
            dp_submit_report (flow->command, &err);
            flow->unreadable = 1;
            continue;
        }
        fprintf (stderr, "dp-submit %s: %s: %zu valid, %zu invalid\n", flow->command,
                 strcmp (path, "-") == 0? "<stdin>": path, valid, invalid);
    }
}

static int
s_dry_run (s_flow_t *flow)
{
    for (size_t i = 0; i < dp_submit_deals_count (flow->deals); i++) {
        const dp_submit_deal_t *deal = dp_submit_deals_get (flow->deals, i);
        if (flow->json) {
            json_object *line = json_object_new_object ();
            json_object_object_add (line, "deal_id", json_object_new_string (deal->envelope.deal_id));
            json_object_object_add (line, "file", json_object_new_string (deal->file));
            json_object_object_add (line, "line", json_object_new_int64 ((int64_t) deal->line));
            puts (json_object_to_json_string_ext (line, JSON_C_TO_STRING_PLAIN));
            json_object_put (line);
        }
        else
            printf ("%s\n", deal->envelope.deal_id);
    }
    fflush (stdout);
    return flow->invalid || flow->unreadable? DP_SUBMIT_EXIT_USAGE: DP_SUBMIT_EXIT_OK;
}

static dp_submit_progress_mode
s_progress_mode (s_flow_t *flow)
{
    const char *mode = dp_config_get (flow->config, "progress");
    if (mode && strcmp (mode, "bar") == 0)
        return DP_SUBMIT_PROGRESS_BAR;
    if (mode && strcmp (mode, "plain") == 0)
        return DP_SUBMIT_PROGRESS_PLAIN;
    if (mode && strcmp (mode, "off") == 0)
        return DP_SUBMIT_PROGRESS_OFF;
    return DP_SUBMIT_PROGRESS_AUTO;
}

//  Follows the acknowledged deals; prints the summary; returns the code.
static int
s_wait (s_flow_t *flow, dp_submit_session_t *session, FILE *out, const char *endpoint)
{
    dp_submit_summary_t *summary = dp_submit_summary_new ();
    dp_submit_progress_t *progress = dp_submit_progress_new (stderr, s_progress_mode (flow),
        flow->command, dp_submit_session_outstanding (session), 2000);
    if (!summary || !progress) {
        dp_submit_summary_destroy (&summary);
        dp_submit_progress_destroy (&progress);
        dp_submit_reportf (flow->command, "out of memory");
        return DP_SUBMIT_EXIT_NEGATIVE;
    }
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    dp_error_t err;
    dp_status rc = dp_submit_session_wait (session, out, summary, progress, &s_stop, &err);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    dp_submit_progress_finish (progress);
    dp_submit_progress_destroy (&progress);
    dp_submit_summary_print (summary, flow->json? stderr: stdout);
    int code = dp_submit_summary_exit_code (summary);
    if (rc != DP_OK) {
        dp_submit_report (flow->command, &err);
        if ((s_stop || rc == DP_TIMEOUT) && flow->embedded)
            fprintf (stderr, "%zu deals were not final; the embedded broker stops with this "
                     "command, so run them against a dp-broker (--broker) to keep them running\n",
                     dp_submit_session_outstanding (session));
        else
        if (s_stop || rc == DP_TIMEOUT)
            fprintf (stderr, "%zu deals are still running on %s; follow them with "
                     "'dp-submit watch --broker %s' or fetch them with 'dp-submit result ID'\n",
                     dp_submit_session_outstanding (session), endpoint, endpoint);
        code = rc == DP_UNREACHABLE? DP_SUBMIT_EXIT_UNREACHABLE: DP_SUBMIT_EXIT_NEGATIVE;
    }
    dp_submit_summary_destroy (&summary);
    return code;
}

//  Sends (and follows) through the broker at endpoint.
static int
s_send (s_flow_t *flow, const char *endpoint)
{
    dp_error_t err;
    const char *ids_path = dp_config_get (flow->config, "ids");
    const char *out_path = dp_config_get (flow->config, "out");
    FILE *ids = ids_path? dp_submit_cli_open_output (ids_path, &err): NULL;
    FILE *out = out_path? dp_submit_cli_open_output (out_path, &err)
              : (flow->wait && flow->json? stdout: NULL);
    if ((ids_path && !ids) || (out_path && !out)) {
        dp_submit_report (flow->command, &err);
        if (ids)
            dp_submit_cli_close_output (ids, ids_path, &err);
        return DP_SUBMIT_EXIT_USAGE;
    }
    dp_submit_session_options_t options = {
        .endpoint = endpoint, .timeout_ms = (int) flow->timeout,
        .batch_size = (size_t) flow->batch_size, .ids = ids,
        //  ids go on stdout unless results do (run --json) or a file takes them
        .print_ids = !ids && !(flow->wait && (flow->json || flow->is_run)),
        .json = flow->json, .wait_timeout_s = (int) flow->wait_timeout,
    };
    int code = DP_SUBMIT_EXIT_OK;
    dp_submit_session_t *session = dp_submit_session_new (&options, &err);
    size_t acked = 0, refused = 0;
    dp_status rc = session? dp_submit_session_send (session, flow->deals, &acked, &refused, &err)
                          : err.code;
    if (rc != DP_OK) {
        dp_submit_report (flow->command, &err);
        code = dp_submit_exit_for (rc);
    }
    else {
        fprintf (stderr, "dp-submit %s: %zu acknowledged, %zu refused\n", flow->command, acked, refused);
        if (flow->wait)
            code = s_wait (flow, session, out, endpoint);
        if (refused && code == DP_SUBMIT_EXIT_OK)
            code = DP_SUBMIT_EXIT_USAGE;
    }
    dp_submit_session_destroy (&session);
    if (ids && dp_submit_cli_close_output (ids, ids_path, &err) != DP_OK)
        dp_submit_report (flow->command, &err);
    if (out && out != stdout && dp_submit_cli_close_output (out, out_path, &err) != DP_OK)
        dp_submit_report (flow->command, &err);
    return code;
}

//  Picks the broker: the configured one, or (run only) an embedded one.
static int
s_dispatch (s_flow_t *flow)
{
    const char *endpoint = dp_config_get (flow->config, "broker");
    if (endpoint && *endpoint)
        return s_send (flow, endpoint);
    if (!flow->is_run) {
        dp_submit_reportf (flow->command, "no broker: set --broker ENDPOINT or DP_BROKER "
                           "(or use 'dp-submit run', which starts its own)");
        return DP_SUBMIT_EXIT_USAGE;
    }
    dp_submit_embedded_options_t options = {
        .workers = (int) flow->workers, .capacity = (int) flow->capacity,
        .sim_root_dir = dp_config_get (flow->config, "sim-root"),
        .key_file = dp_config_get (flow->config, "key-file"),
    };
    dp_error_t err;
    dp_submit_embedded_t *embedded = dp_submit_embedded_new (&options, &err);
    if (!embedded) {
        dp_submit_report (flow->command, &err);
        return DP_SUBMIT_EXIT_NEGATIVE;
    }
    flow->embedded = 1;
    int code = s_send (flow, dp_submit_embedded_endpoint (embedded));
    dp_submit_embedded_destroy (&embedded);
    return code;
}

int
dp_submit_flow (int argc, char **argv, int is_run)
{
    s_flow_t flow = { .command = is_run? "run": "submit", .is_run = is_run };
    int code = DP_SUBMIT_EXIT_OK;
    const char *usage = is_run? "dp-submit run FILE… [flags]": "dp-submit submit FILE… [flags]";
    const dp_config_option_t *options = is_run? s_run_options: s_submit_options;
    size_t count = is_run? sizeof s_run_options / sizeof s_run_options [0]
                         : sizeof s_submit_options / sizeof s_submit_options [0];
    flow.config = dp_submit_cli_parse (flow.command, usage, options, count, argc, argv, 1, -1, &code);
    if (!flow.config)
        return code;
    if (!s_read_flags (&flow, &code)) {
        dp_config_destroy (&flow.config);
        return code;
    }
    flow.deals = dp_submit_deals_new ();
    if (!flow.deals) {
        dp_config_destroy (&flow.config);
        dp_submit_reportf (flow.command, "out of memory");
        return DP_SUBMIT_EXIT_NEGATIVE;
    }
    s_load_all (&flow);
    if (flow.dry_run)
        code = s_dry_run (&flow);
    else
    if ((flow.invalid || flow.unreadable) && dp_config_get_switch (flow.config, "strict")) {
        dp_submit_reportf (flow.command, "--strict: %zu bad lines, nothing submitted", flow.invalid);
        code = DP_SUBMIT_EXIT_USAGE;
    }
    else
    if (dp_submit_deals_count (flow.deals) == 0) {
        dp_submit_reportf (flow.command, "no valid deals to submit");
        code = DP_SUBMIT_EXIT_USAGE;
    }
    else {
        code = s_dispatch (&flow);
        //  A bad line is bad input even when the good ones went through.
        if ((flow.invalid || flow.unreadable) && code == DP_SUBMIT_EXIT_OK)
            code = DP_SUBMIT_EXIT_USAGE;
    }
    dp_submit_deals_destroy (&flow.deals);
    dp_config_destroy (&flow.config);
    return code;
}
