/*  test_broker.c — an embedded broker with real sockets and LMDB files:
    idempotent submit, refusal of a changed body, results and annotations,
    list paging, restart recovery with a lease that outlives the restart,
    and "queue full" at the map limit. */

#include <criterion/criterion.h>
#include <czmq.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_broker.h"
#include "dp_client.h"
#include "dp_sha256.h"
#include "dp_store.h"
#include "dp_wire.h"
#include "dp_worker.h"

static char s_dir [128];

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dp-test-broker.XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
}

static void
s_teardown (void)
{
    char cmd [256];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    cr_assert_eq (system (cmd), 0);
}

//  The tests' broker options: this test's folder, a free loopback port,
//  100 ms heartbeats.
static dp_broker_options_t
s_options (void)
{
    dp_broker_options_t options;
    dp_broker_options_default (&options);
    options.data_dir = s_dir;
    options.listen = "tcp://127.0.0.1:*";
    options.heartbeat_ms = 100;
    return options;
}

static dp_broker_t *
s_broker_from (const dp_broker_options_t *options)
{
    dp_error_t err;
    dp_broker_t *broker = dp_broker_new (options, &err);
    cr_assert_not_null (broker, "%s", err.text);
    return broker;
}

static dp_broker_t *
s_broker (uint64_t map_max)
{
    dp_broker_options_t options = s_options ();
    if (map_max) {
        options.map_size = 1 << 20;
        options.map_max = map_max;
    }
    return s_broker_from (&options);
}

static dp_wire_item_t
s_item (const char *deal_id, const char *body)
{
    dp_wire_item_t item;
    memset (&item, 0, sizeof item);
    size_t id_len = strlen (deal_id);
    cr_assert_lt (id_len, sizeof item.envelope.deal_id);
    memcpy (item.envelope.deal_id, deal_id, id_len + 1);
    snprintf (item.envelope.batch, sizeof item.envelope.batch, "unit");
    item.body = (const uint8_t *) body;
    item.body_len = strlen (body);
    item.envelope.body_size = item.body_len;
    dp_sha256 (body, item.body_len, item.envelope.body_sha256);
    return item;
}

static dp_status
s_submit_one (dp_client_t *client, const char *deal_id, const char *body, dp_wire_ack_t *ack)
{
    dp_wire_item_t item = s_item (deal_id, body);
    dp_error_t err;
    dp_status rc = dp_client_submit (client, &item, 1, ack, &err);
    cr_assert_eq (rc, DP_OK, "%s", err.text);
    return ack->code;
}

static dp_status
s_handler (void *arg, const dp_job_t *job, dp_progress_fn *progress, void *progress_arg,
           dp_job_outcome_t *outcome)
{
    snprintf (outcome->status, sizeof outcome->status, "agreed");
    char json [256];
    int len = snprintf (json, sizeof json, "{\"deal_id\":\"%s\",\"attempt\":%u}",
                        job->envelope->deal_id, job->attempt);
    outcome->result_json = strdup (json);
    outcome->result_len = (size_t) len;
    return DP_OK;
}

static dp_worker_t *
s_worker (dp_broker_t *broker, uint32_t capacity)
{
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    options.broker = dp_broker_endpoint (broker);
    options.capacity = capacity;
    dp_error_t err;
    dp_worker_t *worker = dp_worker_new (&options, s_handler, NULL, &err);
    cr_assert_not_null (worker, "%s", err.text);
    return worker;
}

TestSuite (broker, .init = s_setup, .fini = s_teardown, .timeout = 60);

Test (broker, idempotent_submit_and_changed_body)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    cr_assert_str_eq (dp_client_events_endpoint (client), dp_broker_events_endpoint (broker));
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "d-1", "{\"a\":1}", &ack), DP_OK);
    cr_assert_str_eq (ack.status, "pending");
    cr_assert_eq (s_submit_one (client, "d-1", "{\"a\":1}", &ack), DP_OK);
    cr_assert_eq (s_submit_one (client, "d-1", "{\"a\":2}", &ack), DP_EXISTS);
    cr_assert_str_eq (ack.text, "deal_id exists with different content");
    dp_wire_item_t bad = s_item ("d-2", "{}");
    bad.envelope.body_sha256 [0] ^= 1;
    cr_assert_eq (dp_client_submit (client, &bad, 1, &ack, &err), DP_OK);
    cr_assert_eq (ack.code, DP_INVALID);
    cr_assert (strstr (ack.text, "body_sha256"));
    dp_client_deal_t deal;
    cr_assert_eq (dp_client_status (client, "d-2", &deal, &err), DP_NOTFOUND);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  One broker per data directory: a second one on the same directory
//  (another port) is refused, naming the first one's pid, until the first
//  has stopped.
Test (broker, data_dir_used_by_one_broker_at_a_time)
{
    dp_broker_t *first = s_broker (0);
    dp_broker_options_t options;
    dp_broker_options_default (&options);
    options.data_dir = s_dir;
    options.listen = "tcp://127.0.0.1:*";
    dp_error_t err;
    dp_broker_t *second = dp_broker_new (&options, &err);
    cr_assert_null (second);
    char expected [64];
    snprintf (expected, sizeof expected, "in use by another dp-broker (pid %ld)", (long) getpid ());
    cr_assert (strstr (err.text, expected), "%s", err.text);
    dp_broker_destroy (&first);
    second = dp_broker_new (&options, &err);
    cr_assert_not_null (second, "%s", err.text);
    dp_broker_destroy (&second);
}

//  A broker whose endpoint is taken (another broker runs there) must fail
//  before it touches its store: no epoch counted, no file created.
Test (broker, a_broker_that_cannot_bind_leaves_its_store_alone)
{
    char other [192], fresh [192], path [256];
    snprintf (other, sizeof other, "%s/other", s_dir);
    snprintf (fresh, sizeof fresh, "%s/fresh", s_dir);
    cr_assert_eq (mkdir (other, 0700), 0);
    cr_assert_eq (mkdir (fresh, 0700), 0);
    dp_broker_options_t options = s_options ();
    options.data_dir = other;
    dp_broker_t *broker = s_broker_from (&options);     //  epoch 1
    dp_broker_destroy (&broker);

    dp_broker_t *running = s_broker (0);
    dp_error_t err;
    options.listen = dp_broker_endpoint (running);
    cr_assert_null (dp_broker_new (&options, &err));
    options.data_dir = fresh;
    cr_assert_null (dp_broker_new (&options, &err));
    snprintf (path, sizeof path, "%s/data.mdb", fresh);
    cr_assert_neq (access (path, F_OK), 0, "a broker that could not bind created %s", path);
    dp_broker_destroy (&running);

    options.data_dir = other;
    options.listen = "tcp://127.0.0.1:*";
    broker = s_broker_from (&options);
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    cr_assert_eq (dp_client_epoch (client), 2, "epoch %llu: the failed start counted one",
                  (unsigned long long) dp_client_epoch (client));
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

Test (broker, result_annotation_events_and_paging)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_eq (dp_client_subscribe (client, 0, &err), DP_OK, "%s", err.text);
    dp_wire_ack_t ack;
    char id [32];
    for (int i = 0; i < 25; i++) {
        snprintf (id, sizeof id, "p-%02d", i);
        cr_assert_eq (s_submit_one (client, id, "{}", &ack), DP_OK);
    }
    dp_worker_t *worker = s_worker (broker, 4);
    int results = 0, statuses = 0;
    while (results < 25) {
        dp_wire_event_t event;
        cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK, "%s", err.text);
        results += strcmp (event.type, "result") == 0;
        statuses += strcmp (event.type, "status") == 0;
    }
    cr_assert_eq (statuses, 50);            //  pending and negotiating for each
    dp_client_result_t result;
    cr_assert_eq (dp_client_result (client, "p-07", &result, &err), DP_OK);
    cr_assert_str_eq (result.status, "agreed");
    cr_assert_str_eq (result.json, "{\"deal_id\":\"p-07\",\"attempt\":1}");
    dp_client_result_clear (&result);
    cr_assert_eq (dp_client_annotate (client, "p-07", "escrow_tx", "0xabc", &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_client_annotate (client, "p-07", "owner", "x", &err), DP_INVALID);
    dp_wire_event_t event;
    cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK);
    cr_assert_str_eq (event.type, "annotation");
    cr_assert_eq (memcmp (event.data, "{\"escrow_tx\":\"0xabc\"}", event.data_len), 0);
    //  An unknown deal is refused before its event takes a number: the
    //  next annotation's event follows this one without a hole.
    uint64_t seq = event.seq;
    cr_assert_eq (dp_client_annotate (client, "never-submitted", "escrow_tx", "0x1", &err), DP_NOTFOUND);
    cr_assert (strstr (err.text, "no such deal"), "%s", err.text);
    cr_assert_eq (dp_client_annotate (client, "p-07", "completion_tx", "0xdef", &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK);
    cr_assert_str_eq (event.type, "annotation");
    cr_assert_eq (event.seq, seq + 1, "seq %llu after %llu", (unsigned long long) event.seq,
                  (unsigned long long) seq);
    dp_client_deal_t deal;
    cr_assert_eq (dp_client_status (client, "p-07", &deal, &err), DP_OK);
    cr_assert_str_eq (deal.escrow_tx, "0xabc");
    cr_assert (deal.has_result);
    char after [DP_DEAL_ID_MAX + 1] = "", next [DP_DEAL_ID_MAX + 1];
    int pages = 0, total = 0;
    do {
        dp_wire_entry_t *entries;
        size_t count;
        cr_assert_eq (dp_client_list (client, "agreed", "", after, 10, &entries, &count, next, &err), DP_OK);
        total += (int) count;
        pages++;
        free (entries);
        snprintf (after, sizeof after, "%s", next);
    } while (*after);
    cr_assert_eq (total, 25);
    cr_assert_eq (pages, 3);
    dp_wire_stats_t stats;
    cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK);
    cr_assert_eq (stats.agreed, 25);
    cr_assert_eq (stats.worker_count, 1);
    dp_client_stats_clear (&stats);
    dp_worker_destroy (&worker);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  A raw worker: takes one job, then the broker restarts; the result sent
//  under the old token after the restart is accepted (SPEC §2).
Test (broker, lease_survives_restart)
{
    dp_broker_t *broker = s_broker (0);
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "%s", dp_broker_endpoint (broker));
    dp_error_t err;
    dp_client_t *client = dp_client_new (endpoint, 5000, &err);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "r-1", "{}", &ack), DP_OK);
    cr_assert_eq (s_submit_one (client, "r-2", "{}", &ack), DP_OK);
    dp_client_destroy (&client);

    zsock_t *raw = zsock_new_dealer (endpoint);
    dp_wire_msg_t msg;
    uint8_t *frame;
    size_t len;
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 1);
    snprintf (msg.role, sizeof msg.role, "worker");
    msg.capacity = 1;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    zsock_send (raw, "b", frame, len);
    free (frame);
    uint64_t token = 0;
    char deal_id [DP_DEAL_ID_MAX + 1] = "";
    zsock_set_rcvtimeo (raw, 5000);
    while (!token) {
        zframe_t *in = zframe_recv (raw);
        cr_assert_not_null (in);
        dp_wire_msg_t reply;
        cr_assert_eq (dp_wire_decode (zframe_data (in), zframe_size (in), 0, 0, &reply, NULL), DP_OK);
        if (reply.kind == DP_WIRE_JOB) {
            token = reply.token;
            snprintf (deal_id, sizeof deal_id, "%s", reply.envelope.deal_id);
        }
        dp_wire_msg_clear (&reply);
        zframe_destroy (&in);
    }
    zclock_sleep (300);                     //  the lease is committed by now
    dp_broker_destroy (&broker);            //  while the worker is still connected
    zsock_destroy (&raw);

    //  The restarted broker binds a free port of its own, not the first
    //  one's: another test's broker may have taken that one meanwhile.
    dp_broker_options_t options;
    dp_broker_options_default (&options);
    options.data_dir = s_dir;
    options.listen = "tcp://127.0.0.1:*";
    broker = dp_broker_new (&options, &err);
    cr_assert_not_null (broker, "%s", err.text);
    snprintf (endpoint, sizeof endpoint, "%s", dp_broker_endpoint (broker));
    cr_assert_eq (dp_broker_recovered (broker), 2);
    raw = zsock_new_dealer (endpoint);
    dp_wire_msg_init (&msg, DP_WIRE_DONE, 2);
    snprintf (msg.deal_id, sizeof msg.deal_id, "%s", deal_id);
    msg.token = token;
    snprintf (msg.status, sizeof msg.status, "failed");
    snprintf (msg.reason, sizeof msg.reason, "test");
    msg.data = (const uint8_t *) "{}";
    msg.data_len = 2;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    zsock_send (raw, "b", frame, len);
    zsock_set_rcvtimeo (raw, 5000);
    zframe_t *in = zframe_recv (raw);
    cr_assert_not_null (in);
    dp_wire_msg_t reply;
    cr_assert_eq (dp_wire_decode (zframe_data (in), zframe_size (in), 0, 0, &reply, NULL), DP_OK);
    cr_assert_eq (reply.kind, DP_WIRE_DONE_ACK);
    cr_assert_eq (reply.code, DP_OK, "%s", reply.text);
    zframe_destroy (&in);
    zsock_send (raw, "b", frame, len);      //  again: now stale (already stored)
    in = zframe_recv (raw);
    cr_assert_eq (dp_wire_decode (zframe_data (in), zframe_size (in), 0, 0, &reply, NULL), DP_OK);
    cr_assert_eq (reply.code, DP_STALE);
    zframe_destroy (&in);
    free (frame);
    zsock_destroy (&raw);
    client = dp_client_new (endpoint, 5000, &err);
    dp_client_deal_t deal;
    cr_assert_eq (dp_client_status (client, deal_id, &deal, &err), DP_OK);
    cr_assert_str_eq (deal.status, "failed");
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

Test (broker, queue_full_at_the_map_limit)
{
    dp_broker_t *broker = s_broker (2 << 20);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 10000, &err);
    char *body = malloc (64 << 10);
    memset (body, 'x', 64 << 10);
    body [(64 << 10) - 1] = '\0';
    dp_wire_ack_t ack;
    int full = 0, stored = 0;
    char id [32];
    for (int i = 0; i < 200 && !full; i++) {
        snprintf (id, sizeof id, "f-%d", i);
        dp_status code = s_submit_one (client, id, body, &ack);
        full = code == DP_FULL;
        stored += code == DP_OK;
        if (full)
            cr_assert (strstr (ack.text, "queue full"), "%s", ack.text);
    }
    cr_assert (full, "the map never filled");
    cr_assert_gt (stored, 10);
    dp_client_deal_t deal;
    cr_assert_eq (dp_client_status (client, "f-0", &deal, &err), DP_OK, "%s", err.text);

    //  The refused deal's event number is skipped (it was handed out before
    //  the commit found the map full): a subscriber from the start passes
    //  over it and then sees the results a worker still stores, in order.
    dp_client_t *events = dp_client_new (dp_broker_endpoint (broker), 10000, &err);
    cr_assert_eq (dp_client_subscribe (events, 1, &err), DP_OK, "%s", err.text);
    dp_worker_t *worker = s_worker (broker, 4);
    uint64_t last = 0, seen = 0, results = 0;
    dp_wire_event_t event;
    while (results < (uint64_t) stored && dp_client_next_event (events, 5000, &event, &err) == DP_OK) {
        cr_assert_gt (event.seq, last, "events out of order");
        last = event.seq;
        seen++;
        results += strcmp (event.type, "result") == 0;
    }
    cr_assert_eq (results, (uint64_t) stored, "%s", err.text);
    cr_assert_eq (seen, last - 1, "expected exactly one skipped number: %llu events up to seq %llu",
                  (unsigned long long) seen, (unsigned long long) last);
    dp_worker_destroy (&worker);
    dp_client_destroy (&events);
    free (body);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

Test (broker, unreachable_broker)
{
    dp_error_t err;
    int64_t start = zclock_mono ();
    dp_client_t *client = dp_client_new ("tcp://127.0.0.1:1", 300, &err);
    cr_assert_null (client);
    cr_assert_eq (err.code, DP_UNREACHABLE, "%s", err.text);
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    options.broker = "tcp://127.0.0.1:1";
    options.connect_timeout_ms = 300;
    dp_worker_t *worker = dp_worker_new (&options, s_handler, NULL, &err);
    cr_assert_null (worker);
    cr_assert_eq (err.code, DP_UNREACHABLE, "%s", err.text);
    cr_assert_lt (zclock_mono () - start, 3000);
}

//  A handler that takes *(int *) arg milliseconds, counting its calls.
static atomic_int s_slow_calls;

static dp_status
s_slow_handler (void *arg, const dp_job_t *job, dp_progress_fn *progress, void *progress_arg,
                dp_job_outcome_t *outcome)
{
    atomic_fetch_add (&s_slow_calls, 1);
    zclock_sleep (*(int *) arg);
    return s_handler (NULL, job, progress, progress_arg, outcome);
}

//  The broker beats every 100 ms and drops a worker silent for 300 ms; the
//  worker's own option says 1000 ms. While its one deal runs for 1.5 s
//  nothing but heartbeats goes to the broker, so a worker that kept its
//  own rate was dropped between beats and the deal counted a lost
//  delivery. From the welcome on it beats at the broker's rate.
Test (broker, worker_beats_at_the_brokers_heartbeat)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    cr_assert_eq (dp_client_subscribe (client, 0, &err), DP_OK, "%s", err.text);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "slow-1", "{}", &ack), DP_OK);
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    cr_assert_eq (options.heartbeat_ms, 1000);
    options.broker = dp_broker_endpoint (broker);
    options.capacity = 1;
    int handler_ms = 1500;
    atomic_store (&s_slow_calls, 0);
    dp_worker_t *worker = dp_worker_new (&options, s_slow_handler, &handler_ms, &err);
    cr_assert_not_null (worker, "%s", err.text);
    bool result = false;
    while (!result) {
        dp_wire_event_t event;
        cr_assert_eq (dp_client_next_event (client, 10000, &event, &err), DP_OK, "%s", err.text);
        result = strcmp (event.type, "result") == 0;
    }
    dp_client_deal_t deal;
    cr_assert_eq (dp_client_status (client, "slow-1", &deal, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (deal.status, "agreed");
    cr_assert_eq (deal.attempts, 0, "%u deliveries lost: the worker was dropped between beats",
                  deal.attempts);
    cr_assert_eq (atomic_load (&s_slow_calls), 1);
    dp_wire_stats_t stats;
    cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK);
    cr_assert_eq (stats.worker_count, 1);
    dp_client_stats_clear (&stats);
    dp_worker_destroy (&worker);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  After every deal has its result, the store's status index holds exactly
//  one entry per deal, under its final status, and `active` is empty: a
//  lease committed in the same group as its result (the committer skips
//  the lease's write then) leaves nothing behind. Read with LMDB directly
//  once the broker has closed the store.
Test (broker, status_index_is_exact_after_fast_results)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_eq (dp_client_subscribe (client, 0, &err), DP_OK, "%s", err.text);
    dp_worker_t *worker = s_worker (broker, 16);
    enum { N = 300 };
    static dp_wire_item_t items [N];
    static char ids [N][16];
    for (int i = 0; i < N; i++) {
        snprintf (ids [i], sizeof ids [i], "f-%03d", i);
        items [i] = s_item (ids [i], "{}");
    }
    dp_wire_ack_t *acks = calloc (N, sizeof *acks);
    for (int i = 0; i < N; i += 50)
        cr_assert_eq (dp_client_submit (client, items + i, 50, acks + i, &err), DP_OK, "%s", err.text);
    int results = 0;
    while (results < N) {
        dp_wire_event_t event;
        cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK, "%s", err.text);
        results += strcmp (event.type, "result") == 0;
    }
    free (acks);
    dp_worker_destroy (&worker);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);

    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi by_status, active;
    cr_assert_eq (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 16);
    cr_assert_eq (mdb_env_open (env, s_dir, MDB_RDONLY, 0600), 0);
    cr_assert_eq (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq (mdb_dbi_open (txn, "by_status", 0, &by_status), 0);
    cr_assert_eq (mdb_dbi_open (txn, "active", 0, &active), 0);
    MDB_stat stat;
    cr_assert_eq (mdb_stat (txn, active, &stat), 0);
    cr_expect_eq (stat.ms_entries, 0, "active still holds %zu deals", stat.ms_entries);
    MDB_dbi bodies;                 //  a stored result deletes its deal's body
    cr_assert_eq (mdb_dbi_open (txn, "bodies_by_order", 0, &bodies), 0);
    cr_assert_eq (mdb_stat (txn, bodies, &stat), 0);
    cr_expect_eq (stat.ms_entries, 0, "%zu bodies of finished deals kept", stat.ms_entries);
    MDB_cursor *cursor;
    cr_assert_eq (mdb_cursor_open (txn, by_status, &cursor), 0);
    MDB_val key, value;
    size_t entries = 0;
    for (int op = MDB_FIRST; mdb_cursor_get (cursor, &key, &value, op) == 0; op = MDB_NEXT) {
        entries++;
        cr_expect_eq (((uint8_t *) key.mv_data) [0], DP_ST_AGREED, "a stale index entry: %.*s",
                      (int) key.mv_size - 1, (char *) key.mv_data + 1);
    }
    cr_expect_eq (entries, N);
    mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    mdb_env_close (env);
}

//  The next message of one of the given kinds from a raw DEALER (the
//  broker's heartbeats are skipped). Its byte views (body, data) point
//  into *frame_p, which holds the frame until the next call (that frees
//  the previous one) or until the caller destroys it.
static void
s_raw_next (zsock_t *raw, int kind, dp_wire_msg_t *msg, zframe_t **frame_p)
{
    while (true) {
        zframe_destroy (frame_p);
        *frame_p = zframe_recv (raw);
        cr_assert_not_null (*frame_p, "no %s from the broker", dp_wire_kind_name (kind));
        dp_error_t err;
        cr_assert_eq (dp_wire_decode (zframe_data (*frame_p), zframe_size (*frame_p), 0, 0, msg, &err),
                      DP_OK, "%s", err.text);
        if (msg->kind == kind)
            return;
        cr_assert (msg->kind == DP_WIRE_HEARTBEAT || msg->kind == DP_WIRE_WELCOME
                   || msg->kind == DP_WIRE_JOB, "unexpected %s", dp_wire_kind_name (msg->kind));
        dp_wire_msg_clear (msg);
    }
}

static void
s_raw_send (zsock_t *raw, dp_wire_msg_t *msg)
{
    uint8_t *frame;
    size_t len;
    cr_assert_eq (dp_wire_encode (msg, &frame, &len, NULL), DP_OK);
    cr_assert_eq (zsock_send (raw, "b", frame, len), 0);
    free (frame);
}

//  A raw worker: a DEALER to the broker that has said hello with a capacity.
static zsock_t *
s_raw_worker (const char *endpoint, uint32_t capacity)
{
    zsock_t *raw = zsock_new_dealer (endpoint);
    cr_assert_not_null (raw);
    zsock_set_rcvtimeo (raw, 5000);
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 1);
    snprintf (msg.role, sizeof msg.role, "worker");
    msg.capacity = capacity;
    s_raw_send (raw, &msg);
    return raw;
}

//  Sends msg to the peer `identity` of a ROUTER.
static void
s_router_send (zsock_t *router, zframe_t *identity, dp_wire_msg_t *msg)
{
    uint8_t *bytes;
    size_t len;
    cr_assert_eq (dp_wire_encode (msg, &bytes, &len, NULL), DP_OK);
    zframe_send (&identity, router, ZFRAME_MORE + ZFRAME_REUSE);
    zsock_send (router, "b", bytes, len);
    free (bytes);
}

static dp_wire_done_t
s_done (const char *deal_id, uint64_t token, const char *status)
{
    dp_wire_done_t done;
    memset (&done, 0, sizeof done);
    snprintf (done.deal_id, sizeof done.deal_id, "%s", deal_id);
    done.token = token;
    snprintf (done.status, sizeof done.status, "%s", status);
    done.data = (const uint8_t *) "{}";
    done.data_len = 2;
    return done;
}

//  A worker's batch of results: those refused are answered at once in
//  one done_acks (stale token, unknown deal, a status that is not final),
//  those taken in another once committed, a copy sent while its first is
//  committing not at all (the commit answers for both); a repeat after
//  the commit is stale.
Test (broker, batched_results_answered_in_two_batches)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "b-1", "{}", &ack), DP_OK);
    cr_assert_eq (s_submit_one (client, "b-2", "{\"x\":2}", &ack), DP_OK);

    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 2);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    uint64_t token [2] = { 0, 0 };
    for (int jobs = 0; jobs < 2; jobs++) {
        s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
        token [strcmp (msg.envelope.deal_id, "b-1") == 0? 0: 1] = msg.token;
        dp_wire_msg_clear (&msg);
    }
    cr_assert (token [0] && token [1]);

    dp_wire_done_t dones [5] = {
        s_done ("b-1", token [0], "agreed"),
        s_done ("b-2", token [1] + 1, "agreed"),        //  not the current lease
        s_done ("ghost", 1, "agreed"),                  //  never submitted
        s_done ("b-2", token [1], "pending"),           //  not a final status
        s_done ("b-1", token [0], "agreed"),            //  a resend while b-1 commits
    };
    dp_wire_msg_init (&msg, DP_WIRE_DONES, 2);
    msg.dones = dones;
    msg.count = 5;
    s_raw_send (raw, &msg);
    dp_wire_msg_t reply;
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &reply, &frame);
    cr_assert_eq (reply.request_id, 2);
    cr_assert_eq (reply.count, 3);
    cr_assert_str_eq (reply.done_acks [0].deal_id, "b-2");
    cr_assert_eq (reply.done_acks [0].code, DP_STALE);
    cr_assert_str_eq (reply.done_acks [1].deal_id, "ghost");
    cr_assert_eq (reply.done_acks [1].code, DP_NOTFOUND);
    cr_assert_eq (reply.done_acks [2].code, DP_PROTO);
    cr_assert (strstr (reply.done_acks [2].text, "status"), "%s", reply.done_acks [2].text);
    dp_wire_msg_clear (&reply);
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &reply, &frame);
    cr_assert_eq (reply.count, 1);
    cr_assert_str_eq (reply.done_acks [0].deal_id, "b-1");
    cr_assert_eq (reply.done_acks [0].token, token [0]);
    cr_assert_eq (reply.done_acks [0].code, DP_OK, "%s", reply.done_acks [0].text);
    dp_wire_msg_clear (&reply);

    dones [0] = s_done ("b-2", token [1], "failed");
    dones [1] = s_done ("b-1", token [0], "agreed");    //  stored already
    dp_wire_msg_init (&msg, DP_WIRE_DONES, 3);
    msg.dones = dones;
    msg.count = 2;
    s_raw_send (raw, &msg);
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &reply, &frame);
    cr_assert_eq (reply.count, 1);
    cr_assert_str_eq (reply.done_acks [0].deal_id, "b-1");
    cr_assert_eq (reply.done_acks [0].code, DP_STALE);
    dp_wire_msg_clear (&reply);
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &reply, &frame);
    cr_assert_eq (reply.count, 1);
    cr_assert_str_eq (reply.done_acks [0].deal_id, "b-2");
    cr_assert_eq (reply.done_acks [0].code, DP_OK);
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
    zsock_destroy (&raw);

    dp_client_deal_t deal;
    cr_assert_eq (dp_client_status (client, "b-1", &deal, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (deal.status, "agreed");
    cr_assert_eq (dp_client_status (client, "b-2", &deal, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (deal.status, "failed");
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

static int
s_list_all (dp_client_t *client, const char *status, uint32_t limit, int *pages)
{
    char after [DP_DEAL_ID_MAX + 1] = "", next [DP_DEAL_ID_MAX + 1];
    int total = 0;
    *pages = 0;
    do {
        dp_wire_entry_t *entries;
        size_t count;
        dp_error_t err;
        cr_assert_eq (dp_client_list (client, status, "", after, limit, &entries, &count, next, &err),
                      DP_OK, "%s", err.text);
        for (size_t i = 0; i < count; i++)
            cr_assert_str_eq (entries [i].status, status);
        total += (int) count;
        (*pages)++;
        free (entries);
        snprintf (after, sizeof after, "%s", next);
    } while (*after);
    return total;
}

//  Pending and negotiating deals are listed (with paging) from `active`,
//  since store format 2 indexes only final deals in by_status; a format 1
//  store is converted at open: its index entries of unfinished deals go,
//  those of final deals stay.
Test (broker, unfinished_deals_listed_and_format_1_converted)
{
    dp_broker_t *broker = s_broker (0);
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "%s", dp_broker_endpoint (broker));
    dp_error_t err;
    dp_client_t *client = dp_client_new (endpoint, 5000, &err);
    dp_wire_ack_t ack;
    char id [32];
    for (int i = 0; i < 12; i++) {
        snprintf (id, sizeof id, "l-%02d", i);
        cr_assert_eq (s_submit_one (client, id, "{}", &ack), DP_OK);
    }
    zsock_t *raw = s_raw_worker (endpoint, 5);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    dp_wire_done_t done;
    for (int jobs = 0; jobs < 5; jobs++) {
        s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
        done = s_done (msg.envelope.deal_id, msg.token, "agreed");
        dp_wire_msg_clear (&msg);
    }
    dp_wire_msg_init (&msg, DP_WIRE_DONES, 2);          //  one of the five finishes
    msg.dones = &done;
    msg.count = 1;
    s_raw_send (raw, &msg);
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &msg, &frame);
    cr_assert_eq (msg.done_acks [0].code, DP_OK);
    dp_wire_msg_clear (&msg);
    //  Its credit came back at once: a sixth job came before the answer.
    zclock_sleep (100);                                 //  the leases are committed too
    int pages;
    cr_assert_eq (s_list_all (client, "pending", 3, &pages), 6);
    cr_assert_eq (pages, 2);
    cr_assert_eq (s_list_all (client, "negotiating", 2, &pages), 5);
    cr_assert_eq (pages, 3);
    cr_assert_eq (s_list_all (client, "agreed", 10, &pages), 1);
    dp_client_destroy (&client);
    zframe_destroy (&frame);
    zsock_destroy (&raw);
    dp_broker_destroy (&broker);

    //  Make it a format 1 store: index entries for unfinished deals, one final.
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi by_status, meta;
    cr_assert_eq (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 16);
    cr_assert_eq (mdb_env_open (env, s_dir, 0, 0600), 0);
    cr_assert_eq (mdb_txn_begin (env, NULL, 0, &txn), 0);
    cr_assert_eq (mdb_dbi_open (txn, "by_status", 0, &by_status), 0);
    cr_assert_eq (mdb_dbi_open (txn, "meta", 0, &meta), 0);
    uint64_t one = 1;
    MDB_val k = { 6, "format" }, v = { sizeof one, &one };
    cr_assert_eq (mdb_put (txn, meta, &k, &v, 0), 0);
    const char *entries [] = { "\001l-00", "\001l-11", "\002l-03" };
    for (size_t i = 0; i < 3; i++) {
        MDB_val key = { strlen (entries [i]), (void *) entries [i] }, empty = { 0, "" };
        cr_assert_eq (mdb_put (txn, by_status, &key, &empty, 0), 0);
    }
    cr_assert_eq (mdb_txn_commit (txn), 0);
    mdb_env_close (env);

    //  The restarted broker binds a free port of its own, not the first
    //  one's: another test's broker may have taken that one meanwhile.
    dp_broker_options_t options;
    dp_broker_options_default (&options);
    options.data_dir = s_dir;
    options.listen = "tcp://127.0.0.1:*";
    broker = dp_broker_new (&options, &err);
    cr_assert_not_null (broker, "%s", err.text);
    snprintf (endpoint, sizeof endpoint, "%s", dp_broker_endpoint (broker));
    client = dp_client_new (endpoint, 5000, &err);
    cr_assert_eq (s_list_all (client, "pending", 100, &pages), 6);
    cr_assert_eq (s_list_all (client, "negotiating", 100, &pages), 5);  //  leases outlive restarts
    cr_assert_eq (s_list_all (client, "agreed", 100, &pages), 1);
    char after [DP_DEAL_ID_MAX + 1] = "", next [DP_DEAL_ID_MAX + 1];
    dp_wire_entry_t *all;
    size_t count;
    cr_assert_eq (dp_client_list (client, "", "", after, 0, &all, &count, next, &err), DP_OK);
    cr_assert_eq (count, 12, "no filter: %zu deals", count);
    free (all);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);

    cr_assert_eq (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 16);
    cr_assert_eq (mdb_env_open (env, s_dir, MDB_RDONLY, 0600), 0);
    cr_assert_eq (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq (mdb_dbi_open (txn, "by_status", 0, &by_status), 0);
    cr_assert_eq (mdb_dbi_open (txn, "meta", 0, &meta), 0);
    cr_assert_eq (mdb_get (txn, meta, &k, &v), 0);
    uint64_t format;
    memcpy (&format, v.mv_data, sizeof format);
    cr_assert_eq (format, DP_STORE_FORMAT);
    MDB_cursor *cursor;
    cr_assert_eq (mdb_cursor_open (txn, by_status, &cursor), 0);
    MDB_val key, value;
    size_t left = 0;
    for (int op = MDB_FIRST; mdb_cursor_get (cursor, &key, &value, op) == 0; op = MDB_NEXT) {
        left++;
        cr_expect (dp_store_status_final (((uint8_t *) key.mv_data) [0]), "unfinished entry left: %.*s",
                   (int) key.mv_size - 1, (char *) key.mv_data + 1);
    }
    cr_assert_eq (left, 1);
    mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    mdb_env_close (env);
}

//  A deal's body as the conversion test submits it: its id, padded to a
//  length of its own, so a body under the wrong key shows.
static void
s_conv_body (char *body, size_t size, int i)
{
    snprintf (body, size, "{\"deal\":\"b-%d\",\"pad\":\"%.*s\"}", i, 10 * i,
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

//  Plays a raw worker until `want` results were accepted: each job's body
//  is checked against the one submitted for its deal (while its frame
//  lives: a decoded message's bytes are views into it), the first
//  `answer` jobs are answered at once, any later ones left leased. It
//  sends heartbeats while it waits: leases cut short by a restart come
//  back only when they expire (lease_ms 300), and a worker silent for as
//  long (heartbeat 100 ms × liveness 3) would be gone by then.
static void
s_conv_run (zsock_t *raw, int want, int answer, bool agreed [6])
{
    dp_wire_msg_t msg;
    dp_error_t err;
    char body [128];
    int64_t deadline = zclock_mono () + 5000;
    while (want > 0) {
        zmq_pollitem_t item = { zsock_resolve (raw), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) <= 0) {
            cr_assert_lt (zclock_mono (), deadline, "%d results never came", want);
            dp_wire_msg_init (&msg, DP_WIRE_HEARTBEAT, 0);
            s_raw_send (raw, &msg);
            continue;
        }
        zframe_t *in = zframe_recv (raw);
        cr_assert_not_null (in, "%d results never came", want);
        cr_assert_eq (dp_wire_decode (zframe_data (in), zframe_size (in), 0, 0, &msg, &err), DP_OK,
                      "%s", err.text);
        if (msg.kind == DP_WIRE_JOB) {
            int n = atoi (msg.envelope.deal_id + 2);
            cr_assert (n >= 0 && n < 6 && !agreed [n], "%s came again", msg.envelope.deal_id);
            s_conv_body (body, sizeof body, n);
            cr_assert_eq (msg.body_len, strlen (body), "%s: body of %zu bytes", msg.envelope.deal_id,
                          msg.body_len);
            cr_assert (memcmp (msg.body, body, msg.body_len) == 0, "%s: another deal's body",
                       msg.envelope.deal_id);
            if (answer > 0) {
                answer--;
                dp_wire_done_t done = s_done (msg.envelope.deal_id, msg.token, "agreed");
                dp_wire_msg_clear (&msg);
                dp_wire_msg_init (&msg, DP_WIRE_DONES, 3);
                msg.dones = &done;
                msg.count = 1;
                s_raw_send (raw, &msg);
                msg.dones = NULL;
                msg.count = 0;
            }
        }
        else if (msg.kind == DP_WIRE_DONE_ACKS)
            for (size_t i = 0; i < msg.count; i++)
                if (msg.done_acks [i].code == DP_OK) {
                    int n = atoi (msg.done_acks [i].deal_id + 2);
                    cr_assert (n >= 0 && n < 6 && !agreed [n]);
                    agreed [n] = true;
                    want--;
                }
        dp_wire_msg_clear (&msg);
        zframe_destroy (&in);
    }
}

//  The conversion tests' broker: short leases, so those cut short by a
//  restart expire soon after it.
static dp_broker_t *
s_conv_broker (const char *listen)
{
    dp_broker_options_t options;
    dp_broker_options_default (&options);
    options.data_dir = s_dir;
    options.listen = listen;
    options.heartbeat_ms = 100;
    options.lease_ms = 300;
    dp_error_t err;
    dp_broker_t *broker = dp_broker_new (&options, &err);
    cr_assert_not_null (broker, "%s", err.text);
    return broker;
}

//  Six deals submitted, two finished, the others left pending or leased;
//  the broker stopped.
static void
s_conv_start (bool agreed [6])
{
    dp_broker_t *broker = s_conv_broker ("tcp://127.0.0.1:*");
    const char *endpoint = dp_broker_endpoint (broker);
    dp_error_t err;
    dp_client_t *client = dp_client_new (endpoint, 5000, &err);
    dp_wire_ack_t ack;
    char body [128];
    for (int i = 0; i < 6; i++) {
        char id [16];
        snprintf (id, sizeof id, "b-%d", i);
        s_conv_body (body, sizeof body, i);
        cr_assert_eq (s_submit_one (client, id, body, &ack), DP_OK);
    }
    zsock_t *raw = s_raw_worker (endpoint, 2);
    s_conv_run (raw, 2, 2, agreed);
    zsock_destroy (&raw);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  Turns the stopped broker's store back into an older shape by hand: the
//  bodies of the unfinished deals (four) go to `bodies`, keyed by deal id,
//  except the first `keep` of them, which stay keyed by order; meta's
//  format becomes `format`. keep 0 and format 2 is a format 2 store; keep
//  2 and format 3 is a conversion cut short after its first transaction.
static void
s_conv_unconvert (size_t keep, uint64_t format)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi bodies, old_bodies, active, meta;
    MDB_stat stat;
    cr_assert_eq (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 16);
    cr_assert_eq (mdb_env_open (env, s_dir, 0, 0600), 0);
    cr_assert_eq (mdb_txn_begin (env, NULL, 0, &txn), 0);
    cr_assert_eq (mdb_dbi_open (txn, "bodies_by_order", 0, &bodies), 0);
    cr_assert_eq (mdb_dbi_open (txn, "bodies", MDB_CREATE, &old_bodies), 0);
    cr_assert_eq (mdb_dbi_open (txn, "active", 0, &active), 0);
    cr_assert_eq (mdb_dbi_open (txn, "meta", 0, &meta), 0);
    cr_assert_eq (mdb_stat (txn, bodies, &stat), 0);
    cr_assert_eq (stat.ms_entries, 4, "%zu bodies kept for 4 unfinished deals", stat.ms_entries);
    MDB_cursor *cursor;
    MDB_val key, value;
    size_t seen = 0;
    cr_assert_eq (mdb_cursor_open (txn, active, &cursor), 0);
    for (int op = MDB_FIRST; mdb_cursor_get (cursor, &key, &value, op) == 0; op = MDB_NEXT) {
        if (seen++ < keep)
            continue;
        dp_store_active_t rec;
        memcpy (&rec, value.mv_data, sizeof rec);
        uint8_t order [8];
        for (int i = 0; i < 8; i++)
            order [i] = (uint8_t) (rec.order >> (56 - 8 * i));
        MDB_val order_key = { 8, order }, stored;
        cr_assert_eq (mdb_get (txn, bodies, &order_key, &stored), 0);
        uint8_t copy [128];
        cr_assert_leq (stored.mv_size, sizeof copy);
        memcpy (copy, stored.mv_data, stored.mv_size);
        MDB_val moved = { stored.mv_size, copy };
        cr_assert_eq (mdb_del (txn, bodies, &order_key, NULL), 0);
        cr_assert_eq (mdb_put (txn, old_bodies, &key, &moved, 0), 0);
    }
    mdb_cursor_close (cursor);
    if (keep == 0)
        cr_assert_eq (mdb_drop (txn, bodies, 1), 0);
    MDB_val k = { 6, "format" }, v = { sizeof format, &format };
    cr_assert_eq (mdb_put (txn, meta, &k, &v, 0), 0);
    cr_assert_eq (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
}

//  Starts the broker on the store again: every unfinished deal must go out
//  with its own body and finish; then no `bodies` is left, no body of a
//  finished deal, and meta says the current format.
static void
s_conv_finish (bool agreed [6])
{
    //  A port of its own: the first broker's may be taken by now.
    dp_broker_t *broker = s_conv_broker ("tcp://127.0.0.1:*");
    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 10);
    s_conv_run (raw, 4, 1000, agreed);          //  every job answered
    zsock_destroy (&raw);
    dp_broker_destroy (&broker);

    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi bodies, old_bodies, meta;
    MDB_stat stat;
    cr_assert_eq (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 16);
    cr_assert_eq (mdb_env_open (env, s_dir, MDB_RDONLY, 0600), 0);
    cr_assert_eq (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq (mdb_dbi_open (txn, "bodies", 0, &old_bodies), MDB_NOTFOUND);
    cr_assert_eq (mdb_dbi_open (txn, "bodies_by_order", 0, &bodies), 0);
    cr_assert_eq (mdb_stat (txn, bodies, &stat), 0);
    cr_expect_eq (stat.ms_entries, 0, "%zu bodies of finished deals kept", stat.ms_entries);
    cr_assert_eq (mdb_dbi_open (txn, "meta", 0, &meta), 0);
    MDB_val k = { 6, "format" }, v;
    cr_assert_eq (mdb_get (txn, meta, &k, &v), 0);
    uint64_t format;
    memcpy (&format, v.mv_data, sizeof format);
    cr_assert_eq (format, DP_STORE_FORMAT);
    mdb_txn_abort (txn);
    mdb_env_close (env);
}

//  Bodies are keyed by submit order (store format 3), and a result deletes
//  its deal's body. A format 2 store, whose `bodies` were keyed by deal
//  id, is converted at open: every unfinished deal then goes out with its
//  own body, and `bodies` is gone.
Test (broker, bodies_keyed_by_order_and_format_2_converted)
{
    bool agreed [6] = { false };
    s_conv_start (agreed);
    s_conv_unconvert (0, 2);
    s_conv_finish (agreed);
}

//  A conversion cut short by a crash (its first transactions committed,
//  format already 3, some bodies still in `bodies`) finishes at the next
//  open, and no body is lost or given to another deal.
Test (broker, format_2_conversion_resumes_where_a_crash_left_it)
{
    bool agreed [6] = { false };
    s_conv_start (agreed);
    s_conv_unconvert (2, 3);
    s_conv_finish (agreed);
}

static dp_status
s_big_handler (void *arg, const dp_job_t *job, dp_progress_fn *progress, void *progress_arg,
               dp_job_outcome_t *outcome)
{
    snprintf (outcome->status, sizeof outcome->status, "agreed");
    outcome->result_len = 3000;
    outcome->result_json = malloc (outcome->result_len + 1);
    if (!outcome->result_json)
        return DP_NOMEM;
    memset (outcome->result_json, ' ', outcome->result_len);
    outcome->result_json [0] = '{';
    outcome->result_json [outcome->result_len - 1] = '}';
    outcome->result_json [outcome->result_len] = '\0';
    return DP_OK;
}

//  The worker's batches of results respect the broker's frame limit: 16
//  results of 3,000 bytes under a 4 KiB limit go one a frame, and are all
//  stored (a single batch of them would be refused, for ever).
Test (broker, batched_results_fit_the_frame_limit)
{
    dp_broker_options_t options = s_options ();
    options.frame_max = 4096;
    dp_broker_t *broker = s_broker_from (&options);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_eq (dp_client_subscribe (client, 0, &err), DP_OK, "%s", err.text);
    dp_wire_ack_t ack;
    char id [32];
    for (int i = 0; i < 16; i++) {
        snprintf (id, sizeof id, "big-%02d", i);
        cr_assert_eq (s_submit_one (client, id, "{}", &ack), DP_OK);
    }
    dp_worker_options_t wopt;
    dp_worker_options_default (&wopt);
    wopt.broker = dp_broker_endpoint (broker);
    wopt.capacity = 16;
    wopt.heartbeat_ms = 100;
    dp_worker_t *worker = dp_worker_new (&wopt, s_big_handler, NULL, &err);
    cr_assert_not_null (worker, "%s", err.text);
    int results = 0;
    while (results < 16) {
        dp_wire_event_t event;
        cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK, "%s", err.text);
        if (strcmp (event.type, "result") == 0) {
            cr_assert_str_eq (event.status, "agreed", "%s: %s %s", event.deal_id, event.status,
                              event.reason);
            results++;
        }
    }
    dp_worker_destroy (&worker);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  A broker from before `dones` refuses the kind; the worker then sends the
//  same result again as a `done`, at once. It refuses `features` too, and
//  the worker goes on with one job per message. (A raw ROUTER plays that
//  broker.)
Test (broker, worker_falls_back_to_single_results)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    zsock_set_rcvtimeo (router, 5000);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    dp_worker_t *worker;
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    options.broker = endpoint;
    options.capacity = 1;
    dp_error_t err;
    worker = dp_worker_new (&options, s_handler, NULL, &err);
    cr_assert_not_null (worker, "%s", err.text);

    bool refused = false, done = false, features_refused = false;
    while (!done) {
        zframe_t *identity = zframe_recv (router), *frame = identity? zframe_recv (router): NULL;
        cr_assert_not_null (frame, "the worker went quiet (refused=%d)", refused);
        dp_wire_msg_t in, out;
        cr_assert_eq (dp_wire_decode (zframe_data (frame), zframe_size (frame), 0, 0, &in, &err),
                      DP_OK, "%s", err.text);
        bool reply = true;
        if (in.kind == DP_WIRE_HELLO) {
            dp_wire_msg_init (&out, DP_WIRE_WELCOME, in.request_id);
            out.epoch = 1;
            out.heartbeat_ms = 1000;
            out.lease_ms = 30000;
            out.frame_max = DP_WIRE_FRAME_MAX;
            out.batch_max = DP_WIRE_BATCH_MAX;
        }
        else if (in.kind == DP_WIRE_FEATURES) {
            //  Nor does it know `features` (sent after the hello). That
            //  refusal names the features request and must not make the
            //  worker give up `dones`: the job comes after it, so a worker
            //  that took it for a refusal of `dones` would answer `done`.
            cr_assert (!refused);
            features_refused = true;
            dp_wire_msg_init (&out, DP_WIRE_ERROR, in.request_id);
            out.code = DP_UNSUPPORTED;
            snprintf (out.text, sizeof out.text, "kind: 31 is not a known message");
            s_router_send (router, identity, &out);
            dp_wire_msg_init (&out, DP_WIRE_JOB, 0);      //  then one job
            dp_wire_item_t item = s_item ("old-1", "{}");
            out.envelope = item.envelope;
            out.body = item.body;
            out.body_len = item.body_len;
            out.token = 5;
            out.attempt = 1;
            out.lease_ms = 30000;
        }
        else if (in.kind == DP_WIRE_DONES) {
            cr_assert (!refused, "dones sent again after the refusal");
            refused = true;
            dp_wire_msg_init (&out, DP_WIRE_ERROR, in.request_id);
            out.code = DP_UNSUPPORTED;
            snprintf (out.text, sizeof out.text, "kind: 27 is not a known message");
        }
        else if (in.kind == DP_WIRE_DONE) {
            cr_assert (refused, "a single done before dones was refused");
            cr_assert_str_eq (in.deal_id, "old-1");
            cr_assert_eq (in.token, 5);
            done = true;
            reply = false;
        }
        else
            reply = false;                              //  heartbeats
        if (reply)
            s_router_send (router, identity, &out);
        dp_wire_msg_clear (&in);
        zframe_destroy (&identity);
        zframe_destroy (&frame);
    }
    cr_assert (features_refused, "the worker never sent features");
    dp_worker_destroy (&worker);
    zsock_destroy (&router);
}

//  Collects n jobs from a raw worker's socket, however they come (`jobs`
//  or `job`), checking each body against its envelope; counts messages.
static void
s_raw_jobs (zsock_t *raw, size_t n, dp_wire_done_t *dones, size_t *batches, size_t *singles,
            size_t *largest)
{
    size_t got = 0;
    *batches = *singles = *largest = 0;
    while (got < n) {
        zframe_t *frame = zframe_recv (raw);
        cr_assert_not_null (frame, "%zu of %zu jobs came", got, n);
        dp_wire_msg_t msg;
        dp_error_t err;
        cr_assert_eq (dp_wire_decode (zframe_data (frame), zframe_size (frame), 0, 0, &msg, &err),
                      DP_OK, "%s", err.text);
        dp_wire_job_t single = dp_wire_msg_job (&msg);
        dp_wire_job_t *jobs = msg.kind == DP_WIRE_JOBS? msg.jobs: &single;
        size_t count = msg.kind == DP_WIRE_JOBS? msg.count: msg.kind == DP_WIRE_JOB;
        *batches += msg.kind == DP_WIRE_JOBS;
        *singles += msg.kind == DP_WIRE_JOB;
        *largest = count > *largest? count: *largest;
        for (size_t i = 0; i < count; i++) {
            cr_assert_lt (got, n, "more jobs than deals");
            uint8_t sha [32];
            dp_sha256 (jobs [i].body, jobs [i].body_len, sha);
            cr_assert_eq (memcmp (sha, jobs [i].envelope.body_sha256, 32), 0,
                          "deal %s came with another body", jobs [i].envelope.deal_id);
            cr_assert_eq (jobs [i].attempt, 1);
            dones [got++] = s_done (jobs [i].envelope.deal_id, jobs [i].token, "agreed");
        }
        dp_wire_msg_clear (&msg);
        zframe_destroy (&frame);
    }
}

//  A worker that says `features jobs` gets a dispatch's jobs together in
//  `jobs` messages of at most DP_BROKER_JOBS_BYTES (a job that would pass
//  it starts the next; a lone one goes as a `job`); a worker that does not
//  gets a `job` each (the tests above).
Test (broker, jobs_batched_for_workers_that_take_them)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 8);
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_FEATURES, 2);
    snprintf (msg.features, sizeof msg.features, "progress jobs");
    s_raw_send (raw, &msg);
    zclock_sleep (100);         //  hello and features are in before the deals
    enum { SMALL = 5, BIG = 4 };
    char *bodies [SMALL + BIG];
    dp_wire_item_t items [SMALL + BIG];
    dp_wire_ack_t acks [SMALL + BIG];
    for (int i = 0; i < SMALL + BIG; i++) {
        size_t size = i < SMALL? 64: 300 << 10;     //  three big ones fit in 1 MiB, not four
        bodies [i] = malloc (size + 1);
        memset (bodies [i], 'a' + i, size);
        bodies [i][size] = '\0';
        char id [16];
        snprintf (id, sizeof id, "jb-%d", i);
        items [i] = s_item (id, bodies [i]);
    }
    dp_wire_done_t dones [SMALL + BIG];
    size_t batches, singles, largest;
    for (int round = 0; round < 2; round++) {
        size_t first = round? SMALL: 0, n = round? BIG: SMALL;
        cr_assert_eq (dp_client_submit (client, &items [first], n, &acks [first], &err), DP_OK,
                      "%s", err.text);
        s_raw_jobs (raw, n, dones, &batches, &singles, &largest);
        if (round == 0) {
            cr_assert_eq (batches, 1, "5 small jobs: %zu jobs messages", batches);
            cr_assert_eq (singles, 0);
            cr_assert_eq (largest, SMALL);
        }
        else {
            cr_assert_eq (batches, 1, "4 jobs of 300 KiB: %zu jobs messages", batches);
            cr_assert_eq (largest, 3);
            cr_assert_eq (singles, 1);
        }
        dp_wire_msg_init (&msg, DP_WIRE_DONES, 3);
        msg.dones = dones;
        msg.count = n;
        s_raw_send (raw, &msg);
        zframe_t *frame = NULL;
        s_raw_next (raw, DP_WIRE_DONE_ACKS, &msg, &frame);
        cr_assert_eq (msg.count, n);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq (msg.done_acks [i].code, DP_OK, "%s", msg.done_acks [i].text);
        dp_wire_msg_clear (&msg);
        zframe_destroy (&frame);
    }
    for (int i = 0; i < SMALL + BIG; i++)
        free (bodies [i]);
    zsock_destroy (&raw);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  A filtered listing walks at most DP_STORE_LIST_SCAN deals that do not
//  match per page: with none negotiating among 10,050 pending, the first
//  page comes back empty with a cursor, the second ends the listing.
Test (broker, filtered_listing_stops_scanning_with_a_cursor)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    enum { N = DP_STORE_LIST_SCAN + 50, BATCH = 1000 };
    static dp_wire_item_t items [BATCH];
    static dp_wire_ack_t acks [BATCH];
    static char ids [BATCH][16];
    for (int first = 0; first < N; first += BATCH) {
        int n = N - first < BATCH? N - first: BATCH;
        for (int i = 0; i < n; i++) {
            snprintf (ids [i], sizeof ids [i], "s-%05d", first + i);
            items [i] = s_item (ids [i], "{}");
        }
        cr_assert_eq (dp_client_submit (client, items, (size_t) n, acks, &err), DP_OK, "%s", err.text);
    }
    char after [DP_DEAL_ID_MAX + 1] = "", next [DP_DEAL_ID_MAX + 1];
    dp_wire_entry_t *entries;
    size_t count;
    cr_assert_eq (dp_client_list (client, "negotiating", "", after, 10, &entries, &count, next, &err), DP_OK);
    cr_assert_eq (count, 0);
    cr_assert_str_eq (next, "s-09999");
    free (entries);
    snprintf (after, sizeof after, "%s", next);
    cr_assert_eq (dp_client_list (client, "negotiating", "", after, 10, &entries, &count, next, &err), DP_OK);
    cr_assert_eq (count, 0);
    cr_assert_str_eq (next, "");
    free (entries);
    int pages;
    cr_assert_eq (s_list_all (client, "pending", 1000, &pages), N);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  The store keeps the last event_window durable events: a subscriber
//  from seq 1 is told which ones it missed, then gets the kept ones in
//  order; the window holds across a restart (the store finds its oldest
//  event again). Trimming walks one cursor, several groups' worth.
static void
s_expect_window (const char *endpoint, uint64_t first_kept, uint64_t last)
{
    dp_error_t err;
    dp_client_t *client = dp_client_new (endpoint, 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    cr_assert_eq (dp_client_subscribe (client, 1, &err), DP_NOTFOUND, "%s", err.text);
    char range [64];
    snprintf (range, sizeof range, "events 1..%llu ", (unsigned long long) first_kept - 1);
    cr_assert (strstr (err.text, range), "%s", err.text);
    dp_wire_event_t event;
    for (uint64_t seq = first_kept; seq <= last; seq++) {
        cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK, "%s", err.text);
        cr_assert_eq (event.seq, seq);
    }
    cr_assert_eq (dp_client_next_event (client, 200, &event, &err), DP_TIMEOUT);
    dp_client_destroy (&client);
}

Test (broker, event_window_trims_the_oldest_events)
{
    dp_broker_options_t options;
    dp_broker_options_default (&options);
    options.data_dir = s_dir;
    options.listen = "tcp://127.0.0.1:*";
    options.event_window = 10;
    dp_error_t err;
    dp_broker_t *broker = dp_broker_new (&options, &err);
    cr_assert_not_null (broker, "%s", err.text);
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    dp_wire_ack_t ack;
    char id [32];
    for (int i = 0; i < 25; i++) {          //  one "pending" event each, in its own commit
        snprintf (id, sizeof id, "w-%02d", i);
        cr_assert_eq (s_submit_one (client, id, "body", &ack), DP_OK, "%s", ack.text);
    }
    dp_client_destroy (&client);
    s_expect_window (dp_broker_endpoint (broker), 16, 25);
    dp_broker_destroy (&broker);
    broker = dp_broker_new (&options, &err);      //  on a free port again
    cr_assert_not_null (broker, "%s", err.text);
    s_expect_window (dp_broker_endpoint (broker), 16, 25);
    dp_broker_destroy (&broker);
}

//  The data file is kept 64 MiB ahead of LMDB's last page with written
//  zeros (so a commit's fdatasync has no block allocation to journal): a
//  new store gets them before the broker serves, and the committer tops
//  them up while idle as the store grows.
static uint64_t
s_file_size (void)
{
    char path [256];
    snprintf (path, sizeof path, "%s/data.mdb", s_dir);
    struct stat st;
    cr_assert_eq (stat (path, &st), 0, "%s", path);
    return (uint64_t) st.st_blocks * 512 < (uint64_t) st.st_size? 0: (uint64_t) st.st_size;
}

Test (broker, head_room_written_ahead_and_topped_up_when_idle)
{
    dp_broker_t *broker = s_broker (0);
    uint64_t ahead = 64ull << 20;
    cr_assert_geq (s_file_size (), ahead, "a new store starts with its head room, written");
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    static char body [4000];
    memset (body, 'h', sizeof body - 1);
    dp_wire_item_t items [100];
    dp_wire_ack_t acks [100];
    char ids [100][16];
    for (int batch = 0; batch < 20; batch++) {      //  8 MB of bodies
        for (int i = 0; i < 100; i++) {
            snprintf (ids [i], sizeof ids [i], "h-%d-%d", batch, i);
            items [i] = s_item (ids [i], body);
        }
        cr_assert_eq (dp_client_submit (client, items, 100, acks, &err), DP_OK, "%s", err.text);
    }
    dp_wire_stats_t stats;
    cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK, "%s", err.text);
    uint64_t used = stats.map_used;
    dp_client_stats_clear (&stats);
    cr_assert_gt (used, 8ull << 20);
    uint64_t size = 0;
    for (int wait = 0; wait < 200 && (size = s_file_size ()) + (1 << 20) < used + ahead; wait++)
        zclock_sleep (10);
    cr_assert_geq (size + (1 << 20), used + ahead, "size %llu, used %llu",
                   (unsigned long long) size, (unsigned long long) used);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  A worker's second hello names the leases it holds: one it had here and
//  does not name never reached it, so it goes back to the queue without
//  an attempt (the next delivery is attempt 1 again, under a new token,
//  and a result under the old token is stale); one it names stays its.
Test (broker, second_hello_returns_leases_it_does_not_name)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "h-1", "{}", &ack), DP_OK);
    cr_assert_eq (s_submit_one (client, "h-2", "{\"x\":2}", &ack), DP_OK);

    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 2);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    uint64_t token [2] = { 0, 0 };
    for (int jobs = 0; jobs < 2; jobs++) {
        s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
        cr_assert_eq (msg.attempt, 1);
        token [strcmp (msg.envelope.deal_id, "h-1") == 0? 0: 1] = msg.token;
        dp_wire_msg_clear (&msg);
    }
    cr_assert (token [0] && token [1]);

    dp_wire_lease_t held = { .token = token [0] };
    snprintf (held.deal_id, sizeof held.deal_id, "h-1");
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 2);
    snprintf (msg.role, sizeof msg.role, "worker");
    msg.capacity = 2;
    msg.leases = &held;
    msg.lease_count = 1;
    s_raw_send (raw, &msg);
    s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
    cr_assert_str_eq (msg.envelope.deal_id, "h-2");
    cr_assert_eq (msg.attempt, 1, "a job that never reached its worker costs no attempt");
    uint64_t again = msg.token;
    cr_assert_neq (again, token [1]);
    dp_wire_msg_clear (&msg);

    dp_wire_done_t dones [3] = {
        s_done ("h-2", token [1], "agreed"),    //  the returned lease
        s_done ("h-1", token [0], "agreed"),    //  named: still this worker's
        s_done ("h-2", again, "agreed"),
    };
    dp_wire_msg_init (&msg, DP_WIRE_DONES, 3);
    msg.dones = dones;
    msg.count = 3;
    s_raw_send (raw, &msg);
    dp_wire_msg_t reply;
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &reply, &frame);
    cr_assert_eq (reply.count, 1);
    cr_assert_str_eq (reply.done_acks [0].deal_id, "h-2");
    cr_assert_eq (reply.done_acks [0].token, token [1]);
    cr_assert_eq (reply.done_acks [0].code, DP_STALE);
    dp_wire_msg_clear (&reply);
    s_raw_next (raw, DP_WIRE_DONE_ACKS, &reply, &frame);
    cr_assert_eq (reply.count, 2);
    for (size_t i = 0; i < 2; i++)
        cr_assert_eq (reply.done_acks [i].code, DP_OK, "%s", reply.done_acks [i].text);
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);

    dp_client_deal_t status;
    cr_assert_eq (dp_client_status (client, "h-2", &status, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (status.status, "agreed");
    cr_assert_eq (status.attempts, 0, "deliveries lost: %u", status.attempts);
    zsock_destroy (&raw);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  A deal back in the queue says why in its status: here its worker
//  vanished (no heartbeats for heartbeat_ms × liveness) holding its lease.
Test (broker, status_says_why_a_deal_is_pending_again)
{
    dp_broker_t *broker = s_broker (0);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "why-1", "{}", &ack), DP_OK);
    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 1);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
    dp_wire_msg_clear (&msg);
    zframe_destroy (&frame);
    zsock_destroy (&raw);                   //  the worker goes silent, lease in hand
    dp_client_deal_t status;
    int64_t deadline = zclock_mono () + 5000;
    do {
        zclock_sleep (50);
        cr_assert_eq (dp_client_status (client, "why-1", &status, &err), DP_OK, "%s", err.text);
    } while (strcmp (status.status, "pending") != 0 && zclock_mono () < deadline);
    cr_assert_str_eq (status.status, "pending");
    cr_assert_eq (status.attempts, 1);
    cr_assert_str_eq (status.reason, "worker vanished");
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  A broker bound on every interface names its PUB socket as bound
//  (tcp://0.0.0.0:P), which no client can dial: the client takes the host
//  it dialled and the PUB port, and its subscription gets the events.
Test (broker, events_endpoint_of_a_wildcard_bind)
{
    dp_broker_options_t options = s_options ();
    options.listen = "tcp://0.0.0.0:*";
    dp_broker_t *broker = s_broker_from (&options);
    dp_error_t err;
    const char *bound = dp_broker_endpoint (broker);
    cr_assert (strncmp (bound, "tcp://0.0.0.0:", 14) == 0, "%s", bound);
    const char *pub = dp_broker_events_endpoint (broker);
    cr_assert (strncmp (pub, "tcp://0.0.0.0:", 14) == 0, "%s", pub);
    char dial [64], want [64];
    snprintf (dial, sizeof dial, "tcp://127.0.0.1:%s", bound + 14);
    snprintf (want, sizeof want, "tcp://127.0.0.1:%s", pub + 14);
    dp_client_t *client = dp_client_new (dial, 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    cr_assert_str_eq (dp_client_events_endpoint (client), want);
    cr_assert_eq (dp_client_subscribe (client, 0, &err), DP_OK, "%s", err.text);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "w-1", "{}", &ack), DP_OK);
    dp_wire_event_t event;
    cr_assert_eq (dp_client_next_event (client, 5000, &event, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (event.deal_id, "w-1");
    cr_assert_str_eq (event.status, "pending");
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  The broker's own failed result (poison) carries the deal's data hash
//  (SPEC §4), from the stored envelope, and is unsigned.
Test (broker, poison_result_names_the_data_hash)
{
    dp_broker_options_t options = s_options ();
    options.max_attempts = 1;
    dp_broker_t *broker = s_broker_from (&options);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    const char *hash = "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f";
    dp_wire_item_t item = s_item ("pz-1", "{}");
    snprintf (item.envelope.data_hash, sizeof item.envelope.data_hash, "%s", hash);
    dp_wire_ack_t ack;
    cr_assert_eq (dp_client_submit (client, &item, 1, &ack, &err), DP_OK, "%s", err.text);
    cr_assert_eq (ack.code, DP_OK, "%s", ack.text);

    //  A worker that takes the job and vanishes: one lost lease is all
    //  the attempts this broker allows.
    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 1);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
    dp_wire_msg_clear (&msg);
    zframe_destroy (&frame);
    zsock_destroy (&raw);

    dp_client_result_t result = { 0 };
    for (int i = 0; i < 100 && !result.json; i++) {
        zclock_sleep (50);
        dp_client_result_clear (&result);
        if (dp_client_result (client, "pz-1", &result, &err) != DP_OK)
            memset (&result, 0, sizeof result);
    }
    cr_assert_not_null (result.json, "no poison result");
    cr_assert_str_eq (result.status, "failed");
    char want [128];
    snprintf (want, sizeof want, "\"data_hash\":\"%s\"", hash);
    cr_assert (strstr (result.json, want), "%s", result.json);
    cr_assert (strstr (result.json, "\"reason\":\"poison: 1 attempts\""), "%s", result.json);
    cr_assert (strstr (result.json, "\"signature\":null"), "%s", result.json);
    dp_client_result_clear (&result);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  Dispatch order: highest priority first, submit order within a priority
//  (FIFO), the same after a restart (recovery sorts what it reads back);
//  and round robin across workers with credit.
static void
s_expect_order (dp_broker_t *broker, const char *const *want, size_t count)
{
    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), (uint32_t) count);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    for (size_t i = 0; i < count; i++) {
        s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
        cr_assert_str_eq (msg.envelope.deal_id, want [i], "job %zu", i);
        dp_wire_msg_clear (&msg);
    }
    zframe_destroy (&frame);
    zsock_destroy (&raw);
}

Test (broker, dispatch_by_priority_then_submit_order)
{
    static const struct { const char *id; uint8_t priority; } deals [] = {
        { "o-a", 0 }, { "o-b", 5 }, { "o-c", 0 }, { "o-d", 9 }, { "o-e", 5 }, { "o-f", 0 },
    };
    static const char *const want [] = { "o-d", "o-b", "o-e", "o-a", "o-c", "o-f" };
    for (int restart = 0; restart < 2; restart++) {
        dp_broker_t *broker = s_broker (0);
        dp_error_t err;
        dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
        cr_assert_not_null (client, "%s", err.text);
        for (size_t i = 0; i < sizeof deals / sizeof *deals; i++) {
            char body [32], id [16];
            snprintf (id, sizeof id, "%s%d", deals [i].id, restart);
            snprintf (body, sizeof body, "{\"n\":%zu}", i);
            dp_wire_item_t item = s_item (id, body);
            item.envelope.priority = deals [i].priority;
            dp_wire_ack_t ack;
            cr_assert_eq (dp_client_submit (client, &item, 1, &ack, &err), DP_OK, "%s", err.text);
            cr_assert_eq (ack.code, DP_OK, "%s", ack.text);
        }
        dp_client_destroy (&client);
        if (restart) {
            dp_broker_destroy (&broker);
            broker = s_broker (0);
        }
        const char *ids [6];
        char names [6][16];
        for (size_t i = 0; i < 6; i++) {
            snprintf (names [i], sizeof names [i], "%s%d", want [i], restart);
            ids [i] = names [i];
        }
        s_expect_order (broker, ids, 6);
        dp_broker_destroy (&broker);
        char cmd [256];
        snprintf (cmd, sizeof cmd, "rm -rf '%s'/*", s_dir);
        cr_assert_eq (system (cmd), 0);
    }
}

Test (broker, dispatch_round_robin_across_workers)
{
    dp_broker_t *broker = s_broker (0);
    zsock_t *raw [2];
    for (int w = 0; w < 2; w++)
        raw [w] = s_raw_worker (dp_broker_endpoint (broker), 3);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    //  Both hellos must be in before the deals, or the first worker
    //  could take them all: a status query after them orders it.
    dp_wire_stats_t stats = { 0 };
    for (int i = 0; i < 100 && stats.worker_count < 2; i++) {
        dp_client_stats_clear (&stats);
        cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK, "%s", err.text);
        if (stats.worker_count < 2)
            zclock_sleep (20);
    }
    cr_assert_eq (stats.worker_count, 2);
    dp_client_stats_clear (&stats);
    dp_wire_item_t items [4];
    char ids [4][16], bodies [4][16];
    for (int i = 0; i < 4; i++) {
        snprintf (ids [i], sizeof ids [i], "rr-%d", i);
        snprintf (bodies [i], sizeof bodies [i], "{\"n\":%d}", i);
        items [i] = s_item (ids [i], bodies [i]);
    }
    dp_wire_ack_t acks [4];
    cr_assert_eq (dp_client_submit (client, items, 4, acks, &err), DP_OK, "%s", err.text);
    //  One commit makes all four pending at once: two for each worker,
    //  alternating (rr-0 and rr-2 to one, rr-1 and rr-3 to the other).
    for (int w = 0; w < 2; w++) {
        dp_wire_msg_t msg;
        zframe_t *frame = NULL;
        int parity = -1;
        for (int j = 0; j < 2; j++) {
            s_raw_next (raw [w], DP_WIRE_JOB, &msg, &frame);
            int n = msg.envelope.deal_id [3] - '0';
            if (parity < 0)
                parity = n % 2;
            cr_assert_eq (n % 2, parity, "worker %d got %s", w, msg.envelope.deal_id);
            dp_wire_msg_clear (&msg);
        }
        zframe_destroy (&frame);
        //  For a while after: heartbeats only, no third job.
        int64_t until = zclock_mono () + 300;
        zsock_set_rcvtimeo (raw [w], 50);
        while (zclock_mono () < until) {
            zframe_t *extra = zframe_recv (raw [w]);
            if (!extra)
                continue;
            cr_assert_eq (dp_wire_decode (zframe_data (extra), zframe_size (extra), 0, 0, &msg, NULL), DP_OK);
            cr_assert_eq (msg.kind, DP_WIRE_HEARTBEAT, "worker %d got a %s", w, dp_wire_kind_name (msg.kind));
            dp_wire_msg_clear (&msg);
            zframe_destroy (&extra);
        }
    }
    for (int w = 0; w < 2; w++)
        zsock_destroy (&raw [w]);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  LMDB's commit flushes with fdatasync. Defined in this executable, this
//  one takes libc's place for the whole test process (liblmdb included),
//  so a test can make every commit slow: s_slow_sync_ms, 0 otherwise.
static atomic_int s_slow_sync_ms;

int
fdatasync (int fd)
{
    int ms = atomic_load (&s_slow_sync_ms);
    if (ms > 0)
        usleep ((useconds_t) ms * 1000);
    return (int) syscall (SYS_fdatasync, fd);
}

//  The reactor never waits for fsync: while a submit's commit is held in
//  fdatasync for 1.5 s, a worker that says hello gets an already committed
//  deal at once, and its result is taken. Were the commit on the
//  reactor's thread, the job would come after the ack.
Test (broker, dispatch_goes_on_while_a_commit_waits_for_the_disk)
{
    dp_broker_options_t options = s_options ();
    options.liveness = 50;              //  the raw worker is silent while the test waits
    dp_broker_t *broker = s_broker_from (&options);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 10000, &err);
    cr_assert_not_null (client, "%s", err.text);
    dp_wire_ack_t ack;
    cr_assert_eq (s_submit_one (client, "early", "{}", &ack), DP_OK);

    atomic_store (&s_slow_sync_ms, 1500);
    int64_t start = zclock_mono ();
    dp_wire_item_t item = s_item ("slow", "{\"slow\":1}");
    cr_assert_eq (dp_client_submit_send (client, &item, 1, &err), DP_OK, "%s", err.text);
    zclock_sleep (100);                 //  the commit is under way
    zsock_t *raw = s_raw_worker (dp_broker_endpoint (broker), 1);
    dp_wire_msg_t msg;
    zframe_t *frame = NULL;
    s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
    int64_t job_at = zclock_mono ();
    cr_assert_str_eq (msg.envelope.deal_id, "early");
    uint64_t token = msg.token;
    dp_wire_msg_clear (&msg);
    dp_wire_msg_init (&msg, DP_WIRE_HEARTBEAT, 0);
    s_raw_send (raw, &msg);
    size_t count = 1;
    cr_assert_eq (dp_client_submit_recv (client, &ack, &count, &err), DP_OK, "%s", err.text);
    int64_t ack_at = zclock_mono ();
    cr_assert_eq (ack.code, DP_OK, "%s", ack.text);
    cr_assert_geq (ack_at - start, 1400, "the commit was not slowed (%lld ms): the test proves nothing",
                   (long long) (ack_at - start));
    cr_assert_lt (job_at, ack_at, "the job came %lld ms after the ack", (long long) (job_at - ack_at));
    atomic_store (&s_slow_sync_ms, 0);

    dp_wire_done_t done = s_done ("early", token, "agreed");
    dp_wire_msg_init (&msg, DP_WIRE_DONE, 9);
    snprintf (msg.deal_id, sizeof msg.deal_id, "early");
    snprintf (msg.status, sizeof msg.status, "agreed");
    msg.token = done.token;
    msg.data = done.data;
    msg.data_len = done.data_len;
    s_raw_send (raw, &msg);
    s_raw_next (raw, DP_WIRE_DONE_ACK, &msg, &frame);
    cr_assert_eq (msg.code, DP_OK, "the worker's result was refused: %s", msg.text);
    dp_wire_msg_clear (&msg);
    zframe_destroy (&frame);
    zsock_destroy (&raw);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}

//  Stats: counts per status, the queue's age, rates over the last window,
//  and each worker's load (capacity, leases held, results stored).
Test (broker, stats_rates_queue_age_and_worker_load)
{
    dp_broker_options_t options = s_options ();
    options.liveness = 50;              //  the raw worker does not send heartbeats
    dp_broker_t *broker = s_broker_from (&options);
    dp_error_t err;
    dp_client_t *client = dp_client_new (dp_broker_endpoint (broker), 5000, &err);
    cr_assert_not_null (client, "%s", err.text);
    dp_wire_item_t items [5];
    char ids [5][16], bodies [5][16];
    for (int i = 0; i < 5; i++) {
        snprintf (ids [i], sizeof ids [i], "st-%d", i);
        snprintf (bodies [i], sizeof bodies [i], "{\"n\":%d}", i);
        items [i] = s_item (ids [i], bodies [i]);
    }
    dp_wire_ack_t acks [5];
    cr_assert_eq (dp_client_submit (client, items, 5, acks, &err), DP_OK, "%s", err.text);
    zclock_sleep (300);
    dp_wire_stats_t stats;
    cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK, "%s", err.text);
    cr_assert_eq (stats.pending, 5);
    cr_assert_eq (stats.negotiating, 0);
    cr_assert_eq (stats.submitted_total, 5);
    cr_assert_geq (stats.oldest_pending_ms, 250, "queue age %lld ms", (long long) stats.oldest_pending_ms);
    cr_assert_gt (stats.submit_rate, 0);
    cr_assert_eq (stats.complete_rate, 0);
    cr_assert_eq (stats.worker_count, 0);
    cr_assert_geq (stats.commits, 1);
    dp_client_stats_clear (&stats);

    zsock_t *raw = zsock_new_dealer (dp_broker_endpoint (broker));
    zsock_set_rcvtimeo (raw, 5000);
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 1);
    snprintf (msg.role, sizeof msg.role, "worker");
    snprintf (msg.name, sizeof msg.name, "loadw");
    msg.capacity = 3;
    s_raw_send (raw, &msg);
    zframe_t *frame = NULL;
    uint64_t token = 0;
    char first [DP_DEAL_ID_MAX + 1] = "";
    for (int i = 0; i < 3; i++) {
        s_raw_next (raw, DP_WIRE_JOB, &msg, &frame);
        if (i == 0) {
            token = msg.token;
            snprintf (first, sizeof first, "%s", msg.envelope.deal_id);
        }
        dp_wire_msg_clear (&msg);
    }
    cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK, "%s", err.text);
    cr_assert_eq (stats.pending, 2);
    cr_assert_eq (stats.negotiating, 3);
    cr_assert_eq (stats.worker_count, 1);
    cr_assert_str_eq (stats.workers [0].name, "loadw");
    cr_assert_eq (stats.workers [0].capacity, 3);
    cr_assert_eq (stats.workers [0].leased, 3);
    cr_assert_eq (stats.workers [0].done, 0);
    dp_client_stats_clear (&stats);

    dp_wire_msg_init (&msg, DP_WIRE_DONE, 2);
    snprintf (msg.deal_id, sizeof msg.deal_id, "%s", first);
    snprintf (msg.status, sizeof msg.status, "agreed");
    msg.token = token;
    msg.data = (const uint8_t *) "{}";
    msg.data_len = 2;
    s_raw_send (raw, &msg);
    //  The result is acknowledged once committed, and the credit it frees
    //  brings the next job: in either order.
    int acked = 0, jobs = 0;
    while (!acked || !jobs) {
        zframe_destroy (&frame);
        frame = zframe_recv (raw);
        cr_assert_not_null (frame, "acked %d, jobs %d", acked, jobs);
        cr_assert_eq (dp_wire_decode (zframe_data (frame), zframe_size (frame), 0, 0, &msg, NULL), DP_OK);
        if (msg.kind == DP_WIRE_DONE_ACK) {
            cr_assert_eq (msg.code, DP_OK, "%s", msg.text);
            acked++;
        }
        jobs += msg.kind == DP_WIRE_JOB;
        dp_wire_msg_clear (&msg);
    }
    cr_assert_eq (dp_client_stats (client, &stats, &err), DP_OK, "%s", err.text);
    cr_assert_eq (stats.agreed, 1);
    cr_assert_eq (stats.pending, 1);
    cr_assert_eq (stats.negotiating, 3);
    cr_assert_eq (stats.completed_total, 1);
    cr_assert_gt (stats.complete_rate, 0);
    cr_assert_eq (stats.workers [0].leased, 3);
    cr_assert_eq (stats.workers [0].done, 1);
    dp_client_stats_clear (&stats);
    zframe_destroy (&frame);
    zsock_destroy (&raw);
    dp_client_destroy (&client);
    dp_broker_destroy (&broker);
}
