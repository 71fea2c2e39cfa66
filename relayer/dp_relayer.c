/*  dp_relayer.c — the escrow relayer (see dp_relayer.h).

    State, in the relayer's own LMDB (data_dir): one JSON record per deal
    with escrow, keyed by deal id, and a meta database with the next
    nonce and the last event sequence handled. A record's "phase" moves
    as dp_relayer_phase.h draws it; every *_sent phase carries the signed
    transaction (nonce, hash, raw bytes, fees) that was written before it
    was sent, and a deal the relayer deposited for ends released or
    refunded, never stranded. */

#define _GNU_SOURCE                 //  memmem
#include "dp_relayer.h"

#include <errno.h>
#include <lmdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dp_client.h"
#include "dp_dirlock.h"
#include "dp_eth.h"
#include "dp_ethtx.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_log.h"
#include "dp_money.h"
#include "dp_relayer_chain.h"
#include "dp_relayer_check.h"
#include "dp_relayer_money.h"
#include "dp_relayer_phase.h"

struct dp_relayer_t {
    dp_relayer_options_t options;
    dp_client_t *client;
    dp_chain_t *chain;
    dp_relayer_checker_t *checker;
    int lock_fd;                //  DATA/relayer.lock, flock'd while open; -1 before
    MDB_env *env;
    MDB_dbi deals, meta;
    uint64_t next_nonce;
    uint64_t last_seq;
    uint8_t max_deposit [32];       //  the caps, in wei
    uint8_t max_outstanding [32];
    dp_relayer_counts_t counts;
    volatile sig_atomic_t *stop;
};

void
dp_relayer_options_default (dp_relayer_options_t *options)
{
    memset (options, 0, sizeof *options);
    options->window_s = 3600;
    options->deposit = 1;
    options->receipt_timeout_ms = 30000;
    options->max_fee_gwei = 500;
    options->rpc_timeout_ms = 10000;
    //  Above what the demo, tests and bench deposit (at most 0.03 ETH a
    //  deal, 0.5 ETH unsettled at once), far below a wallet: an operator
    //  whose deals are bigger raises them knowingly.
    options->max_deposit_eth = "0.1";
    options->max_outstanding_eth = "1";
}

//  ---------------------------------------------------------------------
//  Store

static dp_status
s_lmdb (int rc, const char *what, dp_error_t *err)
{
    if (rc == 0)
        return DP_OK;
    return dp_error_set (err, rc == MDB_MAP_FULL? DP_FULL: DP_IO, "relayer store: %s: %s", what,
                         mdb_strerror (rc));
}

static dp_status
s_store_open (dp_relayer_t *self, dp_error_t *err)
{
    if (mkdir (self->options.data_dir, 0700) != 0 && errno != EEXIST)
        return dp_error_set (err, DP_IO, "--data %s: %s", self->options.data_dir, strerror (errno));
    //  One relayer per directory: two would hand out the same nonces.
    dp_status rc = dp_dirlock_take (self->options.data_dir, "relayer.lock", "dp-relayer",
                                    &self->lock_fd, err);
    if (rc != DP_OK)
        return rc;
    MDB_txn *txn = NULL;
    rc = s_lmdb (mdb_env_create (&self->env), "create", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_env_set_maxdbs (self->env, 2), "maxdbs", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_env_set_mapsize (self->env, (size_t) 1 << 30), "mapsize", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_env_open (self->env, self->options.data_dir, 0, 0600), "open", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_txn_begin (self->env, NULL, 0, &txn), "begin", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_dbi_open (txn, "deals", MDB_CREATE, &self->deals), "deals", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_dbi_open (txn, "meta", MDB_CREATE, &self->meta), "meta", err);
    if (rc == DP_OK)
        return s_lmdb (mdb_txn_commit (txn), "commit", err);
    if (txn)
        mdb_txn_abort (txn);
    return rc;
}

static uint64_t
s_meta_get (dp_relayer_t *self, const char *name)
{
    MDB_txn *txn = NULL;
    uint64_t value = 0;
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn) != 0)
        return 0;
    MDB_val key = { strlen (name), (void *) name }, data;
    if (mdb_get (txn, self->meta, &key, &data) == 0 && data.mv_size == sizeof value)
        memcpy (&value, data.mv_data, sizeof value);
    mdb_txn_abort (txn);
    return value;
}

//  The deal's record, or NULL if it has none (a new reference).
static json_object *
s_record_get (dp_relayer_t *self, const char *deal_id)
{
    MDB_txn *txn = NULL;
    json_object *record = NULL;
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn) != 0)
        return NULL;
    MDB_val key = { strlen (deal_id), (void *) deal_id }, data;
    if (mdb_get (txn, self->deals, &key, &data) == 0
    &&  dp_json_parse (data.mv_data, data.mv_size, &record, NULL) != DP_OK)
        record = NULL;
    mdb_txn_abort (txn);
    return record;
}

//  Writes the record (and, when nonce_used, the next nonce) in one
//  durable transaction: after this returns DP_OK the intent survives a
//  crash.
static dp_status
s_record_put (dp_relayer_t *self, const char *deal_id, json_object *record, int nonce_used,
              dp_error_t *err)
{
    MDB_txn *txn = NULL;
    dp_status rc = s_lmdb (mdb_txn_begin (self->env, NULL, 0, &txn), "begin", err);
    if (rc != DP_OK)
        return rc;
    size_t len = 0;
    const char *text = json_object_to_json_string_length (record, JSON_C_TO_STRING_PLAIN, &len);
    MDB_val key = { strlen (deal_id), (void *) deal_id }, data = { len, (void *) text };
    rc = s_lmdb (mdb_put (txn, self->deals, &key, &data, 0), "put", err);
    if (rc == DP_OK && nonce_used) {
        MDB_val name = { 10, "next_nonce" }, value = { sizeof self->next_nonce, &self->next_nonce };
        rc = s_lmdb (mdb_put (txn, self->meta, &name, &value, 0), "put nonce", err);
    }
    if (rc == DP_OK)
        return s_lmdb (mdb_txn_commit (txn), "commit", err);
    mdb_txn_abort (txn);
    return rc;
}

static dp_status
s_seq_put (dp_relayer_t *self, uint64_t seq, dp_error_t *err)
{
    MDB_txn *txn = NULL;
    dp_status rc = s_lmdb (mdb_txn_begin (self->env, NULL, 0, &txn), "begin", err);
    if (rc != DP_OK)
        return rc;
    MDB_val name = { 8, "last_seq" }, value = { sizeof seq, &seq };
    rc = s_lmdb (mdb_put (txn, self->meta, &name, &value, 0), "put seq", err);
    if (rc == DP_OK)
        rc = s_lmdb (mdb_txn_commit (txn), "commit", err);
    else
        mdb_txn_abort (txn);
    if (rc == DP_OK)
        self->last_seq = seq;
    return rc;
}

static const char *
s_phase (json_object *record)
{
    json_object *phase = NULL;
    return record && json_object_object_get_ex (record, "phase", &phase)? json_object_get_string (phase): "";
}

static void
s_set (json_object *record, const char *key, const char *value)
{
    json_object_object_add (record, key, value? json_object_new_string (value): NULL);
}

//  Did the relayer make this deal's deposit (its money is in the contract)?
static int
s_ours (json_object *record)
{
    json_object *deposit = NULL;
    return json_object_object_get_ex (record, "deposit", &deposit) && deposit;
}

//  The relayer will not release this deal (reason says why): its own
//  deposit waits for the refund window, anyone else's is left to them.
static dp_status
s_unreleased (dp_relayer_t *self, const char *deal_id, json_object *record, const char *final,
              const char *reason, dp_error_t *err)
{
    s_set (record, "phase", dp_relayer_phase_unreleased (s_ours (record), final));
    s_set (record, "reason", reason);
    return s_record_put (self, deal_id, record, 0, err);
}

//  The ids of the deals whose record contains needle (a phase, quoted),
//  copied out of the read transaction. ids is malloc'd.
typedef struct {
    char (*ids) [DP_DEAL_ID_MAX + 1];
    size_t count;
} s_ids_t;

static dp_status
s_scan (dp_relayer_t *self, const char *needle, s_ids_t *out, dp_error_t *err)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cursor = NULL;
    MDB_val key, data;
    size_t cap = 0, needle_len = strlen (needle);
    memset (out, 0, sizeof *out);
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn) != 0 || mdb_cursor_open (txn, self->deals, &cursor) != 0) {
        if (txn)
            mdb_txn_abort (txn);
        return dp_error_set (err, DP_IO, "relayer store: cannot read");
    }
    dp_status rc = DP_OK;
    for (int op = MDB_FIRST; rc == DP_OK && mdb_cursor_get (cursor, &key, &data, op) == 0; op = MDB_NEXT) {
        if (!memmem (data.mv_data, data.mv_size, needle, needle_len) || key.mv_size > DP_DEAL_ID_MAX)
            continue;
        if (out->count == cap) {
            void *grown = realloc (out->ids, (cap = cap * 2 + 16) * sizeof *out->ids);
            if (!grown) {
                rc = dp_error_set (err, DP_NOMEM, "out of memory");
                break;
            }
            out->ids = grown;
        }
        memcpy (out->ids [out->count], key.mv_data, key.mv_size);
        out->ids [out->count++][key.mv_size] = '\0';
    }
    mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    if (rc != DP_OK) {
        free (out->ids);
        memset (out, 0, sizeof *out);
    }
    return rc;
}

//  ---------------------------------------------------------------------
//  Transactions: record, send, follow to a receipt

static void
s_tx_to_record (json_object *record, const char *kind, const dp_chain_tx_t *tx,
                const uint8_t value [32], const uint8_t *data, size_t len)
{
    json_object *entry = json_object_new_object ();
    char quantity [67];
    char *hex = malloc (2 * len + 3);
    if (hex) {
        strcpy (hex, "0x");
        dp_hex_encode (data, len, hex + 2);
        json_object_object_add (entry, "data", json_object_new_string (hex));
        free (hex);
    }
    json_object_object_add (entry, "value", json_object_new_string (dp_ethtx_u256_quantity (value, quantity)));
    //  Hashes of transactions this one replaced (fee bumps): any of them
    //  may still be the one that gets mined.
    json_object *old = NULL, *replaced = json_object_new_array ();
    if (json_object_object_get_ex (record, kind, &old)) {
        json_object *list = NULL, *hash = NULL;
        if (json_object_object_get_ex (old, "replaced", &list))
            for (size_t i = 0; i < json_object_array_length (list); i++)
                json_object_array_add (replaced, json_object_get (json_object_array_get_idx (list, i)));
        if (json_object_object_get_ex (old, "hash", &hash))
            json_object_array_add (replaced, json_object_get (hash));
    }
    json_object_object_add (entry, "replaced", replaced);
    json_object_object_add (entry, "nonce", json_object_new_int64 ((int64_t) tx->nonce));
    json_object_object_add (entry, "hash", json_object_new_string (tx->hash));
    json_object_object_add (entry, "raw", json_object_new_string (tx->raw_hex));
    json_object_object_add (entry, "max_fee", json_object_new_int64 ((int64_t) tx->max_fee));
    json_object_object_add (entry, "tip", json_object_new_int64 ((int64_t) tx->tip));
    json_object_object_add (entry, "gas", json_object_new_int64 ((int64_t) tx->gas));
    json_object_object_add (entry, "sent_at", json_object_new_int64 ((int64_t) time (NULL)));
    json_object_object_add (record, kind, entry);
}

static void
s_tx_from_record (json_object *record, const char *kind, dp_chain_tx_t *tx)
{
    json_object *entry = NULL, *value = NULL;
    memset (tx, 0, sizeof *tx);
    if (!json_object_object_get_ex (record, kind, &entry))
        return;
    if (json_object_object_get_ex (entry, "nonce", &value))
        tx->nonce = (uint64_t) json_object_get_int64 (value);
    if (json_object_object_get_ex (entry, "hash", &value))
        snprintf (tx->hash, sizeof tx->hash, "%s", json_object_get_string (value));
    if (json_object_object_get_ex (entry, "raw", &value))
        tx->raw_hex = strdup (json_object_get_string (value));
    if (json_object_object_get_ex (entry, "max_fee", &value))
        tx->max_fee = (uint64_t) json_object_get_int64 (value);
    if (json_object_object_get_ex (entry, "tip", &value))
        tx->tip = (uint64_t) json_object_get_int64 (value);
}

//  Is the error one worth waiting out (the node or broker is away)?
static int
s_transient (dp_status rc)
{
    return rc == DP_UNREACHABLE || rc == DP_TIMEOUT || rc == DP_PROTO;
}

static void
s_sleep_ms (int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&delay, NULL);
}

//  The receipt of the recorded transaction `kind` or of any transaction
//  it replaced (whichever was mined).
static dp_status
s_receipt (dp_relayer_t *self, json_object *entry, dp_chain_receipt *mined, dp_error_t *err)
{
    json_object *hash = NULL, *replaced = NULL;
    json_object_object_get_ex (entry, "hash", &hash);
    dp_status rc = dp_chain_receipt_of (self->chain, json_object_get_string (hash), mined, err);
    if (rc != DP_OK || *mined != DP_CHAIN_PENDING)
        return rc;
    json_object_object_get_ex (entry, "replaced", &replaced);
    for (size_t i = 0; replaced && i < json_object_array_length (replaced); i++) {
        rc = dp_chain_receipt_of (self->chain, json_object_get_string (json_object_array_get_idx (replaced, i)),
                                  mined, err);
        if (rc != DP_OK || *mined != DP_CHAIN_PENDING)
            return rc;
    }
    return DP_OK;
}

//  Replaces a stuck transaction, recorded before it is sent: same nonce
//  with fees raised, or (renonce) the node's next nonce when the node has
//  forgotten transactions before this one (a nonce gap: a node restarted
//  without some of its blocks), which would otherwise wait forever.
static dp_status
s_bump (dp_relayer_t *self, const char *deal_id, json_object *record, const char *kind,
        int renonce, uint64_t nonce, dp_error_t *err)
{
    json_object *entry = NULL, *data_json = NULL, *value_json = NULL;
    json_object_object_get_ex (record, kind, &entry);
    json_object_object_get_ex (entry, "data", &data_json);
    json_object_object_get_ex (entry, "value", &value_json);
    const char *hex = json_object_get_string (data_json);
    uint8_t value [32];
    size_t len = hex && strlen (hex) > 2? (strlen (hex) - 2) / 2: 0;
    uint8_t *data = malloc (len + 1);
    if (!data)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    dp_chain_tx_t old, tx;
    s_tx_from_record (record, kind, &old);
    dp_status rc = dp_hex_decode_0x (hex, data, len, err);
    if (rc == DP_OK)
        rc = dp_ethtx_u256_parse (json_object_get_string (value_json), value, err);
    if (rc == DP_OK)
        rc = dp_chain_prepare (self->chain, renonce? nonce: old.nonce, value, data, len,
                               renonce? NULL: &old, &tx, err);
    if (rc == DP_OK) {
        s_tx_to_record (record, kind, &tx, value, data, len);
        if (renonce)
            self->next_nonce = nonce + 1;
        rc = s_record_put (self, deal_id, record, renonce, err);
        if (rc == DP_OK && (rc = dp_chain_send (self->chain, &tx, err)) == DP_EXISTS)
            rc = DP_OK;
        dp_log_warn ("deal=%s %s stuck: replaced by tx=%s (nonce %llu, max_fee %llu)", deal_id, kind,
                     tx.hash, (unsigned long long) tx.nonce, (unsigned long long) tx.max_fee);
        dp_chain_tx_clear (&tx);
    }
    dp_chain_tx_clear (&old);
    free (data);
    return rc;
}

//  Waits for the recorded transaction `kind` to be mined; replaces it
//  with higher fees (same nonce) when it stays unmined too long.
//  Whether the contract's state shows what a transaction of this kind was
//  for (the deal funded, released or refunded), whoever's transaction did it.
static dp_status
s_goal_reached (dp_relayer_t *self, const char *deal_id, const char *kind, int *reached,
                dp_error_t *err)
{
    dp_chain_deal_t onchain;
    dp_status rc = dp_chain_deal (self->chain, deal_id, &onchain, err);
    if (rc != DP_OK)
        return rc;
    *reached = strcmp (kind, "deposit") == 0? onchain.status != DP_CHAIN_DEAL_NONE
             : strcmp (kind, "release") == 0? onchain.status == DP_CHAIN_DEAL_COMPLETED
             : onchain.status == DP_CHAIN_DEAL_REFUNDED;
    return DP_OK;
}

static dp_status
s_follow (dp_relayer_t *self, const char *deal_id, json_object *record, const char *kind,
          dp_chain_receipt *mined, dp_error_t *err)
{
    struct timespec started;
    clock_gettime (CLOCK_MONOTONIC, &started);
    dp_status rc = DP_OK;
    int at_ceiling = 0;                 //  logged once per wait
    *mined = DP_CHAIN_PENDING;
    for (int delay = 10; !*self->stop; delay = delay < 1000? delay * 2: 1000) {
        json_object *entry = NULL;
        json_object_object_get_ex (record, kind, &entry);
        rc = s_receipt (self, entry, mined, err);
        if (rc != DP_OK || *mined != DP_CHAIN_PENDING)
            return rc;
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC, &now);
        long waited = (now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
        if (waited > self->options.receipt_timeout_ms) {
            //  No receipt in time. The contract may show the goal reached
            //  anyway: a node restarted from a state dump keeps the
            //  contract's storage but not the receipt, and sending again
            //  would only revert (DealExists). The chain's state decides.
            int reached = 0;
            if ((rc = s_goal_reached (self, deal_id, kind, &reached, err)) != DP_OK)
                return rc;
            if (reached) {
                dp_log_warn ("deal=%s no receipt for the %s, but the contract shows it done", deal_id, kind);
                *mined = DP_CHAIN_MINED_OK;
                return DP_OK;
            }
            dp_chain_tx_t tx;
            uint64_t mined_nonce = 0;
            s_tx_from_record (record, kind, &tx);
            rc = dp_chain_nonce (self->chain, "latest", &mined_nonce, err);
            int gap = rc == DP_OK && mined_nonce < tx.nonce;
            if (gap)
                dp_log_warn ("deal=%s %s nonce %llu waits behind a gap: the node's next is %llu",
                             deal_id, kind, (unsigned long long) tx.nonce, (unsigned long long) mined_nonce);
            dp_chain_tx_clear (&tx);
            if (rc == DP_OK)
                rc = s_bump (self, deal_id, record, kind, gap, mined_nonce, err);
            if (rc == DP_LIMIT) {
                //  At the fee ceiling: the transaction already sent is
                //  the best offer; it is mined when prices come down.
                if (!at_ceiling)
                    dp_log_warn ("deal=%s %s stuck at the fee ceiling (--max-fee-gwei): waiting, no more bumps",
                                 deal_id, kind);
                at_ceiling = 1;
                rc = DP_OK;
            }
            if (rc != DP_OK)
                return rc;
            started = now;
        }
        s_sleep_ms (delay);
    }
    return dp_error_set (err, DP_TIMEOUT, "stopped while waiting for the %s of deal %s", kind, deal_id);
}

//  Signs the transaction with the next nonce, records it durably, sends
//  it and follows it to its receipt.
static dp_status
s_send (dp_relayer_t *self, const char *deal_id, json_object *record, const char *kind,
        const uint8_t value [32], const uint8_t *data, size_t len, dp_chain_receipt *mined,
        dp_error_t *err)
{
    dp_chain_tx_t tx;
    dp_status rc = dp_chain_prepare (self->chain, self->next_nonce, value, data, len, NULL, &tx, err);
    if (rc != DP_OK)
        return rc;
    char phase [32];
    snprintf (phase, sizeof phase, "%s_sent", kind);
    s_tx_to_record (record, kind, &tx, value, data, len);
    s_set (record, "phase", phase);
    self->next_nonce++;
    rc = s_record_put (self, deal_id, record, 1, err);
    if (rc == DP_OK) {
        rc = dp_chain_send (self->chain, &tx, err);
        if (rc == DP_EXISTS)
            rc = DP_OK;
        self->counts.sent += rc == DP_OK;
        dp_log_info ("deal=%s %s tx=%s nonce=%llu", deal_id, kind, tx.hash, (unsigned long long) tx.nonce);
    }
    dp_chain_tx_clear (&tx);
    //  A send that failed for a transient reason is resent by s_follow's
    //  caller on reconciliation; the intent is on disk.
    if (rc != DP_OK)
        return rc;
    return s_follow (self, deal_id, record, kind, mined, err);
}

//  ---------------------------------------------------------------------
//  What happens to a deal

//  Sends the record's owed annotations (to_annotate: key → tx hash) to
//  the broker, dropping each one sent, or refused for good (a deal the
//  broker no longer knows). A transient error (the broker is away) is
//  returned with the rest still owed.
static dp_status
s_annotate (dp_relayer_t *self, const char *deal_id, json_object *record, dp_error_t *err)
{
    static const char *keys [] = { "escrow_tx", "completion_tx" };
    json_object *owed = NULL, *hash = NULL;
    if (!json_object_object_get_ex (record, "to_annotate", &owed) || !owed)
        return DP_OK;
    dp_status rc = DP_OK;
    int changed = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys [0] && !s_transient (rc); i++) {
        if (!json_object_object_get_ex (owed, keys [i], &hash))
            continue;
        rc = dp_client_annotate (self->client, deal_id, keys [i], json_object_get_string (hash), err);
        if (rc != DP_OK && !s_transient (rc))
            dp_log_warn ("deal=%s annotation %s dropped: %s", deal_id, keys [i], err->text);
        if (!s_transient (rc)) {
            json_object_object_del (owed, keys [i]);
            changed = 1;
        }
    }
    if (!changed)
        return rc;
    if (json_object_object_length (owed) == 0)
        json_object_object_del (record, "to_annotate");
    dp_error_t store_err;
    dp_status stored = s_record_put (self, deal_id, record, 0, &store_err);
    if (stored != DP_OK) {
        *err = store_err;
        return stored;
    }
    return s_transient (rc)? rc: DP_OK;
}

//  After its transaction was mined or reverted: the next phase, the
//  annotation on the broker, the counters.
static dp_status
s_settle (dp_relayer_t *self, const char *deal_id, json_object *record, const char *kind,
          dp_chain_receipt mined, dp_error_t *err)
{
    json_object *entry = NULL, *hash = NULL;
    json_object_object_get_ex (record, kind, &entry);
    json_object_object_get_ex (entry, "hash", &hash);
    const char *tx_hash = json_object_get_string (hash);
    int deposit = strcmp (kind, "deposit") == 0;
    if (mined == DP_CHAIN_REVERTED) {
        //  The contract refused. Its state tells whether the goal was
        //  reached anyway (another relayer, the buyer) or not.
        int done = 0;
        dp_status rc = s_goal_reached (self, deal_id, kind, &done, err);
        if (rc != DP_OK)
            return rc;
        dp_log_warn ("deal=%s %s tx=%s reverted; on chain it is %s", deal_id, kind, tx_hash,
                     done? "done anyway": "not done");
        if (!done && strcmp (kind, "release") == 0)
            return s_unreleased (self, deal_id, record, "reverted", "the contract reverted the release", err);
        s_set (record, "phase", done? (deposit? "funded": strcmp (kind, "release") == 0? "released": "refunded")
                                    : "reverted");
        s_set (record, "reason", done? NULL: "the contract reverted the transaction");
        return s_record_put (self, deal_id, record, 0, err);
    }
    s_set (record, "phase", deposit? "funded": strcmp (kind, "release") == 0? "released": "refunded");
    //  Unsigned annotations (SPEC §4/§6): the seed's escrow_tx is the
    //  deposit, completion_tx the release or refund. Owed in the same
    //  write as the phase, so a broker that is away or a crash before
    //  the annotation only delays it (s_annotate_due).
    json_object *owed = NULL;
    if (!json_object_object_get_ex (record, "to_annotate", &owed) || !owed) {
        owed = json_object_new_object ();
        json_object_object_add (record, "to_annotate", owed);
    }
    json_object_object_add (owed, deposit? "escrow_tx": "completion_tx", json_object_new_string (tx_hash));
    dp_status rc = s_record_put (self, deal_id, record, 0, err);
    if (rc != DP_OK)
        return rc;
    if (deposit)
        self->counts.deposits++;
    else
    if (strcmp (kind, "release") == 0)
        self->counts.releases++;
    else
        self->counts.refunds++;
    rc = s_annotate (self, deal_id, record, err);
    if (s_transient (rc)) {
        //  The money moved and is recorded; the annotation waits.
        dp_log_warn ("deal=%s annotation deferred: %s", deal_id, err->text);
        rc = DP_OK;
    }
    return rc;
}

static dp_status
s_transact (dp_relayer_t *self, const char *deal_id, json_object *record, const char *kind,
            const uint8_t value [32], const uint8_t *data, size_t len, dp_error_t *err)
{
    dp_chain_receipt mined = DP_CHAIN_PENDING;
    dp_status rc = s_send (self, deal_id, record, kind, value, data, len, &mined, err);
    if (rc == DP_OK)
        rc = s_settle (self, deal_id, record, kind, mined, err);
    return rc;
}

//  A record whose transaction was sent but not yet settled (a restart, or
//  a node that went away while it was followed): the same raw bytes are
//  sent again (harmless if the node has them) and followed to a receipt.
static dp_status
s_resume (dp_relayer_t *self, const char *deal_id, json_object *record, dp_error_t *err)
{
    const char *phase = s_phase (record);
    size_t len = strlen (phase);
    if (len < 6 || strcmp (phase + len - 5, "_sent") != 0)
        return DP_OK;
    char kind [16];
    snprintf (kind, sizeof kind, "%.*s", (int) (len - 5), phase);
    dp_chain_tx_t tx;
    s_tx_from_record (record, kind, &tx);
    dp_log_info ("deal=%s resuming %s tx=%s", deal_id, kind, tx.hash);
    dp_status rc = tx.raw_hex? dp_chain_send (self->chain, &tx, err): DP_OK;
    dp_chain_tx_clear (&tx);
    if (rc == DP_EXISTS || rc == DP_INVALID)
        rc = DP_OK;                     //  known, mined, or replaced: the receipt decides
    dp_chain_receipt mined;
    if (rc == DP_OK && (rc = s_follow (self, deal_id, record, kind, &mined, err)) == DP_OK)
        rc = s_settle (self, deal_id, record, kind, mined, err);
    return rc;
}

//  createDeal with the deposit, as the buyer's agent.
static dp_status
s_deposit (dp_relayer_t *self, const dp_envelope_t *envelope, json_object *record, dp_error_t *err)
{
    const char *deal_id = envelope->deal_id;
    uint8_t seller [20], data_hash [32], wei [32];
    dp_status rc = dp_eth_address_parse (envelope->seller_address, seller, err);
    if (rc == DP_OK)
        rc = dp_hex_decode (envelope->data_hash, 64, data_hash, 32, err);
    if (rc == DP_OK)
        rc = dp_money_wei_from_text (envelope->escrow_amount_eth, strlen (envelope->escrow_amount_eth), wei, err);
    uint8_t *data = NULL;
    size_t len = 0;
    if (rc == DP_OK && (rc = dp_chain_calldata_create (deal_id, seller, data_hash, self->options.window_s,
                                                       &data, &len)) != DP_OK)
        dp_error_set (err, rc, "out of memory");
    if (rc == DP_OK)
        rc = s_transact (self, deal_id, record, "deposit", wei, data, len, err);
    else
    if (!s_transient (rc)) {
        dp_log_warn ("deal=%s no deposit: %s", deal_id, err->text);
        rc = DP_OK;                     //  a bad envelope: nothing to do, go on
    }
    free (data);
    return rc;
}

//  Adds the deposit of one record to *sum if it is still the relayer's
//  money in the contract (or on its way there): any record with a deposit
//  that is not released or refunded. A reverted deposit moved nothing; a
//  record is "reverted" after its deposit when it has no release or refund.
static void
s_outstanding_add (json_object *record, uint8_t sum [32])
{
    json_object *deposit = NULL, *value = NULL, *other = NULL;
    const char *phase = s_phase (record);
    if (!json_object_object_get_ex (record, "deposit", &deposit)
    ||  !json_object_object_get_ex (deposit, "value", &value)
    ||  strcmp (phase, "released") == 0 || strcmp (phase, "refunded") == 0)
        return;
    if (strcmp (phase, "reverted") == 0 && !json_object_object_get_ex (record, "release", &other)
    &&  !json_object_object_get_ex (record, "refund", &other))
        return;
    uint8_t wei [32];
    if (dp_ethtx_u256_parse (json_object_get_string (value), wei, NULL) != DP_OK
    ||  dp_relayer_money_add (sum, wei, sum) != 0)
        memset (sum, 0xff, 32);         //  unreadable or huge: counts as over any cap
}

//  The sum of the relayer's deposits not yet released or refunded, from
//  its records (so it survives restarts and counts deposits in flight).
static dp_status
s_outstanding (dp_relayer_t *self, uint8_t sum [32], dp_error_t *err)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cursor = NULL;
    MDB_val key, data;
    memset (sum, 0, 32);
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn) != 0 || mdb_cursor_open (txn, self->deals, &cursor) != 0) {
        if (txn)
            mdb_txn_abort (txn);
        return dp_error_set (err, DP_IO, "relayer store: cannot read");
    }
    for (int op = MDB_FIRST; mdb_cursor_get (cursor, &key, &data, op) == 0; op = MDB_NEXT) {
        json_object *record = NULL;
        if (!memmem (data.mv_data, data.mv_size, "\"deposit\"", 9)
        ||  dp_json_parse (data.mv_data, data.mv_size, &record, NULL) != DP_OK)
            continue;
        s_outstanding_add (record, sum);
        json_object_put (record);
    }
    mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    return DP_OK;
}

//  Is the deal's deposit within the caps? *admitted 0 with the record
//  marked refused (and why) when it is not. An amount that does not
//  parse is admitted here: s_deposit says what is wrong with it.
static dp_status
s_admit (dp_relayer_t *self, const dp_envelope_t *envelope, json_object *record, int *admitted,
         dp_error_t *err)
{
    uint8_t wei [32], outstanding [32];
    char reason [DP_RELAYER_MONEY_REASON_MAX];
    *admitted = 1;
    if (dp_money_wei_from_text (envelope->escrow_amount_eth, strlen (envelope->escrow_amount_eth), wei,
                                NULL) != DP_OK)
        return DP_OK;
    dp_status rc = s_outstanding (self, outstanding, err);
    if (rc != DP_OK)
        return rc;
    *admitted = dp_relayer_money_admit (wei, outstanding, self->max_deposit, self->max_outstanding, reason);
    if (*admitted)
        return DP_OK;
    dp_log_warn ("deal=%s deposit refused: %s", envelope->deal_id, reason);
    self->counts.refused++;
    s_set (record, "phase", "refused");
    s_set (record, "reason", reason);
    return s_record_put (self, envelope->deal_id, record, 0, err);
}

//  Schedules another try of the deal's deposit or release: the record
//  keeps its transaction if one is in flight (phase *_sent, resumed),
//  else its phase becomes retry_<kind>. Backoff: 5 s doubling to 5 min.
static dp_status
s_retry_later (dp_relayer_t *self, const char *deal_id, const char *kind, const char *reason,
               dp_error_t *err)
{
    json_object *record = s_record_get (self, deal_id), *attempts_json = NULL;
    if (!record)
        record = json_object_new_object ();
    int64_t attempts = json_object_object_get_ex (record, "attempts", &attempts_json)
                     ? json_object_get_int64 (attempts_json): 0;
    int64_t delay = attempts < 6? (int64_t) 5 << attempts: 300;
    const char *phase = s_phase (record);
    size_t len = strlen (phase);
    if (len < 6 || strcmp (phase + len - 5, "_sent") != 0) {
        char retry [32];
        snprintf (retry, sizeof retry, "retry_%s", kind);
        s_set (record, "phase", retry);
    }
    s_set (record, "reason", reason);
    json_object_object_add (record, "attempts", json_object_new_int64 (attempts + 1));
    json_object_object_add (record, "retry_at", json_object_new_int64 ((int64_t) time (NULL) + delay));
    dp_log_warn ("deal=%s %s: retrying in %lld s (attempt %lld): %s", deal_id, kind, (long long) delay,
                 (long long) attempts + 1, reason);
    dp_status rc = s_record_put (self, deal_id, record, 0, err);
    json_object_put (record);
    return rc;
}

//  What an error the node answered (DP_INVALID) does to the deal: the
//  contract refusing for good ends it (a release: the refund path if the
//  deposit is the relayer's); anything else (rate limits, internal
//  errors, insufficient funds) is tried again later instead of being
//  dropped with its event. Other codes pass through (transient ones are
//  waited out by the caller).
static dp_status
s_after_error (dp_relayer_t *self, const char *deal_id, const char *kind, dp_status rc, dp_error_t *err)
{
    if (rc != DP_INVALID)
        return rc;
    char reason [DP_ERROR_TEXT_MAX];
    snprintf (reason, sizeof reason, "%s", err->text);
    json_object *record = s_record_get (self, deal_id);
    const char *phase = s_phase (record);
    size_t len = strlen (phase);
    //  A transaction in flight is never written off: its receipt decides.
    if (!dp_chain_error_final (reason) || (len > 5 && strcmp (phase + len - 5, "_sent") == 0)) {
        json_object_put (record);
        return s_retry_later (self, deal_id, kind, reason, err);
    }
    dp_log_warn ("deal=%s %s refused by the contract for good: %s", deal_id, kind, reason);
    if (!record)
        record = json_object_new_object ();
    if (strcmp (kind, "release") == 0)
        rc = s_unreleased (self, deal_id, record, "reverted", reason, err);
    else {
        s_set (record, "phase", "reverted");
        s_set (record, "reason", reason);
        rc = s_record_put (self, deal_id, record, 0, err);
    }
    json_object_put (record);
    return rc;
}

//  A new deal with escrow: deposit, unless it is funded on chain already
//  or the deposit is over a cap.
static dp_status
s_pending_new (dp_relayer_t *self, const dp_envelope_t *envelope, dp_error_t *err)
{
    const char *deal_id = envelope->deal_id;
    dp_chain_deal_t onchain;
    dp_status rc = dp_chain_deal (self->chain, deal_id, &onchain, err);
    if (rc != DP_OK)
        return rc;
    json_object *record = json_object_new_object ();
    if (onchain.status != DP_CHAIN_DEAL_NONE || !self->options.deposit) {
        s_set (record, "phase", onchain.status != DP_CHAIN_DEAL_NONE? "funded": "unfunded");
        s_set (record, "funded_by", onchain.status != DP_CHAIN_DEAL_NONE? "other": NULL);
        rc = s_record_put (self, deal_id, record, 0, err);
        json_object_put (record);
        return rc;
    }
    int admitted = 0;
    rc = s_admit (self, envelope, record, &admitted, err);
    if (rc == DP_OK && admitted)
        rc = s_deposit (self, envelope, record, err);
    json_object_put (record);
    return rc;
}

static dp_status
s_on_pending (dp_relayer_t *self, const dp_envelope_t *envelope, dp_error_t *err)
{
    const char *deal_id = envelope->deal_id;
    json_object *record = s_record_get (self, deal_id);
    if (record && strcmp (s_phase (record), "retry_deposit") != 0) {
        dp_status rc = s_resume (self, deal_id, record, err);
        json_object_put (record);
        return s_after_error (self, deal_id, "deposit", rc, err);
    }
    json_object_put (record);
    return s_after_error (self, deal_id, "deposit", s_pending_new (self, envelope, err), err);
}

static dp_status
s_release (dp_relayer_t *self, const char *deal_id, json_object *record, json_object *result,
           const dp_envelope_t *envelope, dp_error_t *err)
{
    dp_relayer_release_t release;
    dp_error_t why;
    if (dp_relayer_check (self->checker, result, envelope, dp_chain_id (self->chain),
                          dp_chain_contract (self->chain), &release, &why) != DP_OK) {
        dp_log_warn ("deal=%s release refused: %s", deal_id, why.text);
        self->counts.refused++;
        return s_unreleased (self, deal_id, record, "refused", why.text, err);
    }
    //  A deposit the relayer saw mined but the chain no longer has (a node
    //  restarted without its last blocks) is made again first.
    dp_chain_deal_t onchain;
    dp_status rc = dp_chain_deal (self->chain, deal_id, &onchain, err);
    if (rc != DP_OK)
        return rc;
    //  Past the point where a release can work (a result that arrives
    //  after the refund): the chain's state is the record's.
    if (onchain.status == DP_CHAIN_DEAL_COMPLETED || onchain.status == DP_CHAIN_DEAL_REFUNDED) {
        const char *now = onchain.status == DP_CHAIN_DEAL_COMPLETED? "released": "refunded";
        dp_log_info ("deal=%s already %s on chain: no release sent", deal_id, now);
        s_set (record, "phase", now);
        return s_record_put (self, deal_id, record, 0, err);
    }
    json_object *deposit = NULL;
    if (onchain.status == DP_CHAIN_DEAL_NONE && json_object_object_get_ex (record, "deposit", &deposit)) {
        dp_log_warn ("deal=%s the chain has lost its deposit: depositing again", deal_id);
        rc = s_deposit (self, envelope, record, err);
        if (rc != DP_OK)
            return rc;
    }
    //  The contract would refuse an unregistered key too; asking first
    //  costs no gas and says why.
    int registered = 0;
    rc = dp_chain_is_signer (self->chain, release.signer, &registered, err);
    if (rc != DP_OK)
        return rc;
    if (!registered) {
        char address [43];
        dp_eth_address_eip55 (release.signer, address);
        dp_log_warn ("deal=%s release refused: signer %s is not registered on the contract", deal_id, address);
        self->counts.refused++;
        return s_unreleased (self, deal_id, record, "refused", "signer is not a registered enclave key", err);
    }
    uint8_t *data = NULL, zero [32] = { 0 };
    size_t len = 0;
    if (dp_chain_calldata_release (deal_id, release.amount, release.report_data32, release.release_signature,
                                   &data, &len) != DP_OK)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    rc = s_transact (self, deal_id, record, "release", zero, data, len, err);
    free (data);
    return rc;
}

//  A final result: release on agreement (after the checks), else wait
//  for the refund window (dp_relayer_phase_on_result).
static dp_status
s_on_result (dp_relayer_t *self, const char *deal_id, const char *status, const uint8_t *data,
             size_t len, dp_error_t *err)
{
    json_object *record = s_record_get (self, deal_id);
    if (!record)
        return DP_OK;                   //  no escrow
    //  A transaction still in flight is settled before the result is acted on.
    dp_status rc = s_resume (self, deal_id, record, err);
    dp_relayer_action action = dp_relayer_phase_on_result (s_phase (record), s_ours (record), status);
    if (rc != DP_OK || action == DP_RELAYER_KEEP) {
        json_object_put (record);
        return rc;
    }
    dp_client_deal_t deal;
    json_object *result = NULL;
    rc = dp_client_status (self->client, deal_id, &deal, err);
    if (rc == DP_OK && action == DP_RELAYER_RELEASE) {
        if (dp_json_parse ((const char *) data, len, &result, err) != DP_OK) {
            dp_log_warn ("deal=%s result event is not JSON: %s", deal_id, err->text);
            rc = s_unreleased (self, deal_id, record, "refused", "result is not JSON", err);
        }
        else
            rc = s_after_error (self, deal_id, "release",
                                s_release (self, deal_id, record, result, &deal.envelope, err), err);
    }
    else
    if (rc == DP_OK) {
        s_set (record, "phase", action == DP_RELAYER_WAIT_REFUND? "refund_wait": "done");
        rc = s_record_put (self, deal_id, record, 0, err);
    }
    json_object_put (result);
    json_object_put (record);
    return rc;
}

//  Refunds every deal whose window has passed on chain.
static dp_status
s_refund_due (dp_relayer_t *self, dp_error_t *err)
{
    uint64_t now = 0;
    dp_status rc = dp_chain_time (self->chain, &now, err);
    if (rc != DP_OK)
        return rc;
    s_ids_t due;
    if (s_scan (self, "\"refund_wait\"", &due, err) != DP_OK)
        return err->code;
    for (size_t i = 0; i < due.count && rc == DP_OK && !*self->stop; i++) {
        dp_chain_deal_t onchain;
        rc = dp_chain_deal (self->chain, due.ids [i], &onchain, err);
        if (rc != DP_OK || (onchain.status == DP_CHAIN_DEAL_ACTIVE && onchain.deadline > now))
            continue;
        json_object *record = s_record_get (self, due.ids [i]);
        if (record && onchain.status != DP_CHAIN_DEAL_ACTIVE) {
            //  Released or refunded by someone else (or lost with a node
            //  restarted without its state): nothing left to wait for.
            dp_log_info ("deal=%s settled on chain without this relayer: %s", due.ids [i],
                         onchain.status == DP_CHAIN_DEAL_COMPLETED? "released": "refunded or gone");
            s_set (record, "phase", onchain.status == DP_CHAIN_DEAL_COMPLETED? "released": "refunded");
            rc = s_record_put (self, due.ids [i], record, 0, err);
            json_object_put (record);
            continue;
        }
        uint8_t *calldata = NULL, zero [32] = { 0 };
        size_t len = 0;
        if (record && dp_chain_calldata_refund (due.ids [i], &calldata, &len) == DP_OK)
            rc = s_transact (self, due.ids [i], record, "refund", zero, calldata, len, err);
        free (calldata);
        json_object_put (record);
    }
    free (due.ids);
    return rc;
}

//  Retries the annotations still owed (the broker was away, or the
//  relayer stopped between settling a transaction and annotating it);
//  stops at the first transient error: the broker is still away.
static dp_status
s_annotate_due (dp_relayer_t *self, dp_error_t *err)
{
    s_ids_t owed;
    if (s_scan (self, "\"to_annotate\"", &owed, err) != DP_OK)
        return err->code;
    dp_status rc = DP_OK;
    for (size_t i = 0; i < owed.count && rc == DP_OK && !*self->stop; i++) {
        json_object *record = s_record_get (self, owed.ids [i]);
        if (record && (rc = s_annotate (self, owed.ids [i], record, err)) == DP_OK)
            dp_log_info ("deal=%s annotated late", owed.ids [i]);
        json_object_put (record);
    }
    free (owed.ids);
    return rc;
}

//  One due retry: the record's transaction in flight is resumed, or its
//  deposit or release is tried again from the broker's copy of the deal.
static dp_status
s_retry (dp_relayer_t *self, const char *deal_id, json_object *record, char kind [16], dp_error_t *err)
{
    const char *phase = s_phase (record);
    size_t len = strlen (phase);
    if (len > 5 && strcmp (phase + len - 5, "_sent") == 0) {
        snprintf (kind, 16, "%.*s", (int) (len - 5), phase);
        return s_resume (self, deal_id, record, err);
    }
    if (strncmp (phase, "retry_", 6) != 0)
        return DP_OK;                   //  settled since
    snprintf (kind, 16, "%s", phase + 6);
    if (strcmp (kind, "deposit") == 0) {
        dp_client_deal_t deal;
        dp_status rc = dp_client_status (self->client, deal_id, &deal, err);
        if (rc == DP_OK)
            rc = s_pending_new (self, &deal.envelope, err);
        if (rc != DP_OK)
            return rc;
        //  The deal's result may have come while the deposit waited (its
        //  event found nothing to release then): it is acted on now.
    }
    dp_client_result_t result;
    dp_status rc = dp_client_result (self->client, deal_id, &result, err);
    if (rc != DP_OK)
        return rc;
    if (result.json)
        rc = s_on_result (self, deal_id, result.status, (const uint8_t *) result.json, result.json_len, err);
    dp_client_result_clear (&result);
    return rc;
}

//  Tries again every deal whose retry is due; stops at the first
//  transient error (the node or the broker is away: each deal keeps its
//  schedule).
static dp_status
s_retry_due (dp_relayer_t *self, dp_error_t *err)
{
    s_ids_t due;
    if (s_scan (self, "\"retry_at\"", &due, err) != DP_OK)
        return err->code;
    dp_status rc = DP_OK;
    for (size_t i = 0; i < due.count && !s_transient (rc) && !*self->stop; i++) {
        json_object *record = s_record_get (self, due.ids [i]), *at = NULL;
        if (!record || !json_object_object_get_ex (record, "retry_at", &at)
        ||  json_object_get_int64 (at) > (int64_t) time (NULL)) {
            json_object_put (record);
            continue;
        }
        //  Off the schedule before the try: a success leaves no retry
        //  behind; a failure schedules the next one.
        json_object_object_del (record, "retry_at");
        char kind [16] = "";
        rc = s_record_put (self, due.ids [i], record, 0, err);
        if (rc == DP_OK)
            rc = s_retry (self, due.ids [i], record, kind, err);
        json_object_put (record);
        if (s_transient (rc) && kind [0]) {
            dp_error_t why = *err;
            if (s_retry_later (self, due.ids [i], kind, why.text, err) != DP_OK)
                dp_log_warn ("deal=%s cannot schedule a retry: %s", due.ids [i], err->text);
        }
        else
        if (kind [0])
            rc = s_after_error (self, due.ids [i], kind, rc, err);
    }
    free (due.ids);
    return rc;
}

//  Records an earlier version left final although the deposit is the
//  relayer's and was never released (a refused result, a reverted
//  release): they join the refund path.
static dp_status
s_unstrand (dp_relayer_t *self, const char *needle, dp_error_t *err)
{
    s_ids_t ids;
    if (s_scan (self, needle, &ids, err) != DP_OK)
        return err->code;
    dp_status rc = DP_OK;
    for (size_t i = 0; i < ids.count && rc == DP_OK; i++) {
        json_object *record = s_record_get (self, ids.ids [i]), *other = NULL;
        const char *phase = s_phase (record);
        int stranded = record && s_ours (record)
                    && (strcmp (phase, "refused") == 0
                    ||  (strcmp (phase, "reverted") == 0 && json_object_object_get_ex (record, "release", &other)
                         && !json_object_object_get_ex (record, "refund", &other)));
        if (stranded) {
            dp_log_info ("deal=%s %s with the relayer's deposit: refunded after its window", ids.ids [i], phase);
            s_set (record, "phase", "refund_wait");
            rc = s_record_put (self, ids.ids [i], record, 0, err);
        }
        json_object_put (record);
    }
    free (ids.ids);
    return rc;
}

//  On start: every transaction recorded as sent is resent and followed
//  to its receipt before anything new happens.
static dp_status
s_reconcile (dp_relayer_t *self, dp_error_t *err)
{
    if (s_unstrand (self, "\"refused\"", err) != DP_OK || s_unstrand (self, "\"reverted\"", err) != DP_OK)
        return err->code;
    s_ids_t open;
    if (s_scan (self, "_sent\"", &open, err) != DP_OK)
        return err->code;
    dp_status rc = DP_OK;
    for (size_t i = 0; i < open.count && rc == DP_OK; i++) {
        json_object *record = s_record_get (self, open.ids [i]);
        rc = record? s_resume (self, open.ids [i], record, err): DP_OK;
        json_object_put (record);
    }
    dp_log_info ("reconciled %zu transaction(s) in flight", open.count);
    free (open.ids);
    dp_error_t annotate_err;
    if (rc == DP_OK && s_annotate_due (self, &annotate_err) != DP_OK)
        dp_log_warn ("annotations still owed: %s", annotate_err.text);
    return rc;
}

//  ---------------------------------------------------------------------
//  The loop

static dp_status
s_handle (dp_relayer_t *self, const dp_wire_event_t *event, dp_error_t *err)
{
    if (strcmp (event->type, "status") == 0 && strcmp (event->status, "pending") == 0) {
        dp_client_deal_t deal;
        dp_status rc = dp_client_status (self->client, event->deal_id, &deal, err);
        if (rc != DP_OK)
            return rc == DP_NOTFOUND? DP_OK: rc;
        if (!deal.envelope.seller_address [0] || !deal.envelope.escrow_amount_eth [0])
            return DP_OK;               //  no escrow for this deal
        return s_on_pending (self, &deal.envelope, err);
    }
    if (strcmp (event->type, "result") == 0)
        return s_on_result (self, event->deal_id, event->status, event->data, event->data_len, err);
    return DP_OK;
}

//  Handles one event, waiting out a node or broker that is away (with
//  backoff) so the event is never skipped.
static dp_status
s_handle_with_retry (dp_relayer_t *self, const dp_wire_event_t *event, dp_error_t *err)
{
    for (int delay = 100; !*self->stop; delay = delay < 5000? delay * 2: 5000) {
        dp_status rc = s_handle (self, event, err);
        if (!s_transient (rc))
            return rc;
        dp_log_warn ("deal=%s waiting %d ms: %s", event->deal_id, delay, err->text);
        s_sleep_ms (delay);
    }
    return dp_error_set (err, DP_TIMEOUT, "stopped");
}

//  One listed deal, as its missed events would have done: the deposit
//  when it has escrow fields (s_on_pending), then its result when final.
//  Both are no-ops for a deal its record says was handled.
static dp_status
s_rescan_one (dp_relayer_t *self, const dp_wire_entry_t *entry, dp_error_t *err)
{
    dp_client_deal_t deal;
    dp_status rc = dp_client_status (self->client, entry->deal_id, &deal, err);
    if (rc != DP_OK)
        return rc == DP_NOTFOUND? DP_OK: rc;
    if (!deal.envelope.seller_address [0] || !deal.envelope.escrow_amount_eth [0])
        return DP_OK;                   //  no escrow for this deal
    rc = s_on_pending (self, &deal.envelope, err);
    if (rc != DP_OK || strcmp (entry->status, "pending") == 0 || strcmp (entry->status, "negotiating") == 0)
        return rc;
    dp_client_result_t result;
    rc = dp_client_result (self->client, entry->deal_id, &result, err);
    if (rc == DP_OK && result.json)
        rc = s_on_result (self, entry->deal_id, result.status, (const uint8_t *) result.json,
                          result.json_len, err);
    dp_client_result_clear (&result);      //  zeroed by the call, so always safe
    return rc == DP_NOTFOUND? DP_OK: rc;
}

//  Events the broker no longer keeps were missed (the relayer was stopped
//  longer than the broker's event window, --event-window): the broker's
//  own state stands in for them. Every deal of every status is listed and
//  handled as its events would have been; a node or broker that is away
//  is waited out, so no deal is skipped. Costs a status (and result) query
//  per deal the broker holds, once.
static dp_status
s_rescan (dp_relayer_t *self, dp_error_t *err)
{
    static const char *const statuses [] = {
        "pending", "negotiating", "agreed", "failed", "verification_failed"
    };
    size_t deals = 0;
    for (size_t s = 0; s < sizeof statuses / sizeof statuses [0] && !*self->stop; s++) {
        char after [DP_DEAL_ID_MAX + 1] = "", next [DP_DEAL_ID_MAX + 1] = "";
        do {
            dp_wire_entry_t *entries = NULL;
            size_t count = 0;
            dp_status rc = dp_client_list (self->client, statuses [s], "", after, 1000, &entries,
                                           &count, next, err);
            if (rc != DP_OK)
                return rc;
            for (size_t i = 0; i < count && !*self->stop; i++) {
                for (int delay = 100; !*self->stop; delay = delay < 5000? delay * 2: 5000) {
                    rc = s_rescan_one (self, &entries [i], err);
                    if (!s_transient (rc))
                        break;
                    dp_log_warn ("rescan: deal=%s waiting %d ms: %s", entries [i].deal_id, delay, err->text);
                    s_sleep_ms (delay);
                }
                if (rc != DP_OK && !*self->stop)
                    dp_log_error ("rescan: deal=%s: %s", entries [i].deal_id, err->text);
                deals++;
            }
            free (entries);
            snprintf (after, sizeof after, "%s", next);
        } while (*next && !*self->stop);
    }
    dp_log_info ("rescan: %zu deal(s) checked against the broker's state", deals);
    return DP_OK;
}

dp_status
dp_relayer_run (dp_relayer_t *self, volatile sig_atomic_t *stop, int idle_exit_ms, dp_error_t *err)
{
    self->stop = stop;
    dp_status rc = s_reconcile (self, err);
    if (rc != DP_OK)
        return rc;
    rc = dp_client_subscribe (self->client, self->last_seq + 1, err);
    if (rc == DP_NOTFOUND) {
        //  Subscribed from the oldest event kept; those before it are
        //  gone, and the broker's state stands in for them.
        dp_log_warn ("events from seq=%llu are no longer kept: %s; rescanning",
                     (unsigned long long) self->last_seq + 1, err->text);
        rc = s_rescan (self, err);
    }
    if (rc != DP_OK)
        return rc;
    int idle_ms = 0;
    struct timespec last_refund_scan = { 0, 0 };
    while (!*stop && (idle_exit_ms <= 0 || idle_ms < idle_exit_ms)) {
        dp_wire_event_t event;
        rc = dp_client_next_event (self->client, 200, &event, err);
        struct timespec now;
        clock_gettime (CLOCK_MONOTONIC, &now);
        if (now.tv_sec - last_refund_scan.tv_sec >= 2) {
            last_refund_scan = now;
            dp_error_t scan_err;
            if (s_refund_due (self, &scan_err) != DP_OK && !s_transient (scan_err.code))
                dp_log_warn ("refund scan: %s", scan_err.text);
            if (s_annotate_due (self, &scan_err) != DP_OK && !s_transient (scan_err.code))
                dp_log_warn ("annotation scan: %s", scan_err.text);
            if (s_retry_due (self, &scan_err) != DP_OK && !s_transient (scan_err.code))
                dp_log_warn ("retry scan: %s", scan_err.text);
        }
        if (rc == DP_TIMEOUT) {
            idle_ms += 200;
            continue;
        }
        if (rc == DP_NOTFOUND) {
            dp_log_warn ("events missed that the broker no longer keeps: %s; rescanning", err->text);
            if ((rc = s_rescan (self, err)) != DP_OK)
                return rc;
            continue;
        }
        if (rc != DP_OK)
            return rc;
        idle_ms = 0;
        if (event.seq == 0)
            continue;                   //  progress: not ours
        self->counts.events++;
        rc = s_handle_with_retry (self, &event, err);
        if (rc != DP_OK && !*stop)
            dp_log_error ("deal=%s event seq=%llu: %s", event.deal_id, (unsigned long long) event.seq, err->text);
        if (*stop)
            break;
        //  Only after handling: a crash before this line replays the
        //  event, and the record makes the replay a no-op.
        if ((rc = s_seq_put (self, event.seq, err)) != DP_OK)
            return rc;
    }
    return DP_OK;
}

static dp_status
s_cap_parse (const char *text, const char *name, uint8_t wei [32], dp_error_t *err)
{
    if (!text || dp_money_wei_from_text (text, strlen (text), wei, err) != DP_OK)
        return dp_error_set (err, DP_INVALID, "%s: '%s' is not a positive amount of ether", name,
                             text? text: "");
    return DP_OK;
}

dp_relayer_t *
dp_relayer_new (const dp_relayer_options_t *options, dp_error_t *err)
{
    if (!options->broker || !options->rpc_url || !options->contract || !options->data_dir) {
        dp_error_set (err, DP_INVALID, "--broker, --rpc-url, --contract and --data are required");
        return NULL;
    }
    if (options->max_fee_gwei == 0 || options->max_fee_gwei > DP_RELAYER_MAX_FEE_GWEI_MAX) {
        dp_error_set (err, DP_INVALID, "--max-fee-gwei: must be 1 to %llu", (unsigned long long) DP_RELAYER_MAX_FEE_GWEI_MAX);
        return NULL;
    }
    dp_relayer_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->options = *options;
    self->lock_fd = -1;
    if (s_cap_parse (options->max_deposit_eth, "--max-deposit-eth", self->max_deposit, err) != DP_OK
    ||  s_cap_parse (options->max_outstanding_eth, "--max-outstanding-eth", self->max_outstanding, err) != DP_OK) {
        dp_relayer_destroy (&self);
        return NULL;
    }
    char cache_dir [4200];
    snprintf (cache_dir, sizeof cache_dir, "%s/collateral", options->data_dir);
    dp_relayer_policy_t policy = {
        .allow_simulation = options->allow_simulation, .sim_root = options->sim_root,
        .collateral = options->collateral, .tcb_statuses = options->tcb_statuses,
        .mrtd_hex = options->mrtd_hex, .policy_path = options->policy_path,
        .pccs_url = options->pccs_url, .cache_dir = cache_dir,
    };
    if (s_store_open (self, err) != DP_OK
    ||  !(self->checker = dp_relayer_checker_new (&policy, err))
    ||  !(self->chain = dp_chain_new (options->rpc_url, options->contract, options->key,
                                      options->rpc_timeout_ms, err))
    ||  !(self->client = dp_client_new (options->broker, 10000, err))) {
        dp_relayer_destroy (&self);
        return NULL;
    }
    dp_chain_set_max_fee (self->chain, options->max_fee_gwei * 1000000000ULL);
    uint64_t pending = 0;
    if (dp_chain_nonce (self->chain, "pending", &pending, err) != DP_OK) {
        dp_relayer_destroy (&self);
        return NULL;
    }
    //  The store's nonce counts intents not yet sent (a crash between the
    //  record and the send); the node's counts what it has seen.
    uint64_t stored = s_meta_get (self, "next_nonce");
    self->next_nonce = stored > pending? stored: pending;
    self->last_seq = s_meta_get (self, "last_seq");
    dp_log_info ("relayer ready account=%s chain=%llu nonce=%llu from_seq=%llu",
                 dp_chain_address_text (self->chain), (unsigned long long) dp_chain_id (self->chain),
                 (unsigned long long) self->next_nonce, (unsigned long long) self->last_seq + 1);
    return self;
}

void
dp_relayer_destroy (dp_relayer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_relayer_t *self = *self_p;
    dp_client_destroy (&self->client);
    dp_chain_destroy (&self->chain);
    dp_relayer_checker_destroy (&self->checker);
    if (self->env)
        mdb_env_close (self->env);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    OPENSSL_cleanse (self->options.key, sizeof self->options.key);
    free (self);
    *self_p = NULL;
}

void
dp_relayer_counts (dp_relayer_t *self, dp_relayer_counts_t *out)
{
    *out = self->counts;
}
