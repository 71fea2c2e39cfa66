/*  bench_broker — dp-broker beside beanstalkd, interleaved in one run.

    bench_broker --bin DIR [--reps 5] [--jobs 20000] [--fsync-jobs 600]
                 [--backlog 200000] [--samples 200] [--kills 10]
                 [--only throughput|latency|kill|restart]

    Starts beanstalkd (Debian's; -f 0 fsync every write, -f 50 the default,
    and without a binlog) and dp-broker on loopback TCP, 1 KB jobs, one
    producer and one worker that completes each job at once, and prints:
      durable throughput (dp: submit acknowledged after fsync, completion
        committed before its event; counted at the subscriber's result
        events) against each beanstalkd mode (put … reserve … delete).
        Both workers are the protocol by hand on one thread; a second dp
        row runs the dp_worker runtime (its thread pool) as the worker;
      low-load latency submit → result event vs put → delete (p50, p99),
        with the lean worker, and again (p50) with the dp_worker runtime;
      what bounds it: the broker's mean LMDB commit (two per deal) beside
        a 1 KB append + fdatasync to a preallocated file, beanstalkd -f 0's
        durable write (two per job), on the same disk; and the least the
        issue's durability allows, two bare liblmdb commits (a 1 KB put,
        then its delete: no network, no threads) beside beanstalkd -f 0's
        whole put -> delete;
      the latency floor: both p50s again with the data on tmpfs, where a
        flush costs nothing (transport and processing only), and a 1 KB
        round trip over ZeroMQ beside one over plain TCP;
      worker kill -9 → its job running on another worker (p50, p99);
      restart with a backlog → first job handed to a waiting worker;
      event fan-out: events/s one subscriber receives vs jobs/s;
      CPU µs per job of the broker process beside this process's clients
        (producer, worker runtime, subscriber), during the throughput run.
    Each figure is the median of per-repetition ratios [min..max]. It
    prints figures; it never passes or fails on them.

    Environment: DP_BENCH_DIR, the directory the data goes in (default
    /tmp: the disk the figures are about); DP_BENCH_WINDOW, the submit
    batches of 500 the producer keeps unanswered (default 8);
    DP_BENCH_VERBOSE, print each dp throughput run's group commits.

    The beanstalkd client is a few lines of its plain-text protocol
    (put/reserve/delete), written here because the bench needs nothing else. */

#define _GNU_SOURCE             //  memmem
#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "dp_client.h"
#include "dp_log.h"
#include "dp_sha256.h"
#include "dp_text.h"
#include "dp_worker.h"

extern char **environ;

#define JOB_SIZE 1024
#define MAX_REPS 20

static const char *s_bin = ".";
static char s_tmp [256];

static double
s_now (void)
{
    return (double) zclock_usecs () / 1e6;
}

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    bind (fd, (struct sockaddr *) &a, sizeof a);
    getsockname (fd, (struct sockaddr *) &a, &len);
    close (fd);
    return ntohs (a.sin_port);
}

static pid_t
s_spawn (char *const argv [])
{
    pid_t pid;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen (&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn (&pid, argv [0], &actions, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy (&actions);
    return pid;
}

static void
s_stop (pid_t pid, int sig)
{
    if (pid > 0) {
        kill (pid, sig);
        waitpid (pid, NULL, 0);
    }
}

//  --------------------------------------------------------------------------
//  beanstalkd

typedef struct {
    int fd;
    char buf [1 << 16];
    size_t len;
} s_bs_t;

static s_bs_t *
s_bs_connect (int port, double timeout)
{
    double deadline = s_now () + timeout;
    while (s_now () < deadline) {
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
        if (connect (fd, (struct sockaddr *) &a, sizeof a) == 0) {
            int one = 1;
            setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            s_bs_t *bs = calloc (1, sizeof *bs);
            bs->fd = fd;
            return bs;
        }
        close (fd);
        usleep (500);
    }
    return NULL;
}

static void
s_bs_close (s_bs_t **bs)
{
    if (*bs) {
        close ((*bs)->fd);
        free (*bs);
        *bs = NULL;
    }
}

static int
s_bs_write (s_bs_t *bs, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write (bs->fd, p, len);
        if (n <= 0)
            return -1;
        p += n, len -= (size_t) n;
    }
    return 0;
}

//  Reads one "\r\n"-terminated line (without it) into line.
static int
s_bs_line (s_bs_t *bs, char *line, size_t size)
{
    while (true) {
        char *end = memmem (bs->buf, bs->len, "\r\n", 2);
        if (end) {
            size_t n = (size_t) (end - bs->buf);
            snprintf (line, size, "%.*s", (int) (n < size? n: size - 1), bs->buf);
            memmove (bs->buf, end + 2, bs->len - n - 2);
            bs->len -= n + 2;
            return 0;
        }
        ssize_t got = read (bs->fd, bs->buf + bs->len, sizeof bs->buf - bs->len);
        if (got <= 0)
            return -1;
        bs->len += (size_t) got;
    }
}

//  Skips a job body of n bytes and its "\r\n".
static int
s_bs_skip (s_bs_t *bs, size_t n)
{
    n += 2;
    while (n) {
        if (bs->len == 0) {
            ssize_t got = read (bs->fd, bs->buf, sizeof bs->buf);
            if (got <= 0)
                return -1;
            bs->len = (size_t) got;
        }
        size_t take = n < bs->len? n: bs->len;
        memmove (bs->buf, bs->buf + take, bs->len - take);
        bs->len -= take;
        n -= take;
    }
    return 0;
}

static char s_put [64 + JOB_SIZE];
static size_t s_put_len;

static void
s_bs_init_put (void)
{
    int n = snprintf (s_put, sizeof s_put, "put 0 0 600 %d\r\n", JOB_SIZE);
    memset (s_put + n, 'j', JOB_SIZE);
    memcpy (s_put + n + JOB_SIZE, "\r\n", 2);
    s_put_len = (size_t) n + JOB_SIZE + 2;
}

//  Reserves one job; returns its id or -1.
static long
s_bs_reserve (s_bs_t *bs)
{
    char line [128];
    long id, bytes;
    if (s_bs_write (bs, "reserve\r\n", 9) || s_bs_line (bs, line, sizeof line)
        || sscanf (line, "RESERVED %ld %ld", &id, &bytes) != 2 || s_bs_skip (bs, (size_t) bytes))
        return -1;
    return id;
}

typedef struct {
    int port;
    long jobs;
    atomic_long done;
    double end;
} s_bs_run_t;

//  The worker: reserve, then delete + reserve in one write, so each job
//  costs one round trip, as the dp worker's result + next job do.
static void *
s_bs_worker (void *arg)
{
    s_bs_run_t *run = arg;
    s_bs_t *bs = s_bs_connect (run->port, 5);
    char line [128], cmd [128];
    long id = bs? s_bs_reserve (bs): -1;
    while (id >= 0) {
        long done = atomic_fetch_add (&run->done, 1) + 1;
        int last = done >= run->jobs;
        int n = snprintf (cmd, sizeof cmd, last? "delete %ld\r\n": "delete %ld\r\nreserve\r\n", id);
        if (s_bs_write (bs, cmd, (size_t) n) || s_bs_line (bs, line, sizeof line)
            || strcmp (line, "DELETED") != 0)
            break;
        if (last)
            break;
        long bytes;
        if (s_bs_line (bs, line, sizeof line) || sscanf (line, "RESERVED %ld %ld", &id, &bytes) != 2
            || s_bs_skip (bs, (size_t) bytes))
            break;
    }
    run->end = s_now ();
    s_bs_close (&bs);
    return NULL;
}

//  Pipelined puts: up to `window` unanswered at a time.
static int
s_bs_produce (int port, long jobs)
{
    s_bs_t *bs = s_bs_connect (port, 5);
    if (!bs)
        return -1;
    long sent = 0, acked = 0, window = 256;
    char line [128];
    while (acked < jobs) {
        while (sent < jobs && sent - acked < window) {
            if (s_bs_write (bs, s_put, s_put_len))
                return -1;
            sent++;
        }
        if (s_bs_line (bs, line, sizeof line) || strncmp (line, "INSERTED", 8) != 0)
            return -1;
        acked++;
    }
    s_bs_close (&bs);
    return 0;
}

static pid_t
s_bs_start (int port, const char *mode, const char *dir)
{
    char port_text [16];
    snprintf (port_text, sizeof port_text, "%d", port);
    char *argv [10] = { "/usr/bin/beanstalkd", "-l", "127.0.0.1", "-p", port_text };
    int n = 5;
    if (strcmp (mode, "none") != 0) {
        argv [n++] = "-b";
        argv [n++] = (char *) dir;
        argv [n++] = "-f";
        argv [n++] = (char *) mode;
    }
    argv [n] = NULL;
    return s_spawn (argv);
}

static void
s_fresh_dir (const char *dir)
{
    char cmd [1024];
    snprintf (cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system (cmd) != 0)
        fprintf (stderr, "bench: cannot reset %s\n", dir);
}

static double
s_bs_throughput (const char *mode, long jobs)
{
    char dir [300];
    snprintf (dir, sizeof dir, "%s/bs-%s", s_tmp, mode);
    s_fresh_dir (dir);
    int port = s_free_port ();
    pid_t pid = s_bs_start (port, mode, dir);
    s_bs_t *probe = s_bs_connect (port, 5);
    s_bs_close (&probe);
    s_bs_run_t run = { port, jobs, 0, 0 };
    pthread_t worker;
    double start = s_now ();
    pthread_create (&worker, NULL, s_bs_worker, &run);
    s_bs_produce (port, jobs);
    pthread_join (worker, NULL);
    s_stop (pid, SIGKILL);
    return (double) atomic_load (&run.done) / (run.end - start);
}

//  --------------------------------------------------------------------------
//  dp-broker

typedef struct {
    atomic_long jobs;
    atomic_int first;               //  set when the first job arrives
    double first_at;
} s_dp_counter_t;

static s_dp_counter_t s_counter;

static dp_status
s_dp_handler (void *arg, const dp_job_t *job, dp_progress_fn *progress, void *progress_arg,
              dp_job_outcome_t *outcome)
{
    if (!atomic_load (&s_counter.first)) {
        s_counter.first_at = s_now ();      //  written before the flag is raised
        atomic_store (&s_counter.first, 1);
    }
    atomic_fetch_add (&s_counter.jobs, 1);
    snprintf (outcome->status, sizeof outcome->status, "agreed");
    outcome->result_json = strdup ("{\"agreed\":true}");
    outcome->result_len = outcome->result_json? 15: 0;
    return outcome->result_json? DP_OK: DP_NOMEM;
}

typedef struct {
    pid_t pid;
    int port, events_port;
    char endpoint [64];
    char dir [300];
} s_dp_t;

static void
s_dp_start (s_dp_t *dp, int fresh)
{
    if (fresh) {
        if (!*dp->dir)
            snprintf (dp->dir, sizeof dp->dir, "%s/dp", s_tmp);
        s_fresh_dir (dp->dir);
        dp->port = s_free_port ();
        dp->events_port = s_free_port ();
    }
    snprintf (dp->endpoint, sizeof dp->endpoint, "tcp://127.0.0.1:%d", dp->port);
    char path [512], events [64];
    snprintf (path, sizeof path, "%s/dp-broker", s_bin);
    snprintf (events, sizeof events, "tcp://127.0.0.1:%d", dp->events_port);
    char *argv [] = { path, "--data", dp->dir, "--listen", dp->endpoint, "--events", events,
                      "--log-level", "warn", NULL };
    dp->pid = s_spawn (argv);
}

//  Waits for the broker with short hellos, then connects for real.
static dp_client_t *
s_dp_client (s_dp_t *dp)
{
    for (int i = 0; i < 2000; i++) {
        dp_client_t *probe = dp_client_new (dp->endpoint, 200, NULL);
        if (probe) {
            dp_client_destroy (&probe);
            return dp_client_new (dp->endpoint, 10000, NULL);
        }
        zclock_sleep (5);
    }
    return NULL;
}

//  Polls stats until the broker counts exactly `workers` workers.
static void
s_dp_wait_workers (dp_client_t *client, uint32_t workers)
{
    for (int w = 0; w < 2000; w++, zclock_sleep (2)) {
        dp_wire_stats_t stats;
        if (dp_client_stats (client, &stats, NULL) != DP_OK)
            continue;
        uint32_t count = stats.worker_count;
        dp_client_stats_clear (&stats);
        if (count == workers)
            return;
    }
}

static dp_worker_t *
s_dp_worker (s_dp_t *dp, uint32_t capacity)
{
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    options.broker = dp->endpoint;
    options.capacity = capacity;
    options.name = "bench";
    return dp_worker_new (&options, s_dp_handler, NULL, NULL);
}

static uint8_t s_body [JOB_SIZE];
static size_t s_window = 8;          //  submit batches unanswered at a time

static void
s_dp_items (dp_wire_item_t *items, long first, long n, const char *prefix)
{
    for (long i = 0; i < n; i++) {
        dp_wire_item_t *item = &items [i];
        memset (&item->envelope, 0, sizeof item->envelope);
        snprintf (item->envelope.deal_id, sizeof item->envelope.deal_id, "%s-%ld", prefix, first + i);
        snprintf (item->envelope.batch, sizeof item->envelope.batch, "%s", prefix);
        item->body = s_body;
        item->body_len = JOB_SIZE;
        item->envelope.body_size = JOB_SIZE;
    }
    uint8_t sha [32];
    dp_sha256 (s_body, JOB_SIZE, sha);
    for (long i = 0; i < n; i++)
        memcpy (items [i].envelope.body_sha256, sha, 32);
}

//  Pipelined submits: batches of `batch`, `window` unanswered at a time.
static int
s_dp_produce (dp_client_t *client, long jobs, const char *prefix, long batch)
{
    dp_wire_item_t *items = calloc ((size_t) batch, sizeof *items);
    dp_wire_ack_t *acks = calloc ((size_t) batch, sizeof *acks);
    long sent = 0;
    int rc = 0;
    while (rc == 0 && (sent < jobs || dp_client_outstanding (client))) {
        if (sent < jobs && dp_client_outstanding (client) < s_window) {
            long n = jobs - sent < batch? jobs - sent: batch;
            s_dp_items (items, sent, n, prefix);
            rc = dp_client_submit_send (client, items, (size_t) n, NULL) == DP_OK? 0: -1;
            sent += n;
            continue;
        }
        size_t got;
        rc = dp_client_submit_recv (client, acks, &got, NULL) == DP_OK? 0: -1;
    }
    free (items);
    free (acks);
    return rc;
}

typedef struct {
    s_dp_t *dp;
    long results;
    long events;
    double end;
    atomic_int ready;
} s_sub_t;

static void *
s_subscriber (void *arg)
{
    s_sub_t *sub = arg;
    dp_client_t *client = s_dp_client (sub->dp);
    if (!client || dp_client_subscribe (client, 0, NULL) != DP_OK) {
        atomic_store (&sub->ready, -1);
        return NULL;
    }
    atomic_store (&sub->ready, 1);
    long want = sub->results;
    sub->results = 0;
    while (sub->results < want) {
        dp_wire_event_t event;
        dp_status rc = dp_client_next_event (client, 10000, &event, NULL);
        if (rc == DP_TIMEOUT)
            break;
        if (rc != DP_OK)
            continue;
        sub->events++;
        if (strcmp (event.type, "result") == 0)
            sub->results++;
    }
    sub->end = s_now ();
    dp_client_destroy (&client);
    return NULL;
}

//  The lean worker: the protocol by hand on one thread, as the beanstalkd
//  worker above is: hello, then the jobs of each wakeup completed at once
//  and answered with one `dones`; heartbeats so the leases stay live. It
//  measures the broker, not the dp_worker runtime's thread pool (which the
//  runtime row measures).
typedef struct {
    const char *endpoint;
    atomic_int stop;
    long acked;
} s_lean_t;

static int
s_lean_send (void *dealer, dp_wire_msg_t *msg)
{
    uint8_t *frame;
    size_t len;
    if (dp_wire_encode (msg, &frame, &len, NULL) != DP_OK)
        return -1;
    int rc = zmq_send (dealer, frame, len, 0);
    free (frame);
    return rc < 0? -1: 0;
}

static void
s_lean_done (dp_wire_done_t *done, const char *deal_id, uint64_t token)
{
    dp_text_copy (done->deal_id, sizeof done->deal_id, deal_id);
    done->token = token;
    memcpy (done->status, "agreed", 7);
    done->reason [0] = '\0';
    done->data = (const uint8_t *) "{\"agreed\":true}";
    done->data_len = 15;
}

static void *
s_lean_worker (void *arg)
{
    s_lean_t *lean = arg;
    zsock_t *sock = zsock_new_dealer (lean->endpoint);
    if (!sock)
        return NULL;
    void *dealer = zsock_resolve (sock);
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 1);
    snprintf (msg.role, sizeof msg.role, "worker");
    snprintf (msg.name, sizeof msg.name, "lean");
    msg.capacity = 256;
    s_lean_send (dealer, &msg);
    dp_wire_msg_init (&msg, DP_WIRE_FEATURES, 2);       //  jobs come several to a message
    snprintf (msg.features, sizeof msg.features, "jobs");
    s_lean_send (dealer, &msg);
    dp_wire_done_t *dones = calloc (DP_WIRE_DONES_MAX, sizeof *dones);
    double next_beat = s_now () + 0.2;
    while (dones && !atomic_load (&lean->stop)) {
        zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) < 0 && errno != EINTR)
            break;
        size_t count = 0;
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        while (count < DP_WIRE_DONES_MAX && zmq_msg_recv (&frame, dealer, ZMQ_DONTWAIT) >= 0) {
            dp_wire_msg_t in;
            if (dp_wire_decode (zmq_msg_data (&frame), zmq_msg_size (&frame), 0, 0, &in, NULL) != DP_OK)
                continue;
            if (in.kind == DP_WIRE_JOB)
                s_lean_done (&dones [count++], in.envelope.deal_id, in.token);
            else if (in.kind == DP_WIRE_JOBS)
                for (size_t j = 0; j < in.count && count < DP_WIRE_DONES_MAX; j++)
                    s_lean_done (&dones [count++], in.jobs [j].envelope.deal_id, in.jobs [j].token);
            else if (in.kind == DP_WIRE_DONE_ACKS)
                lean->acked += (long) in.count;
            dp_wire_msg_clear (&in);
        }
        zmq_msg_close (&frame);
        if (count) {
            dp_wire_msg_init (&msg, DP_WIRE_DONES, 0);
            msg.dones = dones;
            msg.count = count;
            s_lean_send (dealer, &msg);
        }
        if (s_now () >= next_beat) {
            dp_wire_msg_init (&msg, DP_WIRE_HEARTBEAT, 0);
            s_lean_send (dealer, &msg);
            next_beat = s_now () + 0.2;
        }
    }
    free (dones);
    zsock_destroy (&sock);
    return NULL;
}

//  Stops the worker a run used: the dp_worker runtime, or the lean
//  worker's thread.
static void
s_dp_worker_stop (int runtime, dp_worker_t **worker, s_lean_t *lean, pthread_t lean_thread)
{
    if (runtime)
        dp_worker_destroy (worker);
    else {
        atomic_store (&lean->stop, 1);
        pthread_join (lean_thread, NULL);
    }
}

//  CPU seconds (user + system) of a process so far, from /proc; 0 if unreadable.
static double
s_proc_cpu (pid_t pid)
{
    char path [64], line [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    size_t n = fread (line, 1, sizeof line - 1, file);
    fclose (file);
    line [n] = '\0';
    const char *at = strrchr (line, ')');       //  the name may hold spaces
    unsigned long utime = 0, stime = 0;
    if (!at || sscanf (at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                       &utime, &stime) != 2)
        return 0;
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

static double
s_self_cpu (void)
{
    struct rusage u;
    getrusage (RUSAGE_SELF, &u);
    return (double) (u.ru_utime.tv_sec + u.ru_stime.tv_sec)
         + (double) (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

//  Durable jobs/s; also the CPU microseconds per job of the broker process
//  and of this one (producer, worker, subscriber), which show where a
//  throughput bound on a small machine comes from. The worker is the lean
//  one, or (runtime set) the dp_worker runtime with its thread pool.
static double
s_dp_throughput (long jobs, int runtime, double *events_per_s, double *broker_us,
                 double *clients_us)
{
    s_dp_t dp = { 0 };
    s_dp_start (&dp, 1);
    double broker0 = s_proc_cpu (dp.pid), self0 = s_self_cpu ();
    dp_client_t *client = s_dp_client (&dp);
    s_sub_t sub = { &dp, jobs, 0, 0, 0 };
    pthread_t thread, lean_thread;
    memset (&lean_thread, 0, sizeof lean_thread);    //  unused when the runtime is the worker
    pthread_create (&thread, NULL, s_subscriber, &sub);
    while (atomic_load (&sub.ready) == 0)
        zclock_sleep (1);
    dp_worker_t *worker = NULL;
    s_lean_t lean = { dp.endpoint, 0, 0 };
    if (runtime)
        worker = s_dp_worker (&dp, 256);
    else
        pthread_create (&lean_thread, NULL, s_lean_worker, &lean);
    double start = s_now ();
    s_dp_produce (client, jobs, "t", 500);
    pthread_join (thread, NULL);
    double elapsed = sub.end - start;
    if (events_per_s)
        *events_per_s = (double) sub.events / elapsed;
    if (broker_us)
        *broker_us = (s_proc_cpu (dp.pid) - broker0) * 1e6 / (double) jobs;
    if (clients_us)
        *clients_us = (s_self_cpu () - self0) * 1e6 / (double) jobs;
    dp_wire_stats_t stats;
    if (getenv ("DP_BENCH_VERBOSE") && dp_client_stats (client, &stats, NULL) == DP_OK) {
        fprintf (stderr, "bench: %.0f j/s map_used=%.1f MB commits=%llu avg=%.2f ms deals/commit=%.1f\n",
                 (double) sub.results / elapsed, (double) stats.map_used / 1048576,
                 (unsigned long long) stats.commits, stats.commit_avg_ms,
                 stats.commits? (double) jobs / (double) stats.commits: 0);
        dp_client_stats_clear (&stats);
    }
    s_dp_worker_stop (runtime, &worker, &lean, lean_thread);
    dp_client_destroy (&client);
    s_stop (dp.pid, SIGTERM);
    return (double) sub.results / elapsed;
}

//  --------------------------------------------------------------------------
//  Latency

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

static double
s_pct (double *v, int n, double p)
{
    qsort (v, (size_t) n, sizeof *v, s_compare);
    int i = (int) (p * (n - 1) + 0.5);
    return v [i];
}

//  What one durable write costs beanstalkd -f 0: a 1 KB append to a
//  preallocated file, then fdatasync (its binlog), in ms, on the same disk.
static double
s_append_fsync_ms (int samples)
{
    char path [300];
    snprintf (path, sizeof path, "%s/append-probe", s_tmp);
    int fd = open (path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0 || posix_fallocate (fd, 0, (off_t) samples * JOB_SIZE) != 0) {
        if (fd >= 0)
            close (fd);
        return 0;
    }
    fsync (fd);
    double start = s_now ();
    for (int i = 0; i < samples; i++)
        if (pwrite (fd, s_body, JOB_SIZE, (off_t) i * JOB_SIZE) != JOB_SIZE || fdatasync (fd) != 0)
            break;
    double ms = (s_now () - start) * 1000 / samples;
    close (fd);
    unlink (path);
    return ms;
}

//  The least any design the issue allows can spend on durability per
//  deal: a submit acknowledged only after its LMDB transaction is
//  fsync-committed, and a completion committed before its event, are two
//  commits. Here they are bare liblmdb on the same disk, nothing else: one
//  1 KB put committed, then its delete committed, in a fresh environment
//  opened as the broker opens its store (synced, MDB_NORDAHEAD). No
//  network, no threads, no msgpack. p50 in ms; 0 when LMDB cannot start.
static double
s_lmdb_floor_ms (int samples)
{
    char dir [300];
    snprintf (dir, sizeof dir, "%s/lmdb-floor", s_tmp);
    s_fresh_dir (dir);
    MDB_env *env = NULL;
    MDB_txn *txn;
    MDB_dbi dbi;
    double *v = calloc ((size_t) samples, sizeof *v);
    int rc = v? mdb_env_create (&env): ENOMEM;
    rc = rc? rc: mdb_env_set_mapsize (env, 64ull << 20);
    rc = rc? rc: mdb_env_open (env, dir, MDB_NORDAHEAD, 0600);
    rc = rc? rc: mdb_txn_begin (env, NULL, 0, &txn);
    rc = rc? rc: mdb_dbi_open (txn, NULL, 0, &dbi);
    rc = rc? rc: mdb_txn_commit (txn);
    int done = 0;
    for (; rc == 0 && done < samples; done++) {
        char id [32];
        snprintf (id, sizeof id, "floor-%08d", done);
        MDB_val key = { strlen (id), id }, val = { JOB_SIZE, s_body };
        double t0 = s_now ();
        rc = mdb_txn_begin (env, NULL, 0, &txn);
        rc = rc? rc: mdb_put (txn, dbi, &key, &val, 0);
        rc = rc? rc: mdb_txn_commit (txn);
        rc = rc? rc: mdb_txn_begin (env, NULL, 0, &txn);
        rc = rc? rc: mdb_del (txn, dbi, &key, NULL);
        rc = rc? rc: mdb_txn_commit (txn);
        v [done] = (s_now () - t0) * 1000;
    }
    double p50 = rc == 0? s_pct (v, done, 0.5): 0;
    if (rc)
        fprintf (stderr, "bench: bare LMDB floor: %s\n", mdb_strerror (rc));
    if (env)
        mdb_env_close (env);
    free (v);
    s_fresh_dir (dir);
    rmdir (dir);
    return p50;
}

//  Low-load latency; also the broker's mean commit time over the run
//  (its stats), which bounds it: two durable commits per deal.
static void
s_dp_latency (int samples, int runtime, double *p50, double *p99, double *commit_ms)
{
    s_dp_t dp = { 0 };
    s_dp_start (&dp, 1);
    dp_client_t *client = s_dp_client (&dp);
    dp_client_t *events = s_dp_client (&dp);
    dp_worker_t *worker = NULL;
    pthread_t lean_thread;
    memset (&lean_thread, 0, sizeof lean_thread);    //  unused when the runtime is the worker
    s_lean_t lean = { dp.endpoint, 0, 0 };
    if (runtime)
        worker = s_dp_worker (&dp, 4);
    else {
        pthread_create (&lean_thread, NULL, s_lean_worker, &lean);
        s_dp_wait_workers (client, 1);
    }
    if (dp_client_subscribe (events, 0, NULL) != DP_OK)
        fprintf (stderr, "bench: cannot subscribe\n");
    double *v = calloc ((size_t) samples, sizeof *v);
    dp_wire_item_t item;
    dp_wire_ack_t ack;
    for (int i = 0; i < samples; i++) {
        s_dp_items (&item, i, 1, "lat");
        double t0 = s_now ();
        if (dp_client_submit (client, &item, 1, &ack, NULL) != DP_OK)
            break;
        dp_wire_event_t event;
        while (dp_client_next_event (events, 5000, &event, NULL) == DP_OK)
            if (strcmp (event.type, "result") == 0 && strcmp (event.deal_id, item.envelope.deal_id) == 0)
                break;
        v [i] = (s_now () - t0) * 1000;
    }
    *p50 = s_pct (v, samples, 0.5);
    *p99 = s_pct (v, samples, 0.99);
    free (v);
    dp_wire_stats_t stats;
    if (dp_client_stats (client, &stats, NULL) == DP_OK) {
        *commit_ms = stats.commit_avg_ms;
        dp_client_stats_clear (&stats);
    }
    s_dp_worker_stop (runtime, &worker, &lean, lean_thread);
    dp_client_destroy (&events);
    dp_client_destroy (&client);
    s_stop (dp.pid, SIGTERM);
}


static void
s_bs_latency (const char *mode, int samples, double *p50, double *p99)
{
    char dir [300];
    snprintf (dir, sizeof dir, "%s/bs-lat", s_tmp);
    s_fresh_dir (dir);
    int port = s_free_port ();
    pid_t pid = s_bs_start (port, mode, dir);
    s_bs_t *producer = s_bs_connect (port, 5), *worker = s_bs_connect (port, 5);
    double *v = calloc ((size_t) samples, sizeof *v);
    char line [128], cmd [64];
    for (int i = 0; i < samples && producer && worker; i++) {
        double t0 = s_now ();
        s_bs_write (producer, s_put, s_put_len);
        s_bs_line (producer, line, sizeof line);
        long id = s_bs_reserve (worker);
        int n = snprintf (cmd, sizeof cmd, "delete %ld\r\n", id);
        s_bs_write (worker, cmd, (size_t) n);
        s_bs_line (worker, line, sizeof line);
        v [i] = (s_now () - t0) * 1000;
    }
    *p50 = s_pct (v, samples, 0.5);
    *p99 = s_pct (v, samples, 0.99);
    free (v);
    s_bs_close (&producer);
    s_bs_close (&worker);
    s_stop (pid, SIGKILL);
}

//  Round trips of a 1 KB message, p50 in µs: ZeroMQ DEALER to a ROUTER
//  that echoes it (the hops every dp message takes: the sender's I/O
//  thread, TCP, the receiver's I/O thread), and plain blocking TCP to a
//  thread that echoes it (how a beanstalkd command travels). The
//  transport share of the latency floor.
static int
s_read_full (int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read (fd, p, len);
        if (n <= 0)
            return -1;
        p += n, len -= (size_t) n;
    }
    return 0;
}

static void *
s_tcp_echo (void *arg)
{
    int fd = accept (*(int *) arg, NULL, NULL);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s_bs_t bs = { .fd = fd };
    char buf [JOB_SIZE];
    while (s_read_full (fd, buf, sizeof buf) == 0 && s_bs_write (&bs, buf, sizeof buf) == 0)
        ;
    close (fd);
    return NULL;
}

static void *
s_zmq_echo (void *arg)
{
    zsock_t *router = arg;
    zmsg_t *msg;
    while ((msg = zmsg_recv (router))) {
        int stop = zframe_size (zmsg_last (msg)) == 0;
        zmsg_send (&msg, router);
        if (stop)
            break;
    }
    return NULL;
}

static void
s_round_trips (int samples, double *zmq_us, double *tcp_us)
{
    double *v = calloc ((size_t) samples, sizeof *v);
    int port = s_free_port ();
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    pthread_t thread;
    if (v && router && zsock_bind (router, "tcp://127.0.0.1:%d", port) == port) {
        zsock_t *dealer = zsock_new_dealer (NULL);
        zsock_connect (dealer, "tcp://127.0.0.1:%d", port);
        pthread_create (&thread, NULL, s_zmq_echo, router);
        for (int i = -20; i < samples; i++) {           //  20 to warm up
            double t0 = s_now ();
            zmq_send (zsock_resolve (dealer), s_body, JOB_SIZE, 0);
            zframe_t *reply = zframe_recv (dealer);
            zframe_destroy (&reply);
            if (i >= 0)
                v [i] = (s_now () - t0) * 1e6;
        }
        zmq_send (zsock_resolve (dealer), "", 0, 0);
        zframe_t *reply = zframe_recv (dealer);
        zframe_destroy (&reply);
        pthread_join (thread, NULL);
        zsock_destroy (&dealer);
        *zmq_us = s_pct (v, samples, 0.5);
    }
    zsock_destroy (&router);
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (v && listener >= 0 && bind (listener, (struct sockaddr *) &a, sizeof a) == 0
        && listen (listener, 1) == 0 && getsockname (listener, (struct sockaddr *) &a, &len) == 0) {
        pthread_create (&thread, NULL, s_tcp_echo, &listener);
        s_bs_t *bs = s_bs_connect (ntohs (a.sin_port), 5);
        char buf [JOB_SIZE];
        for (int i = -20; bs && i < samples; i++) {
            double t0 = s_now ();
            if (s_bs_write (bs, s_body, JOB_SIZE) != 0 || s_read_full (bs->fd, buf, sizeof buf) != 0)
                break;
            if (i >= 0)
                v [i] = (s_now () - t0) * 1e6;
        }
        s_bs_close (&bs);           //  the echo thread sees the end and leaves
        pthread_join (thread, NULL);
        *tcp_us = s_pct (v, samples, 0.5);
    }
    if (listener >= 0)
        close (listener);
    free (v);
}

//  The same two latencies with every data directory on tmpfs, where a
//  flush costs nothing: what is left is each side's transport and
//  processing, the floor under the durable figures. 0 without /dev/shm.
static void
s_latency_floor (int samples, double *dp50, double *bs50)
{
    char saved [sizeof s_tmp];
    memcpy (saved, s_tmp, sizeof saved);
    if (access ("/dev/shm", W_OK) != 0)
        return;
    snprintf (s_tmp, sizeof s_tmp, "/dev/shm/dp-bench.%d", (int) getpid ());
    s_fresh_dir (s_tmp);
    double p99, commit;
    s_dp_latency (samples, 0, dp50, &p99, &commit);
    s_bs_latency ("0", samples, bs50, &p99);
    s_fresh_dir (s_tmp);
    rmdir (s_tmp);
    memcpy (s_tmp, saved, sizeof saved);
}

//  --------------------------------------------------------------------------
//  Worker kill -9 → the job runs elsewhere

static void
s_dp_kill (int trials, double *p50, double *p99)
{
    s_dp_t dp = { 0 };
    s_dp_start (&dp, 1);
    dp_client_t *client = s_dp_client (&dp);
    double *v = calloc ((size_t) trials, sizeof *v);
    char path [512];
    snprintf (path, sizeof path, "%s/dp-testworker", s_bin);
    int n = 0;
    for (int i = 0; i < trials; i++) {
        char *argv [] = { path, "--broker", dp.endpoint, "--capacity", "1", "--delay-ms", "600000",
                          "--name", "victim", NULL };
        s_dp_wait_workers (client, 0);      //  the previous trial's workers are gone
        pid_t victim = s_spawn (argv);
        dp_wire_stats_t stats = { 0 };
        dp_wire_item_t item;
        dp_wire_ack_t ack;
        s_dp_wait_workers (client, 1);      //  the victim is connected
        s_dp_items (&item, i, 1, "kill");
        if (dp_client_submit (client, &item, 1, &ack, NULL) != DP_OK)
            continue;
        for (int w = 0; w < 500; w++, zclock_sleep (2)) {       //  the victim holds the lease
            dp_client_stats_clear (&stats);
            if (dp_client_stats (client, &stats, NULL) == DP_OK && stats.negotiating >= 1)
                break;
        }
        atomic_store (&s_counter.first, 0);
        dp_worker_t *rescuer = s_dp_worker (&dp, 1);
        s_dp_wait_workers (client, 2);      //  the rescuer is connected
        dp_client_stats_clear (&stats);
        double t0 = s_now ();
        kill (victim, SIGKILL);
        for (int w = 0; w < 5000 && !atomic_load (&s_counter.first); w++)
            zclock_sleep (1);
        if (atomic_load (&s_counter.first))
            v [n++] = (s_counter.first_at - t0) * 1000;
        waitpid (victim, NULL, 0);
        dp_worker_destroy (&rescuer);
    }
    *p50 = n? s_pct (v, n, 0.5): -1;
    *p99 = n? s_pct (v, n, 0.99): -1;
    free (v);
    dp_client_destroy (&client);
    s_stop (dp.pid, SIGTERM);
}

static void
s_bs_kill (int trials, double *p50, double *p99)
{
    int port = s_free_port ();
    pid_t pid = s_bs_start (port, "none", NULL);
    double *v = calloc ((size_t) trials, sizeof *v);
    char line [128];
    int done = 0;
    for (int i = 0; i < trials; i++) {
        s_bs_t *producer = s_bs_connect (port, 5), *victim = s_bs_connect (port, 5),
               *rescuer = s_bs_connect (port, 5);
        s_bs_write (producer, s_put, s_put_len);
        s_bs_line (producer, line, sizeof line);
        s_bs_reserve (victim);
        s_bs_write (rescuer, "reserve\r\n", 9);
        zclock_sleep (5);
        double t0 = s_now ();
        s_bs_close (&victim);               //  what the kernel does when a worker dies
        long id, bytes;
        if (s_bs_line (rescuer, line, sizeof line) != 0
            || sscanf (line, "RESERVED %ld %ld", &id, &bytes) != 2) {
            fprintf (stderr, "bench: beanstalkd kill: no job for the rescuer (%s)\n", line);
            s_bs_close (&rescuer);
            s_bs_close (&producer);
            break;
        }
        v [done] = (s_now () - t0) * 1000;
        s_bs_skip (rescuer, (size_t) bytes);
        char cmd [64];
        int n = snprintf (cmd, sizeof cmd, "delete %ld\r\n", id);
        s_bs_write (rescuer, cmd, (size_t) n);
        s_bs_line (rescuer, line, sizeof line);
        s_bs_close (&rescuer);
        s_bs_close (&producer);
        done++;
    }
    *p50 = done? s_pct (v, done, 0.5): 0;
    *p99 = done? s_pct (v, done, 0.99): 0;
    free (v);
    s_stop (pid, SIGKILL);
}

//  --------------------------------------------------------------------------
//  Restart with a backlog

static double
s_dp_restart (s_dp_t *dp)
{
    atomic_store (&s_counter.first, 0);
    double t0 = s_now ();
    s_dp_start (dp, 0);
    dp_worker_t *worker = s_dp_worker (dp, 1);
    for (int w = 0; w < 60000 && !atomic_load (&s_counter.first); w++)
        zclock_sleep (1);
    double t = (s_counter.first_at - t0) * 1000;
    if (getenv ("DP_BENCH_DEBUG"))
        fprintf (stderr, "restart: t0=%.6f first=%d first_at=%.6f\n", t0,
                 atomic_load (&s_counter.first), s_counter.first_at);
    s_stop (dp->pid, SIGKILL);
    dp_worker_destroy (&worker);
    return t;
}

static void
s_dp_fill (s_dp_t *dp, long backlog)
{
    memset (dp, 0, sizeof *dp);
    snprintf (dp->dir, sizeof dp->dir, "%s/dp-backlog", s_tmp);
    s_dp_start (dp, 1);
    dp_client_t *client = s_dp_client (dp);
    s_dp_produce (client, backlog, "backlog", 2000);
    dp_client_destroy (&client);
    s_stop (dp->pid, SIGKILL);
}

static double
s_bs_restart (int port, const char *dir)
{
    double t0 = s_now ();
    pid_t pid = s_bs_start (port, "50", dir);
    s_bs_t *bs = s_bs_connect (port, 60);
    double t = -1;
    if (bs && s_bs_reserve (bs) >= 0)
        t = (s_now () - t0) * 1000;
    s_bs_close (&bs);
    s_stop (pid, SIGKILL);
    return t;
}

static void
s_bs_fill (int port, const char *dir, long backlog)
{
    s_fresh_dir (dir);
    pid_t pid = s_bs_start (port, "50", dir);
    s_bs_produce (port, backlog);
    zclock_sleep (200);                     //  -f 50: let the binlog reach the disk
    s_stop (pid, SIGTERM);
}

//  --------------------------------------------------------------------------
//  Report

static double
s_median (double *v, int n, double *lo, double *hi)
{
    double copy [MAX_REPS];
    memcpy (copy, v, (size_t) n * sizeof *v);
    qsort (copy, (size_t) n, sizeof *copy, s_compare);
    *lo = copy [0];
    *hi = copy [n - 1];
    return n % 2? copy [n / 2]: (copy [n / 2 - 1] + copy [n / 2]) / 2;
}

static void
s_row (const char *name, double *dp, double *other, int reps, const char *unit, const char *goal)
{
    double ratio [MAX_REPS], lo, hi, dlo, dhi, olo, ohi;
    if (dp [0] == 0 && other [0] == 0)
        return;                 //  a part left out with --only
    for (int i = 0; i < reps; i++)
        ratio [i] = other [i] > 0? dp [i] / other [i]: 0;
    double d = s_median (dp, reps, &dlo, &dhi);
    double o = s_median (other, reps, &olo, &ohi);
    double r = s_median (ratio, reps, &lo, &hi);
    printf ("| %-44s | %10.1f %-5s | %10.1f %-5s | %6.2fx [%.2f..%.2f] | %s |\n", name, d, unit, o,
            unit, r, lo, hi, goal);
}

//  --only NAME runs one part (throughput, latency, kill, restart); the
//  other rows then print zeros.
static int
s_wanted (const char *only, const char *part)
{
    return !*only || strcmp (only, part) == 0;
}

int
main (int argc, char **argv)
{
    int reps = 5, samples = 200, kills = 10;
    long jobs = 20000, fsync_jobs = 600, backlog = 200000;
    const char *only = "";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp (argv [i], "--bin")) s_bin = argv [i + 1];
        else if (!strcmp (argv [i], "--reps")) reps = atoi (argv [i + 1]);
        else if (!strcmp (argv [i], "--jobs")) jobs = atol (argv [i + 1]);
        else if (!strcmp (argv [i], "--fsync-jobs")) fsync_jobs = atol (argv [i + 1]);
        else if (!strcmp (argv [i], "--backlog")) backlog = atol (argv [i + 1]);
        else if (!strcmp (argv [i], "--samples")) samples = atoi (argv [i + 1]);
        else if (!strcmp (argv [i], "--kills")) kills = atoi (argv [i + 1]);
        else if (!strcmp (argv [i], "--only")) only = argv [i + 1];
    }
    reps = reps < 1? 1: reps > MAX_REPS? MAX_REPS: reps;
    dp_log_set_level (DP_LOG_ERROR);
    signal (SIGPIPE, SIG_IGN);
    //  Producer, worker and subscriber share this process: give ZeroMQ
    //  two I/O threads, as three processes would have three.
    zsys_set_io_threads (2);
    //  DP_BENCH_DIR picks the disk the figures are about (default /tmp).
    const char *base = getenv ("DP_BENCH_DIR");
    snprintf (s_tmp, sizeof s_tmp, "%s/dp-bench.%d", base && *base? base: "/tmp", (int) getpid ());
    s_fresh_dir (s_tmp);
    s_bs_init_put ();
    memset (s_body, 'b', sizeof s_body);
    const char *window = getenv ("DP_BENCH_WINDOW");
    if (window) {
        char *end;
        long value = strtol (window, &end, 10);
        if (*end || value < 1 || value > 1000) {
            fprintf (stderr, "bench: DP_BENCH_WINDOW: '%s' is not a whole number of batches "
                     "from 1 to 1000\n", window);
            return 2;
        }
        s_window = (size_t) value;
    }

    double dp_thr [MAX_REPS], f0 [MAX_REPS], f50 [MAX_REPS], nb [MAX_REPS], ev [MAX_REPS];
    double dl50 [MAX_REPS], dl99 [MAX_REPS], bl50 [MAX_REPS], bl99 [MAX_REPS];
    double dk50 [MAX_REPS], dk99 [MAX_REPS], bk50 [MAX_REPS], bk99 [MAX_REPS];
    double drs [MAX_REPS], brs [MAX_REPS], cpu_broker [MAX_REPS], cpu_clients [MAX_REPS];
    double dp_rt [MAX_REPS], dcommit [MAX_REPS], bfsync [MAX_REPS];
    double drt50 [MAX_REPS], drt99 [MAX_REPS], dfl50 [MAX_REPS], bfl50 [MAX_REPS];
    double zrt [MAX_REPS], trt [MAX_REPS], lfloor [MAX_REPS];
    s_dp_t filled;
    char bs_dir [300];
    snprintf (bs_dir, sizeof bs_dir, "%s/bs-backlog", s_tmp);
    int bs_port = s_free_port ();
    memset (dp_thr, 0, sizeof dp_thr); memset (f0, 0, sizeof f0); memset (f50, 0, sizeof f50);
    memset (nb, 0, sizeof nb); memset (ev, 0, sizeof ev); memset (dl50, 0, sizeof dl50);
    memset (dl99, 0, sizeof dl99); memset (bl50, 0, sizeof bl50); memset (bl99, 0, sizeof bl99);
    memset (dk50, 0, sizeof dk50); memset (dk99, 0, sizeof dk99); memset (bk50, 0, sizeof bk50);
    memset (bk99, 0, sizeof bk99); memset (drs, 0, sizeof drs); memset (brs, 0, sizeof brs);
    memset (cpu_broker, 0, sizeof cpu_broker); memset (cpu_clients, 0, sizeof cpu_clients);
    memset (dp_rt, 0, sizeof dp_rt); memset (dcommit, 0, sizeof dcommit);
    memset (bfsync, 0, sizeof bfsync); memset (drt50, 0, sizeof drt50);
    memset (drt99, 0, sizeof drt99); memset (dfl50, 0, sizeof dfl50); memset (bfl50, 0, sizeof bfl50);
    memset (zrt, 0, sizeof zrt); memset (trt, 0, sizeof trt); memset (lfloor, 0, sizeof lfloor);
    if (s_wanted (only, "restart")) {
        fprintf (stderr, "bench: filling backlogs of %ld jobs\n", backlog);
        s_dp_fill (&filled, backlog);
        s_bs_fill (bs_port, bs_dir, backlog);
    }
    for (int r = 0; r < reps; r++) {
        fprintf (stderr, "bench: repetition %d/%d\n", r + 1, reps);
        if (s_wanted (only, "throughput")) {
            dp_thr [r] = s_dp_throughput (jobs, 0, &ev [r], &cpu_broker [r], &cpu_clients [r]);
            dp_rt [r] = s_dp_throughput (jobs, 1, NULL, NULL, NULL);
            f0 [r] = s_bs_throughput ("0", fsync_jobs);
            f50 [r] = s_bs_throughput ("50", jobs);
            nb [r] = s_bs_throughput ("none", jobs);
        }
        if (s_wanted (only, "latency")) {
            s_dp_latency (samples, 0, &dl50 [r], &dl99 [r], &dcommit [r]);
            s_dp_latency (samples, 1, &drt50 [r], &drt99 [r], &dcommit [r]);
            s_bs_latency ("0", samples, &bl50 [r], &bl99 [r]);
            bfsync [r] = s_append_fsync_ms (samples);
            lfloor [r] = s_lmdb_floor_ms (samples);
            s_latency_floor (samples, &dfl50 [r], &bfl50 [r]);
            s_round_trips (1000, &zrt [r], &trt [r]);
        }
        if (s_wanted (only, "kill")) {
            s_dp_kill (kills, &dk50 [r], &dk99 [r]);
            s_bs_kill (kills, &bk50 [r], &bk99 [r]);
        }
        if (s_wanted (only, "restart")) {
            drs [r] = s_dp_restart (&filled);
            brs [r] = s_bs_restart (bs_port, bs_dir);
        }
    }
    printf ("\n%d repetitions, 1 KB jobs, loopback TCP, one producer, one worker completing at once\n",
            reps);
    printf ("dp throughput: %ld jobs; beanstalkd -f 0: %ld jobs; others: %ld jobs; backlog %ld\n\n",
            jobs, fsync_jobs, jobs, backlog);
    printf ("| %-44s | %16s | %16s | %-20s | %s |\n", "figure", "dp-broker", "beanstalkd",
            "ratio median [min..max]", "goal");
    printf ("|%.46s|%.18s|%.18s|%.22s|------|\n", "----------------------------------------------",
            "------------------", "------------------", "----------------------");
    s_row ("durable jobs/s vs beanstalkd -f 0", dp_thr, f0, reps, "j/s", ">= 20x");
    s_row ("durable jobs/s vs beanstalkd -f 50 (default)", dp_thr, f50, reps, "j/s", ">= 2.5x");
    s_row ("durable jobs/s vs beanstalkd, no binlog", dp_thr, nb, reps, "j/s", "-");
    s_row ("same, dp_worker runtime as worker, vs -f 50", dp_rt, f50, reps, "j/s", "-");
    s_row ("latency p50 submit->done vs -f 0 put->delete", dl50, bl50, reps, "ms", "<= 1.0x");
    s_row ("latency p99 submit->done vs -f 0 put->delete", dl99, bl99, reps, "ms", "<= 1.0x");
    s_row ("same p50, dp_worker runtime as worker", drt50, bl50, reps, "ms", "-");
    s_row ("durable write: dp commit vs append+fdatasync", dcommit, bfsync, reps, "ms", "-");
    s_row ("2 bare LMDB commits vs -f 0 put->delete", lfloor, bl50, reps, "ms", "-");
    s_row ("latency p50, data on tmpfs (no flush): floor", dfl50, bfl50, reps, "ms", "-");
    s_row ("1 KB round trip p50: ZeroMQ vs plain TCP", zrt, trt, reps, "us", "-");
    s_row ("worker kill -9 -> job on another worker p50", dk50, bk50, reps, "ms", "-");
    s_row ("worker kill -9 -> job on another worker p99", dk99, bk99, reps, "ms", "dp <= 50 ms");
    s_row ("restart with backlog -> first job", drs, brs, reps, "ms", "<= 0.25x");
    s_row ("event fan-out: events/s vs dp jobs/s", ev, dp_thr, reps, "/s", "-");
    s_row ("CPU per job: dp-broker vs dp clients", cpu_broker, cpu_clients, reps, "us", "-");
    s_fresh_dir (s_tmp);
    rmdir (s_tmp);
    return 0;
}
