/*  dp_submit_deals.c — read, validate and keep deals for sending. */

#include "dp_submit_deals.h"

#include <czmq.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "dp_deal.h"
#include "dp_submit_input.h"

struct dp_submit_deals_t {
    dp_submit_deal_t *items;
    size_t count, cap;
    zlistx_t *names;            //  file names the items point to
    zhashx_t *by_id;            //  deal_id -> index + 1 (as a pointer-sized integer)
};

dp_submit_deals_t *
dp_submit_deals_new (void)
{
    dp_submit_deals_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->names = zlistx_new ();
    self->by_id = zhashx_new ();
    if (!self->names || !self->by_id) {
        dp_submit_deals_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->names, (zlistx_destructor_fn *) zstr_free);
    return self;
}

static dp_status
s_grow (dp_submit_deals_t *self)
{
    if (self->count < self->cap)
        return DP_OK;
    size_t cap = self->cap? self->cap * 2: 1024;
    dp_submit_deal_t *grown = realloc (self->items, cap * sizeof *grown);
    if (!grown)
        return DP_NOMEM;
    self->items = grown;
    self->cap = cap;
    return DP_OK;
}

//  A deal id seen before: the same body is a harmless repeat (skipped),
//  another body is an error naming the first line.
static dp_status
s_check_repeat (dp_submit_deals_t *self, const dp_envelope_t *envelope, dp_error_t *err)
{
    void *found = zhashx_lookup (self->by_id, envelope->deal_id);
    if (!found)
        return DP_OK;
    const dp_submit_deal_t *first = &self->items [(size_t) (uintptr_t) found - 1];
    if (memcmp (first->envelope.body_sha256, envelope->body_sha256, 32) == 0)
        return DP_EXISTS;
    return dp_error_set (err, DP_INVALID,
        "deal_id: '%s' repeats %s:%zu with different content",
        envelope->deal_id, first->file, first->line);
}

dp_status
dp_submit_deals_add (dp_submit_deals_t *self, const char *text, size_t len, const char *file,
                     size_t line, const dp_submit_deals_options_t *options, dp_error_t *err)
{
    dp_deal_defaults_t defaults = { .assign_deal_id = 1 };
    defaults.batch = options && options->batch? options->batch: file;
    defaults.buyer_engine = options? options->buyer_engine: NULL;
    defaults.seller_engine = options? options->seller_engine: NULL;
    dp_deal_t *deal = NULL;
    dp_status rc = dp_deal_from_json (text, len, &defaults, &deal, err);
    if (rc != DP_OK)
        return rc;
    if (s_grow (self) != DP_OK) {
        dp_deal_destroy (&deal);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    dp_submit_deal_t *item = &self->items [self->count];
    memset (item, 0, sizeof *item);
    rc = dp_deal_body (deal, &item->body, &item->body_len, err);
    if (rc == DP_OK)
        dp_deal_envelope (deal, &item->envelope);
    dp_deal_destroy (&deal);
    if (rc == DP_OK)
        rc = s_check_repeat (self, &item->envelope, err);
    if (rc != DP_OK) {
        free (item->body);
        return rc == DP_EXISTS? DP_OK: rc;      //  an identical repeat is dropped quietly
    }
    item->file = zlistx_last (self->names);
    item->line = line;
    zhashx_insert (self->by_id, item->envelope.deal_id, (void *) (uintptr_t) (self->count + 1));
    self->count++;
    return DP_OK;
}

dp_status
dp_submit_deals_load (dp_submit_deals_t *self, const char *path,
                      const dp_submit_deals_options_t *options, FILE *report,
                      size_t *valid, size_t *invalid, dp_error_t *err)
{
    *valid = *invalid = 0;
    dp_submit_input_t *input = dp_submit_input_open (path, 0, err);
    if (!input)
        return err->code;
    const char *name = dp_submit_input_name (input);
    //  The default batch label is the file's name without its folder, so
    //  the same file gives the same label from anywhere.
    dp_submit_deals_options_t local = options? *options: (dp_submit_deals_options_t) { 0 };
    char *copy = strdup (strcmp (path, "-") == 0? "stdin": path);
    if (!copy) {
        dp_submit_input_destroy (&input);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    if (!local.batch)
        local.batch = basename (copy);
    options = &local;
    if (!zlistx_add_end (self->names, strdup (name))) {
        dp_submit_input_destroy (&input);
        free (copy);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    dp_status rc;
    dp_submit_record_t record;
    dp_error_t line_err;
    while ((rc = dp_submit_input_next (input, &record, &line_err)) != DP_NOTFOUND) {
        //  The reader's DP_INVALID is a malformed array: nothing after it.
        int array_broken = rc == DP_INVALID;
        if (rc == DP_OK)
            rc = dp_submit_deals_add (self, record.text, record.len, name, record.line,
                                      options, &line_err);
        if (rc == DP_OK) {
            (*valid)++;
            continue;
        }
        if (rc == DP_NOMEM || rc == DP_IO) {
            *err = line_err;
            break;
        }
        (*invalid)++;
        if (report)
            fprintf (report, "%s:%zu: %s\n", name, record.line, line_err.text);
        if (array_broken) {
            *err = line_err;
            break;
        }
    }
    dp_submit_input_destroy (&input);
    free (copy);
    return rc == DP_NOTFOUND? DP_OK: rc;
}

size_t
dp_submit_deals_count (dp_submit_deals_t *self)
{
    return self->count;
}

const dp_submit_deal_t *
dp_submit_deals_get (dp_submit_deals_t *self, size_t i)
{
    return i < self->count? &self->items [i]: NULL;
}

const dp_submit_deal_t *
dp_submit_deals_find (dp_submit_deals_t *self, const char *deal_id)
{
    void *found = zhashx_lookup (self->by_id, deal_id);
    return found? &self->items [(size_t) (uintptr_t) found - 1]: NULL;
}

void
dp_submit_deals_destroy (dp_submit_deals_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_submit_deals_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->items [i].body);
    free (self->items);
    zlistx_destroy (&self->names);
    zhashx_destroy (&self->by_id);
    free (self);
    *self_p = NULL;
}
