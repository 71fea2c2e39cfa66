/*  dp_broker_int.h — state shared by the broker's reactor modules.

    Internal. The reactor thread alone touches everything here:
    dp_broker.c (lifecycle, sockets, timers), dp_broker_ops.c (the protocol
    handlers and the deal state machine), dp_broker_submit.c (submits),
    dp_broker_query.c (queries and replay), dp_deal_index.c (deals by id). */

#ifndef DP_BROKER_INT_H_INCLUDED
#define DP_BROKER_INT_H_INCLUDED

#include <czmq.h>

#include "dp_broker.h"
#include "dp_curve.h"
#include "dp_deal_index.h"
#include "dp_store.h"
#include "dp_wire.h"

#define DP_PRIORITIES 10
#define DP_IDENTITY_MAX 256

//  In-memory state of a deal that is not final yet.
enum { S_COMMITTING = 0, S_PENDING, S_LEASED, S_FINISHING };

typedef struct dp_qdeal dp_qdeal_t;
typedef struct dp_qworker dp_qworker_t;

typedef struct {
    dp_qdeal_t *head, *tail;
    size_t count;
} dp_qlist_t;

struct dp_qdeal {
    char id [DP_DEAL_ID_MAX + 1];
    uint8_t state;
    uint8_t priority;
    uint32_t attempts;
    uint64_t order;
    uint64_t token;
    int64_t deadline_ms;            //  lease deadline as persisted
    int64_t queued_at_ms;           //  when it became pending (queue age)
    int64_t not_before_ms;          //  released deals wait until then
    int64_t submitted_at_ms;
    uint8_t body_sha256 [32];
    char *batch;
    const char *requeued_why;       //  why it last went back to the queue (a string
                                    //  literal); NULL if it has not since this start
    dp_qworker_t *worker;
    dp_qlist_t *list;                 //  the list it is on (ready, delayed, orphans, a worker's)
    dp_qdeal_t *prev, *next;
};

struct dp_qworker {
    char key [2 * DP_IDENTITY_MAX + 1];     //  hex of the routing id
    uint8_t id [DP_IDENTITY_MAX];
    size_t id_len;
    char name [DP_WIRE_NAME_MAX + 1];
    uint32_t capacity;
    uint64_t done;
    int64_t last_seen_ms;
    dp_qlist_t leases;
    bool takes_jobs;                //  said `features jobs`: its jobs go out in `jobs`
    uint8_t **pending;              //  its `job` frames of the dispatch under way
    size_t *pending_len;
    dp_qdeal_t **pending_deals;     //  and their deals, taken back if the send fails
    size_t pending_count, pending_cap, pending_bytes;
    bool stalled;                   //  a send to it failed: no jobs until it is heard from
};

//  A reply that waits for a group commit.
typedef struct dp_qreply {
    uint8_t id [DP_IDENTITY_MAX];
    size_t id_len;
    dp_wire_msg_t msg;              //  acks owned here
    struct dp_qreply *next;
} dp_qreply_t;

typedef struct {
    dp_broker_options_t opt;
    char data_dir [1024];
    char endpoint [256];
    char events_endpoint [256];
    zsock_t *pipe;
    zsock_t *router;
    void *router_raw;
    zsock_t *pub;
    void *pub_raw;
    zactor_t *committer;
    zactor_t *monitor;
    zloop_t *loop;
    dp_store_t *store;
    dp_deal_index_t *deals;         //  id → dp_qdeal_t (non-final deals only)
    zhashx_t *workers;              //  routing id hex → dp_qworker_t
    dp_qworker_t **ring;              //  round-robin order for fair dispatch
    size_t ring_count, ring_next;
    dp_qlist_t ready [DP_PRIORITIES];
    dp_qlist_t delayed;
    dp_qlist_t orphans;               //  leased before a restart, no worker yet
    dp_group_t *accum;              //  ops waiting for the next commit
    dp_group_t *inflight;           //  the group at the committer
    dp_group_t *spare;              //  an emptied group, reused as the next accum
    dp_qreply_t *free_replies;      //  sent replies kept for reuse (a few hundred per group)
    size_t free_reply_count;
    uint64_t epoch, seq, published_seq, order, tokens;
    uint64_t submitted_total, completed_total, commits;
    dp_curve_server_t *curve;        //  NULL when the sockets are plain TCP
    uint64_t handshake_failures;    //  refused by CURVE since the last log line
    int64_t handshake_logged_ms;
    size_t committing;              //  deals in the index whose submit is not committed yet
    double commit_ms_total;
    uint64_t rate_submit [10], rate_done [10];      //  per-second buckets
    int64_t rate_second;
    uint64_t recovered;
    int64_t last_heartbeat_ms, last_tick_pub_ms;
    bool draining;
    bool failed;
    bool lease_timer;               //  a delayed flush of lease records is armed
    bool force_flush;
    //  Messages built for every deal (its job, its three or more events)
    //  are encoded from these: each use sets every field its kind sends,
    //  which spares clearing a whole dp_wire_msg_t (4 KB) per message.
    dp_wire_msg_t job_msg;
    dp_wire_msg_t event_msg;
    //  The committed group's durable events, published together in
    //  `events` messages (views of the ops' frames until the group is reused).
    const uint8_t *pub_frames [DP_WIRE_EVENTS_MAX];
    size_t pub_lens [DP_WIRE_EVENTS_MAX];
    size_t pub_count, pub_bytes;
    uint64_t pub_last_seq;
} dp_reactor_t;

//  Bytes of events in one published `events` message, unless a single
//  event is bigger: a subscriber's queue (PUB's high-water mark counts
//  messages) then holds at most DP_BROKER_EVENTS_BYTES per message.
#define DP_BROKER_EVENTS_BYTES (64u << 10)

//  Bytes of jobs in one `jobs` message, unless a single job is bigger.
#define DP_BROKER_JOBS_BYTES (1u << 20)

//  How long lease records (leases, renewals, requeues) may wait for other
//  work to share their commit. A lease that a crash loses in that window is
//  unknown after the restart: its deal is dispatched again and costs no
//  attempt, as for a crash just before the lease (SPEC §2).
#define DP_BROKER_LEASE_HOLD_MS 10

//  Frees a worker's record (its leases must be elsewhere by then).
void dp_qworker_destroy (dp_qworker_t **self_p);

//  Lists
void dp_qlist_push (dp_qlist_t *list, dp_qdeal_t *deal);
void dp_qlist_insert_ordered (dp_qlist_t *list, dp_qdeal_t *deal);
void dp_qlist_remove (dp_qdeal_t *deal);

//  dp_broker_ops.c: helpers the handler modules share
int64_t dp_broker_now (void);                   //  Unix ms
//  A zeroed op of type for deal_id in the next group; NULL (and the broker
//  marked failed) if out of memory.
dp_op_t *dp_broker_op (dp_reactor_t *self, dp_op_type type, const char *deal_id);
//  Builds op's durable event (and a result's live event) with the next seq.
void dp_broker_op_event (dp_reactor_t *self, dp_op_t *op, const char *type, const char *status,
                         const char *reason, const char *batch, uint32_t attempt,
                         const uint8_t *data, size_t data_len);
//  Fills op's active record from the deal, with status.
void dp_broker_fill_active (dp_op_t *op, const dp_qdeal_t *deal, int status);
//  A reply of kind sent once the next group has committed; NULL if out of memory.
dp_qreply_t *dp_broker_reply_later (dp_reactor_t *self, const uint8_t *id, size_t id_len,
                                    int kind, uint64_t request_id);

//  dp_broker_submit.c
void dp_broker_on_submit (dp_reactor_t *self, const uint8_t *id, size_t id_len,
                          dp_wire_msg_t *msg);

//  dp_broker_ops.c
void dp_broker_handle (dp_reactor_t *self, const uint8_t *id, size_t id_len,
                       const uint8_t *frame, size_t len);
void dp_broker_committed (dp_reactor_t *self, dp_group_t *group);
void dp_broker_dispatch (dp_reactor_t *self);
void dp_broker_tick (dp_reactor_t *self);
void dp_broker_probe_workers (dp_reactor_t *self);
void dp_broker_recover (dp_reactor_t *self, const char *deal_id, const dp_store_active_t *rec,
                        const char *batch);
void dp_broker_reply_error (dp_reactor_t *self, const uint8_t *id, size_t id_len,
                            uint64_t request_id, dp_status code, const char *text);
const char *dp_broker_state_status (const dp_qdeal_t *deal);

//  dp_broker_query.c
void dp_broker_on_status (dp_reactor_t *self, const uint8_t *id, size_t id_len,
                          dp_wire_msg_t *msg, int result);
void dp_broker_on_list (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg);
void dp_broker_on_stats (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg);
void dp_broker_on_replay (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg);

int dp_broker_send (dp_reactor_t *self, const uint8_t *id, size_t id_len, const dp_wire_msg_t *msg);
int dp_broker_send_frame (dp_reactor_t *self, const uint8_t *id, size_t id_len, uint8_t *frame,
                          size_t len, const char *what);
void dp_broker_flush (dp_reactor_t *self);

#endif
