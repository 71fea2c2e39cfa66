/*  cmd_result.c — `dp-submit result ID…`: each deal's full result (SPEC §4)
    as one JSON line, with the broker's annotations (escrow_tx,
    completion_tx). Exit 0 when every deal has a result, 1 when one has
    not (yet), 3 when the broker does not answer. */

#include <stdio.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"

#define S_COMMAND "result"

static const dp_config_option_t s_options [] = {
    { "pretty", NULL, NULL, "indent the JSON (one result spans several lines)", 1, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

int
dp_submit_cmd_result (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit result ID… [flags]",
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
    int flags = dp_config_get_switch (config, "pretty")? JSON_C_TO_STRING_PRETTY: JSON_C_TO_STRING_PLAIN;
    for (int i = 0; i < dp_config_positional_count (config); i++) {
        json_object *result = NULL;
        dp_status rc = dp_submit_fetch_result_with (client, dp_config_positional (config, i),
                                                    &result, &err);
        if (rc == DP_OK)
            puts (json_object_to_json_string_ext (result, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
        else {
            dp_submit_report (S_COMMAND, &err);
            int this_code = rc == DP_NOTFOUND? DP_SUBMIT_EXIT_NEGATIVE: dp_submit_exit_for (rc);
            code = this_code > code? this_code: code;
        }
        json_object_put (result);
        if (rc == DP_UNREACHABLE || rc == DP_TIMEOUT)
            break;
    }
    fflush (stdout);
    dp_client_destroy (&client);
    dp_config_destroy (&config);
    return code;
}
