/*  dp_submit_input.h — reads deal records from a file or standard input.

    Two formats, told apart by the first non-blank byte (SPEC §1, issue 7):
    - JSON Lines: one deal per line; blank lines are skipped; a trailing
      CR is dropped. A record's `line` is its line number.
    - a JSON array of deals (first byte `[`): each element is handed out
      as its own text; `line` is the line where the element starts.

    The reader does not parse the deals: it only cuts the input into
    records, so a bad record never stops the ones after it. A record
    longer than `record_max` bytes (SPEC §1: one input line 24 MiB) is
    reported as DP_LIMIT for its line and skipped; reading continues.

    A JSON array is cut with a small scanner (strings, escapes, nesting)
    rather than json-c, because json-c gives no source positions and would
    need the whole array in memory; each element is still parsed by
    json-c afterwards.

    Ownership: the reader owns its buffers; a record's text is borrowed
    until the next call to dp_submit_input_next or destroy.
    Threading: one reader per thread. */

#ifndef DP_SUBMIT_INPUT_H_INCLUDED
#define DP_SUBMIT_INPUT_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "dp_status.h"

#define DP_SUBMIT_RECORD_MAX (24u * 1024 * 1024)   //  SPEC §1: one input line

typedef struct dp_submit_input_t dp_submit_input_t;

typedef struct {
    const char *text;       //  the record, NUL-terminated; borrowed
    size_t len;             //  bytes, without the NUL
    size_t line;            //  1-based line where the record starts
    size_t index;           //  0-based position among the file's records
} dp_submit_record_t;

//  Opens path for reading ("-" = standard input). record_max 0 means
//  DP_SUBMIT_RECORD_MAX. Returns NULL with DP_IO (file named) or DP_NOMEM.
dp_submit_input_t *dp_submit_input_open (const char *path, size_t record_max,
                                         dp_error_t *err);

//  Same over an open stream, which stays owned by the caller; name is
//  used in messages (copied).
dp_submit_input_t *dp_submit_input_from_stream (FILE *stream, const char *name,
                                                size_t record_max, dp_error_t *err);

//  Next record. Returns:
//    DP_OK       record filled;
//    DP_NOTFOUND end of input (no record);
//    DP_LIMIT    the record at err's line is too long; it was skipped and the
//                next call continues after it; *record has line set;
//    DP_INVALID  the JSON array is malformed at record->line (e.g. a
//                missing comma); nothing more can be read;
//    DP_IO       read error.
//  err->text names the reason without the file name; the caller prefixes
//  "FILE:LINE:" from dp_submit_input_name and record->line.
dp_status dp_submit_input_next (dp_submit_input_t *self, dp_submit_record_t *record,
                                dp_error_t *err) DP_MUST_CHECK;

//  The name for messages: the path, or "<stdin>". Never NULL.
const char *dp_submit_input_name (dp_submit_input_t *self);

//  True once the input was recognised as a JSON array.
int dp_submit_input_is_array (dp_submit_input_t *self);

//  Closes the file (not a caller's stream) and frees. Idempotent.
void dp_submit_input_destroy (dp_submit_input_t **self_p);

#endif
