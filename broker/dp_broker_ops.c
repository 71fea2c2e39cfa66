/*  dp_broker_ops.c — the broker's protocol handlers and deal state machine.

    A deal's life in memory: COMMITTING (its submit is in a group not yet
    committed) → PENDING (on a ready list) → LEASED (on a worker's list, or
    on the orphan list after a restart) → FINISHING (its result is being
    committed) → gone from memory (final deals live only in LMDB).

    Every change that matters is an op in the next group; its event is
    stored in the same transaction and published only after the commit, so
    no subscriber ever sees a state the store could lose. Leases are sent
    before their op commits (dispatch never waits for fsync): if the broker
    dies first, the lease is simply unknown after the restart and the
    worker's result is refused as stale; the deal runs again. */

#include "dp_broker_int.h"

#include <stdlib.h>
#include <string.h>

#include "dp_frames.h"
#include "dp_hex.h"
#include "dp_log.h"
#include "dp_sha256.h"
#include "dp_text.h"

int64_t
dp_broker_now (void)
{
    return zclock_time ();
}

void
dp_broker_reply_error (dp_reactor_t *self, const uint8_t *id, size_t id_len, uint64_t request_id,
               dp_status code, const char *text)
{
    dp_wire_msg_t reply;
    dp_wire_msg_init (&reply, DP_WIRE_ERROR, request_id);
    reply.code = code;
    dp_text_copy (reply.text, sizeof reply.text, text);
    dp_broker_send (self, id, id_len, &reply);
}

//  A reply that goes out when the next group has committed. Replies are
//  kept on a free list once sent: under load every result has one, and a
//  fresh calloc of the 4.6 KB message each time showed in the profile.
static dp_qreply_t *
s_reply_new (dp_reactor_t *self, const uint8_t *id, size_t id_len, int kind, uint64_t request_id)
{
    dp_qreply_t *reply = self->free_replies;
    if (reply) {
        self->free_replies = reply->next;
        self->free_reply_count--;
    }
    else
    if (!(reply = malloc (sizeof *reply)))
        return NULL;
    memcpy (reply->id, id, id_len);
    reply->id_len = id_len;
    reply->next = NULL;
    dp_wire_msg_init (&reply->msg, kind, request_id);
    return reply;
}

//  A reply done with (sent, or made and never queued) goes back to the
//  free list, which keeps at most 512.
static void
s_reply_recycle (dp_reactor_t *self, dp_qreply_t **reply_p)
{
    dp_qreply_t *reply = *reply_p;
    if (!reply)
        return;
    dp_wire_msg_clear (&reply->msg);
    if (self->free_reply_count < 512) {
        reply->next = self->free_replies;
        self->free_replies = reply;
        self->free_reply_count++;
    }
    else
        free (reply);
    *reply_p = NULL;
}

//  Appended at the tail so replies leave in the order they were made.
static void
s_reply_queue (dp_reactor_t *self, dp_qreply_t *reply)
{
    dp_group_t *group = self->accum;
    void **tail = group->replies_tail? group->replies_tail: &group->replies;
    *tail = reply;
    group->replies_tail = (void **) &reply->next;
}

dp_qreply_t *
dp_broker_reply_later (dp_reactor_t *self, const uint8_t *id, size_t id_len, int kind,
                       uint64_t request_id)
{
    dp_qreply_t *reply = s_reply_new (self, id, id_len, kind, request_id);
    if (reply)
        s_reply_queue (self, reply);
    return reply;
}

const char *
dp_broker_state_status (const dp_qdeal_t *deal)
{
    return dp_store_status_name (deal->state == S_LEASED || deal->state == S_FINISHING
                                 ? DP_ST_NEGOTIATING: DP_ST_PENDING);
}

//  Builds the durable event of an op (stored with it, published after it).
void
dp_broker_op_event (dp_reactor_t *self, dp_op_t *op, const char *type, const char *status,
            const char *reason, const char *batch, uint32_t attempt,
            const uint8_t *data, size_t data_len)
{
    dp_wire_msg_t *msg = &self->event_msg;
    dp_wire_event_t *e = &msg->event;
    e->epoch = self->epoch;
    e->seq = ++self->seq;
    dp_text_copy (e->type, sizeof e->type, type);
    dp_text_copy (e->deal_id, sizeof e->deal_id, op->deal_id);
    dp_text_copy (e->status, sizeof e->status, status);
    dp_text_copy (e->reason, sizeof e->reason, reason);
    dp_text_copy (e->batch, sizeof e->batch, batch? batch: "");
    e->time_ms = dp_broker_now ();
    e->attempt = attempt;
    e->data = data;
    e->data_len = data_len;
    op->seq = e->seq;
    if (dp_wire_encode (msg, &op->event, &op->event_len, NULL) != DP_OK)
        op->event = NULL;
    //  A result's live event carries the result itself; the stored one does
    //  not (a replay attaches it from the results database). Both are made
    //  here, once, rather than decoding the stored one again at publish.
    if (op->event && op->type == DP_OP_FINAL && op->data_len) {
        e->data = op->data;
        e->data_len = op->data_len;
        if (dp_wire_encode (msg, &op->live_event, &op->live_event_len, NULL) != DP_OK)
            op->live_event = NULL;
    }
    e->data = NULL;             //  a view: not kept past this call
    e->data_len = 0;
}

dp_op_t *
dp_broker_op (dp_reactor_t *self, dp_op_type type, const char *deal_id)
{
    dp_op_t *op = dp_group_add (self->accum);
    if (!op) {
        dp_log_error ("broker: out of memory for an op: stopping");
        self->failed = true;
        return NULL;
    }
    op->type = type;
    dp_text_copy (op->deal_id, sizeof op->deal_id, deal_id);
    return op;
}

void
dp_broker_fill_active (dp_op_t *op, const dp_qdeal_t *deal, int status)
{
    op->active.version = 1;
    op->active.status = (uint8_t) status;
    op->active.priority = deal->priority;
    op->active.attempts = deal->attempts;
    op->active.order = deal->order;
    op->active.token = status == DP_ST_NEGOTIATING? deal->token: 0;
    op->active.deadline_ms = status == DP_ST_NEGOTIATING? deal->deadline_ms: 0;
    op->active.submitted_at_ms = deal->submitted_at_ms;
    memcpy (op->active.body_sha256, deal->body_sha256, 32);
    dp_text_copy (op->batch, sizeof op->batch, deal->batch);
}

static void
s_deal_free (dp_reactor_t *self, dp_qdeal_t *deal)
{
    dp_qlist_remove (deal);
    dp_deal_index_delete (self->deals, deal->id);
    free (deal->batch);
    free (deal);
}

//  --------------------------------------------------------------------------
//  Workers

static void
s_hex_key (const uint8_t *id, size_t id_len, char *key)
{
    dp_hex_encode (id, id_len, key);
}

static dp_qworker_t *
s_worker_lookup (dp_reactor_t *self, const uint8_t *id, size_t id_len)
{
    char key [2 * DP_IDENTITY_MAX + 1];
    s_hex_key (id, id_len, key);
    return zhashx_lookup (self->workers, key);
}

static void s_lease_lost (dp_reactor_t *self, dp_qdeal_t *deal, const char *why);

static void
s_worker_remove (dp_reactor_t *self, dp_qworker_t *worker, const char *why)
{
    dp_log_info ("broker: worker gone worker=%s leases=%zu reason=%s", worker->name,
                 worker->leases.count, why);
    while (worker->leases.head)
        s_lease_lost (self, worker->leases.head, why);
    for (size_t i = 0; i < self->ring_count; i++)
        if (self->ring [i] == worker) {
            memmove (&self->ring [i], &self->ring [i + 1],
                     (self->ring_count - i - 1) * sizeof *self->ring);
            self->ring_count--;
            break;
        }
    zhashx_delete (self->workers, worker->key);
    dp_qworker_destroy (&worker);
}

void
dp_qworker_destroy (dp_qworker_t **self_p)
{
    dp_qworker_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->pending_count; i++)
        free (self->pending [i]);
    free (self->pending);
    free (self->pending_len);
    free (self->pending_deals);
    free (self);
    *self_p = NULL;
}

static dp_qworker_t *
s_worker_add (dp_reactor_t *self, const uint8_t *id, size_t id_len)
{
    dp_qworker_t *worker = calloc (1, sizeof *worker);
    dp_qworker_t **ring = realloc (self->ring, (self->ring_count + 1) * sizeof *ring);
    if (!worker || !ring) {
        free (worker);
        if (ring)
            self->ring = ring;
        return NULL;
    }
    self->ring = ring;
    memcpy (worker->id, id, id_len);
    worker->id_len = id_len;
    s_hex_key (id, id_len, worker->key);
    zhashx_insert (self->workers, worker->key, worker);
    self->ring [self->ring_count++] = worker;
    return worker;
}

//  Sends a heartbeat to every worker; ROUTER_MANDATORY makes a send to a
//  vanished connection fail, which tells us at once who disconnected.
void
dp_broker_probe_workers (dp_reactor_t *self)
{
    dp_wire_msg_t beat;
    dp_wire_msg_init (&beat, DP_WIRE_HEARTBEAT, 0);
    beat.epoch = self->epoch;
    for (size_t i = 0; i < self->ring_count;) {
        dp_qworker_t *worker = self->ring [i];
        if (dp_broker_send (self, worker->id, worker->id_len, &beat) != 0)
            s_worker_remove (self, worker, "worker vanished");
        else
            i++;
    }
}

//  --------------------------------------------------------------------------
//  Leases

static void
s_make_ready (dp_reactor_t *self, dp_qdeal_t *deal)
{
    deal->state = S_PENDING;
    deal->worker = NULL;
    deal->token = 0;
    deal->queued_at_ms = dp_broker_now ();
    dp_qlist_insert_ordered (&self->ready [deal->priority % DP_PRIORITIES], deal);
}

//  The deal's data hash (SPEC §4) as a JSON value: "hex", or null when the
//  deal has none or its record cannot be read.
static void
s_data_hash_json (dp_reactor_t *self, const char *deal_id, char *out, size_t size)
{
    snprintf (out, size, "null");
    const uint8_t *record;
    size_t record_len;
    dp_wire_msg_t msg;
    MDB_txn *txn = dp_store_read_begin (self->store);
    if (txn && dp_store_get (self->store, txn, "deals", deal_id, &record, &record_len) == DP_OK
        && dp_wire_decode_from (record, record_len, 0, &msg, NULL) == DP_OK) {
        //  Checked at submit: empty or 64 lower-case hex digits.
        if (msg.envelope.data_hash [0])
            snprintf (out, size, "\"%s\"", msg.envelope.data_hash);
        dp_wire_msg_clear (&msg);
    }
    dp_store_read_end (self->store, &txn);
}

//  The broker's own result for a deal it fails (SPEC §3): one that
//  exhausted its attempts (poison), or whose stored job cannot be read.
static void
s_fail (dp_reactor_t *self, dp_qdeal_t *deal, const char *reason)
{
    char json [1024], data_hash [80];
    s_data_hash_json (self, deal->id, data_hash, sizeof data_hash);
    //  deal ids are [A-Za-z0-9._:-] only, so they need no JSON escaping.
    int len = snprintf (json, sizeof json,
        "{\"agreed\":false,\"attestation\":null,\"completion_tx\":null,\"data_hash\":%s,"
        "\"data_verification_attestation\":null,\"deal_id\":\"%s\",\"dkim_verification\":null,"
        "\"escrow_tx\":null,\"final_price\":null,\"reason\":\"%s\",\"signature\":null,"
        "\"signer\":null,\"status\":\"failed\",\"terms\":null,\"transcript\":[]}",
        data_hash, deal->id, reason);
    dp_op_t *op = dp_broker_op (self, DP_OP_FINAL, deal->id);
    if (!op)
        return;
    op->new_status = DP_ST_FAILED;
    op->active.order = deal->order;     //  the body's key
    op->attempts = deal->attempts;
    dp_text_copy (op->reason, sizeof op->reason, reason);
    op->data = malloc ((size_t) len);
    if (op->data) {
        memcpy (op->data, json, (size_t) len);
        op->data_len = (size_t) len;
    }
    dp_broker_op_event (self, op, "result", "failed", reason, deal->batch, deal->attempts,
                NULL, 0);
    op->ctx = deal;
    dp_qlist_remove (deal);
    deal->state = S_FINISHING;
    deal->worker = NULL;
    dp_log_warn ("broker: failed deal=%s attempts=%u reason=%s", deal->id, deal->attempts, reason);
}

static void
s_poison (dp_reactor_t *self, dp_qdeal_t *deal)
{
    char reason [64];
    snprintf (reason, sizeof reason, "poison: %u attempts", deal->attempts);
    s_fail (self, deal, reason);
}

//  A lease whose job never reached its worker (the send failed) or that its
//  worker says it does not hold: back to the queue without an attempt, as
//  nothing can have run it. why is a string literal: a status query of the
//  pending deal shows it.
static void
s_lease_return (dp_reactor_t *self, dp_qdeal_t *deal, const char *why)
{
    deal->requeued_why = why;
    dp_qlist_remove (deal);
    s_make_ready (self, deal);
    dp_op_t *op = dp_broker_op (self, DP_OP_ACTIVE, deal->id);
    if (!op)
        return;
    dp_broker_fill_active (op, deal, DP_ST_PENDING);
    op->new_status = DP_ST_PENDING;
    dp_broker_op_event (self, op, "status", "pending", why, deal->batch, deal->attempts, NULL, 0);
}

//  A lease whose worker vanished or whose deadline passed: it counts as an
//  attempt (SPEC §2); the deal goes back to the queue or is poisoned.
static void
s_lease_lost (dp_reactor_t *self, dp_qdeal_t *deal, const char *why)
{
    deal->attempts++;
    if (deal->attempts >= self->opt.max_attempts)
        s_poison (self, deal);
    else
        s_lease_return (self, deal, why);
}

//  A send to the worker failed: the jobs in it go back to the queue, and
//  the worker gets no more until it is heard from (if it is gone, its
//  heartbeats stop and it is removed).
static void
s_jobs_not_sent (dp_reactor_t *self, dp_qworker_t *worker, dp_qdeal_t **deals, size_t count)
{
    worker->stalled = true;
    dp_log_info ("broker: jobs not delivered worker=%s count=%zu: back to the queue",
                 worker->name, count);
    for (size_t i = 0; i < count; i++)
        if (deals [i]->state == S_LEASED && deals [i]->worker == worker)
            s_lease_return (self, deals [i], "job not delivered");
}

static dp_qdeal_t *
s_next_ready (dp_reactor_t *self)
{
    for (int p = DP_PRIORITIES - 1; p >= 0; p--)
        if (self->ready [p].head)
            return self->ready [p].head;
    return NULL;
}

static dp_qworker_t *
s_next_worker (dp_reactor_t *self)
{
    for (size_t n = 0; n < self->ring_count; n++) {
        dp_qworker_t *worker = self->ring [(self->ring_next + n) % self->ring_count];
        if (worker->leases.count < worker->capacity && !worker->stalled) {
            self->ring_next = (self->ring_next + n + 1) % self->ring_count;
            return worker;
        }
    }
    return NULL;
}

//  Sends a worker's pending jobs: one `jobs` message (a lone job goes as
//  it is). Jobs that cannot be sent go back to the queue.
static void
s_flush_jobs (dp_reactor_t *self, dp_qworker_t *worker)
{
    size_t count = worker->pending_count;
    if (count == 0)
        return;
    uint8_t *frame = worker->pending [0];
    size_t len = worker->pending_len [0];
    dp_error_t err;
    if (count > 1) {
        if (dp_wire_encode_jobs ((const uint8_t *const *) worker->pending, worker->pending_len,
                                 count, &frame, &len, &err) != DP_OK) {
            dp_log_error ("broker: cannot encode jobs for worker=%s: %s", worker->name, err.text);
            frame = NULL;
        }
        for (size_t i = 0; i < count; i++)
            free (worker->pending [i]);
    }
    worker->pending_count = 0;
    worker->pending_bytes = 0;
    if (!frame || dp_broker_send_frame (self, worker->id, worker->id_len, frame, len, "jobs") != 0)
        s_jobs_not_sent (self, worker, worker->pending_deals, count);
}

//  Holds a `job` frame for its worker's next `jobs`: a dispatch hands out
//  many jobs at once, and one ZeroMQ message each cost the broker, both
//  I/O threads and the worker more than the jobs themselves.
static int
s_pend_job (dp_reactor_t *self, dp_qworker_t *worker, uint8_t *frame, size_t len,
            dp_qdeal_t *deal)
{
    if (worker->pending_count == DP_WIRE_JOBS_MAX
        || (worker->pending_count && worker->pending_bytes + len > DP_BROKER_JOBS_BYTES))
        s_flush_jobs (self, worker);
    if (worker->pending_count == worker->pending_cap) {
        //  Each array is replaced as soon as it has grown, so a failure
        //  half way leaves the old ones valid (and some larger than cap).
        size_t cap = worker->pending_cap? worker->pending_cap * 2: 64;
        uint8_t **pending = realloc (worker->pending, cap * sizeof *pending);
        if (pending)
            worker->pending = pending;
        size_t *pending_len = pending? realloc (worker->pending_len, cap * sizeof *pending_len): NULL;
        if (pending_len)
            worker->pending_len = pending_len;
        dp_qdeal_t **deals = pending_len? realloc (worker->pending_deals, cap * sizeof *deals): NULL;
        if (!deals) {
            free (frame);
            return -1;
        }
        worker->pending_deals = deals;
        worker->pending_cap = cap;
    }
    worker->pending [worker->pending_count] = frame;
    worker->pending_len [worker->pending_count] = len;
    worker->pending_deals [worker->pending_count++] = deal;
    worker->pending_bytes += len;
    return 0;
}

//  Reads envelope and body from the store and sends the job (or holds it
//  for the worker's `jobs`, sent at the end of the dispatch). 0 when sent
//  or held, -1 when not sent, -2 when the stored job cannot be read.
static int
s_send_job (dp_reactor_t *self, MDB_txn *txn, dp_qdeal_t *deal, dp_qworker_t *worker)
{
    const uint8_t *record, *body;
    size_t record_len, body_len, offset, span;
    //  The envelope goes out as it is stored (the record's first field),
    //  not decoded and encoded again for every delivery.
    dp_wire_msg_t *job = &self->job_msg;
    if (dp_store_get (self->store, txn, "deals", deal->id, &record, &record_len) != DP_OK
        || dp_store_get_body (self->store, txn, deal->order, &body, &body_len) != DP_OK
        || dp_wire_field_span (record, record_len, 0, &offset, &span, NULL) != DP_OK) {
        dp_log_error ("broker: deal=%s: record or body unreadable", deal->id);
        return -2;
    }
    job->envelope_raw = record + offset;
    job->envelope_raw_len = span;
    job->body = body;
    job->body_len = body_len;
    job->token = deal->token;
    job->attempt = deal->attempts + 1;
    job->lease_ms = self->opt.lease_ms;
    int rc;
    if (worker->takes_jobs) {
        uint8_t *frame;
        size_t len;
        rc = dp_wire_encode (job, &frame, &len, NULL) == DP_OK
           ? s_pend_job (self, worker, frame, len, deal): -1;
    }
    else
        rc = dp_broker_send (self, worker->id, worker->id_len, job);
    job->body = job->envelope_raw = NULL;       //  views into this read transaction
    return rc;
}

static void
s_lease (dp_reactor_t *self, MDB_txn *txn, dp_qdeal_t *deal, dp_qworker_t *worker)
{
    dp_qlist_remove (deal);
    deal->state = S_LEASED;
    deal->worker = worker;
    deal->token = (self->epoch << 40) | (++self->tokens & ((1ull << 40) - 1));
    deal->deadline_ms = dp_broker_now () + self->opt.lease_ms;
    dp_qlist_push (&worker->leases, deal);
    int sent = s_send_job (self, txn, deal, worker);
    if (sent == -2) {
        //  A job that cannot be read now never will be: retrying it would
        //  hold a worker's credit for ever.
        s_fail (self, deal, "job unreadable in the store");
        return;
    }
    if (sent != 0) {
        //  Nothing is recorded for this lease yet: undo it in memory.
        worker->stalled = true;
        dp_qlist_remove (deal);
        s_make_ready (self, deal);
        dp_log_info ("broker: job not delivered deal=%s worker=%s", deal->id, worker->name);
        return;
    }
    dp_op_t *op = dp_broker_op (self, DP_OP_ACTIVE, deal->id);
    if (!op)
        return;
    dp_broker_fill_active (op, deal, DP_ST_NEGOTIATING);
    op->new_status = DP_ST_NEGOTIATING;
    dp_broker_op_event (self, op, "status", "negotiating", "", deal->batch, deal->attempts + 1, NULL, 0);
}

void
dp_broker_dispatch (dp_reactor_t *self)
{
    if (self->failed || !s_next_ready (self))
        return;
    MDB_txn *txn = NULL;
    dp_qdeal_t *deal;
    dp_qworker_t *worker;
    while ((deal = s_next_ready (self)) && (worker = s_next_worker (self))) {
        if (!txn && !(txn = dp_store_read_begin (self->store)))
            return;
        s_lease (self, txn, deal, worker);
    }
    dp_store_read_end (self->store, &txn);
    for (size_t i = 0; i < self->ring_count; i++)
        s_flush_jobs (self, self->ring [i]);
}

//  --------------------------------------------------------------------------
//  Recovery

void
dp_broker_recover (dp_reactor_t *self, const char *deal_id, const dp_store_active_t *rec,
                   const char *batch)
{
    dp_qdeal_t *deal = calloc (1, sizeof *deal);
    char *copy = strdup (batch);
    size_t id_len = strlen (deal_id);
    if (!deal || !copy || id_len >= sizeof deal->id || !dp_wire_deal_id_valid (deal_id)) {
        free (deal);
        free (copy);
        return;
    }
    memcpy (deal->id, deal_id, id_len + 1);
    deal->batch = copy;
    deal->priority = rec->priority % DP_PRIORITIES;
    deal->attempts = rec->attempts;
    deal->order = rec->order;
    deal->submitted_at_ms = rec->submitted_at_ms;
    memcpy (deal->body_sha256, rec->body_sha256, 32);
    if (dp_deal_index_insert (self->deals, deal) != 0) {
        dp_log_error ("broker: out of memory recovering deal=%s", deal->id);
        free (deal->batch);
        free (deal);
        return;
    }
    self->recovered++;
    if (rec->status == DP_ST_NEGOTIATING) {
        //  SPEC §2: a lease stays valid until its deadline after a restart.
        deal->state = S_LEASED;
        deal->token = rec->token;
        deal->deadline_ms = rec->deadline_ms;
        dp_qlist_push (&self->orphans, deal);
    }
    else {
        deal->state = S_PENDING;
        deal->queued_at_ms = rec->submitted_at_ms;
        dp_qlist_push (&self->ready [deal->priority], deal);
    }
}

//  --------------------------------------------------------------------------
//  Worker messages

static void
s_on_hello_worker (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    dp_qworker_t *worker = s_worker_lookup (self, id, id_len);
    if (!worker && !(worker = s_worker_add (self, id, id_len))) {
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_NOMEM, "out of memory");
        return;
    }
    dp_text_copy (worker->name, sizeof worker->name, msg->name);
    worker->capacity = self->draining? 0: msg->capacity;
    worker->last_seen_ms = dp_broker_now ();
    worker->stalled = false;
    //  A reconnecting worker names the leases it still holds: those still
    //  valid are renewed under it (after a restart they are orphans). A
    //  worker this broker knew already names all it holds (when the list
    //  is not cut at its limit): leases it had here and does not name
    //  never reached it, and go back to the queue.
    dp_qlist_t held = worker->leases;
    for (dp_qdeal_t *deal = held.head; deal; deal = deal->next)
        deal->list = &held;
    worker->leases = (dp_qlist_t) { 0 };
    for (size_t i = 0; i < msg->lease_count; i++) {
        dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, msg->leases [i].deal_id);
        if (!deal || deal->state != S_LEASED || deal->token != msg->leases [i].token)
            continue;
        dp_qlist_remove (deal);
        deal->worker = worker;
        dp_qlist_push (&worker->leases, deal);
    }
    if (held.count && msg->lease_count < DP_WIRE_LEASES_MAX)
        dp_log_info ("broker: worker=%s does not hold %zu of its leases: back to the queue",
                     worker->name, held.count);
    while (held.head) {
        dp_qdeal_t *deal = held.head;
        if (msg->lease_count < DP_WIRE_LEASES_MAX)
            s_lease_return (self, deal, "not held by its worker");
        else {
            dp_qlist_remove (deal);
            dp_qlist_push (&worker->leases, deal);
        }
    }
    dp_log_info ("broker: worker ready worker=%s capacity=%u leases=%zu", worker->name,
                 worker->capacity, worker->leases.count);
}

static void
s_on_hello (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    if (strcmp (msg->role, "worker") == 0)
        s_on_hello_worker (self, id, id_len, msg);
    else if (strcmp (msg->role, "client") != 0) {
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_INVALID,
                       "role: must be \"client\" or \"worker\"");
        return;
    }
    dp_wire_msg_t reply;
    dp_wire_msg_init (&reply, DP_WIRE_WELCOME, msg->request_id);
    reply.epoch = self->epoch;
    dp_text_copy (reply.endpoint, sizeof reply.endpoint, self->events_endpoint);
    reply.heartbeat_ms = self->opt.heartbeat_ms;
    reply.lease_ms = self->opt.lease_ms;
    reply.frame_max = self->opt.frame_max;
    reply.batch_max = self->opt.batch_max;
    dp_broker_send (self, id, id_len, &reply);
}

//  The deal a worker's message about (deal_id, token) refers to, if that
//  lease is current. Otherwise NULL, with *code and *text saying why; a
//  NULL with DP_OK is a resend while the deal's result commits, which
//  that commit answers.
static dp_qdeal_t *
s_lease_check (dp_reactor_t *self, const char *deal_id, uint64_t token, dp_status *code,
               const char **text)
{
    dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, deal_id);
    *code = DP_OK;
    *text = "";
    if (deal && deal->state == S_FINISHING && deal->token == token)
        return NULL;
    if (!deal) {
        MDB_txn *txn = dp_store_read_begin (self->store);
        const uint8_t *data;
        size_t len;
        int known = txn && dp_store_get (self->store, txn, "deals", deal_id, &data, &len) == DP_OK;
        dp_store_read_end (self->store, &txn);
        *code = known? DP_STALE: DP_NOTFOUND;
        *text = known? "stale lease: the deal already has a result": "unknown deal";
        return NULL;
    }
    if (deal->state != S_LEASED || deal->token != token) {
        *code = DP_STALE;
        *text = "stale lease: the lease token is not current";
        return NULL;
    }
    return deal;
}

//  The lease a release or progress refers to, or NULL. Neither has a reply
//  (SPEC: fire and forget), so one that is refused is logged: a release at
//  info (the deal stays where it is), progress at debug (it is frequent
//  and harmless when stale).
static dp_qdeal_t *
s_current_lease (dp_reactor_t *self, dp_wire_msg_t *msg)
{
    dp_status code;
    const char *text;
    dp_qdeal_t *deal = s_lease_check (self, msg->deal_id, msg->token, &code, &text);
    if (!deal && code != DP_OK) {
        if (msg->kind == DP_WIRE_RELEASE)
            dp_log_info ("broker: release refused deal=%s reason=%s", msg->deal_id, text);
        else
            dp_log_debug ("broker: progress dropped deal=%s reason=%s", msg->deal_id, text);
    }
    return deal;
}

//  Takes one result (of a done, or one of a dones): 1 when its FINAL op is
//  queued and the commit answers it, 0 when it is answered now with *code
//  and *text, -1 when nothing is to be answered (a resend while it commits,
//  or no memory: the worker's resend comes back to it).
static int
s_take_result (dp_reactor_t *self, const dp_wire_done_t *done, dp_status *code, const char **text)
{
    int status = dp_store_status_parse (done->status);
    if (!dp_store_status_final (status)) {
        *code = DP_PROTO;
        *text = "status: a result must be agreed, failed or verification_failed";
        return 0;
    }
    dp_qdeal_t *deal = s_lease_check (self, done->deal_id, done->token, code, text);
    if (!deal) {
        if (*code == DP_OK)
            return -1;
        dp_log_info ("broker: result refused deal=%s reason=%s", done->deal_id, *text);
        return 0;
    }
    uint8_t *data = malloc (done->data_len? done->data_len: 1);
    dp_op_t *op = data? dp_broker_op (self, DP_OP_FINAL, deal->id): NULL;
    if (!op) {
        free (data);
        return -1;              //  out of memory: the worker sends it again unanswered
    }
    memcpy (data, done->data, done->data_len);
    op->active.order = deal->order;     //  the body's key
    op->data = data;
    op->data_len = done->data_len;
    op->new_status = status;
    op->attempts = deal->attempts;         //  lost deliveries, as for active deals
    dp_text_copy (op->reason, sizeof op->reason, done->reason);
    dp_broker_op_event (self, op, "result", done->status, done->reason, deal->batch,
                        deal->attempts + 1, NULL, 0);
    op->ctx = deal;
    if (deal->worker)
        deal->worker->done++;
    dp_qlist_remove (deal);         //  the worker's credit returns now
    deal->state = S_FINISHING;
    deal->worker = NULL;
    return 1;
}

static void
s_on_done (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    dp_wire_done_t done;
    dp_text_copy (done.deal_id, sizeof done.deal_id, msg->deal_id);
    done.token = msg->token;
    dp_text_copy (done.status, sizeof done.status, msg->status);
    dp_text_copy (done.reason, sizeof done.reason, msg->reason);
    done.data = msg->data;
    done.data_len = msg->data_len;
    dp_status code;
    const char *text;
    int taken = s_take_result (self, &done, &code, &text);
    if (taken < 0)
        return;
    if (code == DP_PROTO) {
        dp_broker_reply_error (self, id, id_len, msg->request_id, code, text);
        return;
    }
    //  Refused: answered now. Taken: answered once the commit is done.
    dp_wire_msg_t now;
    dp_qreply_t *later = taken? dp_broker_reply_later (self, id, id_len, DP_WIRE_DONE_ACK,
                                                       msg->request_id): NULL;
    if (taken && !later)
        return;                 //  no memory: the worker sends it again
    dp_wire_msg_t *reply = later? &later->msg: &now;
    if (!later)
        dp_wire_msg_init (&now, DP_WIRE_DONE_ACK, msg->request_id);
    dp_text_copy (reply->deal_id, sizeof reply->deal_id, msg->deal_id);
    reply->token = msg->token;
    reply->code = code;
    dp_text_copy (reply->text, sizeof reply->text, text);
    if (!later)
        dp_broker_send (self, id, id_len, reply);
}

//  A worker's batch of results: one done_acks now for those refused, and
//  one after the commit for those taken (one message each way instead of
//  one per result, which showed as the broker's and the worker's cost
//  per deal under load).
static void
s_on_dones (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    //  The answer for the stored results is made before any is taken: a
    //  result taken with no answer to carry its ack would be stored while
    //  its worker, out of memory here, heard nothing (and its resend came
    //  back stale). Out of memory now: nothing is taken, the worker resends.
    dp_qreply_t *later = s_reply_new (self, id, id_len, DP_WIRE_DONE_ACKS, msg->request_id);
    if (later && !(later->msg.done_acks = calloc (msg->count, sizeof *later->msg.done_acks)))
        s_reply_recycle (self, &later);
    if (!later)
        return;
    bool queued = false;
    dp_wire_msg_t refused;
    dp_wire_msg_init (&refused, DP_WIRE_DONE_ACKS, msg->request_id);
    for (size_t i = 0; i < msg->count; i++) {
        const dp_wire_done_t *done = &msg->dones [i];
        dp_status code;
        const char *text;
        int taken = s_take_result (self, done, &code, &text);
        if (taken < 0)
            continue;
        dp_wire_msg_t *reply = &refused;
        if (taken == 1) {
            if (!queued)
                s_reply_queue (self, later);
            queued = true;
            reply = &later->msg;
        }
        else
        if (!refused.done_acks && !(refused.done_acks = calloc (msg->count, sizeof *refused.done_acks)))
            continue;
        dp_wire_done_ack_t *ack = &reply->done_acks [reply->count++];
        dp_text_copy (ack->deal_id, sizeof ack->deal_id, done->deal_id);
        ack->token = done->token;
        ack->code = code;
        dp_text_copy (ack->text, sizeof ack->text, text);
    }
    if (refused.count)
        dp_broker_send (self, id, id_len, &refused);
    dp_wire_msg_clear (&refused);
    if (!queued)
        s_reply_recycle (self, &later);
}

static void
s_on_release (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    dp_qdeal_t *deal = s_current_lease (self, msg);
    if (!deal)
        return;
    dp_qlist_remove (deal);
    deal->state = S_PENDING;
    deal->worker = NULL;
    deal->token = 0;
    //  Not an attempt (SPEC §2), but not at once either: a worker whose
    //  backend is down would otherwise spin on the same deal.
    deal->not_before_ms = dp_broker_now () + self->opt.release_delay_ms;
    deal->requeued_why = "released by its worker";
    dp_qlist_push (&self->delayed, deal);
    dp_op_t *op = dp_broker_op (self, DP_OP_ACTIVE, deal->id);
    if (!op)
        return;
    dp_broker_fill_active (op, deal, DP_ST_PENDING);
    op->new_status = DP_ST_PENDING;
    char why [DP_WIRE_TEXT_MAX + 1];
    snprintf (why, sizeof why, "released: %.400s", msg->reason);
    dp_broker_op_event (self, op, "status", "pending", why, deal->batch, deal->attempts, NULL, 0);
}

static void
s_on_progress (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    dp_qdeal_t *deal = s_current_lease (self, msg);
    if (!deal)
        return;
    dp_wire_msg_t event;
    dp_wire_msg_init (&event, DP_WIRE_EVENT, 0);
    dp_wire_event_t *e = &event.event;
    e->epoch = self->epoch;
    snprintf (e->type, sizeof e->type, "progress");
    dp_text_copy (e->deal_id, sizeof e->deal_id, deal->id);
    snprintf (e->status, sizeof e->status, "negotiating");
    dp_text_copy (e->batch, sizeof e->batch, deal->batch);
    e->time_ms = dp_broker_now ();
    e->attempt = deal->attempts + 1;
    e->data = msg->data;
    e->data_len = msg->data_len;
    uint8_t *frame;
    size_t len;
    if (dp_wire_encode (&event, &frame, &len, NULL) == DP_OK) {
        zsock_send (self->pub, "sb", "P", frame, len);
        free (frame);
    }
}

//  --------------------------------------------------------------------------
//  Queries

static void
s_on_annotate (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    if (strcmp (msg->key, "escrow_tx") != 0 && strcmp (msg->key, "completion_tx") != 0) {
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_INVALID,
                       "key: must be escrow_tx or completion_tx");
        return;
    }
    for (const char *c = msg->value; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char) *c < 0x20) {
            dp_broker_reply_error (self, id, id_len, msg->request_id, DP_INVALID,
                           "value: quotes, backslashes and control characters are not allowed");
            return;
        }
    char batch [DP_BATCH_MAX + 1] = "", json [DP_WIRE_TX_MAX + 64];
    dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, msg->deal_id);
    if (deal)
        dp_text_copy (batch, sizeof batch, deal->batch);
    else {
        //  Finished deals live in the store only. An unknown one is refused
        //  here, before its event takes a sequence number (which would
        //  leave a hole in the published sequence).
        const uint8_t *record;
        size_t record_len;
        MDB_txn *txn = dp_store_read_begin (self->store);
        dp_status found = txn? dp_store_get (self->store, txn, "deals", msg->deal_id, &record,
                                             &record_len): DP_IO;
        dp_store_read_end (self->store, &txn);
        if (found == DP_NOTFOUND) {
            dp_broker_reply_error (self, id, id_len, msg->request_id, DP_NOTFOUND,
                                   "deal_id: no such deal");
            return;
        }
    }
    dp_op_t *op = dp_broker_op (self, DP_OP_ANNOTATE, msg->deal_id);
    dp_qreply_t *reply = dp_broker_reply_later (self, id, id_len, DP_WIRE_OK, msg->request_id);
    if (!op || !reply)
        return;
    dp_text_copy (op->key, sizeof op->key, msg->key);
    dp_text_copy (op->value, sizeof op->value, msg->value);
    int len = snprintf (json, sizeof json, "{\"%s\":\"%s\"}", msg->key, msg->value);
    dp_broker_op_event (self, op, "annotation", "", "", batch, 0, (uint8_t *) json, (size_t) len);
    op->ctx = reply;
}

//  --------------------------------------------------------------------------
//  Entry points

//  True if text, a space-separated list, holds word.
static bool
s_has_word (const char *text, const char *word)
{
    size_t len = strlen (word);
    for (const char *p = text; (p = strstr (p, word)) != NULL; p += len)
        if ((p == text || p [-1] == ' ') && (p [len] == ' ' || p [len] == '\0'))
            return true;
    return false;
}

static void
s_on_worker_msg (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    dp_qworker_t *worker = s_worker_lookup (self, id, id_len);
    if (worker) {
        worker->last_seen_ms = dp_broker_now ();
        worker->stalled = false;
    }
    switch (msg->kind) {
        case DP_WIRE_DONE:      s_on_done (self, id, id_len, msg); return;
        case DP_WIRE_DONES:     s_on_dones (self, id, id_len, msg); return;
        case DP_WIRE_RELEASE:   s_on_release (self, id, id_len, msg); return;
        case DP_WIRE_PROGRESS:  s_on_progress (self, id, id_len, msg); return;
        default: break;
    }
    if (!worker) {
        //  A worker this broker does not know (it restarted, or declared
        //  the worker gone): it must say hello again, naming its leases.
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_NOTFOUND,
                       "worker: not known to this broker, send hello");
        return;
    }
    if (msg->kind == DP_WIRE_CREDIT)
        worker->capacity = self->draining? 0: msg->capacity;
    else
    if (msg->kind == DP_WIRE_FEATURES)
        worker->takes_jobs = s_has_word (msg->features, "jobs");
}

void
dp_broker_handle (dp_reactor_t *self, const uint8_t *id, size_t id_len,
                  const uint8_t *frame, size_t len)
{
    dp_wire_msg_t msg;
    dp_error_t err;
    dp_status rc = dp_wire_decode (frame, len, self->opt.frame_max, self->opt.batch_max, &msg, &err);
    if (rc != DP_OK) {
        dp_log_info ("broker: bad frame kind=%s: %s", dp_wire_kind_name (msg.kind), err.text);
        dp_broker_reply_error (self, id, id_len, msg.request_id, rc, err.text);
        return;
    }
    switch (msg.kind) {
        case DP_WIRE_HELLO:     s_on_hello (self, id, id_len, &msg); break;
        case DP_WIRE_SUBMIT:    dp_broker_on_submit (self, id, id_len, &msg); break;
        case DP_WIRE_STATUS:    dp_broker_on_status (self, id, id_len, &msg, 0); break;
        case DP_WIRE_RESULT:    dp_broker_on_status (self, id, id_len, &msg, 1); break;
        case DP_WIRE_LIST:      dp_broker_on_list (self, id, id_len, &msg); break;
        case DP_WIRE_STATS:     dp_broker_on_stats (self, id, id_len, &msg); break;
        case DP_WIRE_ANNOTATE:  s_on_annotate (self, id, id_len, &msg); break;
        case DP_WIRE_REPLAY:    dp_broker_on_replay (self, id, id_len, &msg); break;
        case DP_WIRE_DONE:
        case DP_WIRE_DONES:
        case DP_WIRE_RELEASE:
        case DP_WIRE_PROGRESS:
        case DP_WIRE_HEARTBEAT:
        case DP_WIRE_CREDIT:
        case DP_WIRE_FEATURES:  s_on_worker_msg (self, id, id_len, &msg); break;
        default:
            dp_broker_reply_error (self, id, id_len, msg.request_id, DP_UNSUPPORTED,
                           "kind: not a request a broker accepts");
    }
    dp_wire_msg_clear (&msg);
}

//  --------------------------------------------------------------------------
//  After a commit: acknowledge, publish, queue

//  Sends the durable events collected so far as one `events` message,
//  topic "E". PUB never blocks: past its high-water mark it drops, and
//  subscribers replay from the store (docs/protocol.md). One message per
//  group rather than one per event: a deal has three or more events, and
//  each ZeroMQ message costs the broker, its I/O thread and every
//  subscriber a wakeup's worth of work.
static void
s_publish_flush (dp_reactor_t *self)
{
    if (self->pub_count == 0)
        return;
    uint8_t *frame;
    size_t len;
    if (dp_wire_encode_events (self->pub_frames, self->pub_lens, self->pub_count, &frame, &len,
                               NULL) == DP_OK) {
        if (zmq_send (self->pub_raw, "E", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 1)
            dp_frames_send_owned (self->pub_raw, frame, len, ZMQ_DONTWAIT);    //  frees it
        else
            free (frame);
    }
    //  Out of memory loses these on PUB only: they are stored, and the
    //  next tick tells subscribers to replay them.
    self->published_seq = self->pub_last_seq;
    self->pub_count = 0;
    self->pub_bytes = 0;
}

static void
s_publish (dp_reactor_t *self, dp_op_t *op)
{
    if (!op->event || op->result != DP_OK)
        return;
    const uint8_t *frame = op->live_event? op->live_event: op->event;
    size_t len = op->live_event? op->live_event_len: op->event_len;
    if (self->pub_count == DP_WIRE_EVENTS_MAX
        || (self->pub_count && self->pub_bytes + len > DP_BROKER_EVENTS_BYTES))
        s_publish_flush (self);
    self->pub_frames [self->pub_count] = frame;
    self->pub_lens [self->pub_count] = len;
    self->pub_count++;
    self->pub_bytes += len;
    self->pub_last_seq = op->seq;
}

//  A submit refused at commit (queue full): a repeat of the same deal id
//  acknowledged meanwhile (same batch, or a later one) is refused too.
static void
s_refuse_repeats (dp_qreply_t *reply, const char *deal_id)
{
    for (; reply; reply = reply->next)
        for (size_t i = 0; reply->msg.kind == DP_WIRE_SUBMIT_ACK && i < reply->msg.count; i++) {
            dp_wire_ack_t *ack = &reply->msg.acks [i];
            if (ack->code == DP_OK && strcmp (ack->deal_id, deal_id) == 0) {
                ack->code = DP_FULL;
                ack->status [0] = '\0';
                snprintf (ack->text, sizeof ack->text, "queue full: the store is at its size limit");
            }
        }
}

static void
s_committed_op (dp_reactor_t *self, dp_group_t *group, dp_op_t *op)
{
    if (op->type == DP_OP_SUBMIT) {
        dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, op->deal_id);
        dp_qreply_t *reply = op->ctx;
        if (deal && deal->state == S_COMMITTING)
            self->committing--;
        if (op->result != DP_OK) {
            s_refuse_repeats (group->replies, op->deal_id);
            s_refuse_repeats (self->accum->replies, op->deal_id);
            reply->msg.acks [op->tag].code = op->result;
            if (deal)
                s_deal_free (self, deal);
        }
        else if (deal && deal->state == S_COMMITTING)
            s_make_ready (self, deal);
    }
    else if (op->type == DP_OP_FINAL) {
        dp_qdeal_t *deal = op->ctx;
        s_deal_free (self, deal);
        self->completed_total++;
        self->rate_done [self->rate_second % 10]++;
    }
    else if (op->type == DP_OP_ANNOTATE && op->result != DP_OK) {
        dp_qreply_t *reply = op->ctx;
        reply->msg.kind = DP_WIRE_ERROR;
        reply->msg.code = op->result;
        snprintf (reply->msg.text, sizeof reply->msg.text, "deal_id: no such deal");
    }
    s_publish (self, op);
}

void
dp_broker_committed (dp_reactor_t *self, dp_group_t *group)
{
    for (size_t i = 0; i < group->count; i++)
        s_committed_op (self, group, &group->ops [i]);
    s_publish_flush (self);             //  before the group's frames are freed
    dp_qreply_t *reply = group->replies;
    while (reply) {
        dp_qreply_t *next = reply->next;
        if (reply->msg.kind == DP_WIRE_SUBMIT_ACK)
            self->rate_submit [self->rate_second % 10] += reply->msg.count;
        dp_broker_send (self, reply->id, reply->id_len, &reply->msg);
        s_reply_recycle (self, &reply);
        reply = next;
    }
    group->replies = NULL;
    group->replies_tail = NULL;
}

//  --------------------------------------------------------------------------
//  Timers

//  Renews the persisted deadline of live workers' leases when half of it
//  has passed, so a restart finds them still valid (SPEC §2).
static void
s_renew (dp_reactor_t *self, dp_qworker_t *worker, int64_t now)
{
    for (dp_qdeal_t *deal = worker->leases.head; deal; deal = deal->next) {
        if (deal->deadline_ms - now > (int64_t) self->opt.lease_ms / 2)
            continue;
        deal->deadline_ms = now + self->opt.lease_ms;
        dp_op_t *op = dp_broker_op (self, DP_OP_ACTIVE, deal->id);
        if (!op)
            return;
        dp_broker_fill_active (op, deal, DP_ST_NEGOTIATING);
        op->new_status = DP_ST_NEGOTIATING;
    }
}

static void
s_check_workers (dp_reactor_t *self, int64_t now, int send_beats)
{
    int64_t silence = (int64_t) self->opt.heartbeat_ms * self->opt.liveness;
    for (size_t i = 0; i < self->ring_count;) {
        dp_qworker_t *worker = self->ring [i];
        if (now - worker->last_seen_ms > silence) {
            s_worker_remove (self, worker, "worker vanished");
            continue;
        }
        s_renew (self, worker, now);
        i++;
    }
    if (send_beats)
        dp_broker_probe_workers (self);
}

static void
s_check_orphans (dp_reactor_t *self, int64_t now)
{
    dp_qdeal_t *deal = self->orphans.head;
    while (deal) {
        dp_qdeal_t *next = deal->next;
        if (now > deal->deadline_ms)
            s_lease_lost (self, deal, "lease expired");
        deal = next;
    }
    deal = self->delayed.head;
    while (deal) {
        dp_qdeal_t *next = deal->next;
        if (now >= deal->not_before_ms) {
            dp_qlist_remove (deal);
            s_make_ready (self, deal);
        }
        deal = next;
    }
}

void
dp_broker_tick (dp_reactor_t *self)
{
    int64_t now = dp_broker_now ();
    int64_t second = now / 1000;
    while (self->rate_second < second) {
        self->rate_second++;
        self->rate_submit [self->rate_second % 10] = 0;
        self->rate_done [self->rate_second % 10] = 0;
        if (second - self->rate_second > 10)
            self->rate_second = second - 10;
    }
    int beat = now - self->last_heartbeat_ms >= (int64_t) self->opt.heartbeat_ms;
    if (beat)
        self->last_heartbeat_ms = now;
    s_check_workers (self, now, beat);
    s_check_orphans (self, now);
    if (now - self->last_tick_pub_ms >= 1000) {
        self->last_tick_pub_ms = now;
        dp_wire_msg_t tick;
        dp_wire_msg_init (&tick, DP_WIRE_TICK, 0);
        tick.epoch = self->epoch;
        tick.last_seq = self->published_seq;
        uint8_t *frame;
        size_t len;
        if (dp_wire_encode (&tick, &frame, &len, NULL) == DP_OK) {
            zsock_send (self->pub, "sb", "T", frame, len);
            free (frame);
        }
    }
}
