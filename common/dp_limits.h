/*  dp_limits.h — the one table of input limits (SPEC §1).

    Every buffer or list fed from outside has a maximum; past it the input
    is refused with an error naming the field and the limit
    ("buyer_requirements: 70000 bytes exceeds the limit of 65536 bytes
    (string_max)"). The table is an X-macro: one line gives the field, its
    default, its unit, the flag and environment variable a program may
    expose, and the help text, so the defaults are written in one place.

    SPEC §1 limits: deal body 16 MiB; decoded email 10 MiB; chunk hashes
    200,000; any other string 64 KiB; one input line 24 MiB (a 16 MiB body
    whose email is base64 inflates by 4/3, plus framing); one submit batch
    10,000 deals or 32 MiB; wire frame 64 MiB (always larger than a batch
    plus its framing, checked by dp_limits_check). Our additions: options per
    terms list 64 (a deal may name at most 64 scopes and 64 durations: the
    packages are their product), and money at most 1,000,000,000,000.00
    (10^14 cents: every amount up to it prints exactly as cents / 100 in a
    double, whose spacing stays below one cent there).

    Usage: a program copies dp_limits_default() into its own dp_limits_t,
    applies flags or environment values with dp_limits_set, validates with
    dp_limits_check and passes a pointer to the functions that take limits.
    A dp_limits_t is a plain value; reads are thread-safe. */

#ifndef DP_LIMITS_H_INCLUDED
#define DP_LIMITS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

#define DP_KIB ((uint64_t) 1024)
#define DP_MIB (1024 * DP_KIB)

//  X (field, default, unit, flag, env, help)
#define DP_LIMITS_MAP(X) \
    X (deal_body_max,    16 * DP_MIB, "bytes", "limit-deal-body", "DP_LIMIT_DEAL_BODY", \
       "largest deal body (input JSON and its canonical form)") \
    X (email_max,        10 * DP_MIB, "bytes", "limit-email", "DP_LIMIT_EMAIL", \
       "largest decoded seller_email_eml") \
    X (chunk_hashes_max, 200000,      "entries", "limit-chunk-hashes", "DP_LIMIT_CHUNK_HASHES", \
       "most seller_proof.chunk_hashes") \
    X (string_max,       64 * DP_KIB, "bytes", "limit-string", "DP_LIMIT_STRING", \
       "longest other string in a deal") \
    X (line_max,         24 * DP_MIB, "bytes", "limit-line", "DP_LIMIT_LINE", \
       "longest input line (JSON Lines)") \
    X (batch_deals_max,  10000,       "deals", "limit-batch-deals", "DP_LIMIT_BATCH_DEALS", \
       "most deals in one submit batch") \
    X (batch_bytes_max,  32 * DP_MIB, "bytes", "limit-batch-bytes", "DP_LIMIT_BATCH_BYTES", \
       "largest submit batch (sum of bodies)") \
    X (frame_max,        64 * DP_MIB, "bytes", "limit-frame", "DP_LIMIT_FRAME", \
       "largest wire frame") \
    X (terms_options_max, 64,         "entries", "limit-terms-options", "DP_LIMIT_TERMS_OPTIONS", \
       "most entries in terms_options.access_scope or .duration_days") \
    X (money_cents_max,  100000000000000ULL, "cents", "limit-money", "DP_LIMIT_MONEY", \
       "largest amount of money, in cents")

typedef struct {
#define DP_LIMITS_FIELD(field, def, unit, flag, env, help) uint64_t field;
    DP_LIMITS_MAP (DP_LIMITS_FIELD)
#undef DP_LIMITS_FIELD
} dp_limits_t;

//  One row of the table, for programs that list limits as options.
typedef struct {
    const char *name;           //  the field name, e.g. "string_max"
    const char *flag;           //  e.g. "limit-string" (a program adds "--")
    const char *env;            //  e.g. "DP_LIMIT_STRING"
    const char *unit;           //  "bytes", "entries", "deals", "cents"
    const char *help;
    uint64_t default_value;
} dp_limits_row_t;

//  The defaults above; a static value, never NULL.
const dp_limits_t *dp_limits_default (void);

//  The rows of the table and their count (static storage).
const dp_limits_row_t *dp_limits_rows (size_t *count);

//  Sets the limit named by its field name or flag from text: a decimal
//  integer >= 1 with an optional suffix KiB/MiB/GiB (or K/M/G, powers of
//  1024). DP_INVALID naming the limit on an unknown name or bad value.
dp_status dp_limits_set (dp_limits_t *limits, const char *name, const char *text,
                         dp_error_t *err) DP_MUST_CHECK;

//  Checks the relations between limits: frame_max must exceed
//  batch_bytes_max plus framing (1 KiB per deal + 64 KiB), line_max must be
//  at least deal_body_max. DP_INVALID naming both limits otherwise.
dp_status dp_limits_check (const dp_limits_t *limits, dp_error_t *err) DP_MUST_CHECK;

//  The field name of a limit given a pointer to it inside limits (for
//  messages); "limit" if it does not point into the struct.
const char *dp_limits_name (const dp_limits_t *limits, const uint64_t *field);

//  Formats the standard error for `field` having `got` units where
//  `*limit` allows fewer, e.g. "buyer_requirements: 70000 bytes exceeds the
//  limit of 65536 bytes (string_max)". Returns DP_LIMIT. err may be NULL.
dp_status dp_limits_exceeded (dp_error_t *err, const char *field, uint64_t got,
                              const dp_limits_t *limits, const uint64_t *limit);

#endif
