/*  dp_job.h — the contract between the worker runtime (dp_worker: sockets,
    leases, heartbeats, threads) and the code that turns one deal into a
    result (dp_pipeline: validate, props, dkim, negotiate, quote, sign).

    The runtime calls the handler on one of its threads for each leased
    job. The handler may block (LLM turns, TEE calls); it must be
    thread-safe, since up to `capacity` jobs run at once. */

#ifndef DP_JOB_H_INCLUDED
#define DP_JOB_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_envelope.h"
#include "dp_status.h"

//  One leased job, borrowed for the duration of the handler call.
typedef struct {
    const dp_envelope_t *envelope;      //  as the broker sent it: untrusted
    const uint8_t *body;                //  the deal's canonical JSON body
    size_t body_len;
    uint32_t attempt;                   //  1 for the first delivery
} dp_job_t;

#define DP_JOB_STATUS_MAX 23
#define DP_JOB_REASON_MAX 511

//  What the handler hands back. result_json is malloc'd by the handler and
//  owned by the runtime afterwards (it frees it after the broker stored it).
typedef struct {
    char status [DP_JOB_STATUS_MAX + 1];    //  "agreed" | "failed" | "verification_failed"
    char reason [DP_JOB_REASON_MAX + 1];    //  "" when agreed
    char *result_json;                      //  the full signed result, SPEC §4
    size_t result_len;
} dp_job_outcome_t;

//  Non-durable progress (one transcript move, as a JSON object) for live
//  views. The runtime copies event_json before returning; may be called
//  from the handler's thread any number of times.
typedef void (dp_progress_fn) (void *progress_arg, const char *event_json, size_t len);

//  Runs one deal to its final result. Returns DP_OK when outcome is filled
//  (including deals that ended failed or verification_failed: those are
//  results too). Any other status means the handler could not produce a
//  result at all (e.g. the TEE is down after retries): the runtime then
//  releases the lease so the broker redelivers it.
typedef dp_status (dp_job_handler_fn) (void *handler_arg, const dp_job_t *job,
                                       dp_progress_fn *progress, void *progress_arg,
                                       dp_job_outcome_t *outcome);

#endif
