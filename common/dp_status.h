/*  dp_status.h — the project's one table of status codes, and error details.

    Every fallible function in DealProof returns a dp_status (DP_OK = 0) and,
    where the caller needs to know more, fills a dp_error_t with a message
    that names the field, line or step and the reason ("buyer_budget: must
    be greater than 0"). Library error codes (LMDB, ZeroMQ, OpenSSL, curl)
    are translated inside the module that wraps the library.

    The table is an X-macro (libuv's habit): one line gives the enum, the
    stable name and the default message. */

#ifndef DP_STATUS_H_INCLUDED
#define DP_STATUS_H_INCLUDED

#include <stdarg.h>
#include <stddef.h>

#define DP_STATUS_MAP(X) \
    X (OK,          "ok",          "success") \
    X (INVALID,     "invalid",     "invalid input") \
    X (LIMIT,       "limit",       "input exceeds a limit") \
    X (NOMEM,       "nomem",       "out of memory") \
    X (IO,          "io",          "input/output error") \
    X (NOTFOUND,    "notfound",    "not found") \
    X (EXISTS,      "exists",      "already exists with different content") \
    X (PROTO,       "proto",       "protocol error") \
    X (CRYPTO,      "crypto",      "cryptographic check failed") \
    X (TIMEOUT,     "timeout",     "timed out") \
    X (UNREACHABLE, "unreachable", "peer unreachable") \
    X (FULL,        "full",        "queue full") \
    X (STALE,       "stale",       "stale lease") \
    X (UNSUPPORTED, "unsupported", "unsupported") \
    X (INTERNAL,    "internal",    "internal error")

typedef enum {
#define DP_STATUS_ENUM(name, str, msg) DP_##name,
    DP_STATUS_MAP (DP_STATUS_ENUM)
#undef DP_STATUS_ENUM
    DP_STATUS_COUNT
} dp_status;

//  A fallible function whose status must not be ignored.
#define DP_MUST_CHECK __attribute__ ((warn_unused_result))

//  Details of a failure. Lives on the caller's stack; no allocation.
#define DP_ERROR_TEXT_MAX 512
typedef struct {
    dp_status code;
    char text [DP_ERROR_TEXT_MAX];
} dp_error_t;

//  Stable lower-case name of a status ("invalid"); never NULL.
const char *dp_status_name (dp_status code);

//  Default human message of a status; never NULL.
const char *dp_status_message (dp_status code);

//  Clears an error to DP_OK and empty text. err may be NULL.
void dp_error_clear (dp_error_t *err);

//  Sets code and a printf-formatted message, returns code so callers can
//  write `return dp_error_set (err, DP_INVALID, "%s: ...", field)`.
//  err may be NULL (then only the code is returned).
dp_status dp_error_set (dp_error_t *err, dp_status code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Prepends "prefix: " to an existing message (e.g. a line number or the
//  name of an enclosing field). Returns err->code.
dp_status dp_error_prefix (dp_error_t *err, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
