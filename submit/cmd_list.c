/*  cmd_list.c — `dp-submit list [--status S] [--batch B] [--limit N]`:
    deal ids with their status, page by page from the broker. */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"

#define S_COMMAND "list"

static const dp_config_option_t s_options [] = {
    { "status", NULL, NULL, "only deals with this status (pending, negotiating, agreed, failed, verification_failed)", 0, 0 },
    { "batch", NULL, NULL, "only deals of this batch", 0, 0 },
    { "limit", NULL, "0", "at most this many deals (0: all)", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

static void
s_print (const dp_wire_entry_t *entry, int json)
{
    if (json)
        printf ("{\"deal_id\":\"%s\",\"status\":\"%s\"}\n", entry->deal_id, entry->status);
    else
        printf ("%-40s %s\n", entry->deal_id, entry->status);
}

static int
s_list (dp_config_t *config, dp_client_t *client, long long limit)
{
    const char *status = dp_config_get (config, "status");
    const char *batch = dp_config_get (config, "batch");
    int json = dp_config_get_switch (config, "json");
    char after [DP_DEAL_ID_MAX + 1] = "";
    long long shown = 0;
    while (limit == 0 || shown < limit) {
        long long want = limit == 0 || limit - shown > DP_WIRE_LIST_MAX? DP_WIRE_LIST_MAX: limit - shown;
        dp_wire_entry_t *entries = NULL;
        size_t count = 0;
        char next [DP_DEAL_ID_MAX + 1];
        dp_error_t err;
        dp_status rc = dp_client_list (client, status? status: "", batch? batch: "", after,
                                       (uint32_t) want, &entries, &count, next, &err);
        if (rc != DP_OK) {
            dp_submit_report (S_COMMAND, &err);
            return dp_submit_exit_for (rc);
        }
        for (size_t i = 0; i < count && (limit == 0 || shown < limit); i++, shown++)
            s_print (&entries [i], json);
        free (entries);
        if (!next [0])          //  (a page may be short, even empty, with more after it)
            break;
        snprintf (after, sizeof after, "%s", next);
    }
    fflush (stdout);
    return DP_SUBMIT_EXIT_OK;
}

int
dp_submit_cmd_list (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit list [--status S] [--batch B] [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 0, 0, &code);
    if (!config)
        return code;
    long long limit = 0;
    if (!dp_submit_cli_int (config, S_COMMAND, "limit", 0, 1LL << 40, &limit, &code)) {
        dp_config_destroy (&config);
        return code;
    }
    dp_error_t err;
    dp_client_t *client = dp_submit_fetch_connect (config, &err);
    if (!client) {
        dp_submit_report (S_COMMAND, &err);
        code = dp_submit_exit_for (err.code);
    }
    else
        code = s_list (config, client, limit);
    dp_client_destroy (&client);
    dp_config_destroy (&config);
    return code;
}
