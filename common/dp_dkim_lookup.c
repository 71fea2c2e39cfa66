/*  dp_dkim_lookup.c — lookup path dispatch and the parsed-key cache. */

#include "dp_dkim_lookup.h"
#include "dp_dkim_doh.h"
#include "dp_dkim_resolver.h"
#include "dp_dkim_zone.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  The cache maps record text to its parsed key. Keys are a few hundred
//  bytes; 512 entries cover every selector a deployment meets between
//  restarts. When full the cache is emptied (simple and bounded).
#define S_CACHE_SLOTS 512

typedef struct {
    char *txt;
    size_t len;
    dp_dkim_key_t *key;
} s_entry_t;

struct dp_dkim_lookup_t {
    dp_dkim_path_t path;
    int timeout_ms;
    dp_dkim_zone_t *zone;
    dp_dkim_doh_t *doh;
    dp_dkim_resolver_t *resolver;
    pthread_mutex_t lock;
    size_t used;
    s_entry_t cache [S_CACHE_SLOTS];
};

const char *
dp_dkim_path_name (dp_dkim_path_t path)
{
    switch (path) {
        case DP_DKIM_PATH_FILE:   return "file";
        case DP_DKIM_PATH_DOH:    return "doh";
        case DP_DKIM_PATH_DNSSEC: return "dnssec";
        case DP_DKIM_PATH_DNS:    return "dns";
    }
    return "unknown";
}

static dp_status
s_open_backend (dp_dkim_lookup_t *self, const dp_dkim_lookup_options_t *o, dp_error_t *err)
{
    int timeout = o->timeout_ms > 0? o->timeout_ms: DP_DKIM_LOOKUP_TIMEOUT_MS;
    switch (o->path) {
        case DP_DKIM_PATH_FILE:
            if (!o->zone_file && !o->zone_text)
                return dp_error_set (err, DP_INVALID, "keys: no zone file given");
            self->zone = o->zone_file? dp_dkim_zone_new (o->zone_file, err):
                dp_dkim_zone_new_from_text (o->zone_text, o->zone_text_len, "keys", err);
            return self->zone? DP_OK: err? err->code: DP_INVALID;
        case DP_DKIM_PATH_DOH:
            self->doh = dp_dkim_doh_new (o->doh_url, o->ca_file, timeout, err);
            return self->doh? DP_OK: err? err->code: DP_INVALID;
        case DP_DKIM_PATH_DNSSEC:
        case DP_DKIM_PATH_DNS:
            self->resolver = dp_dkim_resolver_new (o->path == DP_DKIM_PATH_DNSSEC,
                                                   o->trust_anchor_file, o->server,
                                                   timeout, err);
            return self->resolver? DP_OK: err? err->code: DP_INVALID;
    }
    return dp_error_set (err, DP_INVALID, "key path: unknown (%d)", (int) o->path);
}

dp_dkim_lookup_t *
dp_dkim_lookup_new (const dp_dkim_lookup_options_t *options, dp_error_t *err)
{
    dp_dkim_lookup_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "key path: out of memory");
        return NULL;
    }
    self->path = options->path;
    self->timeout_ms = options->timeout_ms > 0? options->timeout_ms: DP_DKIM_LOOKUP_TIMEOUT_MS;
    pthread_mutex_init (&self->lock, NULL);
    if (s_open_backend (self, options, err) != DP_OK)
        dp_dkim_lookup_destroy (&self);
    return self;
}

static void
s_cache_clear (dp_dkim_lookup_t *self)
{
    for (size_t i = 0; i < self->used; i++) {
        free (self->cache [i].txt);
        dp_dkim_key_destroy (&self->cache [i].key);
    }
    self->used = 0;
}

void
dp_dkim_lookup_destroy (dp_dkim_lookup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_dkim_lookup_t *self = *self_p;
    s_cache_clear (self);
    dp_dkim_zone_destroy (&self->zone);
    dp_dkim_doh_destroy (&self->doh);
    dp_dkim_resolver_destroy (&self->resolver);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

dp_dkim_path_t
dp_dkim_lookup_path (const dp_dkim_lookup_t *self)
{
    return self->path;
}

int
dp_dkim_lookup_authenticated (const dp_dkim_lookup_t *self)
{
    return self->path == DP_DKIM_PATH_DOH || self->path == DP_DKIM_PATH_DNSSEC;
}

int
dp_dkim_lookup_timeout_ms (const dp_dkim_lookup_t *self)
{
    return self->timeout_ms;
}

int64_t
dp_dkim_lookup_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

dp_status
dp_dkim_lookup_txt (dp_dkim_lookup_t *self, const char *name, int64_t deadline_ms,
                    char **txt, size_t *len, dp_error_t *err)
{
    *txt = NULL;
    *len = 0;
    if (self->zone)
        return dp_dkim_zone_txt (self->zone, name, txt, len, err);
    int64_t left = deadline_ms > 0? deadline_ms - dp_dkim_lookup_clock_ms (): self->timeout_ms;
    if (left <= 0)
        return dp_error_set (err, DP_TIMEOUT, "no time left for key lookups");
    int limit = left < self->timeout_ms? (int) left: self->timeout_ms;
    if (self->doh)
        return dp_dkim_doh_txt (self->doh, name, limit, txt, len, err);
    return dp_dkim_resolver_txt (self->resolver, name, limit, txt, len, err);
}

//  Returns a new reference to the cached key for txt, or NULL.
static dp_dkim_key_t *
s_cache_get (dp_dkim_lookup_t *self, const char *txt, size_t len)
{
    dp_dkim_key_t *key = NULL;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < self->used && !key; i++)
        if (self->cache [i].len == len && memcmp (self->cache [i].txt, txt, len) == 0)
            key = dp_dkim_key_ref (self->cache [i].key);
    pthread_mutex_unlock (&self->lock);
    return key;
}

static void
s_cache_put (dp_dkim_lookup_t *self, const char *txt, size_t len, dp_dkim_key_t *key)
{
    char *copy = malloc (len + 1);
    if (!copy)
        return;     //  caching is an optimisation; skip it
    memcpy (copy, txt, len + 1);
    pthread_mutex_lock (&self->lock);
    if (self->used == S_CACHE_SLOTS)
        s_cache_clear (self);
    self->cache [self->used++] = (s_entry_t) { copy, len, dp_dkim_key_ref (key) };
    pthread_mutex_unlock (&self->lock);
}

dp_status
dp_dkim_lookup_key (dp_dkim_lookup_t *self, const char *name, int64_t deadline_ms,
                    dp_dkim_key_t **key, dp_error_t *err)
{
    *key = NULL;
    char *txt = NULL;
    size_t len = 0;
    dp_status rc = dp_dkim_lookup_txt (self, name, deadline_ms, &txt, &len, err);
    if (rc != DP_OK)
        return rc;
    *key = s_cache_get (self, txt, len);
    if (!*key) {
        rc = dp_dkim_key_parse (txt, len, key, err);
        if (rc == DP_OK)
            s_cache_put (self, txt, len, *key);
    }
    free (txt);
    return rc;
}
