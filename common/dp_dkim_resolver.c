/*  dp_dkim_resolver.c — libunbound, validating or not, time-bounded. */

#define _GNU_SOURCE     //  pthread_mutex_clocklock

#include "dp_dkim_resolver.h"
#include "dp_dkim_lookup.h"

#include <stdlib.h>
#include <string.h>

#ifdef DP_HAVE_UNBOUND

#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#define S_TYPE_TXT 16
#define S_CLASS_IN 1

struct dp_dkim_resolver_t {
    struct ub_ctx *ctx;
    int validate;
    int timeout_ms;
    pthread_mutex_t lock;
};

typedef struct {
    int done;
    int err;
    struct ub_result *result;
} s_query_t;

//  ub_process, or a test's stand-in (dp_dkim_resolver_set_process_hook).
static int (*s_process) (struct ub_ctx *ctx) = ub_process;

void
dp_dkim_resolver_set_process_hook (int (*process) (struct ub_ctx *ctx))
{
    s_process = process? process: ub_process;
}

static void
s_on_result (void *arg, int err, struct ub_result *result)
{
    s_query_t *q = arg;
    q->done = 1;
    q->err = err;
    q->result = result;
}

static dp_status
s_configure (dp_dkim_resolver_t *self, const char *anchor, const char *server,
             dp_error_t *err)
{
    int rc = ub_ctx_async (self->ctx, 1);      //  a thread, not a forked process
    //  A configured server, or resolv.conf's (systemd-resolved listens on
    //  127.0.0.53), may well be on loopback.
    if (rc == 0)
        rc = ub_ctx_set_option (self->ctx, "do-not-query-localhost:", "no");
    if (rc == 0 && server) {
        rc = ub_ctx_set_fwd (self->ctx, server);
        if (rc != 0)
            return dp_error_set (err, DP_INVALID, "dns server %s: %s", server, ub_strerror (rc));
    }
    else
    if (rc == 0 && !self->validate)
        rc = ub_ctx_resolvconf (self->ctx, NULL);
    if (rc == 0 && self->validate) {
        if (access (anchor, R_OK) != 0)
            return dp_error_set (err, DP_IO, "trust anchor %s: cannot read", anchor);
        rc = ub_ctx_add_ta_file (self->ctx, anchor);
    }
    if (rc != 0)
        return dp_error_set (err, DP_INVALID, "resolver: %s", ub_strerror (rc));
    return DP_OK;
}

dp_dkim_resolver_t *
dp_dkim_resolver_new (int validate, const char *anchor_file, const char *server,
                      int timeout_ms, dp_error_t *err)
{
    dp_dkim_resolver_t *self = calloc (1, sizeof *self);
    if (!self || !(self->ctx = ub_ctx_create ())) {
        free (self);
        dp_error_set (err, DP_NOMEM, "resolver: cannot create a libunbound context");
        return NULL;
    }
    self->validate = validate;
    self->timeout_ms = timeout_ms;
    pthread_mutex_init (&self->lock, NULL);
    if (s_configure (self, anchor_file? anchor_file: DP_DKIM_ROOT_ANCHOR, server, err) != DP_OK)
        dp_dkim_resolver_destroy (&self);
    return self;
}

void
dp_dkim_resolver_destroy (dp_dkim_resolver_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ub_ctx_delete ((*self_p)->ctx);
    pthread_mutex_destroy (&(*self_p)->lock);
    free (*self_p);
    *self_p = NULL;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Takes the lock, waiting no later than deadline (CLOCK_MONOTONIC ms): a
//  lookup queued behind others on a dead resolver must not outlive its own
//  time limit.
static dp_status
s_lock (dp_dkim_resolver_t *self, int64_t deadline, int limit_ms, dp_error_t *err)
{
    struct timespec until = { .tv_sec = deadline / 1000,
                              .tv_nsec = (long) (deadline % 1000) * 1000000 };
    if (pthread_mutex_clocklock (&self->lock, CLOCK_MONOTONIC, &until) == 0)
        return DP_OK;
    return dp_error_set (err, DP_TIMEOUT, "resolver: busy with other lookups for %d ms",
                         limit_ms);
}

//  Runs one query to completion or the deadline. Caller holds the lock.
static dp_status
s_resolve (dp_dkim_resolver_t *self, const char *name, int64_t deadline, int limit_ms,
           s_query_t *q, dp_error_t *err)
{
    int id = 0;
    int rc = ub_resolve_async (self->ctx, name, S_TYPE_TXT, S_CLASS_IN, q, s_on_result, &id);
    if (rc != 0)
        return dp_error_set (err, DP_UNREACHABLE, "resolver: %s", ub_strerror (rc));
    while (!q->done) {
        int64_t left = deadline - s_now_ms ();
        if (left <= 0) {
            ub_cancel (self->ctx, id);
            return dp_error_set (err, DP_TIMEOUT, "resolver: no answer within %d ms",
                                 limit_ms);
        }
        struct pollfd pfd = { .fd = ub_fd (self->ctx), .events = POLLIN };
        if (poll (&pfd, 1, (int) left) > 0 && s_process (self->ctx) != 0) {
            //  The query still points at q, on the caller's stack: cancel
            //  it, or a later ub_process would deliver its answer into a
            //  dead frame (the next lookup's, as likely as not).
            ub_cancel (self->ctx, id);
            return dp_error_set (err, DP_UNREACHABLE, "resolver: processing failed");
        }
    }
    if (q->err != 0)
        return dp_error_set (err, DP_UNREACHABLE, "resolver: %s", ub_strerror (q->err));
    return DP_OK;
}

static dp_status
s_read_result (dp_dkim_resolver_t *self, struct ub_result *r, char **txt, size_t *len,
               dp_error_t *err)
{
    if (r->bogus)
        return dp_error_set (err, DP_CRYPTO, "DNSSEC: bogus answer (%s)",
                             r->why_bogus? r->why_bogus: "validation failed");
    if (self->validate && !r->secure)
        return dp_error_set (err, DP_CRYPTO, "DNSSEC: answer is insecure (no chain to the "
                             "trust anchor)");
    if (r->rcode == 3)
        return dp_error_set (err, DP_NOTFOUND, "NXDOMAIN");
    if (r->rcode != 0)
        return dp_error_set (err, DP_UNREACHABLE, "resolver answered rcode %d%s", r->rcode,
                             r->rcode == 2? " (SERVFAIL)": "");
    if (!r->havedata || !r->data [0])
        return dp_error_set (err, DP_NOTFOUND, "no TXT record");
    if (r->data [1])
        return dp_error_set (err, DP_INVALID, "more than one TXT record");
    size_t rdlen = (size_t) r->len [0], n = 0;
    const unsigned char *rd = (const unsigned char *) r->data [0];
    char *out = malloc (rdlen + 1);
    if (!out)
        return dp_error_set (err, DP_NOMEM, "resolver: out of memory");
    for (size_t i = 0; i < rdlen;) {
        size_t chunk = rd [i++];
        if (i + chunk > rdlen) {
            free (out);
            return dp_error_set (err, DP_PROTO, "TXT string overruns its record");
        }
        memcpy (out + n, rd + i, chunk);
        n += chunk;
        i += chunk;
    }
    out [n] = '\0';
    *txt = out;
    *len = n;
    return DP_OK;
}

dp_status
dp_dkim_resolver_txt (dp_dkim_resolver_t *self, const char *name, int timeout_ms, char **txt,
                      size_t *len, dp_error_t *err)
{
    int limit = timeout_ms > 0 && timeout_ms < self->timeout_ms? timeout_ms: self->timeout_ms;
    int64_t deadline = s_now_ms () + limit;
    s_query_t q = { 0, 0, NULL };
    dp_status rc = s_lock (self, deadline, limit, err);
    if (rc != DP_OK)
        return rc;
    rc = s_resolve (self, name, deadline, limit, &q, err);
    pthread_mutex_unlock (&self->lock);
    if (rc == DP_OK)
        rc = s_read_result (self, q.result, txt, len, err);
    if (q.result)
        ub_resolve_free (q.result);
    return rc;
}

#else   //  built without libunbound: the DNS paths are absent

struct dp_dkim_resolver_t {
    int unused;
};

dp_dkim_resolver_t *
dp_dkim_resolver_new (int validate, const char *anchor_file, const char *server,
                      int timeout_ms, dp_error_t *err)
{
    dp_error_set (err, DP_UNSUPPORTED, "dns/dnssec key paths need libunbound, "
                  "absent from this build");
    return NULL;
}

void
dp_dkim_resolver_destroy (dp_dkim_resolver_t **self_p)
{
    if (self_p)
        *self_p = NULL;
}

dp_status
dp_dkim_resolver_txt (dp_dkim_resolver_t *self, const char *name, int timeout_ms, char **txt,
                      size_t *len, dp_error_t *err)
{
    return dp_error_set (err, DP_UNSUPPORTED, "dns lookups need libunbound");
}

void
dp_dkim_resolver_set_process_hook (int (*process) (struct ub_ctx *ctx))
{
}

#endif
