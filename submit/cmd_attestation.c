/*  cmd_attestation.c — `dp-submit attestation ID`: the deal attestation
    quote as hex ("0x…"), as the seed's GET /api/deals/{id}/attestation;
    --json prints {"deal_id", "attestation"}. Exit 1 when the deal has no
    attestation (not agreed, or no result yet). */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"

#define S_COMMAND "attestation"

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

int
dp_submit_cmd_attestation (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit attestation ID [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, 1, &code);
    if (!config)
        return code;
    const char *deal_id = dp_config_positional (config, 0);
    char *hex = NULL;
    dp_error_t err;
    dp_status rc = dp_submit_fetch_attestation (config, deal_id, &hex, &err);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        code = rc == DP_NOTFOUND? DP_SUBMIT_EXIT_NEGATIVE: dp_submit_exit_for (rc);
    }
    else
    if (dp_config_get_switch (config, "json")) {
        json_object *line = json_object_new_object ();
        json_object_object_add (line, "deal_id", json_object_new_string (deal_id));
        json_object_object_add (line, "attestation", json_object_new_string (hex));
        puts (json_object_to_json_string_ext (line, JSON_C_TO_STRING_PLAIN));
        json_object_put (line);
    }
    else
        puts (hex);
    free (hex);
    dp_config_destroy (&config);
    return code;
}
