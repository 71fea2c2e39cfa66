/*  cmd_watch.c — `dp-submit watch [ID…]`: live events until Ctrl-C:
    status changes, results, annotations, and each negotiation round as
    the seed's demo printed it. With IDs, only those deals. --from SEQ
    replays the durable events from that sequence number first. */

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dp_json.h"
#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"
#include "dp_submit_show.h"

#define S_COMMAND "watch"

static const dp_config_option_t s_options [] = {
    { "from", NULL, "0", "replay durable events from this sequence number (0: only new ones)", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int signum)
{
    s_stop = 1;
}

static int
s_wanted (dp_config_t *config, const char *deal_id)
{
    int count = dp_config_positional_count (config);
    for (int i = 0; i < count; i++)
        if (strcmp (dp_config_positional (config, i), deal_id) == 0)
            return 1;
    return count == 0;
}

static void
s_print_json (const dp_wire_event_t *event, json_object *data)
{
    json_object *line = json_object_new_object ();
    json_object_object_add (line, "seq", json_object_new_uint64 (event->seq));
    json_object_object_add (line, "type", json_object_new_string (event->type));
    json_object_object_add (line, "deal_id", json_object_new_string (event->deal_id));
    json_object_object_add (line, "status", json_object_new_string (event->status));
    json_object_object_add (line, "reason", event->reason [0]? json_object_new_string (event->reason): NULL);
    json_object_object_add (line, "batch", json_object_new_string (event->batch));
    json_object_object_add (line, "time_ms", json_object_new_int64 (event->time_ms));
    json_object_object_add (line, "attempt", json_object_new_int64 (event->attempt));
    json_object_object_add (line, "data", json_object_get (data));
    puts (json_object_to_json_string_ext (line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put (line);
}

static void
s_print_human (const dp_wire_event_t *event, json_object *data)
{
    if (strcmp (event->type, "progress") == 0 && data) {
        printf ("%s ", event->deal_id);
        dp_submit_show_move (stdout, data, 0);
        return;
    }
    if (strcmp (event->type, "result") == 0 && data && strcmp (event->status, "agreed") == 0) {
        json_object *price = NULL, *terms = NULL, *scope = NULL, *days = NULL;
        json_object_object_get_ex (data, "final_price", &price);
        json_object_object_get_ex (data, "terms", &terms);
        json_object_object_get_ex (terms, "access_scope", &scope);
        json_object_object_get_ex (terms, "duration_days", &days);
        char money [48];
        printf ("%s agreed at %s (%s, %s days)\n", event->deal_id,
                dp_submit_show_money (dp_submit_show_cents (price), money, sizeof money),
                json_object_get_string (scope), json_object_get_string (days));
        return;
    }
    printf ("%s %s%s%s", event->deal_id, event->status, event->reason [0]? ": ": "", event->reason);
    if (strcmp (event->type, "annotation") == 0 && data)
        printf (" %s", json_object_to_json_string_ext (data, JSON_C_TO_STRING_PLAIN));
    else
    if (strcmp (event->status, "negotiating") == 0)
        printf (" (attempt %u)", event->attempt);
    printf ("\n");
}

static int
s_watch (dp_config_t *config, dp_client_t *client, int json)
{
    dp_error_t err;
    while (!s_stop) {
        dp_wire_event_t event;
        dp_status rc = dp_client_next_event (client, 500, &event, &err);
        if (rc == DP_TIMEOUT)
            continue;
        if (rc == DP_NOTFOUND) {
            dp_submit_report (S_COMMAND, &err);     //  events the broker no longer keeps
            continue;
        }
        if (rc != DP_OK) {
            dp_submit_report (S_COMMAND, &err);
            return dp_submit_exit_for (rc);
        }
        if (!s_wanted (config, event.deal_id))
            continue;
        json_object *data = NULL;
        if (event.data && event.data_len
        &&  dp_json_parse ((const char *) event.data, event.data_len, &data, NULL) != DP_OK)
            data = NULL;
        if (json)
            s_print_json (&event, data);
        else
            s_print_human (&event, data);
        fflush (stdout);
        json_object_put (data);
    }
    return DP_SUBMIT_EXIT_OK;
}

int
dp_submit_cmd_watch (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit watch [ID…] [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 0, -1, &code);
    if (!config)
        return code;
    long long from = 0;
    if (!dp_submit_cli_int (config, S_COMMAND, "from", 0, INT64_MAX, &from, &code)) {
        dp_config_destroy (&config);
        return code;
    }
    dp_error_t err;
    dp_client_t *client = dp_submit_fetch_connect (config, &err);
    dp_status rc = client? dp_client_subscribe (client, (uint64_t) from, &err): err.code;
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        code = dp_submit_exit_for (rc);
    }
    else {
        signal (SIGINT, s_on_signal);
        signal (SIGTERM, s_on_signal);
        code = s_watch (config, client, dp_config_get_switch (config, "json"));
    }
    dp_client_destroy (&client);
    dp_config_destroy (&config);
    return code;
}
