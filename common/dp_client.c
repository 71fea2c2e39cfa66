/*  dp_client.c — a broker client over one DEALER and one SUB socket. */

#include "dp_client.h"
#include "dp_curve.h"
#include "dp_frames.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define DP_CLIENT_WINDOW 64

//  An event held back in order (replayed, or live but after a gap).
typedef struct {
    dp_wire_event_t event;
    uint8_t *data;
} s_held_t;

struct dp_client_t {
    zsock_t *dealer;
    zsock_t *sub;
    dp_curve_client_t *curve;                   //  NULL: plain TCP
    int events_queue;                           //  the SUB socket's rcvhwm, messages
    char endpoint [256];
    char events [256];
    int timeout_ms;
    uint64_t epoch, frame_max;
    uint32_t batch_max;
    uint64_t next_request;
    uint64_t outstanding [DP_CLIENT_WINDOW];    //  request ids of pipelined submits
    size_t out_head, out_count;
    uint64_t expected;                          //  next durable seq to deliver
    s_held_t *held;
    size_t held_count, held_head, held_cap;
    uint64_t replay_upto;                       //  durable events known to exist up to here
    uint8_t *current;                           //  data of the last event returned
    uint64_t replayed;
};

//  --------------------------------------------------------------------------
//  Request / reply

static dp_status
s_send (dp_client_t *self, dp_wire_msg_t *msg, dp_error_t *err)
{
    uint8_t *frame;
    size_t len;
    msg->request_id = ++self->next_request;
    dp_status rc = dp_wire_encode (msg, &frame, &len, err);
    if (rc != DP_OK)
        return rc;
    zframe_t *z = zframe_new (frame, len);
    free (frame);
    if (!z || zframe_send (&z, self->dealer, 0) != 0) {
        zframe_destroy (&z);
        return dp_error_set (err, DP_UNREACHABLE, "%s: cannot send to %s",
                             dp_wire_kind_name (msg->kind), self->endpoint);
    }
    return DP_OK;
}

//  Waits for the reply to request_id; older replies (to requests that
//  timed out) are dropped. The reply's views live in *frame_p.
static dp_status
s_recv (dp_client_t *self, uint64_t request_id, const char *what, zframe_t **frame_p,
        dp_wire_msg_t *reply, dp_error_t *err)
{
    int64_t deadline = zclock_mono () + self->timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        zsock_set_rcvtimeo (self->dealer, left > 0? (int) left: 0);
        zframe_t *frame = zframe_recv (self->dealer);
        if (!frame)
            return dp_error_set (err, DP_TIMEOUT, "%s: no reply from %s within %d ms", what,
                                 self->endpoint, self->timeout_ms);
        dp_status rc = dp_wire_decode (zframe_data (frame), zframe_size (frame), 0,
                                       DP_WIRE_FRAME_MAX, reply, err);
        if (rc == DP_OK && reply->request_id != request_id) {
            dp_wire_msg_clear (reply);
            zframe_destroy (&frame);
            continue;
        }
        if (rc != DP_OK) {
            zframe_destroy (&frame);
            dp_error_prefix (err, "%s: reply", what);
            return DP_PROTO;
        }
        if (reply->kind == DP_WIRE_ERROR) {
            rc = dp_error_set (err, reply->code == DP_OK? DP_PROTO: reply->code, "%s: %s", what,
                               reply->text);
            dp_wire_msg_clear (reply);
            zframe_destroy (&frame);
            return rc;
        }
        *frame_p = frame;
        return DP_OK;
    }
}

//  One request and its reply of the expected kind.
static dp_status
s_call (dp_client_t *self, dp_wire_msg_t *request, int reply_kind, zframe_t **frame_p,
        dp_wire_msg_t *reply, dp_error_t *err)
{
    const char *what = dp_wire_kind_name (request->kind);
    if (self->out_count)
        return dp_error_set (err, DP_INVALID, "%s: pipelined submits are outstanding", what);
    dp_status rc = s_send (self, request, err);
    rc = rc? rc: s_recv (self, request->request_id, what, frame_p, reply, err);
    if (rc == DP_OK && reply->kind != reply_kind) {
        dp_wire_msg_clear (reply);
        zframe_destroy (frame_p);
        return dp_error_set (err, DP_PROTO, "%s: unexpected reply %s", what,
                             dp_wire_kind_name (reply->kind));
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Construction

//  The events endpoint to connect to. The broker names its PUB socket as
//  bound; one bound on every interface (0.0.0.0, *, ::) names no address a
//  client can dial, so the host is taken from the endpoint this client
//  dialled to reach the broker, and the port from the broker's answer.
static void
s_events_endpoint (const char *dialled, const char *advertised, char *out, size_t size)
{
    snprintf (out, size, "%s", advertised);
    if (strncmp (advertised, "tcp://", 6) != 0 || strncmp (dialled, "tcp://", 6) != 0)
        return;
    const char *port = strrchr (advertised, ':');
    if (!port || port < advertised + 6)
        return;
    size_t host_len = (size_t) (port - advertised - 6);
    static const char *wildcards [] = { "0.0.0.0", "*", "::", "[::]" };
    int wildcard = 0;
    for (size_t i = 0; i < sizeof wildcards / sizeof *wildcards; i++)
        if (strlen (wildcards [i]) == host_len && memcmp (advertised + 6, wildcards [i], host_len) == 0)
            wildcard = 1;
    //  The dialled host: after "tcp://" and any "source;" part, before the port.
    const char *host = dialled + 6;
    const char *semicolon = strchr (host, ';');
    if (semicolon)
        host = semicolon + 1;
    const char *host_end = strrchr (host, ':');
    if (!wildcard || !host_end || host_end == host)
        return;
    snprintf (out, size, "tcp://%.*s%s", (int) (host_end - host), host, port);
}

dp_client_t *
dp_client_new (const char *endpoint, int timeout_ms, dp_error_t *err)
{
    dp_client_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = timeout_ms > 0? timeout_ms: 5000;
    self->events_queue = 1000;
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer) {
        dp_error_set (err, DP_NOMEM, "cannot create a socket");
        free (self);
        return NULL;
    }
    zsock_set_linger (self->dealer, 0);
    if (dp_curve_client_from_env (&self->curve, err) != DP_OK) {
        dp_client_destroy (&self);
        return NULL;
    }
    dp_curve_client_apply (self->curve, self->dealer);
    if (zsock_connect (self->dealer, "%s", endpoint) != 0) {
        dp_error_set (err, DP_INVALID, "broker: %s is not a valid endpoint", endpoint);
        dp_client_destroy (&self);
        return NULL;
    }
    dp_wire_msg_t hello, reply;
    dp_wire_msg_init (&hello, DP_WIRE_HELLO, 0);
    snprintf (hello.role, sizeof hello.role, "client");
    zframe_t *frame = NULL;
    dp_status rc = s_call (self, &hello, DP_WIRE_WELCOME, &frame, &reply, err);
    if (rc != DP_OK) {
        if (rc == DP_TIMEOUT)
            dp_error_set (err, DP_UNREACHABLE, "broker: no answer from %s within %d ms",
                          endpoint, self->timeout_ms);
        dp_client_destroy (&self);
        return NULL;
    }
    s_events_endpoint (endpoint, reply.endpoint, self->events, sizeof self->events);
    self->epoch = reply.epoch;
    self->frame_max = reply.frame_max;
    self->batch_max = reply.batch_max;
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    return self;
}

static void
s_held_clear (dp_client_t *self)
{
    for (size_t i = self->held_head; i < self->held_count; i++)
        free (self->held [i].data);
    free (self->held);
    self->held = NULL;
    self->held_count = self->held_head = self->held_cap = 0;
}

void
dp_client_destroy (dp_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_client_t *self = *self_p;
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    dp_curve_client_destroy (&self->curve);
    s_held_clear (self);
    free (self->current);
    free (self);
    *self_p = NULL;
}

const char *dp_client_events_endpoint (dp_client_t *self) { return self->events; }

void
dp_client_set_events_queue (dp_client_t *self, int messages)
{
    self->events_queue = messages > 0? messages: 1;
}
uint64_t dp_client_epoch (dp_client_t *self) { return self->epoch; }
uint32_t dp_client_batch_max (dp_client_t *self) { return self->batch_max; }
uint64_t dp_client_frame_max (dp_client_t *self) { return self->frame_max; }
size_t dp_client_outstanding (dp_client_t *self) { return self->out_count; }
uint64_t dp_client_next_seq (dp_client_t *self) { return self->expected; }
uint64_t dp_client_replayed (dp_client_t *self) { return self->replayed; }

//  --------------------------------------------------------------------------
//  Submit

dp_status
dp_client_submit_send (dp_client_t *self, const dp_wire_item_t *items, size_t count,
                       dp_error_t *err)
{
    if (count == 0 || count > self->batch_max)
        return dp_error_set (err, DP_LIMIT, "submit: %zu deals, a batch holds 1..%u", count,
                             self->batch_max);
    if (self->out_count == DP_CLIENT_WINDOW)
        return dp_error_set (err, DP_LIMIT, "submit: %d submits already outstanding",
                             DP_CLIENT_WINDOW);
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_SUBMIT, 0);
    msg.items = (dp_wire_item_t *) items;       //  borrowed: encode does not write
    msg.count = count;
    dp_status rc = s_send (self, &msg, err);
    if (rc == DP_OK) {
        self->outstanding [(self->out_head + self->out_count) % DP_CLIENT_WINDOW] = msg.request_id;
        self->out_count++;
    }
    return rc;
}

dp_status
dp_client_submit_recv (dp_client_t *self, dp_wire_ack_t *acks, size_t *count, dp_error_t *err)
{
    if (self->out_count == 0)
        return dp_error_set (err, DP_INVALID, "submit: nothing outstanding");
    uint64_t request_id = self->outstanding [self->out_head];
    self->out_head = (self->out_head + 1) % DP_CLIENT_WINDOW;
    self->out_count--;
    zframe_t *frame = NULL;
    dp_wire_msg_t reply;
    dp_status rc = s_recv (self, request_id, "submit", &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    if (reply.kind != DP_WIRE_SUBMIT_ACK)
        rc = dp_error_set (err, DP_PROTO, "submit: unexpected reply %s",
                           dp_wire_kind_name (reply.kind));
    else {
        memcpy (acks, reply.acks, reply.count * sizeof *acks);
        *count = reply.count;
    }
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    return rc;
}

dp_status
dp_client_submit (dp_client_t *self, const dp_wire_item_t *items, size_t count,
                  dp_wire_ack_t *acks, dp_error_t *err)
{
    if (self->out_count)
        return dp_error_set (err, DP_INVALID, "submit: pipelined submits are outstanding");
    dp_status rc = dp_client_submit_send (self, items, count, err);
    size_t got = 0;
    rc = rc? rc: dp_client_submit_recv (self, acks, &got, err);
    if (rc == DP_OK && got != count)
        rc = dp_error_set (err, DP_PROTO, "submit: %zu acks for %zu deals", got, count);
    return rc;
}

//  --------------------------------------------------------------------------
//  Queries

static void
s_deal_request (dp_wire_msg_t *msg, int kind, const char *deal_id)
{
    dp_wire_msg_init (msg, kind, 0);
    snprintf (msg->deal_id, sizeof msg->deal_id, "%s", deal_id);
}

dp_status
dp_client_status (dp_client_t *self, const char *deal_id, dp_client_deal_t *out, dp_error_t *err)
{
    if (!dp_wire_deal_id_valid (deal_id))
        return dp_error_set (err, DP_INVALID, "deal_id: must match [A-Za-z0-9._:-]{1,128}");
    dp_wire_msg_t request, reply;
    zframe_t *frame = NULL;
    s_deal_request (&request, DP_WIRE_STATUS, deal_id);
    dp_status rc = s_call (self, &request, DP_WIRE_STATUS_REPLY, &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    memset (out, 0, sizeof *out);
    out->envelope = reply.envelope;
    snprintf (out->status, sizeof out->status, "%s", reply.status);
    snprintf (out->reason, sizeof out->reason, "%s", reply.reason);
    out->attempts = reply.attempts;
    out->has_result = reply.has_result;
    snprintf (out->escrow_tx, sizeof out->escrow_tx, "%s", reply.escrow_tx);
    snprintf (out->completion_tx, sizeof out->completion_tx, "%s", reply.completion_tx);
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    return DP_OK;
}

dp_status
dp_client_result (dp_client_t *self, const char *deal_id, dp_client_result_t *out, dp_error_t *err)
{
    memset (out, 0, sizeof *out);
    if (!dp_wire_deal_id_valid (deal_id))
        return dp_error_set (err, DP_INVALID, "deal_id: must match [A-Za-z0-9._:-]{1,128}");
    dp_wire_msg_t request, reply;
    zframe_t *frame = NULL;
    s_deal_request (&request, DP_WIRE_RESULT, deal_id);
    dp_status rc = s_call (self, &request, DP_WIRE_RESULT_REPLY, &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    snprintf (out->status, sizeof out->status, "%s", reply.status);
    snprintf (out->reason, sizeof out->reason, "%s", reply.reason);
    snprintf (out->escrow_tx, sizeof out->escrow_tx, "%s", reply.escrow_tx);
    snprintf (out->completion_tx, sizeof out->completion_tx, "%s", reply.completion_tx);
    if (reply.data_len) {
        out->json = malloc (reply.data_len + 1);
        if (!out->json)
            rc = dp_error_set (err, DP_NOMEM, "result: out of memory");
        else {
            memcpy (out->json, reply.data, reply.data_len);
            out->json [reply.data_len] = '\0';
            out->json_len = reply.data_len;
        }
    }
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    return rc;
}

void
dp_client_result_clear (dp_client_result_t *result)
{
    if (result) {
        free (result->json);
        memset (result, 0, sizeof *result);
    }
}

dp_status
dp_client_list (dp_client_t *self, const char *status, const char *batch, const char *after,
                uint32_t limit, dp_wire_entry_t **entries, size_t *count,
                char next [DP_DEAL_ID_MAX + 1], dp_error_t *err)
{
    *entries = NULL;
    *count = 0;
    next [0] = '\0';
    dp_wire_msg_t request, reply;
    dp_wire_msg_init (&request, DP_WIRE_LIST, 0);
    if (strlen (status) > DP_WIRE_STATUS_MAX || strlen (batch) > DP_BATCH_MAX
        || strlen (after) > DP_DEAL_ID_MAX)
        return dp_error_set (err, DP_INVALID, "list: status, batch or cursor too long");
    snprintf (request.status, sizeof request.status, "%s", status);
    snprintf (request.batch, sizeof request.batch, "%s", batch);
    snprintf (request.after, sizeof request.after, "%s", after);
    request.limit = limit;
    zframe_t *frame = NULL;
    dp_status rc = s_call (self, &request, DP_WIRE_LIST_REPLY, &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    *entries = reply.entries;           //  handed over to the caller
    reply.entries = NULL;
    *count = reply.count;
    snprintf (next, DP_DEAL_ID_MAX + 1, "%s", reply.after);
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    return DP_OK;
}

dp_status
dp_client_stats (dp_client_t *self, dp_wire_stats_t *out, dp_error_t *err)
{
    dp_wire_msg_t request, reply;
    dp_wire_msg_init (&request, DP_WIRE_STATS, 0);
    zframe_t *frame = NULL;
    dp_status rc = s_call (self, &request, DP_WIRE_STATS_REPLY, &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    *out = reply.stats;                 //  workers array handed over
    reply.stats.workers = NULL;
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    return DP_OK;
}

void
dp_client_stats_clear (dp_wire_stats_t *stats)
{
    if (stats) {
        free (stats->workers);
        memset (stats, 0, sizeof *stats);
    }
}

dp_status
dp_client_annotate (dp_client_t *self, const char *deal_id, const char *key, const char *value,
                    dp_error_t *err)
{
    if (strlen (key) >= 32 || strlen (value) > DP_WIRE_TX_MAX || !dp_wire_deal_id_valid (deal_id))
        return dp_error_set (err, DP_INVALID, "annotate: deal_id, key or value malformed or too long");
    dp_wire_msg_t request, reply;
    s_deal_request (&request, DP_WIRE_ANNOTATE, deal_id);
    snprintf (request.key, sizeof request.key, "%s", key);
    snprintf (request.value, sizeof request.value, "%s", value);
    zframe_t *frame = NULL;
    dp_status rc = s_call (self, &request, DP_WIRE_OK, &frame, &reply, err);
    if (rc == DP_OK) {
        dp_wire_msg_clear (&reply);
        zframe_destroy (&frame);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Events

static dp_status
s_hold (dp_client_t *self, const dp_wire_event_t *event)
{
    if (self->held_head == self->held_count)
        self->held_head = self->held_count = 0;     //  empty: reuse from the start
    if (self->held_count == self->held_cap) {
        size_t cap = self->held_cap? self->held_cap * 2: 256;
        s_held_t *held = realloc (self->held, cap * sizeof *held);
        if (!held)
            return DP_NOMEM;
        self->held = held;
        self->held_cap = cap;
    }
    s_held_t *slot = &self->held [self->held_count];
    slot->event = *event;
    slot->data = malloc (event->data_len + 1);
    if (!slot->data)
        return DP_NOMEM;
    memcpy (slot->data, event->data, event->data_len);
    slot->data [event->data_len] = '\0';
    slot->event.data = slot->data;
    self->held_count++;
    return DP_OK;
}

//  Fetches one page of events from self->expected on (up to upto) and
//  holds them; later pages are fetched as the held ones are consumed, so
//  a subscriber far behind never holds more than one page.
static dp_status
s_replay (dp_client_t *self, uint64_t upto, dp_error_t *err)
{
    if (upto > self->replay_upto)
        self->replay_upto = upto;
    if (self->expected > self->replay_upto)
        return DP_OK;
    dp_wire_msg_t request, reply;
    dp_wire_msg_init (&request, DP_WIRE_REPLAY, 0);
    request.from_seq = self->expected;
    request.limit = DP_WIRE_REPLAY_MAX;
    zframe_t *frame = NULL;
    dp_status rc = s_call (self, &request, DP_WIRE_REPLAY_REPLY, &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    uint64_t missing_from = self->expected;
    int lost = reply.oldest_seq > self->expected;
    uint64_t lost_to = lost? reply.oldest_seq - 1: 0;
    if (lost)
        self->expected = reply.oldest_seq;
    for (size_t i = 0; rc == DP_OK && i < reply.count; i++)
        if (reply.events [i].seq >= self->expected) {
            rc = s_hold (self, &reply.events [i]);
            self->expected = reply.events [i].seq + 1;
            self->replayed++;
        }
    if (reply.count == 0 || self->replay_upto > reply.last_seq)
        self->replay_upto = reply.last_seq;     //  nothing more to fetch than the broker has
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    if (rc != DP_OK)
        return dp_error_set (err, rc, "replay: out of memory");
    if (lost)       //  the held events are returned by the next calls
        return dp_error_set (err, DP_NOTFOUND, "events %llu..%llu are no longer kept by the broker",
                             (unsigned long long) missing_from, (unsigned long long) lost_to);
    return DP_OK;
}

dp_status
dp_client_subscribe (dp_client_t *self, uint64_t from_seq, dp_error_t *err)
{
    zsock_destroy (&self->sub);
    s_held_clear (self);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->sub)
        return dp_error_set (err, DP_NOMEM, "subscribe: cannot create a socket");
    zsock_set_linger (self->sub, 0);
    //  Bounded (a message holds up to 256 events, 64 KiB unless one event
    //  is bigger): a gap is repaired by replay.
    zsock_set_rcvhwm (self->sub, self->events_queue);
    zsock_set_subscribe (self->sub, "");
    dp_curve_client_apply (self->curve, self->sub);
    if (zsock_connect (self->sub, "%s", self->events) != 0)
        return dp_error_set (err, DP_UNREACHABLE, "subscribe: cannot connect to %s", self->events);
    //  An empty replay tells the last published sequence number.
    dp_wire_msg_t request, reply;
    dp_wire_msg_init (&request, DP_WIRE_REPLAY, 0);
    request.from_seq = UINT64_MAX;
    request.limit = 1;
    zframe_t *frame = NULL;
    dp_status rc = s_call (self, &request, DP_WIRE_REPLAY_REPLY, &frame, &reply, err);
    if (rc != DP_OK)
        return rc;
    self->expected = from_seq? from_seq: reply.last_seq + 1;
    self->replay_upto = 0;
    uint64_t last = reply.last_seq;
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    if (self->expected <= last)
        return s_replay (self, last, err);
    return DP_OK;
}

static dp_status
s_pop (dp_client_t *self, dp_wire_event_t *event)
{
    s_held_t *slot = &self->held [self->held_head++];
    free (self->current);
    self->current = slot->data;         //  lives until the next call
    *event = slot->event;
    return DP_OK;
}

//  One live durable event, in order: held if it is the next one; a gap
//  before it is fetched by replay first (which holds it too, as the broker
//  publishes only what it stored); an older one was seen already.
static dp_status
s_on_durable (dp_client_t *self, const dp_wire_event_t *event, dp_error_t *err)
{
    dp_status rc = DP_OK;
    if (event->seq > self->expected)
        rc = s_replay (self, event->seq, err);
    if (rc == DP_OK && event->seq == self->expected) {
        rc = s_hold (self, event);
        self->expected++;
    }
    return rc;
}

//  Handles one live message; DP_OK with *ready when an event can be returned.
static dp_status
s_on_live (dp_client_t *self, const uint8_t *frame, size_t frame_len, dp_wire_event_t *event,
           int *ready, dp_error_t *err)
{
    dp_wire_msg_t live;
    dp_status rc = DP_OK;
    *ready = 0;
    if (frame && dp_wire_decode (frame, frame_len, 0, 0, &live, NULL) == DP_OK) {
        if (live.kind == DP_WIRE_TICK && live.last_seq >= self->expected)
            rc = s_replay (self, live.last_seq, err);
        else if (live.kind == DP_WIRE_EVENT && live.event.seq == 0)
            rc = s_hold (self, &live.event);            //  progress: not durable, not ordered
        else if (live.kind == DP_WIRE_EVENT)
            rc = s_on_durable (self, &live.event, err);
        else if (live.kind == DP_WIRE_EVENTS)
            for (size_t i = 0; rc == DP_OK && i < live.count; i++)
                if (live.events [i].seq)
                    rc = s_on_durable (self, &live.events [i], err);
        dp_wire_msg_clear (&live);
    }
    if (rc == DP_OK && self->held_head < self->held_count) {
        *ready = 1;
        return s_pop (self, event);
    }
    return rc;
}

dp_status
dp_client_next_event (dp_client_t *self, int timeout_ms, dp_wire_event_t *event, dp_error_t *err)
{
    if (!self->sub)
        return dp_error_set (err, DP_INVALID, "events: call dp_client_subscribe first");
    if (self->held_head == self->held_count && self->expected <= self->replay_upto) {
        dp_status rc = s_replay (self, 0, err);     //  the next page of a replay in progress
        if (rc != DP_OK)
            return rc;
    }
    if (self->held_head < self->held_count)
        return s_pop (self, event);
    int64_t deadline = zclock_mono () + timeout_ms;
    void *sub = zsock_resolve (self->sub);
    while (true) {
        //  Raw receives, polling only when nothing is queued: a subscriber
        //  gets several events per deal, and CZMQ's message objects (and a
        //  receive timeout set per call) cost more than decoding them.
        zmq_msg_t topic, frame;
        zmq_msg_init (&topic);
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&topic, sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&topic);
            zmq_msg_close (&frame);
            int64_t left = deadline - zclock_mono ();
            zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };
            int ready = left > 0? zmq_poll (&item, 1, (long) left): 0;
            if (ready < 0 && errno == EINTR)
                continue;               //  a signal: wait for what is left
            if (ready <= 0)
                return dp_error_set (err, DP_TIMEOUT, "events: nothing within %d ms", timeout_ms);
            continue;
        }
        int has_frame = zmq_msg_more (&topic) && zmq_msg_recv (&frame, sub, 0) >= 0;
        if (has_frame && zmq_msg_more (&frame))
            dp_frames_drop_rest (sub);                  //  not ours
        int ready;
        dp_status rc = s_on_live (self, has_frame? zmq_msg_data (&frame): NULL,
                                  has_frame? zmq_msg_size (&frame): 0, event, &ready, err);
        zmq_msg_close (&topic);
        zmq_msg_close (&frame);
        if (rc != DP_OK || ready)
            return rc;
    }
}
