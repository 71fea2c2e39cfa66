/*  cmd_status.c — `dp-submit status ID…`: each deal's status (SPEC §3).
    Exit 0 when every deal was found, 1 when one was not, 3 when the
    broker does not answer. */

#include <json-c/json.h>
#include <stdio.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"

#define S_COMMAND "status"

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

static void
s_print (const dp_client_deal_t *deal, int json)
{
    if (!json) {
        printf ("%s  %s%s%s  attempts=%u batch=%s\n", deal->envelope.deal_id, deal->status,
                deal->reason [0]? ": ": "", deal->reason, deal->attempts, deal->envelope.batch);
        return;
    }
    json_object *line = json_object_new_object ();
    json_object_object_add (line, "deal_id", json_object_new_string (deal->envelope.deal_id));
    json_object_object_add (line, "status", json_object_new_string (deal->status));
    json_object_object_add (line, "reason", deal->reason [0]? json_object_new_string (deal->reason): NULL);
    json_object_object_add (line, "attempts", json_object_new_int64 (deal->attempts));
    json_object_object_add (line, "batch", json_object_new_string (deal->envelope.batch));
    json_object_object_add (line, "data_hash", json_object_new_string (deal->envelope.data_hash));
    json_object_object_add (line, "submitted_at_ms", json_object_new_int64 (deal->envelope.submitted_at_ms));
    json_object_object_add (line, "has_result", json_object_new_boolean (deal->has_result));
    json_object_object_add (line, "escrow_tx", deal->escrow_tx [0]? json_object_new_string (deal->escrow_tx): NULL);
    json_object_object_add (line, "completion_tx",
                            deal->completion_tx [0]? json_object_new_string (deal->completion_tx): NULL);
    puts (json_object_to_json_string_ext (line, JSON_C_TO_STRING_PLAIN));
    json_object_put (line);
}

int
dp_submit_cmd_status (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit status ID… [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, -1, &code);
    if (!config)
        return code;
    dp_error_t err;
    dp_client_t *client = dp_submit_fetch_connect (config, &err);
    if (!client) {
        dp_submit_report (S_COMMAND, &err);
        dp_config_destroy (&config);
        return dp_submit_exit_for (err.code);
    }
    int json = dp_config_get_switch (config, "json");
    for (int i = 0; i < dp_config_positional_count (config); i++) {
        dp_client_deal_t deal;
        dp_status rc = dp_client_status (client, dp_config_positional (config, i), &deal, &err);
        if (rc == DP_OK)
            s_print (&deal, json);
        else {
            dp_submit_report (S_COMMAND, &err);
            int this_code = rc == DP_NOTFOUND? DP_SUBMIT_EXIT_NEGATIVE: dp_submit_exit_for (rc);
            code = this_code > code? this_code: code;
            if (rc == DP_UNREACHABLE || rc == DP_TIMEOUT)
                break;
        }
    }
    fflush (stdout);
    dp_client_destroy (&client);
    dp_config_destroy (&config);
    return code;
}
