/*  cmd_demo.c — `dp-submit demo [--scenario S] [--engine E]`: the seed's
    five demo scenarios end to end, through a broker and workers (embedded
    unless one is configured), printed like the seed's demo: the scenario,
    the seller proof, the transcript round by round and the result block,
    then the binding checks of `verify` on the result.

    With --json stdout carries exactly one full SPEC §4 result per line, as
    the broker stored it, and nothing else. Exit 0 when every scenario
    agreed and every check passed, else 1. */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_deals.h"
#include "dp_submit_embedded.h"
#include "dp_submit_scenarios.h"
#include "dp_submit_session.h"
#include "dp_submit_show.h"
#include "dp_submit_verify.h"

#define S_COMMAND "demo"

static const dp_config_option_t s_options [] = {
    { "scenario", NULL, "all", "vision|medical|lidar|finance|nlp|all", 0, 0 },
    { "engine", NULL, "builtin", "builtin|claude (claude needs ANTHROPIC_API_KEY)", 0, 0 },
    { "workers", NULL, "2", "embedded mode (no broker set): in-process workers", 0, 0 },
    DP_SUBMIT_OPTION_SIM_ROOT,
    { "key-file", "DP_KEY_FILE", NULL, "embedded mode: the enclave key file (default: dp-worker's)", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

typedef struct {
    const char *names [DP_SUBMIT_SCENARIO_COUNT];
    char deal_ids [DP_SUBMIT_SCENARIO_COUNT][DP_DEAL_ID_MAX + 1];
    json_object *results [DP_SUBMIT_SCENARIO_COUNT];
    int count;
    int json;
} s_demo_t;

static void
s_on_result (void *arg, const char *text, size_t len, json_object *result)
{
    s_demo_t *demo = arg;
    json_object *id = NULL;
    json_object_object_get_ex (result, "deal_id", &id);
    for (int i = 0; i < demo->count; i++)
        if (id && strcmp (demo->deal_ids [i], json_object_get_string (id)) == 0) {
            json_object_put (demo->results [i]);
            demo->results [i] = json_object_get (result);
        }
    if (demo->json) {
        fwrite (text, 1, len, stdout);
        fputc ('\n', stdout);
        fflush (stdout);
    }
}

static void
s_banner (void)
{
    printf ("╔══════════════════════════════════════════════════════════════════╗\n"
            "║ DealProof — Verifiable AI Data Negotiation                       ║\n"
            "║ Buyer and seller agents negotiate inside a TEE (Intel TDX)       ║\n"
            "╚══════════════════════════════════════════════════════════════════╝\n");
}

static void
s_print_check (void *arg, const char *check, int ok, const char *detail)
{
    int *printed = arg;
    if (ok < 0)
        return;
    printf ("  %s %-18s %s\n", ok? "✓": "✗", check, detail);
    (*printed)++;
}

//  The scenario block: header, proof, transcript, result, checks.
static int
s_show (s_demo_t *demo, int index, const char *sim_root_dir)
{
    const char *name = demo->names [index];
    json_object *deal = NULL, *result = demo->results [index];
    if (dp_submit_scenario_deal (name, NULL, &deal, NULL) != DP_OK)
        return 1;
    json_object *budget, *floor, *proof, *count, *root;
    json_object_object_get_ex (deal, "buyer_budget", &budget);
    json_object_object_get_ex (deal, "floor_price", &floor);
    json_object_object_get_ex (deal, "seller_proof", &proof);
    json_object_object_get_ex (proof, "chunk_count", &count);
    json_object_object_get_ex (proof, "root_hash", &root);
    char b [48], f [48];
    printf ("\nScenario: %s (%s)\n", dp_submit_scenario_label (name), name);
    printf ("Buyer budget: %s   Seller floor: %s\n",
            dp_submit_show_money (dp_submit_show_cents (budget), b, sizeof b),
            dp_submit_show_money (dp_submit_show_cents (floor), f, sizeof f));
    printf ("[Props] Generated seller proof for %d data chunks\n", json_object_get_int (count));
    printf ("[Props] Root hash: %.24s…\n", json_object_get_string (root));
    json_object_put (deal);
    if (!result) {
        printf ("✗ no result for deal %s\n", demo->deal_ids [index]);
        return 1;
    }
    dp_submit_show_transcript (stdout, result);
    dp_submit_show_result (stdout, result);
    printf ("  Binding checks (dp-submit verify):\n");
    dp_submit_verify_options_t options = { .sim_root_dir = sim_root_dir };
    int failed = 0, printed = 0;
    dp_error_t err;
    if (dp_submit_verify_result (result, &options, s_print_check, &printed, &failed, &err) != DP_OK)
        failed = 1;
    json_object *agreed = NULL;
    json_object_object_get_ex (result, "agreed", &agreed);
    return failed || !json_object_get_boolean (agreed);
}

//  Adds the chosen scenarios' deals to the list; 0 on an unknown name.
static int
s_add_deals (s_demo_t *demo, const char *scenario, const char *engine, dp_submit_deals_t *deals)
{
    int all = strcmp (scenario, "all") == 0;
    dp_submit_deals_options_t options = { .batch = "demo", .buyer_engine = engine,
                                          .seller_engine = engine };
    for (int i = 0; i < DP_SUBMIT_SCENARIO_COUNT; i++) {
        const char *name = dp_submit_scenario_names [i];
        if (!all && strcmp (scenario, name) != 0)
            continue;
        json_object *deal;
        dp_error_t err;
        if (dp_submit_scenario_deal (name, NULL, &deal, &err) != DP_OK) {
            dp_submit_report (S_COMMAND, &err);
            return 0;
        }
        size_t len;
        const char *text = json_object_to_json_string_length (deal, JSON_C_TO_STRING_PLAIN, &len);
        dp_status rc = dp_submit_deals_add (deals, text, len, "demo", (size_t) i + 1, &options, &err);
        json_object_put (deal);
        if (rc != DP_OK) {
            dp_submit_reportf (S_COMMAND, "scenario %s: %s", name, err.text);
            return 0;
        }
        const dp_submit_deal_t *added = dp_submit_deals_get (deals, dp_submit_deals_count (deals) - 1);
        demo->names [demo->count] = name;
        snprintf (demo->deal_ids [demo->count], sizeof demo->deal_ids [0], "%s", added->envelope.deal_id);
        demo->count++;
    }
    if (demo->count == 0)
        dp_submit_reportf (S_COMMAND, "--scenario: unknown '%s' (vision, medical, lidar, finance, nlp, all)",
                           scenario);
    return demo->count > 0;
}

//  Sends the deals through the broker at endpoint and waits for them.
static int
s_run (s_demo_t *demo, dp_submit_deals_t *deals, const char *endpoint, long long timeout)
{
    dp_submit_session_options_t options = {
        .endpoint = endpoint, .timeout_ms = (int) timeout, .on_result = s_on_result,
        .on_result_arg = demo, .wait_timeout_s = 600,
    };
    dp_error_t err;
    size_t acked = 0, refused = 0;
    dp_submit_session_t *session = dp_submit_session_new (&options, &err);
    dp_status rc = session? dp_submit_session_send (session, deals, &acked, &refused, &err): err.code;
    if (rc == DP_OK && refused)
        rc = dp_error_set (&err, DP_INVALID, "the broker refused %zu demo deals", refused);
    if (rc == DP_OK) {
        dp_submit_summary_t *summary = dp_submit_summary_new ();
        rc = summary? dp_submit_session_wait (session, NULL, summary, NULL, NULL, &err)
                    : dp_error_set (&err, DP_NOMEM, "out of memory");
        dp_submit_summary_destroy (&summary);
    }
    dp_submit_session_destroy (&session);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        return dp_submit_exit_for (rc);
    }
    return DP_SUBMIT_EXIT_OK;
}

static int
s_demo (dp_config_t *config, s_demo_t *demo, dp_submit_deals_t *deals)
{
    long long workers = 2, timeout = 10000;
    int code = DP_SUBMIT_EXIT_OK;
    if (!dp_submit_cli_int (config, S_COMMAND, "workers", 1, 64, &workers, &code)
    ||  !dp_submit_cli_int (config, S_COMMAND, "timeout", 1, 3600000, &timeout, &code))
        return code;
    const char *engine = dp_config_get (config, "engine");
    if (strcmp (engine, "builtin") != 0 && strcmp (engine, "claude") != 0) {
        dp_submit_reportf (S_COMMAND, "--engine: '%s' is not builtin or claude", engine);
        return DP_SUBMIT_EXIT_USAGE;
    }
    if (!s_add_deals (demo, dp_config_get (config, "scenario"), engine, deals))
        return DP_SUBMIT_EXIT_USAGE;
    const char *endpoint = dp_config_get (config, "broker");
    if (!demo->json)
        s_banner ();
    if (endpoint && *endpoint)
        return s_run (demo, deals, endpoint, timeout);
    dp_submit_embedded_options_t options = { .workers = (int) workers,
                                             .sim_root_dir = dp_config_get (config, "sim-root"),
                                             .key_file = dp_config_get (config, "key-file") };
    dp_error_t err;
    dp_submit_embedded_t *embedded = dp_submit_embedded_new (&options, &err);
    if (!embedded) {
        dp_submit_report (S_COMMAND, &err);
        return DP_SUBMIT_EXIT_NEGATIVE;
    }
    if (!demo->json)
        printf ("Embedded broker and %lld workers on %s (TEE mode: simulation)\n", workers,
                dp_submit_embedded_endpoint (embedded));
    code = s_run (demo, deals, dp_submit_embedded_endpoint (embedded), timeout);
    dp_submit_embedded_destroy (&embedded);
    return code;
}

//  Shows every scenario (or, with --json, only counts); returns how many
//  did not agree with every check passing.
static int
s_show_all (s_demo_t *demo, const char *sim_root_dir)
{
    int failed = 0;
    for (int i = 0; i < demo->count; i++) {
        if (!demo->json) {
            failed += s_show (demo, i, sim_root_dir);
            continue;
        }
        json_object *agreed = NULL;
        json_object_object_get_ex (demo->results [i], "agreed", &agreed);
        failed += !json_object_get_boolean (agreed);
    }
    return failed;
}

int
dp_submit_cmd_demo (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit demo [--scenario S] [--engine E]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 0, 0, &code);
    if (!config)
        return code;
    s_demo_t demo = { .json = dp_config_get_switch (config, "json") };
    dp_submit_deals_t *deals = dp_submit_deals_new ();
    code = deals? s_demo (config, &demo, deals): DP_SUBMIT_EXIT_NEGATIVE;
    int failed = code == DP_SUBMIT_EXIT_OK? s_show_all (&demo, dp_config_get (config, "sim-root")): 0;
    if (code == DP_SUBMIT_EXIT_OK && !demo.json)
        printf ("\n%d of %d scenarios agreed with verified bindings\n", demo.count - failed, demo.count);
    if (code == DP_SUBMIT_EXIT_OK && failed)
        code = DP_SUBMIT_EXIT_NEGATIVE;
    for (int i = 0; i < demo.count; i++)
        json_object_put (demo.results [i]);
    dp_submit_deals_destroy (&deals);
    dp_config_destroy (&config);
    return code;
}
