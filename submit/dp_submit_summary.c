/*  dp_submit_summary.c — batch figures and their table. */

#include "dp_submit_summary.h"
#include "dp_submit_progress.h"

#include <stdlib.h>
#include <string.h>

//  Distinct failure reasons kept for the table; the rest are counted
//  under "other reasons" so the table stays bounded whatever the batch.
#define S_REASONS_MAX 5

typedef struct {
    char *text;
    size_t count;
} s_reason_t;

struct dp_submit_summary_t {
    size_t agreed, failed, verification_failed, other;
    int64_t *prices;
    size_t prices_len, prices_cap;
    s_reason_t reasons [S_REASONS_MAX];
    size_t reasons_other;
    int64_t started_ms;
};

dp_submit_summary_t *
dp_submit_summary_new (void)
{
    dp_submit_summary_t *self = calloc (1, sizeof *self);
    if (self)
        self->started_ms = dp_submit_clock_ms ();
    return self;
}

static dp_status
s_add_price (dp_submit_summary_t *self, int64_t cents)
{
    if (self->prices_len == self->prices_cap) {
        size_t cap = self->prices_cap? self->prices_cap * 2: 256;
        int64_t *grown = realloc (self->prices, cap * sizeof *grown);
        if (!grown)
            return DP_NOMEM;
        self->prices = grown;
        self->prices_cap = cap;
    }
    self->prices [self->prices_len++] = cents;
    return DP_OK;
}

//  Reasons are grouped by their text up to the first ':' so that
//  "poison: 3 attempts" and "poison: 4 attempts" land together.
static void
s_add_reason (dp_submit_summary_t *self, const char *reason)
{
    size_t key = strcspn (reason, ":");
    for (size_t i = 0; i < S_REASONS_MAX; i++) {
        s_reason_t *slot = &self->reasons [i];
        if (slot->text && strlen (slot->text) == key && strncmp (slot->text, reason, key) == 0) {
            slot->count++;
            return;
        }
        if (!slot->text) {
            slot->text = strndup (reason, key);
            if (slot->text) {
                slot->count = 1;
                return;
            }
            break;
        }
    }
    self->reasons_other++;
}

dp_status
dp_submit_summary_add (dp_submit_summary_t *self, const char *status, int64_t price_cents,
                       const char *reason)
{
    if (strcmp (status, "agreed") == 0) {
        self->agreed++;
        if (price_cents >= 0 && s_add_price (self, price_cents) != DP_OK)
            return DP_NOMEM;
        return DP_OK;
    }
    if (strcmp (status, "failed") == 0)
        self->failed++;
    else if (strcmp (status, "verification_failed") == 0)
        self->verification_failed++;
    else
        self->other++;
    if (reason && *reason)
        s_add_reason (self, reason);
    return DP_OK;
}

static int
s_compare_cents (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

void
dp_submit_summary_figures (dp_submit_summary_t *self, dp_submit_summary_figures_t *out)
{
    memset (out, 0, sizeof *out);
    out->agreed = self->agreed;
    out->failed = self->failed;
    out->verification_failed = self->verification_failed;
    out->other = self->other;
    out->total = self->agreed + self->failed + self->verification_failed + self->other;
    out->seconds = (double) (dp_submit_clock_ms () - self->started_ms) / 1000.0;
    out->price_min = out->price_median = out->price_max = -1;
    if (self->prices_len == 0)
        return;
    qsort (self->prices, self->prices_len, sizeof *self->prices, s_compare_cents);
    double sum = 0;
    for (size_t i = 0; i < self->prices_len; i++)
        sum += (double) self->prices [i];
    out->price_min = self->prices [0];
    out->price_max = self->prices [self->prices_len - 1];
    out->price_median = self->prices [(self->prices_len - 1) / 2];   //  lower median
    out->price_mean = sum / (double) self->prices_len;
}

static void
s_print_money (FILE *stream, const char *name, double cents)
{
    fprintf (stream, "  %s %.2f", name, cents / 100.0);
}

void
dp_submit_summary_print (dp_submit_summary_t *self, FILE *stream)
{
    dp_submit_summary_figures_t f;
    dp_submit_summary_figures (self, &f);
    fprintf (stream, "%-22s %8s\n", "status", "deals");
    fprintf (stream, "%-22s %8zu\n", "agreed", f.agreed);
    fprintf (stream, "%-22s %8zu\n", "failed", f.failed);
    fprintf (stream, "%-22s %8zu\n", "verification_failed", f.verification_failed);
    if (f.other)
        fprintf (stream, "%-22s %8zu\n", "other", f.other);
    fprintf (stream, "%-22s %8zu\n", "total", f.total);
    for (size_t i = 0; i < S_REASONS_MAX && self->reasons [i].text; i++)
        fprintf (stream, "  reason %-20s %8zu\n", self->reasons [i].text, self->reasons [i].count);
    if (self->reasons_other)
        fprintf (stream, "  reason %-20s %8zu\n", "(other reasons)", self->reasons_other);
    if (f.price_min >= 0) {
        fprintf (stream, "price (agreed)");
        s_print_money (stream, "min", (double) f.price_min);
        s_print_money (stream, "median", (double) f.price_median);
        s_print_money (stream, "mean", f.price_mean);
        s_print_money (stream, "max", (double) f.price_max);
        fputc ('\n', stream);
    }
    fprintf (stream, "time %.1f s (%.0f deals/s)\n", f.seconds,
             f.seconds > 0? (double) f.total / f.seconds: 0.0);
}

int
dp_submit_summary_exit_code (dp_submit_summary_t *self)
{
    return self->failed + self->verification_failed + self->other > 0? 1: 0;
}

void
dp_submit_summary_destroy (dp_submit_summary_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_submit_summary_t *self = *self_p;
    for (size_t i = 0; i < S_REASONS_MAX; i++)
        free (self->reasons [i].text);
    free (self->prices);
    free (self);
    *self_p = NULL;
}
