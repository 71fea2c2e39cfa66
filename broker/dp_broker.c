/*  dp_broker.c — broker lifecycle: store, sockets, the reactor loop.

    dp_broker_new opens the store and binds the sockets on the caller's
    thread (so every start-up error reaches the caller), then hands the
    state to a zactor that runs the reactor (zloop) until $TERM. The
    committer is a second actor owned by the reactor. */

#include "dp_broker_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "dp_frames.h"
#include "dp_limits.h"
#include "dp_log.h"
#include "dp_sha256.h"

struct dp_broker_t {
    zactor_t *actor;
    char endpoint [256];
    char events_endpoint [256];
    uint64_t recovered;
};

const char *
dp_deal_index_key (const void *deal)
{
    return ((const dp_qdeal_t *) deal)->id;
}

void
dp_broker_options_default (dp_broker_options_t *o)
{
    memset (o, 0, sizeof *o);
    o->listen = "tcp://127.0.0.1:5570";
    o->lease_ms = 30000;
    o->heartbeat_ms = 1000;
    o->liveness = 3;
    o->max_attempts = 3;
    o->map_size = 1ull << 30;
    o->map_max = 64ull << 30;
    o->frame_max = DP_WIRE_FRAME_MAX;
    o->batch_max = DP_WIRE_BATCH_MAX;
    o->batch_bytes_max = dp_limits_default ()->batch_bytes_max;
    o->body_max = dp_limits_default ()->deal_body_max;
    o->event_window = 1000000;
    o->release_delay_ms = 1000;
    o->events_hwm = 1000;
}

//  --------------------------------------------------------------------------
//  Intrusive lists of deals

void
dp_qlist_push (dp_qlist_t *list, dp_qdeal_t *deal)
{
    deal->list = list;
    deal->next = NULL;
    deal->prev = list->tail;
    if (list->tail)
        list->tail->next = deal;
    else
        list->head = deal;
    list->tail = deal;
    list->count++;
}

//  Keeps FIFO by submit order: a new deal goes to the tail at once; a
//  requeued deal goes back to its place, and since it is old the walk from
//  the head is short.
void
dp_qlist_insert_ordered (dp_qlist_t *list, dp_qdeal_t *deal)
{
    if (!list->tail || list->tail->order < deal->order) {
        dp_qlist_push (list, deal);
        return;
    }
    dp_qdeal_t *at = list->head;
    while (at && at->order < deal->order)
        at = at->next;
    if (!at) {
        dp_qlist_push (list, deal);
        return;
    }
    deal->list = list;
    deal->next = at;
    deal->prev = at->prev;
    if (at->prev)
        at->prev->next = deal;
    else
        list->head = deal;
    at->prev = deal;
    list->count++;
}

void
dp_qlist_remove (dp_qdeal_t *deal)
{
    dp_qlist_t *list = deal->list;
    if (!list)
        return;
    if (deal->prev)
        deal->prev->next = deal->next;
    else
        list->head = deal->next;
    if (deal->next)
        deal->next->prev = deal->prev;
    else
        list->tail = deal->prev;
    list->count--;
    deal->list = NULL;
    deal->prev = deal->next = NULL;
}

//  --------------------------------------------------------------------------
//  Sending and flushing

//  Sends an encoded frame (owned: freed in every case) to a ROUTER peer,
//  without ever blocking the reactor: a peer that is gone (ROUTER_MANDATORY:
//  EHOSTUNREACH) or whose queue is full loses the message. `what` names it
//  in the log.
int
dp_broker_send_frame (dp_reactor_t *self, const uint8_t *id, size_t id_len, uint8_t *frame,
                      size_t len, const char *what)
{
    int rc = zmq_send (self->router_raw, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = dp_frames_send_owned (self->router_raw, frame, len, ZMQ_DONTWAIT);
    else
        free (frame);
    if (rc < 0 && errno != EHOSTUNREACH)
        dp_log_warn ("broker: %s dropped: %s", what, zmq_strerror (errno));
    return rc < 0? -1: 0;
}

int
dp_broker_send (dp_reactor_t *self, const uint8_t *id, size_t id_len, const dp_wire_msg_t *msg)
{
    uint8_t *frame;
    size_t len;
    dp_error_t err;
    if (dp_wire_encode (msg, &frame, &len, &err) != DP_OK) {
        dp_log_error ("broker: cannot encode %s: %s", dp_wire_kind_name (msg->kind), err.text);
        return -1;
    }
    return dp_broker_send_frame (self, id, id_len, frame, len, dp_wire_kind_name (msg->kind));
}

//  Hands the accumulated ops to the committer unless a commit is running;
//  the ops that arrive meanwhile form the next group (group commit).
//  True when the group holds only lease bookkeeping (leases, renewals,
//  requeues) and nobody waits for an answer.
static bool
s_only_leases (dp_group_t *group)
{
    if (group->replies || group->count >= 512)
        return false;
    for (size_t i = 0; i < group->count; i++)
        if (group->ops [i].type != DP_OP_ACTIVE)
            return false;
    return true;
}

static int
s_on_lease_timer (zloop_t *loop, int timer_id, void *arg)
{
    dp_reactor_t *self = arg;
    self->lease_timer = false;
    self->force_flush = true;
    dp_broker_flush (self);
    return 0;
}

void
dp_broker_flush (dp_reactor_t *self)
{
    if (self->inflight || self->failed)
        return;
    if (self->accum->count == 0 && !self->accum->replies)
        return;
    //  Lease records may wait: a fast worker's result then shares their
    //  commit instead of queueing behind it (two fsync'd commits per deal
    //  instead of three). The job itself was sent already. At 2 ms, a
    //  quarter of the bench's low-load deals still took three commits:
    //  the worker's answer came later than zloop's millisecond timer.
    if (!self->force_flush && !self->draining && s_only_leases (self->accum)) {
        if (!self->lease_timer && self->loop) {
            self->lease_timer = true;
            zloop_timer (self->loop, DP_BROKER_LEASE_HOLD_MS, 1, s_on_lease_timer, self);
        }
        return;
    }
    self->force_flush = false;
    self->accum->last_seq = self->seq;
    self->accum->order = self->order;
    self->inflight = self->accum;
    self->accum = self->spare? self->spare: dp_group_new ();
    self->spare = NULL;
    if (!self->accum) {
        dp_log_error ("broker: out of memory");
        self->failed = true;
        return;
    }
    zsock_send (self->committer, "sp", "COMMIT", self->inflight);
}

//  --------------------------------------------------------------------------
//  Reactor handlers

static int
s_on_router (zloop_t *loop, zsock_t *reader, void *arg)
{
    dp_reactor_t *self = arg;
    for (int n = 0; n < 1000; n++) {
        zmq_msg_t id, frame;
        zmq_msg_init (&id);
        if (zmq_msg_recv (&id, self->router_raw, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&id);
            break;
        }
        zmq_msg_init (&frame);
        int more = zmq_msg_more (&id);
        if (more)
            zmq_msg_recv (&frame, self->router_raw, 0);
        //  A well-formed message has one frame after the routing id.
        int extra = zmq_msg_more (&frame) && dp_frames_drop_rest (self->router_raw) > 0;
        if (zmq_msg_size (&id) <= DP_IDENTITY_MAX) {
            if (extra || !more) {
                dp_wire_msg_t reply;
                dp_wire_msg_init (&reply, DP_WIRE_ERROR, 0);
                reply.code = DP_PROTO;
                snprintf (reply.text, sizeof reply.text,
                          "frame: a message is exactly one frame (msgpack array)");
                dp_broker_send (self, zmq_msg_data (&id), zmq_msg_size (&id), &reply);
            }
            else
                dp_broker_handle (self, zmq_msg_data (&id), zmq_msg_size (&id),
                                  zmq_msg_data (&frame), zmq_msg_size (&frame));
        }
        zmq_msg_close (&frame);
        zmq_msg_close (&id);
    }
    dp_broker_dispatch (self);
    dp_broker_flush (self);
    return 0;
}

//  Frees the replies a group still holds, unsent: its commit failed, or
//  the broker stops with the group not committed (nothing in it was
//  acknowledged, so nothing is owed).
static void
s_free_replies (dp_qreply_t *reply)
{
    while (reply) {
        dp_qreply_t *next = reply->next;
        dp_wire_msg_clear (&reply->msg);
        free (reply);
        reply = next;
    }
}

static void
s_drop_replies (dp_group_t *group)
{
    if (!group)
        return;
    s_free_replies (group->replies);
    group->replies = NULL;
    group->replies_tail = NULL;
}

static int
s_on_committer (zloop_t *loop, zsock_t *reader, void *arg)
{
    dp_reactor_t *self = arg;
    char *command = NULL;
    void *pointer = NULL;
    while (zsock_recv (self->committer, "sp", &command, &pointer) != 0)
        if (errno != EINTR)
            return -1;
    zstr_free (&command);
    dp_group_t *group = pointer;
    if (group != self->inflight)
        return 0;
    self->inflight = NULL;
    if (group->status != DP_OK) {
        //  The store cannot write: nothing can be acknowledged any more.
        dp_log_error ("broker: store failed, stopping: %s", group->error);
        self->failed = true;
        zstr_send (self->pipe, "FAILED");
        s_drop_replies (group);
        dp_group_destroy (&group);
        return -1;
    }
    self->commits++;
    self->commit_ms_total += group->commit_ms;
    dp_broker_committed (self, group);
    if (self->spare || group->capacity > 4096)
        dp_group_destroy (&group);      //  a burst's huge array is not kept
    else {
        dp_group_reset (group);
        self->spare = group;
    }
    dp_broker_dispatch (self);
    dp_broker_flush (self);
    if (self->draining && !self->inflight && self->accum->count == 0)
        return -1;              //  drained: leave the loop
    return 0;
}

static int
s_on_probe (zloop_t *loop, int timer_id, void *arg)
{
    dp_reactor_t *self = arg;
    dp_broker_probe_workers (self);
    dp_broker_dispatch (self);
    dp_broker_flush (self);
    return 0;
}

static int
s_on_monitor (zloop_t *loop, zsock_t *reader, void *arg)
{
    dp_reactor_t *self = arg;
    zmsg_t *msg = zmsg_recv (self->monitor);
    char *event = msg? zmsg_popstr (msg): NULL;
    if (event && strncmp (event, "HANDSHAKE_FAILED_", 17) == 0) {
        //  A peer refused by CURVE only sees no answer: the log is where an
        //  operator learns of it. Once per 10 s at most, with a count, as a
        //  refused peer keeps reconnecting.
        int auth = strcmp (event, "HANDSHAKE_FAILED_AUTH") == 0;
        zstr_free (&event);
        zmsg_destroy (&msg);
        self->handshake_failures++;
        int64_t now = dp_broker_now ();
        if (now - self->handshake_logged_ms >= 10000) {
            dp_log_warn ("broker: %llu connection(s) refused by CURVE, the last %s",
                         (unsigned long long) self->handshake_failures,
                         auth? "with a public key not in the --curve-allow folder"
                             : "without CURVE keys (DP_CURVE_CERT, DP_CURVE_BROKER)");
            self->handshake_logged_ms = now;
            self->handshake_failures = 0;
        }
        return 0;
    }
    zstr_free (&event);
    zmsg_destroy (&msg);
    //  A connection went away: find out at once which worker it was,
    //  rather than waiting for its heartbeats to stop. The socket may
    //  not have dropped the peer yet when the event arrives, so look
    //  again a little later too.
    s_on_probe (loop, 0, self);
    zloop_timer (loop, 2, 1, s_on_probe, self);
    zloop_timer (loop, 10, 1, s_on_probe, self);
    zloop_timer (loop, 30, 1, s_on_probe, self);
    return 0;
}

static int
s_on_pipe (zloop_t *loop, zsock_t *reader, void *arg)
{
    dp_reactor_t *self = arg;
    char *command = zstr_recv (self->pipe);
    int stop = !command || strcmp (command, "$TERM") == 0;
    zstr_free (&command);
    if (!stop)
        return 0;
    self->draining = true;
    self->force_flush = true;
    dp_broker_flush (self);
    return self->inflight || self->failed? 0: -1;
}

static int
s_on_timer (zloop_t *loop, int timer_id, void *arg)
{
    dp_reactor_t *self = arg;
    dp_broker_tick (self);
    dp_broker_dispatch (self);
    dp_broker_flush (self);
    return 0;
}

static void
s_reactor_destroy (dp_reactor_t **self_p)
{
    dp_reactor_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy (&self->loop);
    zactor_destroy (&self->monitor);
    zactor_destroy (&self->committer);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
    dp_curve_server_destroy (&self->curve);
    if (self->deals) {
        size_t cursor = 0;
        for (dp_qdeal_t *deal; (deal = dp_deal_index_next (self->deals, &cursor)); ) {
            free (deal->batch);
            free (deal);
        }
        dp_deal_index_destroy (&self->deals);
    }
    if (self->workers) {
        for (dp_qworker_t *w = zhashx_first (self->workers); w; w = zhashx_next (self->workers))
            dp_qworker_destroy (&w);
        zhashx_destroy (&self->workers);
    }
    free (self->ring);
    s_free_replies (self->free_replies);
    s_drop_replies (self->accum);
    s_drop_replies (self->inflight);
    dp_group_destroy (&self->accum);
    dp_group_destroy (&self->inflight);
    dp_group_destroy (&self->spare);
    dp_store_close (&self->store);
    free (self);
    *self_p = NULL;
}

static void
s_reactor (zsock_t *pipe, void *arg)
{
    dp_reactor_t *self = arg;
    self->pipe = pipe;
    self->loop = zloop_new ();
    zloop_set_nonstop (self->loop, true);   //  signals are the owner's business
    zloop_reader (self->loop, pipe, s_on_pipe, self);
    zloop_reader (self->loop, self->router, s_on_router, self);
    zloop_reader (self->loop, zactor_sock (self->committer), s_on_committer, self);
    if (self->monitor)
        zloop_reader (self->loop, zactor_sock (self->monitor), s_on_monitor, self);
    size_t tick = self->opt.heartbeat_ms / 4;
    zloop_timer (self->loop, tick < 10? 10: tick > 250? 250: tick, 0, s_on_timer, self);
    zsock_signal (pipe, 0);
    dp_broker_dispatch (self);
    zloop_start (self->loop);
    //  Finish what the committer holds so every acknowledgement it owes is sent.
    while (self->inflight && !self->failed)
        if (s_on_committer (self->loop, NULL, self) == -1 && self->failed)
            break;
    dp_log_info ("broker: stopped epoch=%llu seq=%llu", (unsigned long long) self->epoch,
                 (unsigned long long) self->published_seq);
    s_reactor_destroy (&self);
    dp_sha256_thread_end ();
}

//  --------------------------------------------------------------------------
//  Construction

//  Default events endpoint: tcp port + 1; inproc/ipc name + "-events".
static dp_status
s_events_endpoint (const char *listen, char *out, size_t size, dp_error_t *err)
{
    if (strncmp (listen, "tcp://", 6) != 0) {
        snprintf (out, size, "%s-events", listen);
        return DP_OK;
    }
    const char *colon = strrchr (listen, ':');
    if (!colon || colon < listen + 6)
        return dp_error_set (err, DP_INVALID, "listen: %s has no port", listen);
    if (strcmp (colon + 1, "*") == 0) {
        snprintf (out, size, "%s", listen);
        return DP_OK;
    }
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (*end || port <= 0 || port >= 65535)
        return dp_error_set (err, DP_INVALID, "listen: %s: port must be 1..65534", listen);
    snprintf (out, size, "%.*s:%ld", (int) (colon - listen), listen, port + 1);
    return DP_OK;
}

//  A bind that failed: an endpoint that is not one (bad input, exit 2) or
//  one that cannot be had now (in use, no such address: exit 3).
static dp_status
s_bind_status (int error)
{
    return error == EINVAL || error == EPROTONOSUPPORT || error == ENOCOMPATPROTO
         ? DP_INVALID: DP_UNREACHABLE;
}

static dp_status
s_bind (dp_reactor_t *self, dp_error_t *err)
{
    self->router = zsock_new (ZMQ_ROUTER);
    self->pub = zsock_new (ZMQ_PUB);
    if (!self->router || !self->pub)
        return dp_error_set (err, DP_NOMEM, "cannot create sockets");
    self->router_raw = zsock_resolve (self->router);
    self->pub_raw = zsock_resolve (self->pub);
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_sndhwm (self->router, 200000);
    zsock_set_rcvhwm (self->router, 200000);
    zsock_set_linger (self->router, 0);
    zsock_set_linger (self->pub, 0);
    //  Room for the events of many group commits per subscriber (a message
    //  holds up to DP_WIRE_EVENTS_MAX events, DP_BROKER_EVENTS_BYTES);
    //  beyond that PUB drops and subscribers replay (docs/protocol.md).
    zsock_set_sndhwm (self->pub, (int) self->opt.events_hwm);
    //  Anything far beyond a frame's limit is cut off by ZeroMQ before it
    //  is buffered; frames between the limit and this get an error reply.
    zsock_set_maxmsgsize (self->router, (int64_t) (self->opt.frame_max * 2 + 4096));
    if (self->opt.curve_secret || self->opt.curve_allow) {
        if (!self->opt.curve_secret || !self->opt.curve_allow)
            return dp_error_set (err, DP_INVALID, "curve-secret and curve-allow go together");
        self->curve = dp_curve_server_new (self->opt.curve_secret, self->opt.curve_allow, err);
        if (!self->curve)
            return err? err->code: DP_INVALID;
        dp_curve_server_apply (self->curve, self->router);
        dp_curve_server_apply (self->curve, self->pub);
        dp_log_info ("broker: CURVE on, public key %s, clients from %s",
                     dp_curve_server_public (self->curve), self->opt.curve_allow);
    }
    if (zsock_bind (self->router, "%s", self->opt.listen) < 0)
        return dp_error_set (err, s_bind_status (errno), "listen: cannot bind %s: %s",
                             self->opt.listen, zmq_strerror (errno));
    char events [256];
    if (self->opt.events)
        snprintf (events, sizeof events, "%s", self->opt.events);
    else if (s_events_endpoint (self->opt.listen, events, sizeof events, err) != DP_OK)
        return err? err->code: DP_INVALID;
    if (zsock_bind (self->pub, "%s", events) < 0)
        return dp_error_set (err, s_bind_status (errno), "events: cannot bind %s: %s", events,
                             zmq_strerror (errno));
    snprintf (self->endpoint, sizeof self->endpoint, "%s", zsock_endpoint (self->router));
    snprintf (self->events_endpoint, sizeof self->events_endpoint, "%s", zsock_endpoint (self->pub));
    if (strncmp (self->endpoint, "tcp://", 6) == 0) {
        self->monitor = zactor_new (zmonitor, self->router);
        if (self->monitor) {
            zstr_sendx (self->monitor, "LISTEN", "DISCONNECTED", NULL);
            if (self->curve)
                zstr_sendx (self->monitor, "LISTEN", "HANDSHAKE_FAILED_AUTH",
                            "HANDSHAKE_FAILED_PROTOCOL", NULL);
            zstr_send (self->monitor, "START");
            zsock_wait (self->monitor);
        }
    }
    return DP_OK;
}

static void
s_recover_one (void *arg, const char *deal_id, const dp_store_active_t *rec, const char *batch)
{
    dp_broker_recover ((dp_reactor_t *) arg, deal_id, rec, batch);
}

static dp_status
s_check_options (const dp_broker_options_t *o, dp_error_t *err)
{
    if (!o->data_dir || !*o->data_dir)
        return dp_error_set (err, DP_INVALID, "data: a data directory is required");
    if (!o->listen || !*o->listen)
        return dp_error_set (err, DP_INVALID, "listen: an endpoint is required");
    if (o->lease_ms < 100 || o->heartbeat_ms < 10 || o->liveness < 1)
        return dp_error_set (err, DP_INVALID, "lease_ms >= 100, heartbeat_ms >= 10, liveness >= 1");
    if (o->max_attempts < 1)
        return dp_error_set (err, DP_INVALID, "max_attempts: must be at least 1");
    if (o->map_size < (1u << 20) || o->frame_max < 1024 || o->batch_max < 1 || o->event_window < 1
        || o->batch_bytes_max < 1 || o->body_max < 1)
        return dp_error_set (err, DP_INVALID, "map_size >= 1 MiB, frame_max >= 1024, "
                             "batch_max >= 1, event_window >= 1, batch_bytes_max >= 1, body_max >= 1");
    return DP_OK;
}

static dp_reactor_t *
s_reactor_new (const dp_broker_options_t *options, dp_error_t *err)
{
    dp_reactor_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->opt = *options;
    dp_wire_msg_init (&self->job_msg, DP_WIRE_JOB, 0);
    dp_wire_msg_init (&self->event_msg, DP_WIRE_EVENT, 0);
    snprintf (self->data_dir, sizeof self->data_dir, "%s", options->data_dir);
    self->opt.data_dir = self->data_dir;
    self->deals = dp_deal_index_new ();
    self->workers = zhashx_new ();
    self->accum = dp_group_new ();
    if (!self->deals || !self->workers || !self->accum) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        s_reactor_destroy (&self);
        return NULL;
    }
    //  The rate window starts now: from 0, the first tick would clear
    //  the buckets, and with them what was counted before it.
    self->rate_second = dp_broker_now () / 1000;
    return self;
}

//  Opens the store (which takes the directory's lock and counts a new
//  epoch) and reads where it left off.
static int
s_open_store (dp_reactor_t *self, dp_error_t *err)
{
    self->store = dp_store_open (self->data_dir, self->opt.map_size, self->opt.map_max,
                                 self->opt.event_window, err);
    if (!self->store)
        return -1;
    self->epoch = dp_store_epoch (self->store);
    self->seq = self->published_seq = dp_store_last_seq (self->store);
    self->order = dp_store_order (self->store);
    return 0;
}

//  Recovered pending deals come out of LMDB in deal id order; the ready
//  lists must be in submit order. A least-significant-digit radix sort of
//  (order, deal) pairs, one byte per pass, skipping bytes that are the
//  same in every key: a restart sorts the whole backlog before serving,
//  and a comparison sort chasing pointers into every deal cost a third
//  of the recovery.
typedef struct {
    uint64_t order;
    dp_qdeal_t *deal;
} s_sort_key_t;

static void
s_radix_sort (s_sort_key_t *keys, s_sort_key_t *tmp, size_t n)
{
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count [256] = { 0 };
        for (size_t i = 0; i < n; i++)
            count [(keys [i].order >> shift) & 0xff]++;
        if (count [(keys [0].order >> shift) & 0xff] == n)
            continue;               //  every key has this byte: nothing to move
        size_t at = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count [b];
            count [b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp [count [(keys [i].order >> shift) & 0xff]++] = keys [i];
        memcpy (keys, tmp, n * sizeof *keys);
    }
}

static void
s_sort_ready (dp_reactor_t *self)
{
    for (int p = 0; p < DP_PRIORITIES; p++) {
        dp_qlist_t *list = &self->ready [p];
        if (list->count < 2)
            continue;
        s_sort_key_t *keys = malloc (2 * list->count * sizeof *keys);
        if (!keys)
            continue;               //  unsorted still works, just not FIFO
        size_t n = 0;
        for (dp_qdeal_t *deal = list->head; deal; deal = deal->next)
            keys [n++] = (s_sort_key_t) { deal->order, deal };
        s_radix_sort (keys, keys + n, n);
        //  Relink in order (the list's members stay the same).
        for (size_t i = 0; i < n; i++) {
            keys [i].deal->prev = i? keys [i - 1].deal: NULL;
            keys [i].deal->next = i + 1 < n? keys [i + 1].deal: NULL;
        }
        list->head = keys [0].deal;
        list->tail = keys [n - 1].deal;
        free (keys);
    }
}

dp_broker_t *
dp_broker_new (const dp_broker_options_t *options, dp_error_t *err)
{
    if (s_check_options (options, err) != DP_OK)
        return NULL;
    dp_broker_t *broker = calloc (1, sizeof *broker);
    dp_reactor_t *self = broker? s_reactor_new (options, err): NULL;
    if (!self) {
        free (broker);
        return NULL;
    }
    int64_t start = zclock_usecs ();
    //  Bound before the store is opened: a broker that cannot have its
    //  endpoints (one is already running there) leaves the store as it
    //  found it, epoch included. And before the backlog is read: workers
    //  and clients that retry while the broker starts are connected at
    //  once (their hellos wait in the socket) instead of backing off past
    //  the end of recovery.
    if (s_bind (self, err) != DP_OK || s_open_store (self, err) != 0) {
        s_reactor_destroy (&self);
        free (broker);
        return NULL;
    }
    if (dp_deal_index_reserve (self->deals, (size_t) dp_store_active_count (self->store)) != 0)
        dp_log_warn ("broker: cannot size the deal index for the backlog: growing instead");
    if (dp_store_scan_active (self->store, s_recover_one, self, err) != DP_OK) {
        s_reactor_destroy (&self);
        free (broker);
        return NULL;
    }
    s_sort_ready (self);
    self->committer = zactor_new (dp_store_committer, self->store);
    dp_log_info ("broker: epoch=%llu recovered=%llu in %.1f ms listen=%s events=%s",
                 (unsigned long long) self->epoch, (unsigned long long) self->recovered,
                 (double) (zclock_usecs () - start) / 1000.0, self->endpoint,
                 self->events_endpoint);
    snprintf (broker->endpoint, sizeof broker->endpoint, "%s", self->endpoint);
    snprintf (broker->events_endpoint, sizeof broker->events_endpoint, "%s", self->events_endpoint);
    broker->recovered = self->recovered;
    broker->actor = zactor_new (s_reactor, self);
    return broker;
}

const char *dp_broker_endpoint (dp_broker_t *self) { return self->endpoint; }
const char *dp_broker_events_endpoint (dp_broker_t *self) { return self->events_endpoint; }
uint64_t dp_broker_recovered (dp_broker_t *self) { return self->recovered; }
void *dp_broker_socket (dp_broker_t *self) { return zactor_sock (self->actor); }

void
dp_broker_destroy (dp_broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zactor_destroy (&(*self_p)->actor);     //  $TERM: the reactor drains, then exits
    free (*self_p);
    *self_p = NULL;
}
