/*  dp_store.c — LMDB store and group-commit thread of the broker. */

#include "dp_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_dirlock.h"
#include "dp_idmap.h"
#include "dp_log.h"
#include "dp_sha256.h"
#include "dp_text.h"

enum { DB_META, DB_DEALS, DB_BODIES, DB_ACTIVE, DB_RESULTS, DB_BY_STATUS, DB_BY_BATCH,
       DB_EVENTS, DB_COUNT };
static const char *s_db_names [DB_COUNT] = {
    "meta", "deals", "bodies_by_order", "active", "results", "by_status", "by_batch", "events"
};

//  Formats 1 and 2 keyed bodies by deal id, in a database of this name;
//  s_move_bodies rekeys them.
#define DB_OLD_BODIES "bodies"

struct dp_store_t {
    int lock_fd;                    //  DIR/broker.lock, flock'd while open
    MDB_env *env;
    MDB_dbi dbi [DB_COUNT];
    pthread_rwlock_t map_lock;      //  readers: reactor txns; writer: map growth
    uint64_t map_size, map_max;
    uint64_t epoch, last_seq, order, oldest_seq, event_window;
    uint64_t counts [DP_ST_COUNT];
};

static const char *s_status_names [DP_ST_COUNT] = {
    "", "pending", "negotiating", "agreed", "failed", "verification_failed"
};

const char *
dp_store_status_name (int status)
{
    return status > 0 && status < DP_ST_COUNT? s_status_names [status]: "unknown";
}

int
dp_store_status_parse (const char *name)
{
    for (int i = 1; i < DP_ST_COUNT; i++)
        if (strcmp (name, s_status_names [i]) == 0)
            return i;
    return DP_ST_NONE;
}

int
dp_store_status_final (int status)
{
    return status >= DP_ST_AGREED && status < DP_ST_COUNT;
}

static dp_status
s_lmdb_error (dp_error_t *err, int rc, const char *step)
{
    return dp_error_set (err, rc == MDB_MAP_FULL? DP_FULL: DP_IO, "lmdb %s: %s", step,
                         mdb_strerror (rc));
}

static MDB_val
s_val (const void *data, size_t len)
{
    MDB_val v = { len, (void *) data };
    return v;
}

static uint64_t
s_meta_u64 (dp_store_t *self, MDB_txn *txn, const char *key)
{
    MDB_val k = s_val (key, strlen (key)), v;
    uint64_t value = 0;
    if (mdb_get (txn, self->dbi [DB_META], &k, &v) == 0 && v.mv_size == sizeof value)
        memcpy (&value, v.mv_data, sizeof value);
    return value;
}

static int
s_meta_put (dp_store_t *self, MDB_txn *txn, const char *key, uint64_t value)
{
    MDB_val k = s_val (key, strlen (key)), v = s_val (&value, sizeof value);
    return mdb_put (txn, self->dbi [DB_META], &k, &v, 0);
}

//  A body's key: its deal's submit order, big-endian, so keys sort as
//  deals arrive whatever their ids look like.
static MDB_val
s_order_key (uint8_t key [8], uint64_t order)
{
    for (int i = 0; i < 8; i++)
        key [i] = (uint8_t) (order >> (56 - 8 * i));
    return s_val (key, 8);
}

static const char *s_count_keys [DP_ST_COUNT] = {
    "", "", "", "count_agreed", "count_failed", "count_verification_failed"
};

//  Format 1 indexed pending and negotiating deals in by_status too; format
//  2 lists them from `active`. Dropping those entries, in the open's own
//  write transaction, is the whole conversion.
static int
s_convert_format_1 (dp_store_t *self, MDB_txn *txn)
{
    MDB_cursor *cursor = NULL;
    int rc = mdb_cursor_open (txn, self->dbi [DB_BY_STATUS], &cursor);
    size_t dropped = 0;
    //  Seeks afresh after each delete: a one-time pass, kept obviously right.
    while (rc == 0) {
        uint8_t first = DP_ST_PENDING;
        MDB_val k = s_val (&first, 1), v;
        int found = mdb_cursor_get (cursor, &k, &v, MDB_SET_RANGE);
        if (found == MDB_NOTFOUND
            || (found == 0 && (k.mv_size == 0 || ((uint8_t *) k.mv_data) [0] > DP_ST_NEGOTIATING)))
            break;
        rc = found? found: mdb_cursor_del (cursor, 0);
        dropped += rc == 0;
    }
    if (cursor)
        mdb_cursor_close (cursor);
    if (rc == 0)
        dp_log_info ("store: converted format 1 to 2: %zu index entries of unfinished deals "
                     "dropped (they are listed from active)", dropped);
    return rc;
}

//  Format 3 keys bodies by submit order (see dp_store.h); formats 1 and 2
//  keyed them by deal id in `bodies`. Each body is moved to its deal's
//  order, read from `active`, 10,000 to a transaction (a big backlog would
//  not fit in one); each transaction moves bodies and deletes them from
//  `bodies` together, so a conversion cut short by a crash resumes where
//  it was, and `bodies` goes once it is empty. Runs at every open: it
//  finds no `bodies` on a format 3 store.
static int
s_move_bodies (dp_store_t *self)
{
    size_t moved = 0, orphans = 0;
    for (;;) {
        MDB_txn *txn;
        MDB_dbi bodies;
        MDB_cursor *cursor = NULL;
        int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
        if (rc)
            return rc;
        rc = mdb_dbi_open (txn, DB_OLD_BODIES, 0, &bodies);
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort (txn);
            break;
        }
        rc = rc? rc: mdb_cursor_open (txn, bodies, &cursor);
        MDB_val k, v, active;
        int found = 0;
        for (size_t step = 0; rc == 0 && step < 10000; step++) {
            if ((found = mdb_cursor_get (cursor, &k, &v, MDB_FIRST)) != 0)
                break;
            dp_store_active_t rec;
            if (mdb_get (txn, self->dbi [DB_ACTIVE], &k, &active) != 0
                || active.mv_size < sizeof rec)
                orphans++;      //  a deal with no active record has no use for a body
            else {
                memcpy (&rec, active.mv_data, sizeof rec);
                uint8_t key [8];
                MDB_val order = s_order_key (key, rec.order);
                rc = mdb_put (txn, self->dbi [DB_BODIES], &order, &v, 0);
                moved += rc == 0;
            }
            rc = rc? rc: mdb_cursor_del (cursor, 0);
        }
        if (cursor)
            mdb_cursor_close (cursor);
        if (rc == 0 && found == MDB_NOTFOUND)
            rc = mdb_drop (txn, bodies, 1);
        if (rc) {
            mdb_txn_abort (txn);
            return rc;
        }
        if ((rc = mdb_txn_commit (txn)) != 0)
            return rc;
    }
    if (moved || orphans)
        dp_log_info ("store: converted to format %d: %zu bodies keyed by submit order, "
                     "%zu of deals no longer active dropped", DP_STORE_FORMAT, moved, orphans);
    return 0;
}

//  Opens the sub-databases, checks the format and bumps the epoch.
static dp_status
s_open_dbs (dp_store_t *self, dp_error_t *err)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    if (rc)
        return s_lmdb_error (err, rc, "begin");
    for (int i = 0; i < DB_COUNT && rc == 0; i++)
        rc = mdb_dbi_open (txn, s_db_names [i], MDB_CREATE, &self->dbi [i]);
    if (rc) {
        mdb_txn_abort (txn);
        return s_lmdb_error (err, rc, "open databases");
    }
    uint64_t format = s_meta_u64 (self, txn, "format");
    if (format == 1)
        rc = s_convert_format_1 (self, txn);
    else
    if (format > DP_STORE_FORMAT) {
        mdb_txn_abort (txn);
        return dp_error_set (err, DP_UNSUPPORTED, "store format %llu: this broker reads formats 1 to %d",
                             (unsigned long long) format, DP_STORE_FORMAT);
    }
    if (rc) {
        mdb_txn_abort (txn);
        return s_lmdb_error (err, rc, "convert format 1");
    }
    self->epoch = s_meta_u64 (self, txn, "epoch") + 1;
    self->last_seq = s_meta_u64 (self, txn, "seq");
    self->order = s_meta_u64 (self, txn, "order");
    for (int i = DP_ST_AGREED; i < DP_ST_COUNT; i++)
        self->counts [i] = s_meta_u64 (self, txn, s_count_keys [i]);
    rc = s_meta_put (self, txn, "format", DP_STORE_FORMAT);
    rc = rc? rc: s_meta_put (self, txn, "epoch", self->epoch);
    MDB_cursor *cursor;
    MDB_val k, v;
    self->oldest_seq = self->last_seq + 1;
    if (rc == 0 && mdb_cursor_open (txn, self->dbi [DB_EVENTS], &cursor) == 0) {
        if (mdb_cursor_get (cursor, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8) {
            uint64_t seq = 0;
            for (int i = 0; i < 8; i++)
                seq = (seq << 8) | ((uint8_t *) k.mv_data) [i];
            self->oldest_seq = seq;
        }
        mdb_cursor_close (cursor);
    }
    if (rc) {
        mdb_txn_abort (txn);
        return s_lmdb_error (err, rc, "write meta");
    }
    rc = mdb_txn_commit (txn);          //  (a failed commit has freed the transaction)
    if (rc)
        return s_lmdb_error (err, rc, "write meta");
    rc = s_move_bodies (self);
    return rc? s_lmdb_error (err, rc, "convert format 2 (bodies keyed by submit order)"): DP_OK;
}

dp_store_t *
dp_store_open (const char *dir, uint64_t map_size, uint64_t map_max, uint64_t event_window,
               dp_error_t *err)
{
    if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
        dp_error_set (err, DP_IO, "data dir %s: %s", dir, strerror (errno));
        return NULL;
    }
    //  One broker per directory: two would dispatch the same deals.
    int lock_fd;
    if (dp_dirlock_take (dir, "broker.lock", "dp-broker", &lock_fd, err) != DP_OK)
        return NULL;
    dp_store_t *self = calloc (1, sizeof *self);
    if (!self) {
        close (lock_fd);
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->lock_fd = lock_fd;
    pthread_rwlock_init (&self->map_lock, NULL);
    self->map_size = map_size;
    self->map_max = map_max < map_size? map_size: map_max;
    self->event_window = event_window;
    int rc = mdb_env_create (&self->env);
    rc = rc? rc: mdb_env_set_maxdbs (self->env, DB_COUNT + 1);     //  + `bodies`, to convert
    rc = rc? rc: mdb_env_set_mapsize (self->env, map_size);
    rc = rc? rc: mdb_env_set_maxreaders (self->env, 16);
    rc = rc? rc: mdb_env_open (self->env, dir, MDB_NORDAHEAD, 0600);
    if (rc) {
        s_lmdb_error (err, rc, "open");
        dp_error_prefix (err, "data dir %s", dir);
        dp_store_close (&self);
        return NULL;
    }
    MDB_envinfo info;
    if (mdb_env_info (self->env, &info) == 0 && info.me_mapsize > self->map_size)
        self->map_size = info.me_mapsize;
    if (s_open_dbs (self, err) != DP_OK) {
        dp_error_prefix (err, "data dir %s", dir);
        dp_store_close (&self);
        return NULL;
    }
    return self;
}

void
dp_store_close (dp_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_store_t *self = *self_p;
    if (self->env)
        mdb_env_close (self->env);
    close (self->lock_fd);              //  the directory is free for another broker
    pthread_rwlock_destroy (&self->map_lock);
    free (self);
    *self_p = NULL;
}

uint64_t dp_store_epoch (dp_store_t *self) { return self->epoch; }
uint64_t dp_store_last_seq (dp_store_t *self) { return self->last_seq; }
uint64_t dp_store_order (dp_store_t *self) { return self->order; }
uint64_t dp_store_oldest_seq (dp_store_t *self) { return self->oldest_seq; }

uint64_t
dp_store_count (dp_store_t *self, int status)
{
    return status > 0 && status < DP_ST_COUNT? self->counts [status]: 0;
}

void
dp_store_map_info (dp_store_t *self, uint64_t *size, uint64_t *used)
{
    MDB_envinfo info;
    MDB_stat stat;
    *size = self->map_size;
    *used = 0;
    if (mdb_env_info (self->env, &info) == 0 && mdb_env_stat (self->env, &stat) == 0)
        *used = (uint64_t) (info.me_last_pgno + 1) * stat.ms_psize;
}

uint64_t
dp_store_active_count (dp_store_t *self)
{
    MDB_txn *txn = dp_store_read_begin (self);
    MDB_stat stat;
    uint64_t count = txn && mdb_stat (txn, self->dbi [DB_ACTIVE], &stat) == 0? stat.ms_entries: 0;
    dp_store_read_end (self, &txn);
    return count;
}

dp_status
dp_store_scan_active (dp_store_t *self, dp_store_active_fn *fn, void *arg, dp_error_t *err)
{
    MDB_txn *txn = dp_store_read_begin (self);
    if (!txn)
        return dp_error_set (err, DP_IO, "lmdb: cannot begin a read transaction");
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, self->dbi [DB_ACTIVE], &cursor);
    MDB_val k, v;
    size_t skipped = 0;
    for (int op = MDB_FIRST; rc == 0 && (rc = mdb_cursor_get (cursor, &k, &v, op)) == 0;
         op = MDB_NEXT) {
        char deal_id [DP_DEAL_ID_MAX + 1], batch [DP_BATCH_MAX + 1];
        dp_store_active_t rec;
        size_t batch_len = v.mv_size - sizeof rec;
        if (k.mv_size > DP_DEAL_ID_MAX || v.mv_size < sizeof rec || batch_len > DP_BATCH_MAX) {
            skipped++;          //  not ours: logged below, never trusted
            continue;
        }
        memcpy (deal_id, k.mv_data, k.mv_size);
        deal_id [k.mv_size] = '\0';
        memcpy (&rec, v.mv_data, sizeof rec);
        memcpy (batch, (char *) v.mv_data + sizeof rec, batch_len);
        batch [batch_len] = '\0';
        fn (arg, deal_id, &rec, batch);
    }
    if (rc == 0 || rc == MDB_NOTFOUND)
        mdb_cursor_close (cursor);
    dp_store_read_end (self, &txn);
    if (skipped)
        dp_log_warn ("store: %zu malformed active records skipped", skipped);
    return rc == MDB_NOTFOUND || rc == 0? DP_OK: s_lmdb_error (err, rc, "scan active");
}

//  --------------------------------------------------------------------------
//  Groups

dp_group_t *
dp_group_new (void)
{
    return calloc (1, sizeof (dp_group_t));
}

dp_op_t *
dp_group_add (dp_group_t *self)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity? self->capacity * 2: 64;
        dp_op_t *ops = realloc (self->ops, capacity * sizeof *ops);
        if (!ops)
            return NULL;
        self->ops = ops;
        self->capacity = capacity;
    }
    dp_op_t *op = &self->ops [self->count++];
    memset (op, 0, sizeof *op);
    return op;
}

void
dp_group_reset (dp_group_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        free (self->ops [i].data);
        free (self->ops [i].event);
        free (self->ops [i].live_event);
    }
    dp_op_t *ops = self->ops;
    size_t capacity = self->capacity;
    memset (self, 0, sizeof *self);
    self->ops = ops;
    self->capacity = capacity;
}

void
dp_group_destroy (dp_group_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_group_t *self = *self_p;
    dp_group_reset (self);
    free (self->ops);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Committer

static int
s_put (dp_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen,
       const void *data, size_t len)
{
    MDB_val k = s_val (key, klen), v = s_val (data, len);
    return mdb_put (txn, self->dbi [db], &k, &v, 0);
}

//  Events are keyed by their sequence number, which only grows: appended
//  at the end of the tree without a search, and pages are filled rather
//  than split in half. A key out of order (it cannot happen: seq is
//  assigned in op order and survives restarts) falls back to a plain put.
static int
s_put_event (dp_store_t *self, MDB_txn *txn, const uint8_t key [8], const void *data, size_t len)
{
    MDB_val k = s_val (key, 8), v = s_val (data, len);
    int rc = mdb_put (txn, self->dbi [DB_EVENTS], &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST)
        rc = mdb_put (txn, self->dbi [DB_EVENTS], &k, &v, 0);
    return rc;
}

//  Bodies are keyed by submit order, which only grows: appended, as events
//  are. Keyed by deal id they went wherever the ids sorted, and both the
//  put and the delete after the result rewrote pages spread over the
//  tree: the broker wrote 8.6 KB per deal in the bench, 7.4 KB now (its
//  /proc/PID/io; 5.0 KB with no bodies stored at all), and runs about 4%
//  more durable deals/s (side by side, interleaved runs). An order out of sequence (it cannot happen:
//  orders are handed out in op order and survive restarts) falls back to a
//  plain put.
static int
s_put_body (dp_store_t *self, MDB_txn *txn, uint64_t order, const void *data, size_t len)
{
    uint8_t key [8];
    MDB_val k = s_order_key (key, order), v = s_val (data, len);
    int rc = mdb_put (txn, self->dbi [DB_BODIES], &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST)
        rc = mdb_put (txn, self->dbi [DB_BODIES], &k, &v, 0);
    return rc;
}

static int
s_del (dp_store_t *self, MDB_txn *txn, int db, const void *key, size_t klen)
{
    MDB_val k = s_val (key, klen);
    int rc = mdb_del (txn, self->dbi [db], &k, NULL);
    return rc == MDB_NOTFOUND? 0: rc;
}

//  by_status key: one status byte, then the deal id. It holds final deals
//  only (store format 2): every pending and negotiating deal is in
//  `active`, which lists them (dp_store_list). Indexing them here as well
//  cost a delete and a put at each status change, a tenth of the
//  broker's work per deal under load.
static int
s_index_final (dp_store_t *self, MDB_txn *txn, const dp_op_t *op)
{
    if (!dp_store_status_final (op->new_status))
        return 0;
    uint8_t key [1 + DP_DEAL_ID_MAX];
    size_t id_len = strlen (op->deal_id);
    key [0] = (uint8_t) op->new_status;
    memcpy (key + 1, op->deal_id, id_len);
    return s_put (self, txn, DB_BY_STATUS, key, 1 + id_len, "", 0);
}

static int
s_put_active (dp_store_t *self, MDB_txn *txn, const dp_op_t *op)
{
    uint8_t value [sizeof (dp_store_active_t) + DP_BATCH_MAX];
    size_t batch_len = strlen (op->batch);
    memcpy (value, &op->active, sizeof op->active);
    memcpy (value + sizeof op->active, op->batch, batch_len);
    return s_put (self, txn, DB_ACTIVE, op->deal_id, strlen (op->deal_id), value,
                  sizeof op->active + batch_len);
}

static int
s_put_record (dp_store_t *self, MDB_txn *txn, const char *deal_id, const dp_wire_msg_t *record)
{
    uint8_t *frame;
    size_t len;
    if (dp_wire_encode (record, &frame, &len, NULL) != DP_OK)
        return ENOMEM;
    int rc = s_put (self, txn, DB_DEALS, deal_id, strlen (deal_id), frame, len);
    free (frame);
    return rc;
}

static int
s_apply_submit (dp_store_t *self, MDB_txn *txn, const dp_op_t *op)
{
    dp_wire_msg_t record;
    dp_wire_msg_init (&record, DP_WIRE_STATUS_REPLY, 0);
    record.envelope = op->envelope;
    snprintf (record.status, sizeof record.status, "%s", dp_store_status_name (DP_ST_PENDING));
    size_t id_len = strlen (op->deal_id);
    int rc = s_put_record (self, txn, op->deal_id, &record);
    rc = rc? rc: s_put_body (self, txn, op->active.order, op->data, op->data_len);
    rc = rc? rc: s_put_active (self, txn, op);
    if (rc == 0) {
        uint8_t key [DP_BATCH_MAX + 1 + DP_DEAL_ID_MAX];
        size_t batch_len = strlen (op->batch);
        memcpy (key, op->batch, batch_len);
        key [batch_len] = 0;
        memcpy (key + batch_len + 1, op->deal_id, id_len);
        rc = s_put (self, txn, DB_BY_BATCH, key, batch_len + 1 + id_len, "", 0);
    }
    return rc;
}

//  Read-modify-write of a deal record inside the write transaction, so a
//  result and an annotation committed in one group never overwrite each other.
static int
s_update_record (dp_store_t *self, MDB_txn *txn, dp_op_t *op)
{
    MDB_val k = s_val (op->deal_id, strlen (op->deal_id)), v;
    int rc = mdb_get (txn, self->dbi [DB_DEALS], &k, &v);
    if (rc == MDB_NOTFOUND) {
        op->result = DP_NOTFOUND;
        return 0;
    }
    //  The envelope (the first field) is copied as it is: only the fields
    //  after it change, so only those are decoded and encoded again.
    dp_wire_msg_t record;
    size_t offset, span;
    if (rc || dp_wire_field_span (v.mv_data, v.mv_size, 0, &offset, &span, NULL) != DP_OK
        || dp_wire_decode_from (v.mv_data, v.mv_size, 1, &record, NULL) != DP_OK
        || record.kind != DP_WIRE_STATUS_REPLY) {
        op->result = DP_IO;
        return rc;
    }
    record.envelope_raw = (const uint8_t *) v.mv_data + offset;
    record.envelope_raw_len = span;
    if (op->type == DP_OP_FINAL) {
        dp_text_copy (record.status, sizeof record.status, dp_store_status_name (op->new_status));
        dp_text_copy (record.reason, sizeof record.reason, op->reason);
        record.attempts = op->attempts;
        record.has_result = 1;
    }
    else if (strcmp (op->key, "escrow_tx") == 0)
        dp_text_copy (record.escrow_tx, sizeof record.escrow_tx, op->value);
    else
        dp_text_copy (record.completion_tx, sizeof record.completion_tx, op->value);
    rc = s_put_record (self, txn, op->deal_id, &record);
    dp_wire_msg_clear (&record);
    return rc;
}

static int
s_apply_final (dp_store_t *self, MDB_txn *txn, dp_op_t *op)
{
    size_t id_len = strlen (op->deal_id);
    int rc = s_update_record (self, txn, op);
    rc = rc? rc: s_put (self, txn, DB_RESULTS, op->deal_id, id_len, op->data, op->data_len);
    uint8_t key [8];
    MDB_val order = s_order_key (key, op->active.order);
    rc = rc? rc: s_del (self, txn, DB_BODIES, order.mv_data, order.mv_size);
    rc = rc? rc: s_del (self, txn, DB_ACTIVE, op->deal_id, id_len);
    rc = rc? rc: s_index_final (self, txn, op);
    return rc;
}

static int
s_apply (dp_store_t *self, MDB_txn *txn, dp_op_t *op, uint64_t counts [])
{
    int rc = 0;
    op->result = DP_OK;
    switch (op->type) {
        case DP_OP_SUBMIT:
            rc = s_apply_submit (self, txn, op);
            break;
        case DP_OP_ACTIVE:
            if (op->superseded)
                break;          //  its deal's result follows in this group
            rc = s_put_active (self, txn, op);
            break;
        case DP_OP_FINAL:
            rc = s_apply_final (self, txn, op);
            if (rc == 0)
                counts [op->new_status]++;
            break;
        case DP_OP_ANNOTATE:
            rc = s_update_record (self, txn, op);
            break;
    }
    if (rc == 0 && op->event && op->result == DP_OK) {
        uint8_t key [8];
        for (int i = 0; i < 8; i++)
            key [i] = (uint8_t) (op->seq >> (56 - 8 * i));
        rc = s_put_event (self, txn, key, op->event, op->event_len);
    }
    return rc;
}

//  Deletes the oldest events beyond the window; a bounded number per
//  group so trimming never makes one commit slow. One cursor walks them
//  from the oldest: a delete leaves it on the next key, so each event
//  costs no search from the root (a third of the deletes per deal).
static int
s_trim_events (dp_store_t *self, MDB_txn *txn, uint64_t last_seq, uint64_t *oldest)
{
    if (last_seq < self->event_window || last_seq + 1 - self->event_window <= *oldest)
        return 0;
    uint64_t target = last_seq + 1 - self->event_window;
    if (target - *oldest > 4096)
        target = *oldest + 4096;
    MDB_cursor *cursor;
    int rc = mdb_cursor_open (txn, self->dbi [DB_EVENTS], &cursor);
    if (rc)
        return rc;
    uint8_t key [8];
    for (int i = 0; i < 8; i++)
        key [i] = (uint8_t) (*oldest >> (56 - 8 * i));
    MDB_val k = s_val (key, 8), v;
    rc = mdb_cursor_get (cursor, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        uint64_t seq = 0;
        for (size_t i = 0; i < 8 && i < k.mv_size; i++)
            seq = (seq << 8) | ((const uint8_t *) k.mv_data) [i];
        if (k.mv_size != 8 || seq >= target)
            break;
        rc = mdb_cursor_del (cursor, 0);
        rc = rc? rc: mdb_cursor_get (cursor, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc == 0)
        *oldest = target;
    return rc;
}

//  Lease bookkeeping that a result in the same group makes moot. Under
//  load a fast worker's result often commits with its own lease: the
//  lease's `active` record would be written and removed again in one
//  transaction. For each FINAL op, the ACTIVE ops of the same deal earlier
//  in the group are marked superseded (only their events are stored).
typedef struct {
    const char *deal_id;        //  the key (an op's)
    size_t first, last;         //  index + 1 of the open chain's first and last lease op; 0: none
} s_chain_t;

static const char *
s_chain_key (const void *chain)
{
    return ((const s_chain_t *) chain)->deal_id;
}

static void
s_coalesce (dp_group_t *group)
{
    for (size_t i = 0; i < group->count; i++) {
        group->ops [i].superseded = false;
        group->ops [i].chain_prev = 0;
    }
    if (group->count < 2)
        return;
    s_chain_t *chains = malloc (group->count * sizeof *chains);
    dp_idmap_t *by_deal = chains? dp_idmap_new (s_chain_key, group->count): NULL;
    size_t used = 0;
    for (size_t i = 0; by_deal && i < group->count; i++) {
        dp_op_t *op = &group->ops [i];
        if (op->type != DP_OP_ACTIVE && op->type != DP_OP_FINAL)
            continue;
        s_chain_t *chain = dp_idmap_lookup (by_deal, op->deal_id);
        if (!chain) {
            chain = &chains [used++];
            *chain = (s_chain_t) { op->deal_id, 0, 0 };
            if (dp_idmap_insert (by_deal, chain) != 0)
                break;          //  no memory: the ops left are applied as they are
        }
        if (op->type == DP_OP_ACTIVE) {
            op->chain_prev = chain->last;
            if (!chain->first)
                chain->first = i + 1;
            chain->last = i + 1;
        }
        else if (chain->first) {
            for (size_t k = chain->last; k; k = group->ops [k - 1].chain_prev)
                group->ops [k - 1].superseded = true;
            chain->first = chain->last = 0;
        }
    }
    dp_idmap_destroy (&by_deal);
    free (chains);
}

//  One attempt at the whole group in one transaction. skip_submits leaves
//  the submits out (the map is full and cannot grow).
static int
s_commit_once (dp_store_t *self, dp_group_t *group, int skip_submits)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    if (rc)
        return rc;
    uint64_t counts [DP_ST_COUNT];
    memcpy (counts, self->counts, sizeof counts);
    uint64_t oldest = self->oldest_seq;
    s_coalesce (group);
    for (size_t i = 0; rc == 0 && i < group->count; i++) {
        dp_op_t *op = &group->ops [i];
        if (skip_submits && op->type == DP_OP_SUBMIT)
            op->result = DP_FULL;
        else
            rc = s_apply (self, txn, op, counts);
    }
    if (rc == 0 && group->last_seq > self->last_seq)
        rc = s_meta_put (self, txn, "seq", group->last_seq);
    rc = rc? rc: s_meta_put (self, txn, "order", group->order);
    for (int i = DP_ST_AGREED; rc == 0 && i < DP_ST_COUNT; i++)
        if (counts [i] != self->counts [i])
            rc = s_meta_put (self, txn, s_count_keys [i], counts [i]);
    rc = rc? rc: s_trim_events (self, txn, group->last_seq, &oldest);
    if (rc) {
        mdb_txn_abort (txn);
        return rc;
    }
    rc = mdb_txn_commit (txn);          //  fsync'd: the env is opened without MDB_NOSYNC
    if (rc == 0) {
        memcpy (self->counts, counts, sizeof counts);
        if (group->last_seq > self->last_seq)
            self->last_seq = group->last_seq;
        self->order = group->order;
        self->oldest_seq = oldest;
    }
    return rc;
}

//  Doubles the map (up to map_max) while no transaction is open.
static int
s_grow_map (dp_store_t *self)
{
    if (self->map_size >= self->map_max)
        return 0;
    uint64_t size = self->map_size * 2 > self->map_max? self->map_max: self->map_size * 2;
    pthread_rwlock_wrlock (&self->map_lock);
    int rc = mdb_env_set_mapsize (self->env, size);
    pthread_rwlock_unlock (&self->map_lock);
    if (rc)
        return 0;
    dp_log_info ("store: map grown to %llu bytes", (unsigned long long) size);
    self->map_size = size;
    return 1;
}

//  Keeps real (written) zero pages ahead of LMDB's last page. A commit
//  that extends the file also makes fdatasync journal the new size and
//  block allocation, which costs several times the data itself; writing
//  the file ahead, between transactions on this (the only writing)
//  thread, keeps each commit's sync to the pages it changed.
//  The zeros are written when the committer is idle (no group waiting),
//  1 MiB at a time, up to 64 MiB past LMDB's last page. Written in one go
//  before a commit (as they were), each 64 MiB stalled every
//  acknowledgement for 60 ms or more (`dd` of 64 MiB with fdatasync: 62 ms
//  here), twice in a 20,000-deal bench run: a fifth of its time. Only when the head
//  room falls under 16 MiB (a long run with no idle moment) does a commit
//  wait for zeros, and then only up to that floor.
#define DP_STORE_AHEAD      (64ull << 20)
#define DP_STORE_AHEAD_MIN  (16ull << 20)
#define DP_STORE_STEP       (1ull << 20)

//  Writes zeros at the end of the file until it is `ahead` bytes past
//  LMDB's last page (or the map's size), a step at a time; stops early
//  when `interrupt` has a message waiting. Runs on the committer thread,
//  between transactions, so LMDB never writes pages there meanwhile.
//  The data file's descriptor and size, and the size it should have to
//  be `ahead` bytes past LMDB's last page (capped at the map). -1 if any
//  of them cannot be read.
static int
s_head_room (dp_store_t *self, uint64_t ahead, int *fd, uint64_t *size, uint64_t *target)
{
    uint64_t map_size, used;
    struct stat st;
    dp_store_map_info (self, &map_size, &used);
    if (!used || mdb_env_get_fd (self->env, fd) || fstat (*fd, &st))
        return -1;
    *size = (uint64_t) st.st_size;
    *target = used + ahead < map_size? used + ahead: map_size;
    return 0;
}

static void
s_extend_file (dp_store_t *self, uint64_t ahead, zsock_t *interrupt)
{
    int fd;
    uint64_t size, target;
    if (s_head_room (self, ahead, &fd, &size, &target) || size >= target)
        return;
    static const uint8_t zeros [1 << 16];
    uint64_t at = size;
    while (at < target) {
        if (interrupt && (zsock_events (interrupt) & ZMQ_POLLIN))
            return;
        uint64_t step_end = at + DP_STORE_STEP < target? at + DP_STORE_STEP: target;
        for (; at < step_end; at += sizeof zeros)
            if (pwrite (fd, zeros, sizeof zeros, (off_t) at) != (ssize_t) sizeof zeros)
                return;         //  a full disk shows up in the next commit instead
        //  Each step synced on its own: a group that arrives meanwhile
        //  waits for one step (about a millisecond), never for a flush of
        //  the whole head room.
        fdatasync (fd);
    }
}

//  True when the file is short of its full head room.
static bool
s_extend_wanted (dp_store_t *self)
{
    int fd;
    uint64_t size, target;
    return s_head_room (self, DP_STORE_AHEAD, &fd, &size, &target) == 0
        && size + DP_STORE_STEP <= target;
}

static void
s_commit_group (dp_store_t *self, dp_group_t *group)
{
    s_extend_file (self, DP_STORE_AHEAD_MIN, NULL);
    int64_t start = zclock_usecs ();
    int rc, skip_submits = 0;
    while ((rc = s_commit_once (self, group, skip_submits)) == MDB_MAP_FULL) {
        if (s_grow_map (self))
            continue;
        if (skip_submits)
            break;
        dp_log_warn ("store: map full at its limit: refusing new submits");
        skip_submits = 1;
    }
    group->commit_ms = (double) (zclock_usecs () - start) / 1000.0;
    group->status = rc? DP_IO: DP_OK;
    if (rc)
        snprintf (group->error, sizeof group->error, "lmdb commit: %s", mdb_strerror (rc));
}

void
dp_store_committer (zsock_t *pipe, void *arg)
{
    dp_store_t *self = arg;
    //  A new (empty) store gets its whole head room before the broker
    //  serves (about 60 ms, once) rather than while its first deals
    //  commit. A reopened one, which may hold a backlog to serve at once,
    //  only gets the floor now if it lacks it (a broker killed while
    //  short of it) and the rest while idle.
    uint64_t map_size, used;
    dp_store_map_info (self, &map_size, &used);
    s_extend_file (self, used < DP_STORE_STEP? DP_STORE_AHEAD: DP_STORE_AHEAD_MIN, NULL);
    zsock_signal (pipe, 0);
    while (true) {
        //  Idle: keep the file's head room (until a group arrives).
        if (s_extend_wanted (self))
            s_extend_file (self, DP_STORE_AHEAD, pipe);
        char *command = NULL;
        void *pointer = NULL;
        if (zsock_recv (pipe, "sp", &command, &pointer) != 0) {
            if (errno == EINTR)
                continue;       //  a signal for the process, not for us
            break;
        }
        int stop = !command || strcmp (command, "$TERM") == 0;
        if (!stop && pointer) {
            s_commit_group (self, (dp_group_t *) pointer);
            zsock_send (pipe, "sp", "DONE", pointer);
        }
        zstr_free (&command);
        if (stop)
            break;
    }
    dp_sha256_thread_end ();
}

//  --------------------------------------------------------------------------
//  Reads

MDB_txn *
dp_store_read_begin (dp_store_t *self)
{
    pthread_rwlock_rdlock (&self->map_lock);
    MDB_txn *txn = NULL;
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn) != 0) {
        pthread_rwlock_unlock (&self->map_lock);
        return NULL;
    }
    return txn;
}

void
dp_store_read_end (dp_store_t *self, MDB_txn **txn_p)
{
    if (!txn_p || !*txn_p)
        return;
    mdb_txn_abort (*txn_p);
    *txn_p = NULL;
    pthread_rwlock_unlock (&self->map_lock);
}

static int
s_db_index (const char *name)
{
    for (int i = 0; i < DB_COUNT; i++)
        if (strcmp (name, s_db_names [i]) == 0)
            return i;
    return -1;
}

dp_status
dp_store_get_body (dp_store_t *self, MDB_txn *txn, uint64_t order, const uint8_t **data,
                   size_t *len)
{
    uint8_t key [8];
    MDB_val k = s_order_key (key, order), v;
    int rc = mdb_get (txn, self->dbi [DB_BODIES], &k, &v);
    if (rc)
        return rc == MDB_NOTFOUND? DP_NOTFOUND: DP_IO;
    *data = v.mv_data;
    *len = v.mv_size;
    return DP_OK;
}

dp_status
dp_store_get (dp_store_t *self, MDB_txn *txn, const char *db, const char *deal_id,
              const uint8_t **data, size_t *len)
{
    int index = s_db_index (db);
    if (index < 0 || index == DB_BODIES)
        return DP_INTERNAL;     //  bodies are keyed by order: dp_store_get_body
    MDB_val k = s_val (deal_id, strlen (deal_id)), v;
    int rc = mdb_get (txn, self->dbi [index], &k, &v);
    if (rc)
        return rc == MDB_NOTFOUND? DP_NOTFOUND: DP_IO;
    *data = v.mv_data;
    *len = v.mv_size;
    return DP_OK;
}

//  Walks by_status (prefix: status byte) or by_batch (prefix: batch ‖ 0).
dp_status
dp_store_list (dp_store_t *self, MDB_txn *txn, int status, const char *batch, const char *after,
               uint32_t limit, dp_store_status_fn *status_of, void *arg,
               dp_wire_entry_t *entries, size_t *count, char next [DP_DEAL_ID_MAX + 1])
{
    uint8_t prefix [DP_BATCH_MAX + 2], key [DP_BATCH_MAX + 2 + DP_DEAL_ID_MAX];
    size_t prefix_len;
    //  No filter at all: the deals database itself, keyed by deal id. A
    //  status not final yet: `active`, which holds exactly those deals
    //  (by_status indexes final ones only), filtered by their status.
    bool unfinished = status && !dp_store_status_final (status);
    int db = *batch? DB_BY_BATCH: unfinished? DB_ACTIVE: status? DB_BY_STATUS: DB_DEALS;
    if (*batch) {
        prefix_len = strlen (batch) + 1;
        memcpy (prefix, batch, prefix_len);     //  includes the 0 separator
    }
    else {
        prefix [0] = (uint8_t) status;
        prefix_len = status && !unfinished? 1: 0;
    }
    *count = 0;
    next [0] = '\0';
    MDB_cursor *cursor;
    if (mdb_cursor_open (txn, self->dbi [db], &cursor) != 0)
        return DP_IO;
    size_t after_len = strlen (after);
    memcpy (key, prefix, prefix_len);
    memcpy (key + prefix_len, after, after_len);
    MDB_val k = s_val (key, prefix_len + after_len), v;
    //  LMDB refuses an empty key to seek by (MDB_BAD_VALSIZE): from the start, then.
    int rc = mdb_cursor_get (cursor, &k, &v, k.mv_size? MDB_SET_RANGE: MDB_FIRST);
    //  A filtered walk (a status within a batch, or one not final among all
    //  unfinished deals) stops after DP_STORE_LIST_SCAN rows that did not
    //  match, with a cursor to go on from: a page never costs the reactor a
    //  walk over the whole backlog, it may only come back short.
    size_t scanned = 0;
    for (; rc == 0; rc = mdb_cursor_get (cursor, &k, &v, MDB_NEXT)) {
        size_t skip = prefix_len;
        if (k.mv_size <= skip || k.mv_size - skip > DP_DEAL_ID_MAX
            || memcmp (k.mv_data, prefix, prefix_len) != 0)
            break;
        char deal_id [DP_DEAL_ID_MAX + 1];
        memcpy (deal_id, (char *) k.mv_data + skip, k.mv_size - skip);
        deal_id [k.mv_size - skip] = '\0';
        if (after_len && strcmp (deal_id, after) == 0)
            continue;
        int actual = status_of (arg, txn, deal_id);
        if ((*batch || unfinished) && status && actual != status) {
            if (++scanned == DP_STORE_LIST_SCAN) {
                snprintf (next, DP_DEAL_ID_MAX + 1, "%s", deal_id);
                break;
            }
            continue;
        }
        if (*count == limit) {
            snprintf (next, DP_DEAL_ID_MAX + 1, "%s", entries [*count - 1].deal_id);
            break;
        }
        snprintf (entries [*count].deal_id, sizeof entries [*count].deal_id, "%s", deal_id);
        snprintf (entries [*count].status, sizeof entries [*count].status, "%s",
                  dp_store_status_name (actual));
        (*count)++;
    }
    mdb_cursor_close (cursor);
    return DP_OK;
}

dp_status
dp_store_events (dp_store_t *self, MDB_txn *txn, uint64_t from, uint32_t max,
                 dp_store_event_fn *fn, void *arg)
{
    MDB_cursor *cursor;
    if (mdb_cursor_open (txn, self->dbi [DB_EVENTS], &cursor) != 0)
        return DP_IO;
    uint8_t key [8];
    for (int i = 0; i < 8; i++)
        key [i] = (uint8_t) (from >> (56 - 8 * i));
    MDB_val k = s_val (key, 8), v;
    dp_status status = DP_OK;
    int rc = mdb_cursor_get (cursor, &k, &v, MDB_SET_RANGE);
    for (uint32_t n = 0; rc == 0 && n < max && status == DP_OK; n++) {
        uint64_t seq = 0;
        for (size_t i = 0; i < 8 && i < k.mv_size; i++)
            seq = (seq << 8) | ((uint8_t *) k.mv_data) [i];
        status = fn (arg, seq, v.mv_data, v.mv_size);
        rc = mdb_cursor_get (cursor, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cursor);
    return status;
}
