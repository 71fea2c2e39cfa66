/*  dp_eventlog.c — a dstack TDX event log: parsed, checked, replayed. */

#include "dp_eventlog.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_json.h"

struct dp_eventlog_t {
    dp_eventlog_event_t *events;
    size_t count;
};

//  JSON nesting of a log: an array of flat objects.
#define S_DEPTH 4

static void
s_sha384 (const void *a, size_t a_len, const void *b, size_t b_len,
          uint8_t out [DP_EVENTLOG_DIGEST_SIZE])
{
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    //  Only allocation can fail here; a zero digest then never matches.
    if (!ctx || !EVP_DigestInit_ex (ctx, EVP_sha384 (), NULL) || !EVP_DigestUpdate (ctx, a, a_len)
        || !EVP_DigestUpdate (ctx, b, b_len) || !EVP_DigestFinal_ex (ctx, out, &len))
        memset (out, 0, DP_EVENTLOG_DIGEST_SIZE);
    EVP_MD_CTX_free (ctx);
}

//  dstack's v1 digest: SHA-384(u32le(type) ‖ ":" ‖ name ‖ ":" ‖ payload).
static void
s_digest_v1 (const dp_eventlog_event_t *e, uint8_t out [DP_EVENTLOG_DIGEST_SIZE])
{
    size_t name_len = strlen (e->name);
    size_t len = 4 + 1 + name_len + 1;
    uint8_t *head = malloc (len);
    if (!head) {
        memset (out, 0, DP_EVENTLOG_DIGEST_SIZE);
        return;
    }
    for (int i = 0; i < 4; i++)
        head [i] = (uint8_t) (e->event_type >> (8 * i));
    head [4] = ':';
    memcpy (head + 5, e->name, name_len);
    head [5 + name_len] = ':';
    s_sha384 (head, len, e->payload, e->payload_len, out);
    free (head);
}

//  v2: SHA-384 of {"name": name, "payload": hex, "type": type} as
//  canonical JSON (sorted keys, no spaces).
static void
s_digest_v2 (const dp_eventlog_event_t *e, uint8_t out [DP_EVENTLOG_DIGEST_SIZE])
{
    memset (out, 0, DP_EVENTLOG_DIGEST_SIZE);
    char *hex = malloc (2 * e->payload_len + 1);
    json_object *doc = json_object_new_object ();
    if (hex && doc) {
        dp_hex_encode (e->payload, e->payload_len, hex);
        json_object_object_add (doc, "name", json_object_new_string (e->name));
        json_object_object_add (doc, "payload", json_object_new_string (hex));
        json_object_object_add (doc, "type", json_object_new_int64 (e->event_type));
        char *text = NULL;
        size_t len = 0;
        if (dp_json_canonical (doc, &text, &len, NULL) == DP_OK)
            s_sha384 (text, len, "", 0, out);
        free (text);
    }
    json_object_put (doc);
    free (hex);
}

//  An unsigned integer member at most max.
static dp_status
s_uint (json_object *entry, size_t index, const char *key, uint64_t max, uint64_t *out,
        dp_error_t *err)
{
    json_object *value;
    if (!json_object_object_get_ex (entry, key, &value) || !json_object_is_type (value, json_type_int))
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: %s: expected an integer", index, key);
    int64_t v = json_object_get_int64 (value);
    uint64_t u = json_object_get_uint64 (value);
    if (v < 0 || u > max)
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: %s: %llu is out of range (0..%llu)",
                             index, key, (unsigned long long) u, (unsigned long long) max);
    *out = u;
    return DP_OK;
}

//  A string member; absent is "" when optional.
static dp_status
s_string (json_object *entry, size_t index, const char *key, int optional, const char **out,
          size_t *len, dp_error_t *err)
{
    json_object *value;
    if (!json_object_object_get_ex (entry, key, &value) || !value) {
        if (!optional)
            return dp_error_set (err, DP_INVALID, "event_log[%zu]: %s: missing", index, key);
        *out = "";
        *len = 0;
        return DP_OK;
    }
    if (!json_object_is_type (value, json_type_string))
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: %s: expected a string", index, key);
    *out = json_object_get_string (value);
    *len = (size_t) json_object_get_string_len (value);
    return DP_OK;
}

static dp_status
s_read_event (json_object *entry, size_t index, dp_eventlog_event_t *e, dp_error_t *err)
{
    if (!json_object_is_type (entry, json_type_object))
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: expected an object", index);
    uint64_t imr, type;
    dp_status rc = s_uint (entry, index, "imr", 3, &imr, err);
    if (rc == DP_OK)
        rc = s_uint (entry, index, "event_type", UINT32_MAX, &type, err);
    if (rc != DP_OK)
        return rc;
    e->imr = (uint32_t) imr;
    e->event_type = (uint32_t) type;
    const char *text = NULL;
    size_t len = 0;
    if ((rc = s_string (entry, index, "digest", 0, &text, &len, err)) != DP_OK)
        return rc;
    if (len != 2 * DP_EVENTLOG_DIGEST_SIZE
        || dp_hex_decode (text, len, e->digest, DP_EVENTLOG_DIGEST_SIZE, NULL) != DP_OK)
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: digest: expected %d hex digits",
                             index, 2 * DP_EVENTLOG_DIGEST_SIZE);
    if ((rc = s_string (entry, index, "event", 1, &text, &len, err)) != DP_OK)
        return rc;
    if (memchr (text, '\0', len))
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: event: holds a NUL", index);
    if (!(e->name = strdup (text)))
        return dp_error_set (err, DP_NOMEM, "out of memory");
    if ((rc = s_string (entry, index, "event_payload", 1, &text, &len, err)) != DP_OK)
        return rc;
    if (len % 2)
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: event_payload: odd number of hex digits",
                             index);
    uint8_t *payload = malloc (len / 2 + 1);
    if (!payload)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    e->payload = payload;
    e->payload_len = len / 2;
    if (dp_hex_decode (text, len, payload, len / 2, NULL) != DP_OK)
        return dp_error_set (err, DP_INVALID, "event_log[%zu]: event_payload: not hex", index);
    if (e->imr == 3 && e->event_type == DP_EVENTLOG_RUNTIME_TYPE) {
        uint8_t v1 [DP_EVENTLOG_DIGEST_SIZE], v2 [DP_EVENTLOG_DIGEST_SIZE];
        s_digest_v1 (e, v1);
        s_digest_v2 (e, v2);
        if (memcmp (v1, e->digest, sizeof v1) != 0 && memcmp (v2, e->digest, sizeof v2) != 0)
            return dp_error_set (err, DP_INVALID, "event_log[%zu] (%s): digest does not match "
                                 "its name and payload", index, e->name);
        e->payload_checked = 1;
    }
    return DP_OK;
}

dp_status
dp_eventlog_parse (const char *text, size_t len, dp_eventlog_t **out, dp_error_t *err)
{
    *out = NULL;
    json_object *doc = NULL;
    dp_status rc = dp_json_parse_depth (text, len, S_DEPTH, &doc, err);
    if (rc != DP_OK)
        return dp_error_prefix (err, "event_log"), rc;
    //  dstack sends the array as a JSON string: decode it once more.
    if (doc && json_object_is_type (doc, json_type_string)) {
        json_object *inner = NULL;
        rc = dp_json_parse_depth (json_object_get_string (doc),
                                  (size_t) json_object_get_string_len (doc), S_DEPTH, &inner, err);
        json_object_put (doc);
        if (rc != DP_OK)
            return dp_error_prefix (err, "event_log (inside its string)"), rc;
        doc = inner;
    }
    if (!doc || !json_object_is_type (doc, json_type_array)) {
        json_object_put (doc);
        return dp_error_set (err, DP_INVALID, "event_log: expected a JSON array of events");
    }
    size_t count = json_object_array_length (doc);
    if (count > DP_EVENTLOG_EVENTS_MAX) {
        json_object_put (doc);
        return dp_error_set (err, DP_LIMIT, "event_log: %zu events, the limit is %d", count,
                             DP_EVENTLOG_EVENTS_MAX);
    }
    dp_eventlog_t *self = calloc (1, sizeof *self);
    if (self)
        self->events = calloc (count? count: 1, sizeof *self->events);
    if (!self || !self->events) {
        dp_eventlog_destroy (&self);
        json_object_put (doc);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < count && rc == DP_OK; i++) {
        rc = s_read_event (json_object_array_get_idx (doc, i), i, &self->events [i], err);
        self->count = i + 1;        //  what the destructor must free
    }
    json_object_put (doc);
    if (rc != DP_OK) {
        dp_eventlog_destroy (&self);
        return rc;
    }
    *out = self;
    return DP_OK;
}

void
dp_eventlog_destroy (dp_eventlog_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_eventlog_t *self = *self_p;
    for (size_t i = 0; self->events && i < self->count; i++) {
        free ((char *) self->events [i].name);
        free ((uint8_t *) self->events [i].payload);
    }
    free (self->events);
    free (self);
    *self_p = NULL;
}

size_t
dp_eventlog_count (const dp_eventlog_t *self)
{
    return self->count;
}

const dp_eventlog_event_t *
dp_eventlog_event (const dp_eventlog_t *self, size_t index)
{
    return index < self->count? &self->events [index]: NULL;
}

void
dp_eventlog_replay (const dp_eventlog_t *self, uint8_t rtmr [4][DP_EVENTLOG_DIGEST_SIZE])
{
    memset (rtmr, 0, 4 * DP_EVENTLOG_DIGEST_SIZE);
    for (size_t i = 0; i < self->count; i++) {
        const dp_eventlog_event_t *e = &self->events [i];
        s_sha384 (rtmr [e->imr], DP_EVENTLOG_DIGEST_SIZE, e->digest, DP_EVENTLOG_DIGEST_SIZE,
                  rtmr [e->imr]);
    }
}

dp_status
dp_eventlog_check_quote (const dp_eventlog_t *self, const dp_quote_t *quote, dp_error_t *err)
{
    if (quote->body_type != DP_QUOTE_BODY_TD10 && quote->body_type != DP_QUOTE_BODY_TD15)
        return dp_error_set (err, DP_INVALID, "event_log: the quote has no TD report (no RTMRs)");
    uint8_t rtmr [4][DP_EVENTLOG_DIGEST_SIZE];
    dp_eventlog_replay (self, rtmr);
    for (int i = 0; i < 4; i++)
        if (memcmp (rtmr [i], quote->td.rtmr [i], DP_EVENTLOG_DIGEST_SIZE) != 0) {
            char replayed [2 * DP_EVENTLOG_DIGEST_SIZE + 1], quoted [2 * DP_EVENTLOG_DIGEST_SIZE + 1];
            dp_hex_encode (rtmr [i], DP_EVENTLOG_DIGEST_SIZE, replayed);
            dp_hex_encode (quote->td.rtmr [i], DP_EVENTLOG_DIGEST_SIZE, quoted);
            return dp_error_set (err, DP_INVALID, "event_log: rtmr%d replays to %.16s…, the quote has %.16s…",
                                 i, replayed, quoted);
        }
    return DP_OK;
}

const uint8_t *
dp_eventlog_runtime (const dp_eventlog_t *self, const char *name, size_t *len)
{
    for (size_t i = self->count; i-- > 0;) {
        const dp_eventlog_event_t *e = &self->events [i];
        if (e->imr == 3 && e->event_type == DP_EVENTLOG_RUNTIME_TYPE && strcmp (e->name, name) == 0) {
            *len = e->payload_len;
            return e->payload;
        }
    }
    return NULL;
}
