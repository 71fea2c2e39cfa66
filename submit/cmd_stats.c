/*  cmd_stats.c — `dp-submit stats`: broker and worker figures (deals per
    status, rates, queue age, store use, commits, each worker's load). */

#include <json-c/json.h>
#include <stdio.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"

#define S_COMMAND "stats"

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

static void
s_add_u64 (json_object *object, const char *key, uint64_t value)
{
    json_object_object_add (object, key, json_object_new_uint64 (value));
}

static void
s_print_json (const dp_wire_stats_t *s)
{
    json_object *out = json_object_new_object ();
    s_add_u64 (out, "epoch", s->epoch);
    s_add_u64 (out, "last_seq", s->last_seq);
    json_object *deals = json_object_new_object ();
    s_add_u64 (deals, "pending", s->pending);
    s_add_u64 (deals, "negotiating", s->negotiating);
    s_add_u64 (deals, "agreed", s->agreed);
    s_add_u64 (deals, "failed", s->failed);
    s_add_u64 (deals, "verification_failed", s->verification_failed);
    json_object_object_add (out, "deals", deals);
    s_add_u64 (out, "submitted_total", s->submitted_total);
    s_add_u64 (out, "completed_total", s->completed_total);
    json_object_object_add (out, "submit_rate", json_object_new_double (s->submit_rate));
    json_object_object_add (out, "complete_rate", json_object_new_double (s->complete_rate));
    json_object_object_add (out, "oldest_pending_ms", json_object_new_int64 (s->oldest_pending_ms));
    s_add_u64 (out, "map_size", s->map_size);
    s_add_u64 (out, "map_used", s->map_used);
    s_add_u64 (out, "commits", s->commits);
    json_object_object_add (out, "commit_avg_ms", json_object_new_double (s->commit_avg_ms));
    json_object *workers = json_object_new_array ();
    for (uint32_t i = 0; i < s->worker_count; i++) {
        json_object *w = json_object_new_object ();
        json_object_object_add (w, "name", json_object_new_string (s->workers [i].name));
        s_add_u64 (w, "capacity", s->workers [i].capacity);
        s_add_u64 (w, "leased", s->workers [i].leased);
        s_add_u64 (w, "done", s->workers [i].done);
        json_object_array_add (workers, w);
    }
    json_object_object_add (out, "workers", workers);
    puts (json_object_to_json_string_ext (out, JSON_C_TO_STRING_PLAIN));
    json_object_put (out);
}

static void
s_print_human (const dp_wire_stats_t *s)
{
    printf ("deals      pending %llu  negotiating %llu  agreed %llu  failed %llu  verification_failed %llu\n",
            (unsigned long long) s->pending, (unsigned long long) s->negotiating,
            (unsigned long long) s->agreed, (unsigned long long) s->failed,
            (unsigned long long) s->verification_failed);
    printf ("totals     submitted %llu  completed %llu (since start)\n",
            (unsigned long long) s->submitted_total, (unsigned long long) s->completed_total);
    printf ("rates      submit %.1f/s  complete %.1f/s\n", s->submit_rate, s->complete_rate);
    printf ("queue      oldest pending %.1f s\n", (double) s->oldest_pending_ms / 1000.0);
    printf ("store      %.1f of %.1f MiB used, %llu commits, %.2f ms each\n",
            (double) s->map_used / 1048576.0, (double) s->map_size / 1048576.0,
            (unsigned long long) s->commits, s->commit_avg_ms);
    printf ("events     epoch %llu, last sequence %llu\n", (unsigned long long) s->epoch,
            (unsigned long long) s->last_seq);
    printf ("workers    %u\n", s->worker_count);
    for (uint32_t i = 0; i < s->worker_count; i++)
        printf ("  %-30s capacity %u  leased %u  done %llu\n", s->workers [i].name,
                s->workers [i].capacity, s->workers [i].leased,
                (unsigned long long) s->workers [i].done);
}

int
dp_submit_cmd_stats (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit stats [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 0, 0, &code);
    if (!config)
        return code;
    dp_error_t err;
    dp_client_t *client = dp_submit_fetch_connect (config, &err);
    dp_wire_stats_t stats;
    dp_status rc = client? dp_client_stats (client, &stats, &err): err.code;
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        code = dp_submit_exit_for (rc);
    }
    else {
        if (dp_config_get_switch (config, "json"))
            s_print_json (&stats);
        else
            s_print_human (&stats);
        dp_client_stats_clear (&stats);
    }
    dp_client_destroy (&client);
    dp_config_destroy (&config);
    return code;
}
