/*  dp_store.h — the broker's LMDB store and its group-commit thread.

    Internal to the broker (not installed). One environment, sub-databases:

      meta       "format" (u32), "epoch", "seq", "order" and final counts (u64)
      deals      deal_id → the deal record: a dp_wire STATUS_REPLY frame
                 (envelope, final status, reason, attempts, annotations)
      bodies_by_order  submit order (u64 big-endian) → canonical body
                 (deleted once a result is stored); `active` has the order
      active     deal_id → dp_store_active_t + batch (pending and leased deals)
      results    deal_id → result JSON as the worker (or the broker) made it
      by_status  status byte ‖ deal_id → ""   (listing final deals; pending and
                 negotiating ones are listed from `active`)
      by_batch   batch ‖ 0 ‖ deal_id → ""      (listing)
      events     seq (u64 big-endian) → dp_wire EVENT frame (durable events)

    Format version DP_STORE_FORMAT is stored in meta; formats 1 and 2 are
    converted at open, any other version is refused (docs/operations.md:
    how to bump it). Format 2 kept bodies in `bodies`, keyed by deal id.

    Threading: dp_store_open/close on the owner thread. Writes happen only
    on the committer actor (dp_store_committer), which receives groups of
    ops as pointers over its pipe and sends each group back when committed.
    Reads (dp_store_read_begin … end) happen on the reactor thread; they
    hold a read lock that the committer takes exclusively only to grow the
    map, which LMDB allows only while no transaction is open. */

#ifndef DP_STORE_H_INCLUDED
#define DP_STORE_H_INCLUDED

#include <czmq.h>
#include <lmdb.h>
#include <stdint.h>

#include "dp_envelope.h"
#include "dp_status.h"
#include "dp_wire.h"

#define DP_STORE_FORMAT 3

//  Deal statuses (SPEC §3) as stored. 0 is "none".
enum {
    DP_ST_NONE = 0, DP_ST_PENDING, DP_ST_NEGOTIATING, DP_ST_AGREED, DP_ST_FAILED,
    DP_ST_VERIFICATION_FAILED, DP_ST_COUNT
};
const char *dp_store_status_name (int status);
int dp_store_status_parse (const char *name);   //  DP_ST_NONE if unknown
int dp_store_status_final (int status);

//  A pending or leased deal as kept in `active`. Host byte order.
typedef struct {
    uint8_t version;            //  1
    uint8_t status;             //  DP_ST_PENDING | DP_ST_NEGOTIATING
    uint8_t priority;
    uint8_t pad;
    uint32_t attempts;          //  deliveries counted towards max_attempts
    uint64_t order;             //  submit order (FIFO within a priority)
    uint64_t token;             //  lease token, 0 when pending
    int64_t deadline_ms;        //  lease deadline, Unix ms
    int64_t submitted_at_ms;
    uint8_t body_sha256 [32];
} dp_store_active_t;

typedef enum {
    DP_OP_SUBMIT,               //  new deal: deals, bodies, active, by_batch
    DP_OP_ACTIVE,               //  lease / requeue / renew: active
    DP_OP_FINAL,                //  result: results, deals status, by_status, drop body and active
    DP_OP_ANNOTATE              //  set escrow_tx / completion_tx in the deal record
} dp_op_type;

typedef struct {
    dp_op_type type;
    char deal_id [DP_DEAL_ID_MAX + 1];
    int new_status;             //  the status the deal moves to (FINAL: its by_status entry)
    dp_store_active_t active;   //  SUBMIT, ACTIVE; FINAL: only order (the body's key)
    char batch [DP_BATCH_MAX + 1];
    dp_envelope_t envelope;     //  SUBMIT
    uint8_t *data;              //  SUBMIT: body; FINAL: result JSON; owned (malloc'd)
    size_t data_len;
    char reason [DP_WIRE_TEXT_MAX + 1];     //  FINAL
    uint32_t attempts;          //  FINAL
    char key [32];              //  ANNOTATE
    char value [DP_WIRE_TX_MAX + 1];
    uint8_t *event;             //  durable event frame, owned; NULL if none
    size_t event_len;
    uint8_t *live_event;        //  FINAL: the published frame, with the result; owned
    size_t live_event_len;
    uint64_t seq;
    dp_status result;           //  set by the committer: DP_OK, DP_FULL (submit refused), DP_NOTFOUND
    bool superseded;            //  set by the committer: a lease op made moot by a result
    size_t chain_prev;          //  committer's: index + 1 of the deal's previous lease op
    void *ctx;                  //  the reactor's, untouched here
    size_t tag;                 //  the reactor's, untouched here
} dp_op_t;

typedef struct {
    dp_op_t *ops;
    size_t count, capacity;
    uint64_t last_seq;          //  to store in meta
    uint64_t order;
    dp_status status;           //  set by the committer: DP_OK or a fatal error
    char error [DP_ERROR_TEXT_MAX];
    double commit_ms;           //  how long the commit took
    void *replies;              //  the reactor's list of replies waiting for this commit
    void **replies_tail;        //  where the next reply is linked (NULL: at replies)
} dp_group_t;

typedef struct dp_store_t dp_store_t;

//  Opens or creates the store in dir, bumps the epoch (committed before
//  returning). DP_IO / DP_UNSUPPORTED (format) with err set.
dp_store_t *dp_store_open (const char *dir, uint64_t map_size, uint64_t map_max,
                           uint64_t event_window, dp_error_t *err);
void dp_store_close (dp_store_t **self_p);

uint64_t dp_store_epoch (dp_store_t *self);
uint64_t dp_store_last_seq (dp_store_t *self);
uint64_t dp_store_order (dp_store_t *self);
uint64_t dp_store_count (dp_store_t *self, int status);     //  final statuses
uint64_t dp_store_oldest_seq (dp_store_t *self);
void dp_store_map_info (dp_store_t *self, uint64_t *size, uint64_t *used);

//  How many records `active` holds (pending and leased deals); 0 on error.
uint64_t dp_store_active_count (dp_store_t *self);

//  Calls fn for every record in `active` (recovery). The batch and record
//  are views valid during the call.
typedef void (dp_store_active_fn) (void *arg, const char *deal_id, const dp_store_active_t *rec,
                                   const char *batch);
dp_status dp_store_scan_active (dp_store_t *self, dp_store_active_fn *fn, void *arg,
                                dp_error_t *err) DP_MUST_CHECK;

//  Group helpers (reactor side).
dp_group_t *dp_group_new (void);
dp_op_t *dp_group_add (dp_group_t *self);      //  zeroed op, NULL if out of memory
void dp_group_destroy (dp_group_t **self_p);    //  frees op data and events
//  Empties a group for reuse (frees op data and events, keeps the op
//  array): big groups under load would otherwise be allocated, grown by
//  copying and faulted in afresh for every commit. The replies list must
//  have been handed off already.
void dp_group_reset (dp_group_t *self);

//  The committer actor: zactor_new (dp_store_committer, store). Send
//  "p" with a dp_group_t *; it answers "p" with the same group once the
//  group's transaction is committed and synced (or failed: group->status).
void dp_store_committer (zsock_t *pipe, void *store);

//  Reads (reactor thread). begin returns NULL on failure.
MDB_txn *dp_store_read_begin (dp_store_t *self);
void dp_store_read_end (dp_store_t *self, MDB_txn **txn_p);

//  Views into the map, valid until the transaction ends. DP_NOTFOUND if absent.
dp_status dp_store_get (dp_store_t *self, MDB_txn *txn, const char *db, const char *deal_id,
                        const uint8_t **data, size_t *len);
//  A pending or leased deal's body, by the deal's submit order.
dp_status dp_store_get_body (dp_store_t *self, MDB_txn *txn, uint64_t order,
                             const uint8_t **data, size_t *len);

//  Lists deal ids with a status (or all, status DP_ST_NONE) after `after`,
//  or those of a batch when batch is not empty (status then filters).
//  Fills up to limit entries; *next is the cursor for the next page ("" at
//  the end). A filtered walk stops after DP_STORE_LIST_SCAN rows that do
//  not match: the page is then short (maybe empty) and *next is set.
#define DP_STORE_LIST_SCAN 10000
typedef int (dp_store_status_fn) (void *arg, MDB_txn *txn, const char *deal_id);
dp_status dp_store_list (dp_store_t *self, MDB_txn *txn, int status, const char *batch,
                         const char *after, uint32_t limit, dp_store_status_fn *status_of,
                         void *arg, dp_wire_entry_t *entries, size_t *count,
                         char next [DP_DEAL_ID_MAX + 1]);

//  Calls fn for each durable event with seq >= from, up to max events.
typedef dp_status (dp_store_event_fn) (void *arg, uint64_t seq, const uint8_t *frame, size_t len);
dp_status dp_store_events (dp_store_t *self, MDB_txn *txn, uint64_t from, uint32_t max,
                           dp_store_event_fn *fn, void *arg);

#endif
