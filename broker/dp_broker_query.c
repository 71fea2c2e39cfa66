/*  dp_broker_query.c — the broker's read-only requests: status, result,
    list, stats and event replay. They read LMDB in short read
    transactions on the reactor thread (readers never wait for the
    committer) and overlay the in-memory state of deals not final yet. */

#include "dp_broker_int.h"

#include <stdlib.h>
#include <string.h>

static int64_t
s_now (void)
{
    return zclock_time ();
}

static int
s_status_of (void *arg, MDB_txn *txn, const char *deal_id)
{
    dp_reactor_t *self = arg;
    dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, deal_id);
    if (deal)
        return dp_store_status_parse (dp_broker_state_status (deal));
    const uint8_t *record;
    size_t len;
    dp_wire_msg_t stored;
    if (dp_store_get (self->store, txn, "deals", deal_id, &record, &len) != DP_OK
        || dp_wire_decode (record, len, 0, 0, &stored, NULL) != DP_OK)
        return DP_ST_NONE;
    int status = dp_store_status_parse (stored.status);
    dp_wire_msg_clear (&stored);
    return status;
}

void
dp_broker_on_status (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg,
                     int result)
{
    MDB_txn *txn = dp_store_read_begin (self->store);
    const uint8_t *record, *data = NULL;
    size_t len, data_len = 0;
    dp_wire_msg_t reply;
    dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, msg->deal_id);
    if (!txn || (deal && deal->state == S_COMMITTING)
        || dp_store_get (self->store, txn, "deals", msg->deal_id, &record, &len) != DP_OK
        || dp_wire_decode (record, len, 0, 0, &reply, NULL) != DP_OK) {
        dp_store_read_end (self->store, &txn);
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_NOTFOUND, "deal_id: no such deal");
        return;
    }
    if (deal) {
        snprintf (reply.status, sizeof reply.status, "%s", dp_broker_state_status (deal));
        reply.attempts = deal->attempts;
        //  A deal back in the queue says why (its events said it too).
        if (deal->state == S_PENDING && deal->requeued_why && !*reply.reason)
            snprintf (reply.reason, sizeof reply.reason, "%s", deal->requeued_why);
    }
    if (result && reply.has_result)
        dp_store_get (self->store, txn, "results", msg->deal_id, &data, &data_len);
    reply.kind = result? DP_WIRE_RESULT_REPLY: DP_WIRE_STATUS_REPLY;
    reply.request_id = msg->request_id;
    snprintf (reply.deal_id, sizeof reply.deal_id, "%s", msg->deal_id);
    reply.data = data;
    reply.data_len = data_len;
    dp_broker_send (self, id, id_len, &reply);
    dp_wire_msg_clear (&reply);
    dp_store_read_end (self->store, &txn);
}

void
dp_broker_on_list (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    int status = *msg->status? dp_store_status_parse (msg->status): DP_ST_NONE;
    if (*msg->status && status == DP_ST_NONE) {
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_INVALID, "status: unknown status");
        return;
    }
    uint32_t limit = msg->limit == 0 || msg->limit > DP_WIRE_LIST_MAX? DP_WIRE_LIST_MAX: msg->limit;
    dp_wire_msg_t reply;
    dp_wire_msg_init (&reply, DP_WIRE_LIST_REPLY, msg->request_id);
    reply.entries = calloc (limit, sizeof *reply.entries);
    MDB_txn *txn = dp_store_read_begin (self->store);
    if (!reply.entries || !txn) {
        free (reply.entries);
        dp_store_read_end (self->store, &txn);
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_NOMEM, "out of memory");
        return;
    }
    dp_store_list (self->store, txn, status, msg->batch, msg->after, limit, s_status_of, self,
                   reply.entries, &reply.count, reply.after);
    dp_store_read_end (self->store, &txn);
    dp_broker_send (self, id, id_len, &reply);
    free (reply.entries);
}

static double
s_rate (const uint64_t buckets [10])
{
    uint64_t sum = 0;
    for (int i = 0; i < 10; i++)
        sum += buckets [i];
    return (double) sum / 10.0;
}

void
dp_broker_on_stats (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    dp_wire_msg_t reply;
    dp_wire_msg_init (&reply, DP_WIRE_STATS_REPLY, msg->request_id);
    dp_wire_stats_t *s = &reply.stats;
    s->epoch = self->epoch;
    s->last_seq = self->published_seq;
    for (int p = 0; p < DP_PRIORITIES; p++)
        s->pending += self->ready [p].count;
    s->pending += self->delayed.count;
    //  The index also holds submits whose commit is under way: not yet
    //  acknowledged, so not counted anywhere.
    s->negotiating = dp_deal_index_size (self->deals) - s->pending - self->committing;
    s->agreed = dp_store_count (self->store, DP_ST_AGREED);
    s->failed = dp_store_count (self->store, DP_ST_FAILED);
    s->verification_failed = dp_store_count (self->store, DP_ST_VERIFICATION_FAILED);
    s->submitted_total = self->submitted_total;
    s->completed_total = self->completed_total;
    s->submit_rate = s_rate (self->rate_submit);
    s->complete_rate = s_rate (self->rate_done);
    int64_t oldest = 0;
    for (int p = 0; p < DP_PRIORITIES; p++)
        if (self->ready [p].head && (!oldest || self->ready [p].head->queued_at_ms < oldest))
            oldest = self->ready [p].head->queued_at_ms;
    s->oldest_pending_ms = oldest? s_now () - oldest: 0;
    dp_store_map_info (self->store, &s->map_size, &s->map_used);
    s->commits = self->commits;
    s->commit_avg_ms = self->commits? self->commit_ms_total / (double) self->commits: 0;
    s->workers = calloc (self->ring_count + 1, sizeof *s->workers);
    for (size_t i = 0; s->workers && i < self->ring_count; i++) {
        dp_qworker_t *w = self->ring [i];
        snprintf (s->workers [i].name, sizeof s->workers [i].name, "%s", w->name);
        s->workers [i].capacity = w->capacity;
        s->workers [i].leased = (uint32_t) w->leases.count;
        s->workers [i].done = w->done;
        s->worker_count++;
    }
    dp_broker_send (self, id, id_len, &reply);
    free (s->workers);
}

//  Replay: events from the store, result events with their result attached.
typedef struct {
    dp_reactor_t *self;
    MDB_txn *txn;
    dp_wire_msg_t *reply;
    dp_wire_msg_t *decoded;         //  one per event: their views stay valid
    size_t bytes;
} s_replay_t;

static dp_status
s_replay_one (void *arg, uint64_t seq, const uint8_t *frame, size_t len)
{
    s_replay_t *r = arg;
    if (r->bytes > (r->self->opt.frame_max / 2))
        return DP_LIMIT;        //  the rest in the next request
    dp_wire_msg_t *decoded = &r->decoded [r->reply->count];
    if (dp_wire_decode (frame, len, 0, 0, decoded, NULL) != DP_OK || decoded->kind != DP_WIRE_EVENT)
        return DP_OK;
    dp_wire_event_t *e = &r->reply->events [r->reply->count++];
    *e = decoded->event;
    if (strcmp (e->type, "result") == 0)
        dp_store_get (r->self->store, r->txn, "results", e->deal_id, &e->data, &e->data_len);
    r->bytes += len + e->data_len;
    return DP_OK;
}

void
dp_broker_on_replay (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    uint32_t limit = msg->limit == 0 || msg->limit > DP_WIRE_REPLAY_MAX? DP_WIRE_REPLAY_MAX: msg->limit;
    dp_wire_msg_t reply;
    dp_wire_msg_init (&reply, DP_WIRE_REPLAY_REPLY, msg->request_id);
    reply.oldest_seq = dp_store_oldest_seq (self->store);
    reply.last_seq = self->published_seq;
    s_replay_t r = { self, dp_store_read_begin (self->store), &reply, NULL, 0 };
    reply.events = calloc (limit, sizeof *reply.events);
    r.decoded = calloc (limit, sizeof *r.decoded);
    uint64_t upto = self->published_seq;
    if (r.txn && reply.events && r.decoded && msg->from_seq <= upto) {
        uint64_t span = upto - msg->from_seq + 1;
        dp_store_events (self->store, r.txn, msg->from_seq, span < limit? (uint32_t) span: limit,
                         s_replay_one, &r);
    }
    if (!r.txn || !reply.events || !r.decoded)
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_NOMEM, "out of memory");
    else
        dp_broker_send (self, id, id_len, &reply);
    for (size_t i = 0; r.decoded && i < limit; i++)
        dp_wire_msg_clear (&r.decoded [i]);
    free (r.decoded);
    free (reply.events);
    dp_store_read_end (self->store, &r.txn);
}

