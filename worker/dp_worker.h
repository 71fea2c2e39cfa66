/*  dp_worker.h — the worker runtime: broker connection, leases, threads.

    A worker connects to a dp-broker (role "worker"), announces its
    capacity, and runs up to `capacity` leased jobs at once, each on its own
    thread from a fixed pool (a handler that waits on an LLM or a TEE holds
    a thread, never a core). It forwards the handler's progress events,
    sends each result under its lease token and keeps it until the broker
    acknowledges it, heartbeats both ways, and when the broker restarts or
    stops answering it reconnects, says hello again naming the leases it
    holds, and resends the results not yet acknowledged under the same
    tokens (SPEC §2: a restarted broker accepts them until their deadline).

    The handler contract is worker/dp_job.h.

    Threading: dp_worker_new, dp_worker_drain and dp_worker_destroy are
    called from one owner thread. The handler runs on pool threads and must
    be thread-safe. The runtime's own I/O runs on an internal actor thread. */

#ifndef DP_WORKER_H_INCLUDED
#define DP_WORKER_H_INCLUDED

#include <stdint.h>

#include "dp_job.h"
#include "dp_status.h"

typedef struct {
    const char *broker;             //  required: e.g. "tcp://127.0.0.1:5570"
    const char *name;               //  shown in broker stats; default "<host>-<pid>"
    uint32_t capacity;              //  jobs at once (threads), default 64, 1..4096
    uint32_t heartbeat_ms;          //  default 1000; used until the broker's welcome names
                                    //  its own, which the worker then beats at (10..60000 ms)
    uint32_t liveness;              //  broker silent this many of its heartbeats → reconnect;
                                    //  default 3
    int connect_timeout_ms;         //  > 0: dp_worker_new fails with DP_UNREACHABLE if the
                                    //  broker does not welcome us in time; 0 (default): keep trying
} dp_worker_options_t;

typedef struct dp_worker_t dp_worker_t;

void dp_worker_options_default (dp_worker_options_t *options);

//  Starts the pool and connects. handler and handler_arg are borrowed and
//  must outlive the worker. NULL with err set: DP_INVALID (option),
//  DP_UNREACHABLE (connect_timeout_ms passed), DP_NOMEM.
dp_worker_t *dp_worker_new (const dp_worker_options_t *options, dp_job_handler_fn *handler,
                            void *handler_arg, dp_error_t *err);

//  Stops taking jobs (announces capacity 0), waits up to deadline_ms for
//  running jobs to finish and their results to be acknowledged. Jobs
//  still running at the deadline are released to the broker (redelivered
//  elsewhere, not counted as an attempt), and the call returns once the
//  broker has answered a request sent behind the releases (so it has
//  them), or after heartbeat × liveness without an answer. DP_OK when
//  everything finished, DP_TIMEOUT when something had to be released.
//  After DP_TIMEOUT handlers may still be running (a TEE retry, an LLM
//  turn) and dp_worker_destroy waits for them; a process that must stop
//  at the deadline ends without destroying the worker (dp-worker does).
dp_status dp_worker_drain (dp_worker_t *self, int deadline_ms);

//  Counters: jobs running now, results acknowledged since start.
void dp_worker_counts (dp_worker_t *self, uint32_t *running, uint64_t *done);

//  Stops: waits for handlers that are still running to return (their
//  results are dropped if the worker was not drained), closes the
//  connection. Idempotent; sets *self_p to NULL.
void dp_worker_destroy (dp_worker_t **self_p);

#endif
