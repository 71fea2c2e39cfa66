/*  dp_submit_deals.c — read, validate and keep deals for sending. */

#include "dp_submit_deals.h"

#include <czmq.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "dp_deal.h"
#include "dp_idmap.h"
#include "dp_submit_input.h"
#include "dp_text.h"

//  Items live in fixed blocks that never move: growing a single array
//  of ~700-byte items by realloc copied it all on the loading thread
//  while the other cores waited, and an item's address stays valid.
#define S_BLOCK_ITEMS 4096

struct dp_submit_deals_t {
    dp_submit_deal_t **blocks;
    size_t block_count, blocks_cap;
    size_t count, cap;          //  items in use, items the blocks hold
    zlistx_t *names;            //  file names the items point to
    dp_idmap_t *by_id;          //  deal_id -> item (items never move)
};

static const char *
s_item_key (const void *item)
{
    return ((const dp_submit_deal_t *) item)->envelope.deal_id;
}

dp_submit_deals_t *
dp_submit_deals_new (void)
{
    dp_submit_deals_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->names = zlistx_new ();
    self->by_id = dp_idmap_new (s_item_key, 4096);
    if (!self->names || !self->by_id) {
        dp_submit_deals_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->names, (zlistx_destructor_fn *) zstr_free);
    return self;
}

static dp_submit_deal_t *
s_item (dp_submit_deals_t *self, size_t i)
{
    return &self->blocks [i / S_BLOCK_ITEMS][i % S_BLOCK_ITEMS];
}

//  Room for `need` items in all.
static dp_status
s_reserve (dp_submit_deals_t *self, size_t need)
{
    while (self->cap < need) {
        if (self->block_count == self->blocks_cap) {
            size_t cap = self->blocks_cap? 2 * self->blocks_cap: 16;
            dp_submit_deal_t **grown = realloc (self->blocks, cap * sizeof *grown);
            if (!grown)
                return DP_NOMEM;
            self->blocks = grown;
            self->blocks_cap = cap;
        }
        dp_submit_deal_t *block = malloc (S_BLOCK_ITEMS * sizeof *block);
        if (!block)
            return DP_NOMEM;
        self->blocks [self->block_count++] = block;
        self->cap += S_BLOCK_ITEMS;
    }
    return DP_OK;
}

//  A deal id seen before: the same body is a harmless repeat (skipped),
//  another body is an error naming the first line.
static dp_status
s_check_repeat (dp_submit_deals_t *self, const dp_envelope_t *envelope, uint64_t hash,
                dp_error_t *err)
{
    const dp_submit_deal_t *first = dp_idmap_lookup_hashed (self->by_id, envelope->deal_id, hash);
    if (!first)
        return DP_OK;
    if (memcmp (first->envelope.body_sha256, envelope->body_sha256, 32) == 0)
        return DP_EXISTS;
    return dp_error_set (err, DP_INVALID,
        "deal_id: '%s' repeats %s:%zu with different content",
        envelope->deal_id, first->file, first->line);
}

//  Validates one record into item (body malloc'd). Thread-safe: touches
//  nothing shared.
static dp_status
s_validate (const char *text, size_t len, const dp_submit_deals_options_t *options,
            const char *batch, dp_submit_deal_t *item, dp_error_t *err)
{
    //  show_limits: these messages go to the submitter only, who wrote the
    //  values (the worker's own check names the fields only).
    dp_deal_defaults_t defaults = { .assign_deal_id = 1, .show_limits = 1 };
    defaults.batch = options && options->batch? options->batch: batch;
    defaults.buyer_engine = options? options->buyer_engine: NULL;
    defaults.seller_engine = options? options->seller_engine: NULL;
    dp_deal_t *deal = NULL;
    memset (item, 0, sizeof *item);
    dp_status rc = dp_deal_from_json (text, len, &defaults, &deal, err);
    if (rc != DP_OK)
        return rc;
    rc = dp_deal_body (deal, &item->body, &item->body_len, err);
    if (rc == DP_OK)
        dp_deal_envelope (deal, &item->envelope);
    dp_deal_destroy (&deal);
    return rc;
}

//  Appends a validated item (taking its body), unless its id repeats.
//  The caller has reserved room; item may already be the next free place
//  of the array (where loading validates into), or any place after it.
static dp_status
s_append (dp_submit_deals_t *self, dp_submit_deal_t *item, uint64_t hash, size_t line,
          dp_error_t *err)
{
    dp_status rc = s_check_repeat (self, &item->envelope, hash, err);
    if (rc == DP_OK && dp_idmap_reserve (self->by_id, self->count + 1) != 0)
        rc = dp_error_set (err, DP_NOMEM, "out of memory");
    if (rc != DP_OK) {
        free (item->body);
        item->body = NULL;
        return rc == DP_EXISTS? DP_OK: rc;      //  an identical repeat is dropped quietly
    }
    dp_submit_deal_t *place = s_item (self, self->count);
    if (place != item) {
        *place = *item;
        item->body = NULL;
    }
    place->file = zlistx_last (self->names);
    place->line = line;
    dp_idmap_insert_hashed (self->by_id, place, hash);  //  (room reserved above)
    self->count++;
    return DP_OK;
}

dp_status
dp_submit_deals_add (dp_submit_deals_t *self, const char *text, size_t len, const char *file,
                     size_t line, const dp_submit_deals_options_t *options, dp_error_t *err)
{
    if (!zlistx_last (self->names) || strcmp (zlistx_last (self->names), file) != 0)
        if (!zlistx_add_end (self->names, strdup (file)))
            return dp_error_set (err, DP_NOMEM, "out of memory");
    if (s_reserve (self, self->count + 1) != DP_OK)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    dp_submit_deal_t item;
    dp_status rc = s_validate (text, len, options, file, &item, err);
    return rc == DP_OK? s_append (self, &item, dp_text_hash (item.envelope.deal_id), line, err): rc;
}

//  ---------------------------------------------------------------------
//  Loading a file: the reader cuts records on this thread; chunks of them
//  are validated on every core (validation is the costly part: strict
//  parsing, canonical body, hashing), then appended in input order, so
//  messages and ids keep the file's order. Each record is validated
//  straight into the place it takes in the list if every record before
//  it is kept, so the (serial) append moves an item only after a bad or
//  repeated one: copying every ~700-byte envelope there held back the
//  other cores.

#define S_CHUNK_RECORDS 4096
#define S_CHUNK_BYTES   (32u << 20)
#define S_THREADS_MAX   16

typedef struct {
    char *text;                 //  copy of the record, NULL after a reader error
    size_t len, line;
    dp_status rc;               //  reader's or validator's
    dp_error_t err;
    dp_submit_deal_t *item;     //  where it is validated into (in the list's array)
    uint64_t hash;              //  of its deal_id, once valid
} s_slot_t;

//  One chunk's validation. Threads take records S_GRAB at a time from a
//  shared counter, so the loading thread, which first reads the next
//  chunk, still finds work when it joins in, and no thread waits on a
//  slower slice.
#define S_GRAB 16

typedef struct {
    s_slot_t *slots;
    size_t count;
    atomic_size_t next;
    const dp_submit_deals_options_t *options;
    pthread_t ids [S_THREADS_MAX];
    size_t started;
} s_job_t;

static void *
s_validate_slots (void *arg)
{
    s_job_t *job = arg;
    size_t first;
    while ((first = atomic_fetch_add (&job->next, S_GRAB)) < job->count) {
        size_t end = job->count - first > S_GRAB? first + S_GRAB: job->count;
        for (size_t i = first; i < end; i++) {
            s_slot_t *slot = &job->slots [i];
            if (slot->rc == DP_OK)
                slot->rc = s_validate (slot->text, slot->len, job->options, NULL, slot->item,
                                       &slot->err);
            if (slot->rc == DP_OK)
                slot->hash = dp_text_hash (slot->item->envelope.deal_id);
        }
    }
    return NULL;
}

//  Starts a thread on the chunk per core but one (none for a few records:
//  not worth a thread): this thread keeps the last core busy reading the
//  next chunk, then s_job_finish validates what is left here and waits.
static void
s_job_start (s_job_t *job, s_slot_t *slots, size_t count, const dp_submit_deals_options_t *options)
{
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    size_t threads = cores < 1? 1: cores > S_THREADS_MAX? S_THREADS_MAX: (size_t) cores;
    if (threads > count / 64 + 1)
        threads = count / 64 + 1;
    job->slots = slots;
    job->count = count;
    atomic_init (&job->next, 0);
    job->options = options;
    job->started = 0;
    for (size_t t = 1; t < threads; t++) {
        if (pthread_create (&job->ids [job->started], NULL, s_validate_slots, job) != 0)
            break;              //  what no thread takes is done in s_job_finish
        job->started++;
    }
}

static void
s_job_finish (s_job_t *job)
{
    s_validate_slots (job);
    for (size_t t = 0; t < job->started; t++)
        pthread_join (job->ids [t], NULL);
}

//  Points each record at its place in the list's array; if there is no
//  room, the records fail with DP_NOMEM (reported as the load's error).
static void
s_place_chunk (dp_submit_deals_t *self, s_slot_t *slots, size_t count)
{
    int room = s_reserve (self, self->count + count) == DP_OK;
    for (size_t i = 0; i < count; i++) {
        slots [i].item = room? s_item (self, self->count + i): NULL;
        if (!room && slots [i].rc == DP_OK)
            slots [i].rc = dp_error_set (&slots [i].err, DP_NOMEM, "out of memory");
    }
}

typedef struct {
    dp_submit_deals_t *self;
    const char *name;
    FILE *report;
    size_t *valid, *invalid;
} s_load_t;

//  Appends the chunk's good records and reports the bad ones, in order.
//  Returns DP_NOMEM when that stops everything, else DP_OK.
static dp_status
s_merge_chunk (s_load_t *load, s_slot_t *slots, size_t count, dp_error_t *err)
{
    dp_status fatal = DP_OK;
    for (size_t i = 0; i < count; i++) {
        s_slot_t *slot = &slots [i];
        if (slot->rc == DP_OK && fatal == DP_OK)
            slot->rc = s_append (load->self, slot->item, slot->hash, slot->line, &slot->err);
        else
        if (slot->rc == DP_OK) {
            free (slot->item->body);
            slot->item->body = NULL;
        }
        free (slot->text);
        if (fatal != DP_OK)
            continue;
        if (slot->rc == DP_OK)
            (*load->valid)++;
        else
        if (slot->rc == DP_NOMEM) {
            *err = slot->err;
            fatal = DP_NOMEM;
        }
        else {
            (*load->invalid)++;
            if (load->report)
                fprintf (load->report, "%s:%zu: %s\n", load->name, slot->line, slot->err.text);
        }
    }
    return fatal;
}

//  Reads up to a chunk of records into slots; *count is set. Returns the
//  reader's last status: DP_OK (more may follow), DP_NOTFOUND (end), or
//  a fatal DP_IO / DP_INVALID (malformed array, already in a slot).
static dp_status
s_read_chunk (dp_submit_input_t *input, s_slot_t *slots, size_t *count, dp_error_t *err)
{
    size_t bytes = 0;
    *count = 0;
    while (*count < S_CHUNK_RECORDS && bytes < S_CHUNK_BYTES) {
        s_slot_t *slot = &slots [*count];
        dp_submit_record_t record;
        memset (slot, 0, sizeof *slot);
        slot->rc = dp_submit_input_next (input, &record, &slot->err);
        if (slot->rc == DP_NOTFOUND)
            return DP_NOTFOUND;
        if (slot->rc == DP_IO) {
            *err = slot->err;
            return DP_IO;
        }
        slot->line = record.line;
        (*count)++;
        if (slot->rc == DP_INVALID)
            return DP_INVALID;          //  the array is malformed: nothing after it
        if (slot->rc != DP_OK)
            continue;                   //  over-long record: reported in order
        slot->text = malloc (record.len + 1);
        if (!slot->text) {
            (*count)--;
            return dp_error_set (err, DP_NOMEM, "out of memory");
        }
        memcpy (slot->text, record.text, record.len + 1);
        slot->len = record.len;
        bytes += record.len;
    }
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
    //  Two chunks: one is validated while the next one is read.
    s_slot_t *slots [2] = { calloc (S_CHUNK_RECORDS, sizeof (s_slot_t)),
                            calloc (S_CHUNK_RECORDS, sizeof (s_slot_t)) };
    size_t counts [2] = { 0, 0 };
    dp_status reads [2] = { DP_NOTFOUND, DP_NOTFOUND };
    dp_status rc = DP_OK;
    if (!copy || !slots [0] || !slots [1] || !zlistx_add_end (self->names, strdup (name)))
        rc = dp_error_set (err, DP_NOMEM, "out of memory");
    if (!local.batch && copy)
        local.batch = basename (copy);
    s_load_t load = { self, name, report, valid, invalid };
    if (rc == DP_OK)
        reads [0] = s_read_chunk (input, slots [0], &counts [0], err);
    for (int cur = 0; rc == DP_OK; cur = !cur) {
        s_slot_t *chunk = slots [cur];
        size_t count = counts [cur];
        s_job_t job;
        s_place_chunk (self, chunk, count);
        s_job_start (&job, chunk, count, &local);
        counts [!cur] = 0;
        if (reads [cur] == DP_OK)
            reads [!cur] = s_read_chunk (input, slots [!cur], &counts [!cur], err);
        s_job_finish (&job);
        dp_status merged = s_merge_chunk (&load, chunk, count, err);
        if (merged != DP_OK) {
            rc = merged;
            for (size_t i = 0; i < counts [!cur]; i++)
                free (slots [!cur][i].text);        //  read, never to be validated
        }
        else
        if (reads [cur] != DP_OK) {
            rc = reads [cur];
            if (rc == DP_INVALID)
                *err = chunk [count - 1].err;
        }
    }
    free (slots [0]);
    free (slots [1]);
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
    return i < self->count? s_item (self, i): NULL;
}

const dp_submit_deal_t *
dp_submit_deals_find (dp_submit_deals_t *self, const char *deal_id)
{
    return deal_id? dp_idmap_lookup (self->by_id, deal_id): NULL;
}

void
dp_submit_deals_destroy (dp_submit_deals_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_submit_deals_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (s_item (self, i)->body);
    for (size_t b = 0; b < self->block_count; b++)
        free (self->blocks [b]);
    free (self->blocks);
    zlistx_destroy (&self->names);
    dp_idmap_destroy (&self->by_id);
    free (self);
    *self_p = NULL;
}
