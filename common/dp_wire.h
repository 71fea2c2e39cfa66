/*  dp_wire.h — the broker protocol's frames: msgpack, versioned, strict.

    Every protocol message is one ZeroMQ frame holding one msgpack array:

        [version, kind, request_id, field, field, ...]

    version is DP_WIRE_VERSION; kind is one of dp_wire_kind (a small
    integer); request_id is chosen by the requester and echoed in the reply
    (0 for unsolicited messages). The fields after request_id are fixed per
    kind (docs/protocol.md lists them). The deal body travels as msgpack bin
    and is never interpreted here.

    Encoding uses msgpack-c's packer. Decoding uses a small cursor reader of
    our own, because msgpack-c's unpacker builds an object tree sized by the
    counts a peer declares (a 5-byte frame can ask for gigabytes); the
    cursor bounds every read by the bytes actually present, allocates
    nothing except the item arrays of submit/ack/list/replay (bounded by
    the frame), and refuses wrong types, unknown versions and kinds, extra
    or missing fields, oversized strings and trailing bytes.

    Ownership: dp_wire_encode returns a malloc'd buffer the caller frees.
    dp_wire_decode fills a dp_wire_msg_t whose strings are copied into the
    struct (fixed-size fields) and whose byte fields (body, result, data)
    are views into the frame: valid only while the frame lives. Call
    dp_wire_msg_clear to free the item arrays. Threading: no shared state. */

#ifndef DP_WIRE_H_INCLUDED
#define DP_WIRE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_envelope.h"
#include "dp_status.h"

#define DP_WIRE_VERSION 1

//  Default bounds; a broker may be configured with other values.
#define DP_WIRE_FRAME_MAX   (64u << 20)      //  SPEC §1: wire frame 64 MiB
#define DP_WIRE_BATCH_MAX   10000            //  SPEC §1: one submit batch
#define DP_WIRE_TEXT_MAX    511              //  reasons, error texts
#define DP_WIRE_NAME_MAX    127              //  worker names, roles, endpoints
#define DP_WIRE_STATUS_MAX  23               //  "verification_failed"
#define DP_WIRE_LIST_MAX    1000             //  entries per list page
#define DP_WIRE_REPLAY_MAX  10000            //  events per replay reply
#define DP_WIRE_LEASES_MAX  4096             //  leases a worker may name in its hello
#define DP_WIRE_DONES_MAX   4096             //  results in one dones / acks in one done_acks
#define DP_WIRE_TX_MAX      130              //  escrow_tx / completion_tx text
#define DP_WIRE_EVENTS_MAX  256              //  durable events in one published `events`
#define DP_WIRE_JOBS_MAX    4096             //  jobs in one `jobs`

typedef enum {
    DP_WIRE_HELLO = 1,      //  c,w → b   role, name, capacity, leases[]
    DP_WIRE_WELCOME,        //  b → c,w   epoch, events endpoint, heartbeat_ms, lease_ms, frame_max, batch_max
    DP_WIRE_OK,             //  b → c,w   (empty reply)
    DP_WIRE_ERROR,          //  b → c,w   code, text
    DP_WIRE_SUBMIT,         //  c → b     items[] of (envelope, body)
    DP_WIRE_SUBMIT_ACK,     //  b → c     acks[] of (deal_id, code, status, text)
    DP_WIRE_STATUS,         //  c → b     deal_id
    DP_WIRE_STATUS_REPLY,   //  b → c     envelope, status, reason, attempts, has_result, escrow_tx, completion_tx
    DP_WIRE_RESULT,         //  c → b     deal_id
    DP_WIRE_RESULT_REPLY,   //  b → c     deal_id, status, reason, result, escrow_tx, completion_tx
    DP_WIRE_LIST,           //  c → b     status, batch, after, limit
    DP_WIRE_LIST_REPLY,     //  b → c     entries[] of (deal_id, status), next
    DP_WIRE_STATS,          //  c → b     (none)
    DP_WIRE_STATS_REPLY,    //  b → c     stats (see dp_wire_stats_t)
    DP_WIRE_ANNOTATE,       //  c → b     deal_id, key, value
    DP_WIRE_REPLAY,         //  c → b     from_seq, max
    DP_WIRE_REPLAY_REPLY,   //  b → c     oldest_seq, last_seq, events[]
    DP_WIRE_JOB,            //  b → w     envelope, body, token, attempt, lease_ms
    DP_WIRE_DONE,           //  w → b     deal_id, token, status, reason, result
    DP_WIRE_DONE_ACK,       //  b → w     deal_id, token, code, text
    DP_WIRE_RELEASE,        //  w → b     deal_id, token, reason
    DP_WIRE_PROGRESS,       //  w → b     deal_id, token, data
    DP_WIRE_HEARTBEAT,      //  both      epoch (broker's; 0 from workers)
    DP_WIRE_CREDIT,         //  w → b     capacity (0 = draining)
    DP_WIRE_EVENT,          //  b → PUB   the event fields
    DP_WIRE_TICK,           //  b → PUB   epoch, last_seq (once a second: lets idle subscribers see gaps)
    DP_WIRE_DONES,          //  w → b     dones[] of (deal_id, token, status, reason, result)
    DP_WIRE_DONE_ACKS,      //  b → w     done_acks[] of (deal_id, token, code, text)
    DP_WIRE_EVENTS,         //  b → PUB   events[]: durable events in seq order
    DP_WIRE_JOBS,           //  b → w     jobs[] of (envelope, body, token, attempt, lease_ms)
    DP_WIRE_FEATURES,       //  w → b     features: what the worker takes beyond a `job` each
    DP_WIRE_KIND_COUNT
} dp_wire_kind;

//  Stable lower-case name of a kind ("submit"), "unknown" otherwise.
const char *dp_wire_kind_name (int kind);

//  A lease a reconnecting worker still holds (in its hello).
typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    uint64_t token;
} dp_wire_lease_t;

typedef struct {
    dp_envelope_t envelope;
    const uint8_t *body;                    //  view into the frame
    size_t body_len;
} dp_wire_item_t;

typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    dp_status code;                         //  DP_OK, DP_EXISTS, DP_INVALID, DP_FULL, ...
    char status [DP_WIRE_STATUS_MAX + 1];   //  the deal's status when code is DP_OK
    char text [DP_WIRE_TEXT_MAX + 1];       //  the reason when code is not DP_OK
} dp_wire_ack_t;

//  One job of a `jobs` (broker → worker): the fields of a `job`.
typedef struct {
    dp_envelope_t envelope;
    const uint8_t *body;                    //  view into the frame
    size_t body_len;
    uint64_t token;
    uint32_t attempt;
    uint32_t lease_ms;
} dp_wire_job_t;

//  One result of a `dones` (worker → broker): the fields of a `done`.
typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    uint64_t token;
    char status [DP_WIRE_STATUS_MAX + 1];
    char reason [DP_WIRE_TEXT_MAX + 1];
    const uint8_t *data;                    //  result JSON: view into the frame
    size_t data_len;
} dp_wire_done_t;

//  One acknowledgement of a `done_acks` (broker → worker): a `done_ack`'s fields.
typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    uint64_t token;
    dp_status code;                         //  DP_OK stored, DP_STALE, DP_NOTFOUND
    char text [DP_WIRE_TEXT_MAX + 1];
} dp_wire_done_ack_t;

typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    char status [DP_WIRE_STATUS_MAX + 1];
} dp_wire_entry_t;

//  One event as published (PUB) or replayed. seq is 0 for non-durable
//  (progress) events. type: "status", "result", "annotation", "progress".
typedef struct {
    uint64_t epoch;
    uint64_t seq;
    char type [16];
    char deal_id [DP_DEAL_ID_MAX + 1];
    char status [DP_WIRE_STATUS_MAX + 1];
    char reason [DP_WIRE_TEXT_MAX + 1];
    char batch [DP_BATCH_MAX + 1];
    int64_t time_ms;
    uint32_t attempt;
    const uint8_t *data;                    //  view: result JSON, annotation JSON or progress JSON
    size_t data_len;
} dp_wire_event_t;

#define DP_WIRE_STATUSES 6      //  pending, negotiating, agreed, failed, verification_failed, (total)
typedef struct {
    char name [DP_WIRE_NAME_MAX + 1];
    uint32_t capacity;
    uint32_t leased;
    uint64_t done;
} dp_wire_worker_t;

typedef struct {
    uint64_t epoch;
    uint64_t last_seq;
    uint64_t pending, negotiating, agreed, failed, verification_failed;
    uint64_t submitted_total;               //  since start
    uint64_t completed_total;               //  since start
    double submit_rate;                     //  deals/s over the last rate window
    double complete_rate;
    int64_t oldest_pending_ms;              //  age of the oldest pending deal, 0 if none
    uint64_t map_size, map_used;            //  LMDB bytes
    uint64_t commits;                       //  group commits since start
    double commit_avg_ms;                   //  mean commit time
    uint32_t worker_count;
    dp_wire_worker_t *workers;              //  malloc'd array (decode) / borrowed (encode)
} dp_wire_stats_t;

//  A decoded message. Which fields are meaningful depends on kind
//  (docs/protocol.md, and the comments on dp_wire_kind above).
typedef struct {
    int kind;
    uint64_t request_id;
    //  hello
    char role [16];                         //  "client" | "worker"
    char name [DP_WIRE_NAME_MAX + 1];
    uint32_t capacity;                      //  hello, credit
    dp_wire_lease_t *leases;                //  hello (malloc'd)
    size_t lease_count;
    //  welcome, heartbeat, tick
    uint64_t epoch;
    char endpoint [256];
    uint32_t heartbeat_ms;
    uint32_t lease_ms;
    uint64_t frame_max;
    uint32_t batch_max;
    //  error, acks
    dp_status code;
    char text [DP_WIRE_TEXT_MAX + 1];
    //  submit (items), submit_ack (acks), list_reply (entries), replay_reply (events)
    dp_wire_item_t *items;
    dp_wire_ack_t *acks;
    dp_wire_entry_t *entries;
    dp_wire_event_t *events;
    dp_wire_done_t *dones;                  //  dones (views into the frame for data)
    dp_wire_done_ack_t *done_acks;          //  done_acks
    dp_wire_job_t *jobs;                    //  jobs (views into the frame for bodies)
    size_t count;
    //  single-deal messages
    char deal_id [DP_DEAL_ID_MAX + 1];
    dp_envelope_t envelope;                 //  status_reply, job
    const uint8_t *envelope_raw;            //  encode: if set, these bytes (an encoded
    size_t envelope_raw_len;                //  envelope) are sent instead of envelope
    const uint8_t *body;                    //  job: view
    size_t body_len;
    uint64_t token;                         //  job, done, done_ack, release, progress
    uint32_t attempt;                       //  job
    char status [DP_WIRE_STATUS_MAX + 1];
    char reason [DP_WIRE_TEXT_MAX + 1];
    uint32_t attempts;                      //  status_reply
    int has_result;                         //  status_reply
    char escrow_tx [DP_WIRE_TX_MAX + 1];
    char completion_tx [DP_WIRE_TX_MAX + 1];
    const uint8_t *data;                    //  result_reply/done: result JSON; progress: JSON; view
    size_t data_len;
    //  list
    char batch [DP_BATCH_MAX + 1];
    char after [DP_DEAL_ID_MAX + 1];        //  list: cursor; list_reply: next cursor ("" = end)
    uint32_t limit;
    //  annotate
    char key [32];
    char value [DP_WIRE_TX_MAX + 1];
    //  replay
    uint64_t from_seq;
    uint64_t oldest_seq;
    uint64_t last_seq;
    //  event
    dp_wire_event_t event;
    //  stats
    dp_wire_stats_t stats;
    //  features: space-separated names ("jobs")
    char features [DP_WIRE_NAME_MAX + 1];
} dp_wire_msg_t;

//  Where field `index` (0 = the first after version, kind and request_id)
//  of a frame lies: *offset and *len in bytes. The header is checked as
//  dp_wire_decode does, the fields before it and the field itself are only
//  walked (msgpack structure, not their types), so a span is found without
//  decoding. For the broker, which copies a stored record's envelope into
//  a job (envelope_raw) without decoding it. DP_PROTO / DP_UNSUPPORTED.
dp_status dp_wire_field_span (const uint8_t *frame, size_t len, size_t index, size_t *offset,
                              size_t *span, dp_error_t *err);

//  dp_wire_decode, except that the fields before `first` are only walked,
//  not decoded (they stay zero in msg).
dp_status dp_wire_decode_from (const uint8_t *frame, size_t len, size_t first, dp_wire_msg_t *msg,
                               dp_error_t *err);

//  A `job` message's fields as one job of a `jobs`, so both kinds are
//  handled alike (views into the same frame).
dp_wire_job_t dp_wire_msg_job (const dp_wire_msg_t *msg);

//  Zeroes a message (call before filling one to encode).
void dp_wire_msg_init (dp_wire_msg_t *msg, int kind, uint64_t request_id);

//  Frees the arrays a decode allocated (leases, items, acks, entries,
//  events, stats.workers) and zeroes the message. Safe on a zeroed message.
void dp_wire_msg_clear (dp_wire_msg_t *msg);

//  Encodes msg into a new malloc'd buffer (*out, *len). DP_INVALID if a
//  field is out of range (e.g. a string too long for the protocol), DP_NOMEM.
//  Arrays in msg are borrowed.
dp_status dp_wire_encode (const dp_wire_msg_t *msg, uint8_t **out, size_t *len,
                          dp_error_t *err) DP_MUST_CHECK;

//  Encodes an `events` message (request_id 0) from `count` `event` frames
//  made by dp_wire_encode, without decoding them: each frame's event array
//  is copied as it is. The bytes are those dp_wire_encode makes of an
//  `events` message holding the same events. For the broker, which has
//  each event encoded already (it stores them). DP_INVALID if a frame is
//  not an `event` or count is over DP_WIRE_EVENTS_MAX, DP_NOMEM.
dp_status dp_wire_encode_events (const uint8_t *const *frames, const size_t *lens, size_t count,
                                 uint8_t **out, size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  The same for a `jobs` message from `job` frames (over DP_WIRE_JOBS_MAX:
//  DP_INVALID): each job's fields are copied as they are.
dp_status dp_wire_encode_jobs (const uint8_t *const *frames, const size_t *lens, size_t count,
                               uint8_t **out, size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  Decodes one frame strictly into msg (zeroed first). frame_max bounds the
//  frame (0 = DP_WIRE_FRAME_MAX), batch_max the submit items (0 =
//  DP_WIRE_BATCH_MAX). Returns DP_OK, DP_LIMIT (oversize), DP_UNSUPPORTED
//  (unknown version or kind), DP_PROTO (malformed: the message names the
//  field and the reason) or DP_NOMEM. On error msg holds nothing to free,
//  except that kind and request_id are set when they could be read, so a
//  reply can name the request.
dp_status dp_wire_decode (const uint8_t *frame, size_t len, size_t frame_max, size_t batch_max,
                          dp_wire_msg_t *msg, dp_error_t *err) DP_MUST_CHECK;

//  Envelope field checks shared by the decoder and submitters: deal_id
//  charset [A-Za-z0-9._:-]{1,128}, data_hash empty or 64 lower-case hex,
//  seller_address empty or 0x+40 hex, priority 0..9. DP_INVALID naming
//  the field.
dp_status dp_wire_check_envelope (const dp_envelope_t *envelope, dp_error_t *err) DP_MUST_CHECK;

//  True if text is a valid deal id (SPEC §1).
int dp_wire_deal_id_valid (const char *text);

//  dp_status code from its name ("exists" → DP_EXISTS); DP_INTERNAL if unknown.
dp_status dp_wire_status_from_name (const char *name);

#endif
