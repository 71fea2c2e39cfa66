/*  dp_dkim_zone.h — DKIM key records from a local file (the `file` path).

    The format is the corpus's zone.txt: one line per DNS name,

        selector._domainkey.domain TXT "chunk" ["chunk" ...]

    chunks concatenated with no separator (as DNS TXT strings are, RFC 6376
    s3.6.2.2), `#` starting a comment line, names compared without case and
    without a trailing dot. Inside a chunk a backslash escapes the next
    octet. A name listed on two lines has two TXT records.

    The file is read once by dp_dkim_zone_new; afterwards the object is
    read-only and safe to share between threads. */

#ifndef DP_DKIM_ZONE_H_INCLUDED
#define DP_DKIM_ZONE_H_INCLUDED

#include <stddef.h>

#include "dp_status.h"

typedef struct dp_dkim_zone_t dp_dkim_zone_t;

//  Loads path. NULL on error with "path:line: reason" in err (DP_IO when
//  the file cannot be read, DP_INVALID for a bad line, DP_LIMIT past
//  100,000 lines or 16 MiB).
dp_dkim_zone_t *dp_dkim_zone_new (const char *path, dp_error_t *err);

//  Loads from memory (same format); text is copied.
dp_dkim_zone_t *dp_dkim_zone_new_from_text (const char *text, size_t len,
                                            const char *label, dp_error_t *err);

void dp_dkim_zone_destroy (dp_dkim_zone_t **self_p);

//  The TXT record at name (any case, trailing dot allowed). DP_OK with a
//  malloc'd NUL-terminated copy in *txt (caller frees) and its length;
//  DP_NOTFOUND if the name is not listed; DP_INVALID if it has more than
//  one record (RFC 6376 s3.6.2.2: the result is undefined, so refuse).
dp_status dp_dkim_zone_txt (dp_dkim_zone_t *self, const char *name, char **txt,
                            size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  Number of records loaded.
size_t dp_dkim_zone_size (const dp_dkim_zone_t *self);

#endif
