/*  dp_submit_summary.h — the table printed after a batch: how many deals
    agreed, failed or failed verification, the commonest reasons, price
    statistics and the time taken.

    Threading: one thread at a time. */

#ifndef DP_SUBMIT_SUMMARY_H_INCLUDED
#define DP_SUBMIT_SUMMARY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dp_status.h"

typedef struct dp_submit_summary_t dp_submit_summary_t;

typedef struct {
    size_t agreed, failed, verification_failed, other, total;
    int64_t price_min, price_median, price_max;     //  cents, of agreed deals
    double price_mean;                              //  cents
    double seconds;
} dp_submit_summary_figures_t;

//  NULL if out of memory. The clock starts now.
dp_submit_summary_t *dp_submit_summary_new (void);

//  Counts one final result. status is "agreed", "failed",
//  "verification_failed" (anything else counts as other); price_cents < 0
//  when there is no price; reason may be NULL (copied when kept).
dp_status dp_submit_summary_add (dp_submit_summary_t *self, const char *status,
                                 int64_t price_cents, const char *reason) DP_MUST_CHECK;

//  Current figures (the time is measured up to this call).
void dp_submit_summary_figures (dp_submit_summary_t *self, dp_submit_summary_figures_t *out);

//  Prints the table (human form) to stream.
void dp_submit_summary_print (dp_submit_summary_t *self, FILE *stream);

//  Exit code of SPEC §10 for the batch: 0 if every deal agreed, else 1.
int dp_submit_summary_exit_code (dp_submit_summary_t *self);

void dp_submit_summary_destroy (dp_submit_summary_t **self_p);

#endif
