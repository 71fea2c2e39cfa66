/*  dp_client.h — talk to a dp-broker: submit, query, annotate, events.

    Used by dp-submit, dp-relayer and the tests. One client = one DEALER
    connection (role "client") plus, after dp_client_subscribe, one SUB
    socket on the broker's events endpoint (learned from the hello reply).
    Protocol: docs/protocol.md.

    Return codes (every function): DP_OK; DP_UNREACHABLE (no hello reply
    within timeout_ms at dp_client_new); DP_TIMEOUT (a request got no
    reply within timeout_ms); DP_PROTO (the broker's reply was malformed);
    DP_NOTFOUND (no such deal); DP_INVALID / DP_LIMIT (the request was
    refused as bad input: err names the field); DP_NOMEM. err (may be
    NULL) always carries a message that names the step.

    Threading: a client belongs to one thread at a time (ZeroMQ sockets are
    not thread-safe); use one client per thread. Memory: arguments are
    borrowed; out-parameters marked "malloc'd" are the caller's to free. */

#ifndef DP_CLIENT_H_INCLUDED
#define DP_CLIENT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_envelope.h"
#include "dp_status.h"
#include "dp_wire.h"

typedef struct dp_client_t dp_client_t;

//  Connects to endpoint (e.g. "tcp://127.0.0.1:5570", or an inproc://
//  endpoint of an embedded broker) and says hello. timeout_ms bounds the
//  hello and every later request (> 0). NULL with err set on failure.
dp_client_t *dp_client_new (const char *endpoint, int timeout_ms, dp_error_t *err);
void dp_client_destroy (dp_client_t **self_p);

//  From the hello reply: the PUB endpoint, the broker's epoch (bumped at
//  each start) and its limits. Borrowed / plain values. A PUB endpoint
//  bound on every interface (tcp://0.0.0.0:P, *, ::) comes back with the
//  host this client dialled instead, so a remote client can reach it.
const char *dp_client_events_endpoint (dp_client_t *self);
uint64_t dp_client_epoch (dp_client_t *self);
uint32_t dp_client_batch_max (dp_client_t *self);
uint64_t dp_client_frame_max (dp_client_t *self);

//  Submits count deals (envelope + opaque body each; body_size and
//  body_sha256 must match the body) in one message, count <= batch_max.
//  acks[i] answers items[i]: code DP_OK means stored and fsync'd (status
//  "pending", or the existing deal's status if the same body was already
//  there); DP_EXISTS "deal_id exists with different content"; DP_INVALID
//  or DP_LIMIT naming the field; DP_FULL "queue full". The function
//  returns DP_OK when acks were received, whatever their codes.
dp_status dp_client_submit (dp_client_t *self, const dp_wire_item_t *items, size_t count,
                            dp_wire_ack_t *acks, dp_error_t *err) DP_MUST_CHECK;

//  Pipelined submit: send now, collect the acks later, in the order sent
//  (the broker answers in commit order). At most 64 outstanding. No other
//  request may be made while submits are outstanding (DP_INVALID).
dp_status dp_client_submit_send (dp_client_t *self, const dp_wire_item_t *items, size_t count,
                                 dp_error_t *err) DP_MUST_CHECK;
//  Receives the acks of the oldest outstanding submit into acks (which
//  holds that submit's count); *count is set to it.
dp_status dp_client_submit_recv (dp_client_t *self, dp_wire_ack_t *acks, size_t *count,
                                 dp_error_t *err) DP_MUST_CHECK;
size_t dp_client_outstanding (dp_client_t *self);

//  A deal's envelope and status (SPEC §3).
typedef struct {
    dp_envelope_t envelope;
    char status [DP_WIRE_STATUS_MAX + 1];
    char reason [DP_WIRE_TEXT_MAX + 1];
    uint32_t attempts;                  //  deliveries lost so far
    int has_result;
    char escrow_tx [DP_WIRE_TX_MAX + 1];        //  "" when not annotated
    char completion_tx [DP_WIRE_TX_MAX + 1];
} dp_client_deal_t;
dp_status dp_client_status (dp_client_t *self, const char *deal_id, dp_client_deal_t *out,
                            dp_error_t *err) DP_MUST_CHECK;

//  The stored result: json is the result object exactly as the worker (or,
//  for poison, the broker) made it, malloc'd, NULL if the deal has no
//  result yet; the annotations come beside it (they are unsigned fields,
//  SPEC §6, that a reader sets into the object). Free with dp_client_result_clear.
typedef struct {
    char status [DP_WIRE_STATUS_MAX + 1];
    char reason [DP_WIRE_TEXT_MAX + 1];
    char *json;
    size_t json_len;
    char escrow_tx [DP_WIRE_TX_MAX + 1];
    char completion_tx [DP_WIRE_TX_MAX + 1];
} dp_client_result_t;
dp_status dp_client_result (dp_client_t *self, const char *deal_id, dp_client_result_t *out,
                            dp_error_t *err) DP_MUST_CHECK;
void dp_client_result_clear (dp_client_result_t *result);

//  One page of deal ids with their status. status "" = any, batch "" = any;
//  after = "" for the first page, then the previous page's next. limit
//  1..1000. *entries is malloc'd (free it); next is "" on the last page.
dp_status dp_client_list (dp_client_t *self, const char *status, const char *batch,
                          const char *after, uint32_t limit, dp_wire_entry_t **entries,
                          size_t *count, char next [DP_DEAL_ID_MAX + 1], dp_error_t *err) DP_MUST_CHECK;

//  Counts, rates, queue age, store use, workers (docs/operations.md).
//  out->workers is malloc'd: free it (or call dp_client_stats_clear).
dp_status dp_client_stats (dp_client_t *self, dp_wire_stats_t *out, dp_error_t *err) DP_MUST_CHECK;
void dp_client_stats_clear (dp_wire_stats_t *stats);

//  Sets escrow_tx or completion_tx on a deal (key must be one of them;
//  value <= 130 characters, no quotes/backslashes). Stored, then
//  published as an "annotation" event.
dp_status dp_client_annotate (dp_client_t *self, const char *deal_id, const char *key,
                              const char *value, dp_error_t *err) DP_MUST_CHECK;

//  Starts receiving events. from_seq 0: only events after now; otherwise
//  every durable event from that sequence number on (replayed from the
//  broker's store, then live). Subscribing again restarts the stream.
//  DP_NOTFOUND (err names the range) when events from from_seq on are no
//  longer kept: the subscription stands, from the oldest kept event.
dp_status dp_client_subscribe (dp_client_t *self, uint64_t from_seq, dp_error_t *err) DP_MUST_CHECK;
//  How many event messages (each up to 256 events) the subscription may
//  queue before ZeroMQ stops reading (default 1000); for the next
//  dp_client_subscribe. A smaller queue holds less memory for a slow
//  reader, which then replays more.
void dp_client_set_events_queue (dp_client_t *self, int messages);

//  The next event, waiting up to timeout_ms. Durable events (seq > 0)
//  come exactly once each, in sequence order, without gaps: a gap on the
//  live stream (PUB drops when a subscriber is slow) is filled by asking
//  the broker to replay. Progress events (seq 0) come as they arrive and
//  may be lost. event->data (result, annotation or progress JSON) points
//  into the client and stays valid until the next call. DP_TIMEOUT when
//  nothing came; DP_NOTFOUND once when events were missed that the broker
//  no longer keeps (err names the range; the stream goes on after them).
dp_status dp_client_next_event (dp_client_t *self, int timeout_ms, dp_wire_event_t *event,
                                dp_error_t *err) DP_MUST_CHECK;

//  The sequence number the next durable event will have.
uint64_t dp_client_next_seq (dp_client_t *self);

//  How many durable events were fetched by replay (gaps repaired, or a
//  subscription from an earlier sequence), since the client was made.
uint64_t dp_client_replayed (dp_client_t *self);

#endif
