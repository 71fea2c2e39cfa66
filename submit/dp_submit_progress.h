/*  dp_submit_progress.h — progress of a batch on the terminal.

    On a TTY: one bar redrawn in place (counts, rate, ETA), at most ten
    times a second. Not on a TTY: a plain line now and then (every
    `interval_ms`), so logs stay readable. Always on the stream given
    (dp-submit passes stderr), never on stdout, so `--json` output is
    never broken. DP_SUBMIT_PROGRESS_OFF prints nothing.

    Threading: one thread uses a progress object at a time. */

#ifndef DP_SUBMIT_PROGRESS_H_INCLUDED
#define DP_SUBMIT_PROGRESS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    DP_SUBMIT_PROGRESS_AUTO = 0,    //  bar if the stream is a TTY, else plain lines
    DP_SUBMIT_PROGRESS_BAR,
    DP_SUBMIT_PROGRESS_PLAIN,
    DP_SUBMIT_PROGRESS_OFF
} dp_submit_progress_mode;

typedef struct dp_submit_progress_t dp_submit_progress_t;

//  New progress display for `total` items (0 = unknown) named by label
//  (copied). stream is borrowed. interval_ms: time between plain lines
//  (0 = a line on every update). NULL if out of memory.
dp_submit_progress_t *dp_submit_progress_new (FILE *stream, dp_submit_progress_mode mode,
                                              const char *label, size_t total,
                                              int64_t interval_ms);

//  Sets the total when it becomes known (e.g. after the broker's acks).
//  Like every function here, a NULL self does nothing.
void dp_submit_progress_set_total (dp_submit_progress_t *self, size_t total);

//  Reports counts; draws if it is time to. done = final items so far.
void dp_submit_progress_update (dp_submit_progress_t *self, size_t done, size_t agreed,
                                size_t failed);

//  Draws the last state and ends the bar's line. Idempotent.
void dp_submit_progress_finish (dp_submit_progress_t *self);

void dp_submit_progress_destroy (dp_submit_progress_t **self_p);

//  Milliseconds from a monotonic clock (shared by the submit commands).
int64_t dp_submit_clock_ms (void);

#endif
