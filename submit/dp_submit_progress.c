/*  dp_submit_progress.c — the TTY bar and its plain-line fallback. */

#include "dp_submit_progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_BAR_WIDTH 30
#define S_BAR_REDRAW_MS 100

struct dp_submit_progress_t {
    FILE *stream;
    dp_submit_progress_mode mode;
    char *label;
    size_t total, done, agreed, failed;
    int64_t started_ms, last_draw_ms, interval_ms;
    int drawn, finished;
};

int64_t
dp_submit_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

dp_submit_progress_t *
dp_submit_progress_new (FILE *stream, dp_submit_progress_mode mode, const char *label,
                        size_t total, int64_t interval_ms)
{
    dp_submit_progress_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->label = strdup (label? label: "");
    if (!self->label) {
        free (self);
        return NULL;
    }
    if (mode == DP_SUBMIT_PROGRESS_AUTO)
        mode = isatty (fileno (stream))? DP_SUBMIT_PROGRESS_BAR: DP_SUBMIT_PROGRESS_PLAIN;
    self->stream = stream;
    self->mode = mode;
    self->total = total;
    self->interval_ms = interval_ms;
    self->started_ms = dp_submit_clock_ms ();
    self->last_draw_ms = self->started_ms;
    return self;
}

void
dp_submit_progress_set_total (dp_submit_progress_t *self, size_t total)
{
    if (self)
        self->total = total;
}

//  Final items per second since the start.
static double
s_rate (dp_submit_progress_t *self, int64_t now)
{
    double seconds = (double) (now - self->started_ms) / 1000.0;
    return seconds > 0? (double) self->done / seconds: 0.0;
}

static void
s_draw_bar (dp_submit_progress_t *self, int64_t now)
{
    double rate = s_rate (self, now);
    char bar [S_BAR_WIDTH + 1];
    size_t fill = self->total? self->done * S_BAR_WIDTH / self->total: 0;
    if (fill > S_BAR_WIDTH)
        fill = S_BAR_WIDTH;
    memset (bar, '#', fill);
    memset (bar + fill, '.', S_BAR_WIDTH - fill);
    bar [S_BAR_WIDTH] = '\0';
    char eta [32] = "ETA --";
    if (rate > 0 && self->total >= self->done)
        snprintf (eta, sizeof eta, "ETA %.0fs", (double) (self->total - self->done) / rate);
    //  \r + "erase to end of line" redraws in place.
    fprintf (self->stream, "\r\033[K%s [%s] %zu/%zu  agreed %zu  failed %zu  %.0f/s  %s",
             self->label, bar, self->done, self->total, self->agreed, self->failed, rate, eta);
    fflush (self->stream);
}

static void
s_draw_plain (dp_submit_progress_t *self, int64_t now)
{
    fprintf (self->stream, "%s: %zu/%zu final (agreed %zu, failed %zu), %.0f/s\n",
             self->label, self->done, self->total, self->agreed, self->failed,
             s_rate (self, now));
    fflush (self->stream);
}

static void
s_draw (dp_submit_progress_t *self, int64_t now)
{
    if (self->mode == DP_SUBMIT_PROGRESS_BAR)
        s_draw_bar (self, now);
    else if (self->mode == DP_SUBMIT_PROGRESS_PLAIN)
        s_draw_plain (self, now);
    self->last_draw_ms = now;
    self->drawn = 1;
}

void
dp_submit_progress_update (dp_submit_progress_t *self, size_t done, size_t agreed,
                           size_t failed)
{
    if (!self || self->mode == DP_SUBMIT_PROGRESS_OFF)
        return;
    self->done = done;
    self->agreed = agreed;
    self->failed = failed;
    int64_t now = dp_submit_clock_ms ();
    int64_t every = self->mode == DP_SUBMIT_PROGRESS_BAR? S_BAR_REDRAW_MS: self->interval_ms;
    if (!self->drawn || now - self->last_draw_ms >= every)
        s_draw (self, now);
}

void
dp_submit_progress_finish (dp_submit_progress_t *self)
{
    if (!self || self->finished || self->mode == DP_SUBMIT_PROGRESS_OFF)
        return;
    self->finished = 1;
    s_draw (self, dp_submit_clock_ms ());
    if (self->mode == DP_SUBMIT_PROGRESS_BAR) {
        fputc ('\n', self->stream);
        fflush (self->stream);
    }
}

void
dp_submit_progress_destroy (dp_submit_progress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->label);
    free (*self_p);
    *self_p = NULL;
}
