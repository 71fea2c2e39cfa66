/*  dp_submit_deals.h — validated deals read from input files, ready to
    send: each one's envelope and canonical body (SPEC §2), and where it
    came from (file and line) for messages about it later.

    Loading validates every record with the model's rules (dp_deal) and
    applies the command line's defaults; a deal's own fields win. A bad
    record is reported as `FILE:LINE: field: reason` on the report stream
    and never stops the good ones.

    Ownership: the list owns every body; items are borrowed until destroy.
    Threading: one thread. */

#ifndef DP_SUBMIT_DEALS_H_INCLUDED
#define DP_SUBMIT_DEALS_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "dp_envelope.h"
#include "dp_status.h"

typedef struct {
    const char *batch;              //  label for deals without one; NULL = the file's name
                                    //  without its folder ("stdin" for -)
    const char *buyer_engine;       //  for deals without one; NULL = builtin
    const char *seller_engine;
} dp_submit_deals_options_t;

typedef struct {
    dp_envelope_t envelope;
    char *body;                     //  canonical JSON, owned by the list
    size_t body_len;
    const char *file;               //  the input's name, owned by the list
    size_t line;
} dp_submit_deal_t;

typedef struct dp_submit_deals_t dp_submit_deals_t;

dp_submit_deals_t *dp_submit_deals_new (void);

//  Reads and validates every record of path ("-" = stdin), appending the
//  valid ones. Bad records are printed on report (may be NULL) and
//  counted in *invalid; *valid counts the good ones of this file.
//  Returns DP_OK when the file was read to its end (bad records
//  included); DP_IO if it cannot be read; DP_INVALID if a JSON array is
//  malformed (the records before the fault are kept); DP_NOMEM.
dp_status dp_submit_deals_load (dp_submit_deals_t *self, const char *path,
                                const dp_submit_deals_options_t *options, FILE *report,
                                size_t *valid, size_t *invalid, dp_error_t *err) DP_MUST_CHECK;

//  Validates one record's text as dp_submit_deals_load does and appends
//  it; err names the field and reason (without file and line).
dp_status dp_submit_deals_add (dp_submit_deals_t *self, const char *text, size_t len,
                               const char *file, size_t line,
                               const dp_submit_deals_options_t *options, dp_error_t *err)
                               DP_MUST_CHECK;

size_t dp_submit_deals_count (dp_submit_deals_t *self);

//  Item i (0 <= i < count), borrowed.
const dp_submit_deal_t *dp_submit_deals_get (dp_submit_deals_t *self, size_t i);

//  Finds an item by deal id (after the last add), or NULL.
const dp_submit_deal_t *dp_submit_deals_find (dp_submit_deals_t *self, const char *deal_id);

void dp_submit_deals_destroy (dp_submit_deals_t **self_p);

#endif
