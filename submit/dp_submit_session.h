/*  dp_submit_session.h — one conversation with the broker for a batch:
    send validated deals in batches with per-deal acknowledgements, then
    follow the event stream until every acknowledged deal is final.

    Sending: batches of at most batch_size deals (and SPEC §1's 32 MiB);
    each id the broker acknowledges (it acknowledges after fsync) is
    appended to the ids file and flushed at once, so the file lists
    exactly what the broker promised to keep. A deal refused (e.g.
    `deal_id exists with different content`) is reported as FILE:LINE.

    Waiting: the session subscribes to events before sending, so nothing
    is missed; the client replays any gap (a dropped subscriber, a broker
    restart) from the broker's durable log. Deals already final when
    acknowledged (an idempotent resubmission) are fetched directly.

    Threading: the owner's thread only. */

#ifndef DP_SUBMIT_SESSION_H_INCLUDED
#define DP_SUBMIT_SESSION_H_INCLUDED

#include <json-c/json.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "dp_status.h"
#include "dp_submit_deals.h"
#include "dp_submit_progress.h"
#include "dp_submit_summary.h"

//  Called with each final result: its JSON text as the broker stored it
//  (borrowed, not NUL-terminated) and parsed (borrowed; take a reference
//  with json_object_get to keep it).
typedef void (dp_submit_result_fn) (void *arg, const char *text, size_t len, json_object *result);

typedef struct {
    const char *endpoint;       //  broker endpoint (required)
    int timeout_ms;             //  per request; 0 = 10000
    size_t batch_size;          //  deals per submit; 0 = 1000
    FILE *ids;                  //  append acknowledged ids here (flushed), or NULL
    int print_ids;              //  also print each acknowledged id on stdout
    int json;                   //  print ids as {"deal_id","status"} lines
    int wait_timeout_s;         //  give up waiting after this long; 0 = never
    dp_submit_result_fn *on_result;     //  optional, besides the out file
    void *on_result_arg;
} dp_submit_session_options_t;

typedef struct dp_submit_session_t dp_submit_session_t;

//  Connects and subscribes. NULL with DP_UNREACHABLE / DP_TIMEOUT when the
//  broker does not answer, DP_INVALID for a bad endpoint.
dp_submit_session_t *dp_submit_session_new (const dp_submit_session_options_t *options,
                                            dp_error_t *err);

//  Sends every deal of the list. *acked and *refused count the broker's
//  answers. Returns DP_OK when every batch was answered (refusals are
//  reported on stderr and counted, not errors); DP_UNREACHABLE /
//  DP_TIMEOUT if the broker stopped answering (acknowledged ids are
//  already written); DP_IO if the ids file cannot be written.
dp_status dp_submit_session_send (dp_submit_session_t *self, dp_submit_deals_t *deals,
                                  size_t *acked, size_t *refused, dp_error_t *err) DP_MUST_CHECK;

//  Follows until every acknowledged deal is final. Each result is
//  written as one JSON line to out (if not NULL), counted in summary and
//  shown by progress. Returns DP_OK when all are final; DP_TIMEOUT after
//  wait_timeout_s or when interrupted (*stop set by a signal handler);
//  DP_UNREACHABLE if the broker is gone for longer than the timeout.
dp_status dp_submit_session_wait (dp_submit_session_t *self, FILE *out,
                                  dp_submit_summary_t *summary, dp_submit_progress_t *progress,
                                  volatile sig_atomic_t *stop, dp_error_t *err) DP_MUST_CHECK;

//  Deals acknowledged and still not final (after wait returned early).
size_t dp_submit_session_outstanding (dp_submit_session_t *self);

void dp_submit_session_destroy (dp_submit_session_t **self_p);

#endif
