/*  dp_worker.c — worker runtime: one I/O actor, a pool of job threads.

    The actor owns the DEALER to the broker and every job record. Pool
    threads take jobs from a bounded queue, run the handler, and report
    back over their own PUSH socket to the actor's PULL (inproc), so no
    ZeroMQ socket is ever shared between threads. A job record lives from
    its JOB message until the broker acknowledges its result (or refuses
    it as stale), so a reconnect can name it and resend its result. */

#include "dp_worker.h"

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_curve.h"
#include "dp_frames.h"
#include "dp_log.h"
#include "dp_sha256.h"
#include "dp_text.h"
#include "dp_wire.h"

enum { J_QUEUED, J_RUNNING, J_DONE, J_RELEASED };

typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    dp_envelope_t envelope;
    uint8_t *body;
    size_t body_len;
    uint64_t token;
    uint32_t attempt;
    int state;
    int64_t sent_ms;                    //  when the result was last sent
    bool in_outbox;                     //  its result waits in the actor's outbox
    dp_status handler_status;
    dp_job_outcome_t outcome;
} s_job_t;

struct dp_worker_t {
    dp_worker_options_t opt;
    char broker [256];
    dp_curve_client_t *curve;           //  NULL: plain TCP
    char name [DP_WIRE_NAME_MAX + 1];
    char inbox [64];                    //  inproc endpoint of the actor's PULL
    dp_job_handler_fn *handler;
    void *handler_arg;
    //  the pool
    pthread_mutex_t lock;
    pthread_cond_t cond;
    s_job_t **queue;
    size_t queue_head, queue_count;
    uint32_t waiting;                   //  threads blocked on cond
    uint32_t wakeups;                   //  signals sent and not yet taken by a thread
    bool stop;
    pthread_t *threads;
    uint32_t thread_count;
    atomic_uint running;
    atomic_ullong done;
    atomic_int welcomed;                //  the broker answered our hello at least once
    zactor_t *actor;
};

void
dp_worker_options_default (dp_worker_options_t *o)
{
    memset (o, 0, sizeof *o);
    o->capacity = 64;
    o->heartbeat_ms = 1000;
    o->liveness = 3;
}

//  --------------------------------------------------------------------------
//  Pool threads

typedef struct {
    zsock_t *push;
    s_job_t *job;
} s_progress_t;

//  Reports to the actor: kind ('D' done, 'P' progress), the job pointer,
//  and for progress the event JSON. Raw sends: a CZMQ picture message
//  costs an allocation per frame, once per job.
static void
s_report (void *push, char kind, s_job_t *job, const char *data, size_t len)
{
    zmq_send (push, &kind, 1, ZMQ_SNDMORE);
    zmq_send (push, &job, sizeof job, data? ZMQ_SNDMORE: 0);
    if (data)
        zmq_send (push, data, len, 0);
}

static void
s_progress (void *arg, const char *event_json, size_t len)
{
    s_progress_t *p = arg;
    s_report (zsock_resolve (p->push), 'P', p->job, event_json, len);
}

static void
s_run_job (dp_worker_t *self, zsock_t *push, s_job_t *job)
{
    dp_job_t view = { &job->envelope, job->body, job->body_len, job->attempt };
    s_progress_t progress = { push, job };
    memset (&job->outcome, 0, sizeof job->outcome);
    atomic_fetch_add (&self->running, 1);
    job->handler_status = self->handler (self->handler_arg, &view, s_progress, &progress,
                                         &job->outcome);
    atomic_fetch_sub (&self->running, 1);
    s_report (zsock_resolve (push), 'D', job, NULL, 0);
}

static void *
s_pool_thread (void *arg)
{
    dp_worker_t *self = arg;
    zsock_t *push = zsock_new_push (self->inbox);
    if (!push)
        return NULL;
    zsock_set_sndhwm (push, 0);         //  never drop a result on the way to the actor
    pthread_mutex_lock (&self->lock);
    while (!self->stop) {
        if (self->queue_count == 0) {
            self->waiting++;
            pthread_cond_wait (&self->cond, &self->lock);
            self->waiting--;
            if (self->wakeups)
                self->wakeups--;
            continue;
        }
        s_job_t *job = self->queue [self->queue_head];
        self->queue_head = (self->queue_head + 1) % self->opt.capacity;
        self->queue_count--;
        pthread_mutex_unlock (&self->lock);
        s_run_job (self, push, job);
        pthread_mutex_lock (&self->lock);
    }
    pthread_mutex_unlock (&self->lock);
    zsock_destroy (&push);
    return NULL;
}

//  Returns 0, or -1 if the queue is full (the broker sent beyond our credit).
static int
s_pool_put (dp_worker_t *self, s_job_t *job)
{
    pthread_mutex_lock (&self->lock);
    int rc = -1;
    if (self->queue_count < self->opt.capacity) {
        self->queue [(self->queue_head + self->queue_count) % self->opt.capacity] = job;
        self->queue_count++;
        //  Wake a sleeping thread only for a job no thread already woken
        //  will take: a thread that finishes a job looks at the queue again
        //  before it sleeps, so a burst of quick jobs does not wake one
        //  thread (a futex call and a context switch) per job.
        if (self->waiting > self->wakeups && self->queue_count > self->wakeups) {
            self->wakeups++;
            pthread_cond_signal (&self->cond);
        }
        rc = 0;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

//  --------------------------------------------------------------------------
//  The actor

typedef struct {
    dp_worker_t *w;
    zsock_t *pipe;
    zsock_t *dealer;
    zsock_t *pull;
    zhashx_t *jobs;                     //  deal id → s_job_t
    bool welcomed, draining, drain_waiting;
    uint64_t epoch;
    uint64_t next_request;
    uint32_t dealer_generation;         //  bumped by every reconnect (new DEALER)
    int64_t broker_seen_ms, last_beat_ms, last_hello_ms, drain_deadline_ms;
    s_job_t **outbox;                   //  results to send, one dones per wakeup
    size_t outbox_count, outbox_size;
    dp_wire_done_t *done_items;         //  the dones message's array, kept (outbox_size)
    uint64_t frame_max;                 //  the broker's frame limit (welcome)
    bool single_dones;                  //  the broker does not know `dones`: one `done` each
    uint64_t features_request;          //  request id of our last `features`
    uint32_t heartbeat_ms;              //  the broker's (welcome), else our option
    int64_t next_tick_ms;               //  when the timers run next
    uint64_t flush_request;             //  the request behind the deadline's releases
    int64_t flush_until_ms;             //  how long we wait for its answer
} s_actor_t;

//  The range a broker's heartbeat is taken in. Below 10 ms the beats would
//  be most of the traffic (the broker refuses less itself); above a minute
//  we beat more often than asked, which costs a broker nothing and keeps
//  our judgement of a silent broker within minutes.
#define S_HEARTBEAT_MIN_MS 10
#define S_HEARTBEAT_MAX_MS 60000

static int
s_send (s_actor_t *a, dp_wire_msg_t *msg)
{
    uint8_t *frame;
    size_t len;
    if (!msg->request_id && msg->kind != DP_WIRE_HEARTBEAT && msg->kind != DP_WIRE_PROGRESS)
        msg->request_id = ++a->next_request;
    if (dp_wire_encode (msg, &frame, &len, NULL) != DP_OK)
        return -1;
    return dp_frames_send_owned (zsock_resolve (a->dealer), frame, len, ZMQ_DONTWAIT) < 0? -1: 0;
}

static void
s_send_hello (s_actor_t *a)
{
    dp_wire_msg_t hello;
    dp_wire_msg_init (&hello, DP_WIRE_HELLO, 0);
    snprintf (hello.role, sizeof hello.role, "worker");
    dp_text_copy (hello.name, sizeof hello.name, a->w->name);
    hello.capacity = a->draining? 0: a->w->opt.capacity;
    size_t n = zhashx_size (a->jobs);
    if (n > DP_WIRE_LEASES_MAX)
        n = DP_WIRE_LEASES_MAX;
    hello.leases = calloc (n + 1, sizeof *hello.leases);
    for (s_job_t *job = zhashx_first (a->jobs); hello.leases && job && hello.lease_count < n;
         job = zhashx_next (a->jobs)) {
        if (job->state == J_RELEASED)
            continue;
        dp_wire_lease_t *lease = &hello.leases [hello.lease_count++];
        dp_text_copy (lease->deal_id, sizeof lease->deal_id, job->deal_id);
        lease->token = job->token;
    }
    s_send (a, &hello);
    free (hello.leases);
    a->last_hello_ms = zclock_mono ();
    //  Then what we take beyond a `job` each: `jobs`, several in one
    //  message. A broker from before it refuses the kind (we then get
    //  single jobs, as before) and that refusal names this request.
    dp_wire_msg_t features;
    dp_wire_msg_init (&features, DP_WIRE_FEATURES, 0);
    snprintf (features.features, sizeof features.features, "jobs");
    s_send (a, &features);
    a->features_request = features.request_id;
}

//  Queues a job's result: the wakeup's results leave together in one
//  `dones` (s_send_dones) rather than one `done` each.
static void
s_send_done (s_actor_t *a, s_job_t *job)
{
    if (job->in_outbox)
        return;
    if (a->outbox_count == a->outbox_size) {
        //  The capacity bounds the jobs held, so this happens at the first
        //  result, or after a reconnect brought back more results than that.
        size_t size = a->outbox_size? 2 * a->outbox_size: a->w->opt.capacity;
        s_job_t **outbox = realloc (a->outbox, size * sizeof *outbox);
        dp_wire_done_t *items = outbox? realloc (a->done_items, size * sizeof *items): NULL;
        if (outbox)
            a->outbox = outbox;
        if (!items) {
            job->sent_ms = zclock_mono ();      //  the resend timer tries again
            return;
        }
        a->done_items = items;
        a->outbox_size = size;
    }
    job->in_outbox = true;
    a->outbox [a->outbox_count++] = job;
}

//  The bytes a result adds to a `dones`, at most: its strings and result
//  with their msgpack headers, the token and the item's array header.
static size_t
s_done_size (const s_job_t *job)
{
    return strlen (job->deal_id) + strlen (job->outcome.status) + strlen (job->outcome.reason)
         + job->outcome.result_len + 40;
}

//  Sends the outbox: as `dones` of at most DP_WIRE_DONES_MAX results that
//  fit in the broker's frame limit (a result too big for it goes alone,
//  and is refused alone); as one `done` each to a broker without `dones`.
static void
s_send_dones (s_actor_t *a)
{
    int64_t now = zclock_mono ();
    size_t budget = a->frame_max? (size_t) a->frame_max: DP_WIRE_FRAME_MAX;
    budget = budget > 64? budget - 64: budget;          //  the message's own header
    size_t next = 0;
    while (next < a->outbox_count) {
        dp_wire_msg_t dones;
        dp_wire_msg_init (&dones, DP_WIRE_DONES, 0);
        dones.dones = a->done_items;
        size_t bytes = 0;
        for (; next < a->outbox_count && dones.count < DP_WIRE_DONES_MAX; next++) {
            s_job_t *job = a->outbox [next];
            size_t size = s_done_size (job);
            if (dones.count > 0 && (bytes + size > budget || a->single_dones))
                break;
            bytes += size;
            job->in_outbox = false;
            job->sent_ms = now;
            dp_wire_done_t *done = &dones.dones [dones.count++];
            dp_text_copy (done->deal_id, sizeof done->deal_id, job->deal_id);
            done->token = job->token;
            dp_text_copy (done->status, sizeof done->status, job->outcome.status);
            dp_text_copy (done->reason, sizeof done->reason, job->outcome.reason);
            done->data = (const uint8_t *) job->outcome.result_json;
            done->data_len = job->outcome.result_len;
        }
        if (a->single_dones) {
            dp_wire_msg_t single;
            dp_wire_msg_init (&single, DP_WIRE_DONE, 0);
            dp_wire_done_t *done = &dones.dones [0];
            memcpy (single.deal_id, done->deal_id, sizeof single.deal_id);
            single.token = done->token;
            memcpy (single.status, done->status, sizeof single.status);
            memcpy (single.reason, done->reason, sizeof single.reason);
            single.data = done->data;
            single.data_len = done->data_len;
            s_send (a, &single);
        }
        else
            s_send (a, &dones);
        dones.dones = NULL;     //  the actor's
        dp_wire_msg_clear (&dones);
    }
    a->outbox_count = 0;
}

static void
s_send_release (s_actor_t *a, s_job_t *job, const char *reason)
{
    dp_wire_msg_t release;
    dp_wire_msg_init (&release, DP_WIRE_RELEASE, 0);
    dp_text_copy (release.deal_id, sizeof release.deal_id, job->deal_id);
    release.token = job->token;
    dp_text_copy (release.reason, sizeof release.reason, reason);
    s_send (a, &release);
}

static void
s_job_free (s_actor_t *a, s_job_t *job)
{
    if (job->in_outbox)
        for (size_t i = 0; i < a->outbox_count; i++)
            if (a->outbox [i] == job) {
                a->outbox [i] = a->outbox [--a->outbox_count];
                break;
            }
    zhashx_delete (a->jobs, job->deal_id);
    free (job->outcome.result_json);
    free (job->body);
    free (job);
}

static void
s_reconnect (s_actor_t *a)
{
    zsock_destroy (&a->dealer);
    a->dealer_generation++;
    a->dealer = zsock_new (ZMQ_DEALER);
    if (!a->dealer)
        return;
    zsock_set_linger (a->dealer, 0);
    zsock_set_sndhwm (a->dealer, 100000);
    //  Retry a broker that is not up yet every 10 ms (backing off to 1 s),
    //  so a restarted broker gets its workers back at once.
    zsock_set_reconnect_ivl (a->dealer, 10);
    zsock_set_reconnect_ivl_max (a->dealer, 1000);
    dp_curve_client_apply (a->w->curve, a->dealer);
    zsock_connect (a->dealer, "%s", a->w->broker);
    a->welcomed = false;
    a->broker_seen_ms = zclock_mono ();
    s_send_hello (a);
}

//  The broker drops a worker silent for its heartbeat × its liveness, so
//  a worker beating at its own slower rate would be dropped between beats
//  (and its deals run twice). We beat at the broker's rate from its
//  welcome on, and judge its silence by the same rate. 0: a broker from
//  before the field; our option stands.
static void
s_take_heartbeat (s_actor_t *a, uint32_t broker_ms)
{
    if (broker_ms == 0)
        return;
    uint32_t ms = broker_ms < S_HEARTBEAT_MIN_MS? S_HEARTBEAT_MIN_MS:
                  broker_ms > S_HEARTBEAT_MAX_MS? S_HEARTBEAT_MAX_MS: broker_ms;
    if (ms != a->heartbeat_ms)
        dp_log_info ("worker: heartbeat %u ms (the broker's)", ms);
    a->heartbeat_ms = ms;
    a->next_tick_ms = 0;        //  the timer may be set for a slower rate: run it now
}

//  After a welcome: the broker may have missed results (restart, lost
//  connection); they go again under their tokens, idempotent at the broker.
static void
s_on_welcome (s_actor_t *a, dp_wire_msg_t *msg)
{
    if (a->welcomed && msg->epoch == a->epoch)
        return;
    a->welcomed = true;
    a->epoch = msg->epoch;
    a->frame_max = msg->frame_max;
    s_take_heartbeat (a, msg->heartbeat_ms);
    atomic_store (&a->w->welcomed, 1);
    dp_log_info ("worker: connected broker=%s epoch=%llu jobs=%zu", a->w->broker,
                 (unsigned long long) msg->epoch, zhashx_size (a->jobs));
    for (s_job_t *job = zhashx_first (a->jobs); job; job = zhashx_next (a->jobs))
        if (job->state == J_DONE)
            s_send_done (a, job);
}

static void
s_on_job (s_actor_t *a, const dp_wire_job_t *msg)
{
    s_job_t *job = zhashx_lookup (a->jobs, msg->envelope.deal_id);
    if (job) {
        //  Delivered again under a new lease (the old one was lost): the
        //  work in hand carries on under the new token.
        job->token = msg->token;
        if (job->state == J_DONE)
            s_send_done (a, job);
        return;
    }
    job = calloc (1, sizeof *job);
    uint8_t *body = malloc (msg->body_len? msg->body_len: 1);
    if (!job || !body) {
        free (job), free (body);
        return;                 //  the lease expires; the broker redelivers
    }
    dp_text_copy (job->deal_id, sizeof job->deal_id, msg->envelope.deal_id);
    job->envelope = msg->envelope;
    memcpy (body, msg->body, msg->body_len);
    job->body = body;
    job->body_len = msg->body_len;
    job->token = msg->token;
    job->attempt = msg->attempt;
    zhashx_insert (a->jobs, job->deal_id, job);
    if (a->draining) {
        s_send_release (a, job, "worker draining");
        s_job_free (a, job);
        return;
    }
    job->state = J_RUNNING;
    if (s_pool_put (a->w, job) != 0) {
        s_send_release (a, job, "worker over capacity");
        s_job_free (a, job);
    }
}

static void
s_on_done_ack (s_actor_t *a, const char *deal_id, uint64_t token, dp_status code, const char *text)
{
    s_job_t *job = zhashx_lookup (a->jobs, deal_id);
    if (!job || job->token != token || job->state != J_DONE)
        return;
    if (code == DP_OK)
        atomic_fetch_add (&a->w->done, 1);
    else
        dp_log_info ("worker: result not taken deal=%s: %s", job->deal_id, text);
    s_job_free (a, job);
}

//  One message from the broker, if one is waiting: 1 handled, 0 none.
//  Raw zmq_msg_t receives: CZMQ's frame objects cost an allocation and a
//  copy per message, which showed at a job, a result and an ack per deal.
static int
s_on_broker (s_actor_t *a)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, zsock_resolve (a->dealer), ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&frame);
        return 0;
    }
    dp_wire_msg_t msg;
    dp_error_t err;
    if (dp_wire_decode (zmq_msg_data (&frame), zmq_msg_size (&frame), 0, 0, &msg, &err) != DP_OK) {
        dp_log_warn ("worker: bad frame from broker: %s", err.text);
        zmq_msg_close (&frame);
        return 1;
    }
    a->broker_seen_ms = zclock_mono ();
    if (a->flush_request && msg.request_id == a->flush_request)
        a->flush_request = 0;           //  the broker has our releases
    switch (msg.kind) {
        case DP_WIRE_WELCOME:  s_on_welcome (a, &msg); break;
        case DP_WIRE_JOB: {
            dp_wire_job_t job = dp_wire_msg_job (&msg);
            s_on_job (a, &job);
            break;
        }
        case DP_WIRE_JOBS:
            for (size_t i = 0; i < msg.count; i++)
                s_on_job (a, &msg.jobs [i]);
            break;
        case DP_WIRE_DONE_ACK:
            s_on_done_ack (a, msg.deal_id, msg.token, msg.code, msg.text);
            break;
        case DP_WIRE_DONE_ACKS:
            for (size_t i = 0; i < msg.count; i++)
                s_on_done_ack (a, msg.done_acks [i].deal_id, msg.done_acks [i].token,
                               msg.done_acks [i].code, msg.done_acks [i].text);
            break;
        case DP_WIRE_HEARTBEAT:
            if (msg.epoch != a->epoch || !a->welcomed)
                s_send_hello (a);       //  a restarted broker: introduce ourselves again
            break;
        case DP_WIRE_ERROR:
            if (msg.code == DP_NOTFOUND && strstr (msg.text, "hello"))
                s_send_hello (a);
            else
            if (msg.request_id && msg.request_id == a->features_request)
                dp_log_info ("worker: the broker does not take features: one job per message");
            else
            if (msg.code == DP_UNSUPPORTED && !a->single_dones && strstr (msg.text, "kind")) {
                //  A broker from before `dones` (protocol kinds 27, 28):
                //  our results go to it one `done` each from now on.
                dp_log_info ("worker: the broker does not take batched results: sending them singly");
                a->single_dones = true;
                for (s_job_t *job = zhashx_first (a->jobs); job; job = zhashx_next (a->jobs))
                    if (job->state == J_DONE)
                        s_send_done (a, job);
            }
            else
                dp_log_warn ("worker: broker error: %s: %s", dp_status_name (msg.code), msg.text);
            break;
        default:
            break;
    }
    dp_wire_msg_clear (&msg);
    zmq_msg_close (&frame);
    return 1;
}

//  A report from a pool thread, if one is waiting: "D" + job pointer (a
//  finished job) or "P" + job pointer + event JSON (progress). 1 handled,
//  0 none.
static int
s_on_pool (s_actor_t *a)
{
    void *pull = zsock_resolve (a->pull);
    zmq_msg_t part [3];
    size_t parts = 0;
    zmq_msg_init (&part [0]);
    if (zmq_msg_recv (&part [0], pull, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&part [0]);
        return 0;
    }
    parts = 1;
    while (zmq_msg_more (&part [parts - 1]) && parts < 3) {
        zmq_msg_init (&part [parts]);
        zmq_msg_recv (&part [parts++], pull, 0);
    }
    if (zmq_msg_more (&part [parts - 1]))
        dp_frames_drop_rest (pull);             //  more than ours
    char kind = zmq_msg_size (&part [0]) == 1? *(char *) zmq_msg_data (&part [0]): 0;
    s_job_t *job = NULL;
    if (parts > 1 && zmq_msg_size (&part [1]) == sizeof job)
        memcpy (&job, zmq_msg_data (&part [1]), sizeof job);
    if (kind == 'P' && job && parts == 3) {
        dp_wire_msg_t progress;
        dp_wire_msg_init (&progress, DP_WIRE_PROGRESS, 0);
        dp_text_copy (progress.deal_id, sizeof progress.deal_id, job->deal_id);
        progress.token = job->token;
        progress.data = zmq_msg_data (&part [2]);
        progress.data_len = zmq_msg_size (&part [2]);
        if (a->welcomed)
            s_send (a, &progress);
    }
    else if (kind == 'D' && job) {
        if (job->state == J_RELEASED)
            s_job_free (a, job);        //  released at a drain deadline: too late
        else if (job->handler_status != DP_OK) {
            s_send_release (a, job, dp_status_message (job->handler_status));
            s_job_free (a, job);
        }
        else {
            job->state = J_DONE;
            s_send_done (a, job);
        }
    }
    for (size_t i = 0; i < parts; i++)
        zmq_msg_close (&part [i]);
    return 1;
}

static void
s_timers (s_actor_t *a)
{
    int64_t now = zclock_mono ();
    uint32_t hb = a->heartbeat_ms;
    if (now - a->last_beat_ms >= hb) {
        a->last_beat_ms = now;
        dp_wire_msg_t beat;
        dp_wire_msg_init (&beat, DP_WIRE_HEARTBEAT, 0);
        s_send (a, &beat);
        if (!a->welcomed && now - a->last_hello_ms >= hb)
            s_send_hello (a);
    }
    //  A result not acknowledged for a while may have been lost on the
    //  way (a full queue, a connection that broke): send it again; the
    //  broker stores a result once and answers a repeat with "stale".
    int64_t patience = (int64_t) hb * a->w->opt.liveness;
    for (s_job_t *job = zhashx_first (a->jobs); a->welcomed && job; job = zhashx_next (a->jobs))
        if (job->state == J_DONE && now - job->sent_ms > patience)
            s_send_done (a, job);
    if (now - a->broker_seen_ms > (int64_t) hb * a->w->opt.liveness) {
        dp_log_info ("worker: broker silent for %lld ms: reconnecting",
                     (long long) (now - a->broker_seen_ms));
        s_reconnect (a);
    }
}

//  At the drain deadline: releases every job still held, then asks the
//  broker something it answers (a deal's status) and waits for that
//  answer, at most heartbeat × liveness. The broker reads one connection
//  in order, so the answer means it has the releases: the owner may end
//  the process at once without losing them to the socket's queue (a
//  release is not acknowledged itself). Without an answer the deals come
//  back anyway when the broker sees us vanish, as after a crash.
static void
s_release_all (s_actor_t *a)
{
    const char *last = NULL;
    for (s_job_t *job = zhashx_first (a->jobs); job; job = zhashx_next (a->jobs))
        if (job->state != J_RELEASED) {
            s_send_release (a, job, "worker drain deadline");
            job->state = J_RELEASED;
            last = job->deal_id;
        }
    a->flush_until_ms = zclock_mono ();
    if (!last || !a->welcomed || !a->dealer)
        return;
    dp_wire_msg_t status;
    dp_wire_msg_init (&status, DP_WIRE_STATUS, 0);
    dp_text_copy (status.deal_id, sizeof status.deal_id, last);
    if (s_send (a, &status) == 0) {
        a->flush_request = status.request_id;
        a->flush_until_ms += (int64_t) a->heartbeat_ms * a->w->opt.liveness;
    }
}

//  Answers a DRAIN once no job is left, or at its deadline once the
//  broker has the releases (s_release_all).
static void
s_check_drain (s_actor_t *a)
{
    if (!a->drain_waiting)
        return;
    if (zhashx_size (a->jobs) == 0) {
        a->drain_waiting = false;
        zsock_signal (a->pipe, 0);
        return;
    }
    if (!a->flush_until_ms && zclock_time () >= a->drain_deadline_ms)
        s_release_all (a);
    if (a->flush_until_ms && (!a->flush_request || zclock_mono () >= a->flush_until_ms)) {
        a->drain_waiting = false;
        a->flush_request = 0;
        zsock_signal (a->pipe, 1);
    }
}

static int
s_on_pipe (s_actor_t *a)
{
    char *command = NULL;
    int64_t deadline = 0;
    zmsg_t *msg = zmsg_recv (a->pipe);
    if (!msg)
        return -1;
    command = zmsg_popstr (msg);
    char *arg = zmsg_popstr (msg);
    if (arg)
        deadline = atoll (arg);
    zstr_free (&arg);
    zmsg_destroy (&msg);
    int stop = !command || strcmp (command, "$TERM") == 0;
    if (!stop && strcmp (command, "DRAIN") == 0) {
        a->draining = true;
        a->drain_waiting = true;
        a->drain_deadline_ms = zclock_time () + deadline;
        dp_wire_msg_t credit;
        dp_wire_msg_init (&credit, DP_WIRE_CREDIT, 0);
        credit.capacity = 0;
        s_send (a, &credit);
    }
    zstr_free (&command);
    return stop? -1: 0;
}

static bool
s_ready (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    s_actor_t a = { 0 };
    a.w = arg;
    a.pipe = pipe;
    a.jobs = zhashx_new ();
    a.pull = zsock_new_pull (a.w->inbox);
    a.heartbeat_ms = a.w->opt.heartbeat_ms;
    zsock_set_rcvhwm (a.pull, 0);
    s_reconnect (&a);
    zsock_signal (pipe, 0);
    //  The poller is rebuilt only when a reconnect replaced the DEALER.
    //  Each wakeup drains what is waiting (a bounded number per socket, so
    //  neither side starves the other), and the timers run on their own
    //  clock: under load a wakeup carries many messages, and scanning the
    //  jobs per message made the actor cost grow with its capacity.
    //  (A generation, not the DEALER's address: a new socket may well be
    //  allocated where the old one was.)
    zpoller_t *poller = NULL;
    uint32_t polled_generation = 0;
    while (true) {
        if (!poller || polled_generation != a.dealer_generation) {
            zpoller_destroy (&poller);
            poller = zpoller_new (pipe, a.pull, NULL);
            if (poller && a.dealer)
                zpoller_add (poller, a.dealer);
            if (poller)
                zpoller_set_nonstop (poller, true);     //  signals are the owner's business
            polled_generation = a.dealer_generation;
        }
        int64_t now = zclock_mono ();
        int wait = a.next_tick_ms > now? (int) (a.next_tick_ms - now): 0;
        if (poller)
            zpoller_wait (poller, wait);
        else
            zclock_sleep (wait? wait: 1);       //  out of memory: poll by time
        if (s_ready (pipe) && s_on_pipe (&a) != 0)
            break;
        for (int n = 0; n < 256 && a.dealer && s_on_broker (&a); n++)
            ;
        for (int n = 0; n < 256 && s_on_pool (&a); n++)
            ;
        if (zclock_mono () >= a.next_tick_ms) {
            s_timers (&a);
            a.next_tick_ms = zclock_mono () + a.heartbeat_ms / 4 + 1;
        }
        if (a.dealer)
            s_send_dones (&a);
        s_check_drain (&a);
    }
    zpoller_destroy (&poller);
    //  The pool is stopped and joined before the actor (dp_worker_destroy),
    //  so no thread holds a job now. Jobs still in hand are dropped; their
    //  leases expire at the broker.
    for (s_job_t *job = zhashx_first (a.jobs); job; job = zhashx_first (a.jobs))
        s_job_free (&a, job);
    zhashx_destroy (&a.jobs);
    free (a.outbox);
    free (a.done_items);
    zsock_destroy (&a.dealer);
    zsock_destroy (&a.pull);
    dp_sha256_thread_end ();
}

//  --------------------------------------------------------------------------
//  Owner API

static dp_status
s_check (const dp_worker_options_t *o, dp_job_handler_fn *handler, dp_error_t *err)
{
    if (!o->broker || !*o->broker)
        return dp_error_set (err, DP_INVALID, "broker: an endpoint is required");
    if (!handler)
        return dp_error_set (err, DP_INVALID, "handler: required");
    if (o->capacity < 1 || o->capacity > 4096)
        return dp_error_set (err, DP_INVALID, "capacity: must be 1..4096");
    if (o->heartbeat_ms < 10 || o->liveness < 1)
        return dp_error_set (err, DP_INVALID, "heartbeat_ms >= 10 and liveness >= 1");
    return DP_OK;
}

static void s_stop_pool (dp_worker_t *self);

dp_worker_t *
dp_worker_new (const dp_worker_options_t *options, dp_job_handler_fn *handler, void *handler_arg,
               dp_error_t *err)
{
    if (s_check (options, handler, err) != DP_OK)
        return NULL;
    dp_worker_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->opt = *options;
    dp_text_copy (self->broker, sizeof self->broker, options->broker);
    if (dp_curve_client_from_env (&self->curve, err) != DP_OK) {
        free (self);
        return NULL;
    }
    if (options->name && *options->name)
        dp_text_copy (self->name, sizeof self->name, options->name);
    else {
        char host [64] = "worker";
        gethostname (host, sizeof host - 1);
        snprintf (self->name, sizeof self->name, "%s-%d", host, (int) getpid ());
    }
    snprintf (self->inbox, sizeof self->inbox, "inproc://dp-worker-%p", (void *) self);
    self->handler = handler;
    self->handler_arg = handler_arg;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->cond, NULL);
    self->queue = calloc (options->capacity, sizeof *self->queue);
    self->threads = calloc (options->capacity, sizeof *self->threads);
    if (!self->queue || !self->threads || !(self->actor = zactor_new (s_actor, self))) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        dp_worker_destroy (&self);
        return NULL;
    }
    for (uint32_t i = 0; i < options->capacity; i++) {
        if (pthread_create (&self->threads [i], NULL, s_pool_thread, self) != 0)
            break;
        self->thread_count++;
    }
    if (self->thread_count == 0) {
        dp_error_set (err, DP_NOMEM, "cannot start job threads");
        dp_worker_destroy (&self);
        return NULL;
    }
    int64_t deadline = zclock_mono () + options->connect_timeout_ms;
    while (options->connect_timeout_ms > 0 && !atomic_load (&self->welcomed)) {
        if (zclock_mono () >= deadline) {
            dp_error_set (err, DP_UNREACHABLE, "broker: no answer from %s within %d ms",
                          self->broker, options->connect_timeout_ms);
            dp_worker_destroy (&self);
            return NULL;
        }
        zclock_sleep (5);
    }
    return self;
}

dp_status
dp_worker_drain (dp_worker_t *self, int deadline_ms)
{
    char text [32];
    snprintf (text, sizeof text, "%d", deadline_ms);
    zstr_sendx (self->actor, "DRAIN", text, NULL);
    return zsock_wait (self->actor) == 0? DP_OK: DP_TIMEOUT;
}

void
dp_worker_counts (dp_worker_t *self, uint32_t *running, uint64_t *done)
{
    *running = atomic_load (&self->running);
    *done = atomic_load (&self->done);
}

static void
s_stop_pool (dp_worker_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_broadcast (&self->cond);
    pthread_mutex_unlock (&self->lock);
    for (uint32_t i = 0; i < self->thread_count; i++)
        pthread_join (self->threads [i], NULL);
    self->thread_count = 0;
}

void
dp_worker_destroy (dp_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_worker_t *self = *self_p;
    s_stop_pool (self);
    zactor_destroy (&self->actor);
    pthread_mutex_destroy (&self->lock);
    dp_curve_client_destroy (&self->curve);
    pthread_cond_destroy (&self->cond);
    free (self->queue);
    free (self->threads);
    free (self);
    *self_p = NULL;
}
