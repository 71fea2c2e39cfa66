/*  dp_submit_session.c — send batches with per-deal acks; follow events.

    Sending is pipelined (several submits in flight, acks in order), so a
    batch's fsync on the broker overlaps the next batch's transfer. The
    wait keeps the acknowledged ids still to finish in a hash; each final
    "result" event removes one. The subscription starts, before anything
    is sent, from the broker's next sequence number, so the client's gap
    filling covers every event of our deals even if the live stream joins
    late, drops, or the broker restarts. */

#include "dp_submit_session.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "dp_client.h"
#include "dp_json.h"
#include "dp_limits.h"
#include "dp_log.h"
#include "dp_submit_cli.h"
#include "dp_submit_progress.h"
#include "dp_submit_show.h"

#define S_PIPELINE_DEPTH 4
#define S_EVENT_WAIT_MS 500
//  After this long without any event while deals are outstanding, ask the
//  broker for their status directly (a safety net; normally unused).
#define S_QUIET_POLL_MS 15000

struct dp_submit_session_t {
    dp_submit_session_options_t options;
    dp_client_t *client;
    zhashx_t *waiting;          //  deal_id -> non-NULL: acknowledged, not final
    zlistx_t *final_at_ack;     //  ids already final when acknowledged
    size_t done, agreed, failed;
};

dp_submit_session_t *
dp_submit_session_new (const dp_submit_session_options_t *options, dp_error_t *err)
{
    dp_submit_session_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->options = *options;
    if (self->options.timeout_ms <= 0)
        self->options.timeout_ms = 10000;
    if (self->options.batch_size == 0)
        self->options.batch_size = 1000;
    self->waiting = zhashx_new ();
    self->final_at_ack = zlistx_new ();
    if (!self->waiting || !self->final_at_ack) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        dp_submit_session_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->final_at_ack, (zlistx_destructor_fn *) zstr_free);
    self->client = dp_client_new (options->endpoint, self->options.timeout_ms, err);
    dp_wire_stats_t stats;
    if (!self->client
    ||  dp_client_stats (self->client, &stats, err) != DP_OK) {
        dp_error_prefix (err, "broker %s", options->endpoint);
        dp_submit_session_destroy (&self);
        return NULL;
    }
    uint64_t from = stats.last_seq + 1;
    dp_client_stats_clear (&stats);
    if (dp_client_subscribe (self->client, from, err) != DP_OK) {
        dp_error_prefix (err, "events of %s", options->endpoint);
        dp_submit_session_destroy (&self);
        return NULL;
    }
    return self;
}

//  Writes an acknowledged id where it was asked for.
static dp_status
s_record_ack (dp_submit_session_t *self, const dp_wire_ack_t *ack, dp_error_t *err)
{
    if (self->options.ids) {
        size_t len = strlen (ack->deal_id);
        if (dp_submit_cli_write_line (self->options.ids, ack->deal_id, len, err) != DP_OK)
            return dp_error_prefix (err, "--ids");
    }
    if (self->options.print_ids) {
        if (self->options.json)
            printf ("{\"deal_id\":\"%s\",\"status\":\"%s\"}\n", ack->deal_id, ack->status);
        else
            printf ("%s\n", ack->deal_id);
        fflush (stdout);
    }
    return DP_OK;
}

static int
s_is_final (const char *status)
{
    return strcmp (status, "agreed") == 0 || strcmp (status, "failed") == 0
        || strcmp (status, "verification_failed") == 0;
}

//  Handles the acks of one submit whose items started at deals[first].
static dp_status
s_on_acks (dp_submit_session_t *self, dp_submit_deals_t *deals, size_t first,
           const dp_wire_ack_t *acks, size_t count, size_t *acked, size_t *refused,
           dp_error_t *err)
{
    for (size_t i = 0; i < count; i++) {
        const dp_wire_ack_t *ack = &acks [i];
        const dp_submit_deal_t *deal = dp_submit_deals_get (deals, first + i);
        if (ack->code != DP_OK) {
            fprintf (stderr, "%s:%zu: %s\n", deal? deal->file: "?", deal? deal->line: (size_t) 0,
                     ack->text [0]? ack->text: dp_status_message (ack->code));
            (*refused)++;
            continue;
        }
        (*acked)++;
        if (s_record_ack (self, ack, err) != DP_OK)
            return err->code;
        if (s_is_final (ack->status))
            zlistx_add_end (self->final_at_ack, strdup (ack->deal_id));
        else
            zhashx_insert (self->waiting, ack->deal_id, (void *) 1);
    }
    return DP_OK;
}

//  Fills items from deals[first..) within the batch limits; returns count.
static size_t
s_fill_batch (dp_submit_session_t *self, dp_submit_deals_t *deals, size_t first,
              dp_wire_item_t *items)
{
    size_t max = self->options.batch_size, bytes = 0;
    uint32_t broker_max = dp_client_batch_max (self->client);
    if (broker_max && max > broker_max)
        max = broker_max;
    uint64_t bytes_max = dp_limits_default ()->batch_bytes_max;
    size_t count = 0;
    while (count < max && first + count < dp_submit_deals_count (deals)) {
        const dp_submit_deal_t *deal = dp_submit_deals_get (deals, first + count);
        if (count > 0 && bytes + deal->body_len > bytes_max)
            break;
        items [count].envelope = deal->envelope;
        items [count].body = (const uint8_t *) deal->body;
        items [count].body_len = deal->body_len;
        bytes += deal->body_len;
        count++;
    }
    return count;
}

//  Receives the oldest outstanding submit's acks.
static dp_status
s_collect (dp_submit_session_t *self, dp_submit_deals_t *deals, size_t *firsts, size_t *head,
           dp_wire_ack_t *acks, size_t *acked, size_t *refused, dp_error_t *err)
{
    size_t count = 0;
    dp_status rc = dp_client_submit_recv (self->client, acks, &count, err);
    if (rc != DP_OK)
        return rc;
    rc = s_on_acks (self, deals, firsts [*head % S_PIPELINE_DEPTH], acks, count, acked, refused, err);
    (*head)++;
    return rc;
}

dp_status
dp_submit_session_send (dp_submit_session_t *self, dp_submit_deals_t *deals, size_t *acked,
                        size_t *refused, dp_error_t *err)
{
    *acked = *refused = 0;
    size_t total = dp_submit_deals_count (deals), batch = self->options.batch_size;
    dp_wire_item_t *items = calloc (batch, sizeof *items);
    dp_wire_ack_t *acks = calloc (batch, sizeof *acks);
    size_t firsts [S_PIPELINE_DEPTH], head = 0, tail = 0, next = 0;
    dp_status rc = items && acks? DP_OK: dp_error_set (err, DP_NOMEM, "out of memory");
    while (rc == DP_OK && (next < total || head < tail)) {
        if (next < total && tail - head < S_PIPELINE_DEPTH) {
            size_t count = s_fill_batch (self, deals, next, items);
            rc = dp_client_submit_send (self->client, items, count, err);
            firsts [tail++ % S_PIPELINE_DEPTH] = next;
            next += count;
        }
        else
            rc = s_collect (self, deals, firsts, &head, acks, acked, refused, err);
    }
    free (items);
    free (acks);
    if (rc != DP_OK)
        dp_error_prefix (err, "submit (%zu acknowledged before)", *acked);
    return rc;
}

size_t
dp_submit_session_outstanding (dp_submit_session_t *self)
{
    return zhashx_size (self->waiting) + zlistx_size (self->final_at_ack);
}

typedef struct {
    FILE *out;
    dp_submit_summary_t *summary;
    dp_submit_progress_t *progress;
} s_sinks_t;

static const char *
s_text_field (json_object *object, const char *key)
{
    json_object *value;
    if (!json_object_object_get_ex (object, key, &value) || !json_object_is_type (value, json_type_string))
        return NULL;
    return json_object_get_string (value);
}

//  One final result: out file, callback, summary, progress.
static dp_status
s_deliver (dp_submit_session_t *self, const char *deal_id, const char *json, size_t len,
           s_sinks_t *sinks, dp_error_t *err)
{
    json_object *result = NULL;
    dp_error_t parse_err;
    if (dp_json_parse (json, len, &result, &parse_err) != DP_OK)
        dp_log_warn ("submit: deal=%s result is not JSON: %s", deal_id, parse_err.text);
    if (sinks->out && dp_submit_cli_write_line (sinks->out, json, len, err) != DP_OK) {
        json_object_put (result);
        return dp_error_prefix (err, "--out");
    }
    if (self->options.on_result && result)
        self->options.on_result (self->options.on_result_arg, json, len, result);
    const char *status = result? s_text_field (result, "status"): NULL;
    json_object *price = NULL;
    if (result)
        json_object_object_get_ex (result, "final_price", &price);
    status = status? status: "unreadable";
    dp_status rc = DP_OK;
    if (sinks->summary)
        rc = dp_submit_summary_add (sinks->summary, status, dp_submit_show_cents (price),
                                    result? s_text_field (result, "reason"): "result is not JSON");
    self->done++;
    if (strcmp (status, "agreed") == 0)
        self->agreed++;
    else
        self->failed++;
    json_object_put (result);       //  status points into it
    dp_submit_progress_update (sinks->progress, self->done, self->agreed, self->failed);
    zhashx_delete (self->waiting, deal_id);
    return rc == DP_OK? DP_OK: dp_error_set (err, rc, "out of memory");
}

//  Fetches a final deal's stored result and delivers it. DP_NOTFOUND when
//  it has none yet.
static dp_status
s_fetch (dp_submit_session_t *self, const char *deal_id, s_sinks_t *sinks, dp_error_t *err)
{
    dp_client_result_t result;
    memset (&result, 0, sizeof result);
    dp_status rc = dp_client_result (self->client, deal_id, &result, err);
    if (rc == DP_OK && !result.json)
        rc = DP_NOTFOUND;
    if (rc == DP_OK)
        rc = s_deliver (self, deal_id, result.json, result.json_len, sinks, err);
    dp_client_result_clear (&result);
    return rc;
}

//  Safety net after a quiet period: asks for the status of up to 1000
//  outstanding deals and fetches the final ones. DP_OK, or the client's
//  error when the broker does not answer.
static dp_status
s_poll (dp_submit_session_t *self, s_sinks_t *sinks, dp_error_t *err)
{
    zlistx_t *ids = zhashx_keys (self->waiting);
    if (!ids)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    dp_status rc = DP_OK;
    size_t asked = 0;
    for (const char *id = zlistx_first (ids); id && rc == DP_OK && asked < 1000;
         id = zlistx_next (ids), asked++) {
        dp_client_deal_t deal;
        rc = dp_client_status (self->client, id, &deal, err);
        if (rc == DP_OK && s_is_final (deal.status)) {
            rc = s_fetch (self, id, sinks, err);
            if (rc == DP_NOTFOUND)
                rc = DP_OK;
        }
        else
        if (rc == DP_NOTFOUND)
            rc = DP_OK;         //  not stored yet: an event will tell
    }
    zlistx_destroy (&ids);
    return rc;
}

//  One event: a result of ours is delivered, everything else ignored.
static dp_status
s_on_event (dp_submit_session_t *self, const dp_wire_event_t *event, s_sinks_t *sinks,
            dp_error_t *err)
{
    if (strcmp (event->type, "result") != 0 || !zhashx_lookup (self->waiting, event->deal_id))
        return DP_OK;
    if (event->data && event->data_len > 0)
        return s_deliver (self, event->deal_id, (const char *) event->data, event->data_len, sinks, err);
    dp_status rc = s_fetch (self, event->deal_id, sinks, err);
    return rc == DP_NOTFOUND? DP_OK: rc;
}

//  Deals that were already final when acknowledged (resubmitted): their
//  results are fetched at once, since no event will announce them.
static dp_status
s_fetch_final_at_ack (dp_submit_session_t *self, s_sinks_t *sinks, dp_error_t *err)
{
    char *id;
    while ((id = zlistx_first (self->final_at_ack))) {
        dp_status rc = s_fetch (self, id, sinks, err);
        if (rc != DP_OK && rc != DP_NOTFOUND)
            return rc;
        zlistx_delete (self->final_at_ack, zlistx_cursor (self->final_at_ack));
    }
    return DP_OK;
}

dp_status
dp_submit_session_wait (dp_submit_session_t *self, FILE *out, dp_submit_summary_t *summary,
                        dp_submit_progress_t *progress, volatile sig_atomic_t *stop,
                        dp_error_t *err)
{
    s_sinks_t sinks = { out, summary, progress };
    dp_submit_progress_set_total (progress, dp_submit_session_outstanding (self));
    dp_status rc = s_fetch_final_at_ack (self, &sinks, err);
    if (rc != DP_OK)
        return rc;
    int64_t started = dp_submit_clock_ms (), last_heard = started;
    int64_t silence_max = self->options.timeout_ms * 6 > 60000? self->options.timeout_ms * 6: 60000;
    while (zhashx_size (self->waiting) > 0) {
        int64_t now = dp_submit_clock_ms ();
        if (stop && *stop)
            return dp_error_set (err, DP_TIMEOUT, "interrupted with %zu deals still running",
                                 zhashx_size (self->waiting));
        if (self->options.wait_timeout_s > 0 && now - started > self->options.wait_timeout_s * 1000LL)
            return dp_error_set (err, DP_TIMEOUT, "%zu deals not final after %d s",
                                 zhashx_size (self->waiting), self->options.wait_timeout_s);
        dp_wire_event_t event;
        rc = dp_client_next_event (self->client, S_EVENT_WAIT_MS, &event, err);
        if (rc == DP_OK) {
            last_heard = now;
            rc = s_on_event (self, &event, &sinks, err);
            if (rc != DP_OK)
                return rc;
            continue;
        }
        if (rc == DP_NOTFOUND)
            dp_log_warn ("submit: %s; asking for the outstanding deals directly", err->text);
        else
        if (rc != DP_TIMEOUT)
            return rc;
        if (rc == DP_TIMEOUT && now - last_heard < S_QUIET_POLL_MS)
            continue;
        rc = s_poll (self, &sinks, err);
        if (rc == DP_OK)
            last_heard = now;
        else
        if ((rc == DP_TIMEOUT || rc == DP_UNREACHABLE) && now - last_heard > silence_max)
            return dp_error_set (err, DP_UNREACHABLE, "broker %s silent for %lld s with %zu deals outstanding",
                                 self->options.endpoint, (long long) (now - last_heard) / 1000,
                                 zhashx_size (self->waiting));
        else
        if (rc != DP_TIMEOUT && rc != DP_UNREACHABLE)
            return rc;
    }
    dp_submit_progress_update (progress, self->done, self->agreed, self->failed);
    return DP_OK;
}

void
dp_submit_session_destroy (dp_submit_session_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_submit_session_t *self = *self_p;
    dp_client_destroy (&self->client);
    zhashx_destroy (&self->waiting);
    zlistx_destroy (&self->final_at_ack);
    free (self);
    *self_p = NULL;
}
