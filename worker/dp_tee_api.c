/*  dp_tee_api.c — dstack / tappd guest-agent requests over libcurl. */

#include "dp_tee_api.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <secp256k1.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_log.h"
#include "dp_tee.h"

struct dp_tee_api_t {
    char *endpoint;
    int is_url;
    dp_tee_api_kind kind;
    int timeout_ms;
    atomic_int no_raw_quote;    //  tappd answered RawQuote with a 4xx once
};

typedef struct {
    char *data;
    size_t len;
    int too_big;
} s_buffer_t;

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s_curl_status = CURLE_OK;

static void
s_curl_init (void)
{
    s_curl_status = curl_global_init (CURL_GLOBAL_DEFAULT);
}

//  --------------------------------------------------------------------------
//  Transport

static size_t
s_on_data (char *data, size_t size, size_t count, void *arg)
{
    s_buffer_t *buffer = arg;
    size_t bytes = size * count;
    if (buffer->len + bytes > DP_TEE_API_RESPONSE_MAX) {
        buffer->too_big = 1;
        return 0;   //  makes curl abort the transfer
    }
    char *grown = realloc (buffer->data, buffer->len + bytes + 1);
    if (!grown)
        return 0;
    memcpy (grown + buffer->len, data, bytes);
    buffer->data = grown;
    buffer->len += bytes;
    buffer->data [buffer->len] = '\0';
    return bytes;
}

static dp_status
s_curl_error (const dp_tee_api_t *self, CURLcode code, const char *detail, dp_error_t *err)
{
    //  curl names "localhost port 80" for a unix socket: name the socket.
    if (!self->is_url && code == CURLE_COULDNT_CONNECT)
        return dp_error_set (err, DP_UNREACHABLE, "cannot connect to the unix socket %s",
                             self->endpoint);
    dp_status status = code == CURLE_OPERATION_TIMEDOUT ? DP_TIMEOUT
                     : code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST
                       || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR
                       || code == CURLE_GOT_NOTHING ? DP_UNREACHABLE : DP_PROTO;
    return dp_error_set (err, status, "%s", *detail ? detail : curl_easy_strerror (code));
}

//  A short printable excerpt of an error answer: its "error" field when it
//  is JSON, else the first bytes with control characters replaced.
static void
s_error_excerpt (const s_buffer_t *body, char *out, size_t size)
{
    json_object *doc = body->data ? json_tokener_parse (body->data) : NULL;
    json_object *message = NULL;
    const char *text = body->data ? body->data : "";
    if (doc && json_object_object_get_ex (doc, "error", &message))
        text = json_object_get_string (message);
    size_t n = 0;
    for (; text && text [n] && n + 1 < size && n < 200; n++)
        out [n] = (text [n] < 32 || text [n] == 127) ? ' ' : text [n];
    out [n] = '\0';
    json_object_put (doc);
}

static CURL *
s_easy_new (dp_tee_api_t *self, const char *path, const char *json, s_buffer_t *body,
            struct curl_slist *headers, char *errbuf)
{
    char url [1024];
    if (self->is_url)
        snprintf (url, sizeof url, "%s%s", self->endpoint, path);
    else
        snprintf (url, sizeof url, "http://localhost%s", path);
    CURL *curl = curl_easy_init ();
    if (!curl)
        return NULL;
    if (!self->is_url)
        curl_easy_setopt (curl, CURLOPT_UNIX_SOCKET_PATH, self->endpoint);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (json));
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);     //  many threads: no SIGALRM
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
    return curl;
}

//  POSTs json to path; DP_OK only for HTTP 200, with the body in *body
//  (caller frees body->data). *http gets the status (0 if none).
static dp_status
s_post (dp_tee_api_t *self, const char *path, const char *json, s_buffer_t *body, long *http,
        dp_error_t *err)
{
    pthread_once (&s_curl_once, s_curl_init);
    *http = 0;
    memset (body, 0, sizeof *body);
    if (s_curl_status != CURLE_OK)
        return dp_error_set (err, DP_INTERNAL, "%s: curl_global_init failed", path);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    struct curl_slist *more = headers ? curl_slist_append (headers, "Expect:") : NULL;
    char errbuf [CURL_ERROR_SIZE] = "";
    CURL *curl = more ? s_easy_new (self, path, json, body, more, errbuf) : NULL;
    if (!curl) {
        curl_slist_free_all (headers);
        return dp_error_set (err, DP_NOMEM, "%s: cannot create a curl handle", path);
    }
    CURLcode code = curl_easy_perform (curl);
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, http);
    curl_easy_cleanup (curl);
    curl_slist_free_all (more);
    dp_status rc = DP_OK;
    if (body->too_big)
        rc = dp_error_set (err, DP_LIMIT, "%s: answer larger than %d bytes", path,
                           DP_TEE_API_RESPONSE_MAX);
    else
    if (code != CURLE_OK)
        rc = s_curl_error (self, code, errbuf, err);
    else
    if (*http != 200) {
        char excerpt [256];
        s_error_excerpt (body, excerpt, sizeof excerpt);
        rc = dp_error_set (err, DP_PROTO, "HTTP %ld: %s", *http, *excerpt ? excerpt : "(no body)");
    }
    if (rc != DP_OK) {
        dp_error_prefix (err, "%s", path);
        free (body->data);
        body->data = NULL;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Parsers

static json_object *
s_parse_object (const char *body, size_t len, dp_error_t *err)
{
    if (!body || len == 0 || len > DP_TEE_API_RESPONSE_MAX) {
        dp_error_set (err, DP_PROTO, "answer: empty or larger than %d bytes", DP_TEE_API_RESPONSE_MAX);
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex (32);
    json_object *doc = tok ? json_tokener_parse_ex (tok, body, (int) len) : NULL;
    enum json_tokener_error state = tok ? json_tokener_get_error (tok) : json_tokener_error_parse_unexpected;
    size_t used = tok ? json_tokener_get_parse_end (tok) : 0;
    json_tokener_free (tok);
    //  Only whitespace may follow the document.
    while (doc && used < len && (body [used] == ' ' || body [used] == '\n'
                                 || body [used] == '\r' || body [used] == '\t'))
        used++;
    if (!doc || state != json_tokener_success || used != len
        || !json_object_is_type (doc, json_type_object)) {
        json_object_put (doc);
        dp_error_set (err, DP_PROTO, "answer: not a JSON object (%s)",
                      state != json_tokener_success ? json_tokener_error_desc (state)
                                                    : "trailing data or wrong type");
        return NULL;
    }
    return doc;
}

//  Hex string field (optional 0x) → malloc'd bytes, min..max long.
static dp_status
s_hex_field (json_object *doc, const char *field, size_t min, size_t max, uint8_t **out,
             size_t *out_len, dp_error_t *err)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex (doc, field, &value) || !json_object_is_type (value, json_type_string))
        return dp_error_set (err, DP_PROTO, "answer: %s: missing or not a string", field);
    const char *text = json_object_get_string (value);
    size_t len = (size_t) json_object_get_string_len (value);
    if (len >= 2 && text [0] == '0' && (text [1] == 'x' || text [1] == 'X')) {
        text += 2;
        len -= 2;
    }
    if (len % 2 != 0 || len / 2 < min || len / 2 > max)
        return dp_error_set (err, DP_PROTO, "answer: %s: %zu hex digits, expected an even count "
                             "for %zu..%zu bytes", field, len, min, max);
    uint8_t *bytes = malloc (len / 2 + 1);
    if (!bytes)
        return dp_error_set (err, DP_NOMEM, "answer: %s: out of memory", field);
    dp_status rc = dp_hex_decode (text, len, bytes, len / 2, err);
    if (rc != DP_OK) {
        free (bytes);
        dp_error_prefix (err, "answer: %s", field);
        if (err)
            err->code = DP_PROTO;   //  the peer's mistake, not our input
        return DP_PROTO;
    }
    *out = bytes;
    *out_len = len / 2;
    return DP_OK;
}

static dp_status
s_event_log (json_object *doc, char **event_log, dp_error_t *err)
{
    json_object *value = NULL;
    const char *text = "[]";
    if (json_object_object_get_ex (doc, "event_log", &value) && value) {
        if (json_object_is_type (value, json_type_string))
            text = json_object_get_string (value);
        else
        if (json_object_is_type (value, json_type_array))
            text = json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN);
        else
            return dp_error_set (err, DP_PROTO, "answer: event_log: not a string or array");
    }
    *event_log = strdup (text);
    return *event_log ? DP_OK : dp_error_set (err, DP_NOMEM, "answer: event_log: out of memory");
}

dp_status
dp_tee_api_parse_quote (const char *body, size_t len, uint8_t **quote, size_t *quote_len,
                        char **event_log, dp_error_t *err)
{
    json_object *doc = s_parse_object (body, len, err);
    if (!doc)
        return DP_PROTO;
    uint8_t *bytes = NULL;
    size_t size = 0;
    dp_status rc = s_hex_field (doc, "quote", 48, DP_TEE_QUOTE_MAX, &bytes, &size, err);
    if (rc == DP_OK && event_log)
        rc = s_event_log (doc, event_log, err);
    json_object_put (doc);
    if (rc != DP_OK) {
        free (bytes);
        return rc;
    }
    *quote = bytes;
    *quote_len = size;
    return DP_OK;
}

dp_status
dp_tee_api_parse_key (const char *body, size_t len, const char *field, uint8_t key [32],
                      dp_error_t *err)
{
    json_object *doc = s_parse_object (body, len, err);
    if (!doc)
        return DP_PROTO;
    uint8_t *bytes = NULL;
    size_t size = 0;
    dp_status rc = s_hex_field (doc, field, 32, 32, &bytes, &size, err);
    json_object *value = NULL;
    if (json_object_object_get_ex (doc, field, &value) && json_object_is_type (value, json_type_string))
        //  json-c keeps its own copy of the key's hex: wipe it in place
        //  before the document is freed.
        OPENSSL_cleanse ((char *) json_object_get_string (value),
                         (size_t) json_object_get_string_len (value));
    json_object_put (doc);
    if (rc != DP_OK)
        return rc;
    int valid = secp256k1_ec_seckey_verify (secp256k1_context_static, bytes);
    if (valid)
        memcpy (key, bytes, 32);
    OPENSSL_cleanse (bytes, size);
    free (bytes);
    return valid ? DP_OK : dp_error_set (err, DP_PROTO, "answer: %s: not a valid secp256k1 key", field);
}

dp_status
dp_tee_api_quote_report_data (const uint8_t *quote, size_t len, size_t *offset, dp_error_t *err)
{
    if (len < 2)
        return dp_error_set (err, DP_PROTO, "quote: %zu bytes, too short for a header", len);
    unsigned version = quote [0] | (unsigned) quote [1] << 8;
    size_t at = version == 3 ? 48 + 320 : version == 4 ? 48 + 520 : version == 5 ? 54 + 520 : 0;
    if (!at)
        return dp_error_set (err, DP_PROTO, "quote: version %u is not 3, 4 or 5", version);
    if (len < at + 64)
        return dp_error_set (err, DP_PROTO, "quote: %zu bytes, too short for report data", len);
    *offset = at;
    return DP_OK;
}

//  --------------------------------------------------------------------------
//  Client

dp_tee_api_t *
dp_tee_api_new (const char *endpoint, dp_tee_api_kind kind, int timeout_ms, dp_error_t *err)
{
    dp_tee_api_t *self = calloc (1, sizeof *self);
    if (self)
        self->endpoint = strdup (endpoint);
    if (!self || !self->endpoint) {
        dp_tee_api_destroy (&self);
        dp_error_set (err, DP_NOMEM, "tee: out of memory");
        return NULL;
    }
    self->is_url = strncmp (endpoint, "http://", 7) == 0 || strncmp (endpoint, "https://", 8) == 0;
    //  "http://host:8090/" + "/GetQuote" would give a double slash.
    size_t n = strlen (self->endpoint);
    while (self->is_url && n > 0 && self->endpoint [n - 1] == '/')
        self->endpoint [--n] = '\0';
    self->kind = kind;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    atomic_init (&self->no_raw_quote, 0);
    return self;
}

void
dp_tee_api_destroy (dp_tee_api_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->endpoint);
    free (*self_p);
    *self_p = NULL;
}

const char *
dp_tee_api_endpoint (const dp_tee_api_t *self)
{
    return self->endpoint;
}

dp_tee_api_kind
dp_tee_api_kind_of (const dp_tee_api_t *self)
{
    return self->kind;
}

static dp_status
s_check_report_data (const uint8_t *quote, size_t len, const uint8_t report_data [64],
                     dp_error_t *err)
{
    size_t at = 0;
    dp_status rc = dp_tee_api_quote_report_data (quote, len, &at, err);
    if (rc == DP_OK && memcmp (quote + at, report_data, 64) != 0)
        rc = dp_error_set (err, DP_PROTO, "quote: REPORTDATA differs from the requested bytes "
                           "(the TEE hashed them?)");
    return rc;
}

//  The tappd quote: RawQuote, or TdxQuote with "raw" once RawQuote is gone.
static dp_status
s_tappd_quote (dp_tee_api_t *self, const char *hex, s_buffer_t *body, dp_error_t *err)
{
    char json [256];
    long http = 0;
    if (!atomic_load (&self->no_raw_quote)) {
        snprintf (json, sizeof json, "{\"report_data\":\"%s\"}", hex);
        dp_status rc = s_post (self, "/prpc/Tappd.RawQuote", json, body, &http, err);
        if (rc == DP_OK || http < 400 || http >= 500)
            return rc;
        dp_log_info ("tee endpoint=%s: Tappd.RawQuote refused (HTTP %ld); using Tappd.TdxQuote "
                     "with hash_algorithm raw", self->endpoint, http);
        atomic_store (&self->no_raw_quote, 1);
    }
    //  Never the default hash_algorithm: it would put SHA-512("app-data:" ‖
    //  data) into REPORTDATA and break the binding of SPEC §5.
    snprintf (json, sizeof json, "{\"report_data\":\"%s\",\"hash_algorithm\":\"raw\"}", hex);
    return s_post (self, "/prpc/Tappd.TdxQuote", json, body, &http, err);
}

dp_status
dp_tee_api_quote (dp_tee_api_t *self, const uint8_t report_data [64], uint8_t **quote,
                  size_t *len, char **event_log, dp_error_t *err)
{
    char hex [129], json [256];
    dp_hex_encode (report_data, 64, hex);
    s_buffer_t body;
    long http = 0;
    dp_status rc;
    if (self->kind == DP_TEE_API_DSTACK) {
        snprintf (json, sizeof json, "{\"report_data\":\"%s\"}", hex);
        rc = s_post (self, "/GetQuote", json, &body, &http, err);
    }
    else
        rc = s_tappd_quote (self, hex, &body, err);
    if (rc != DP_OK)
        return rc;
    uint8_t *bytes = NULL;
    size_t size = 0;
    char *log = NULL;
    rc = dp_tee_api_parse_quote (body.data, body.len, &bytes, &size, event_log ? &log : NULL, err);
    free (body.data);
    if (rc == DP_OK)
        rc = s_check_report_data (bytes, size, report_data, err);
    if (rc != DP_OK) {
        free (bytes);
        free (log);
        return rc;
    }
    *quote = bytes;
    *len = size;
    if (event_log)
        *event_log = log;
    return DP_OK;
}

dp_status
dp_tee_api_derive_key (dp_tee_api_t *self, const char *path, uint8_t key [32], dp_error_t *err)
{
    json_object *request = json_object_new_object ();
    if (!request)
        return dp_error_set (err, DP_NOMEM, "tee: out of memory");
    json_object_object_add (request, "path", json_object_new_string (path));
    json_object_object_add (request, "purpose", json_object_new_string ("signing"));
    if (self->kind == DP_TEE_API_DSTACK)
        json_object_object_add (request, "algorithm", json_object_new_string ("secp256k1"));
    const char *json = json_object_to_json_string_ext (request, JSON_C_TO_STRING_PLAIN);
    const char *method = self->kind == DP_TEE_API_DSTACK ? "/GetKey" : "/prpc/Tappd.DeriveK256Key";
    s_buffer_t body;
    long http = 0;
    dp_status rc = s_post (self, method, json, &body, &http, err);
    json_object_put (request);
    if (rc != DP_OK && http == 404 && err)
        rc = err->code = DP_UNSUPPORTED;    //  the agent has no such method (legacy simulator)
    if (rc == DP_OK) {
        rc = dp_tee_api_parse_key (body.data, body.len,
                                   self->kind == DP_TEE_API_DSTACK ? "key" : "k256_key", key, err);
        if (rc != DP_OK)
            dp_error_prefix (err, "%s", method);
    }
    if (body.data)
        OPENSSL_cleanse (body.data, body.len);   //  the answer held the key
    free (body.data);
    return rc;
}

static dp_status
s_info (dp_tee_api_t *self, json_object **info, long *http, dp_error_t *err)
{
    const char *method = self->kind == DP_TEE_API_DSTACK ? "/Info" : "/prpc/Tappd.Info";
    s_buffer_t body;
    dp_status rc = s_post (self, method, "{}", &body, http, err);
    if (rc != DP_OK)
        return rc;
    *info = s_parse_object (body.data, body.len, err);
    free (body.data);
    if (!*info)
        return dp_error_prefix (err, "%s", method);
    return DP_OK;
}

dp_status
dp_tee_api_info (dp_tee_api_t *self, json_object **info, dp_error_t *err)
{
    long http = 0;
    return s_info (self, info, &http, err);
}

//  A 4xx means "no such method here": the API is not this one. Anything
//  else that is not a success (5xx, garbage, no answer) may pass.
static int
s_is_refusal (long http)
{
    return http >= 400 && http < 500;
}

//  Is it tappd? Its Info, else (the legacy simulator has neither Info nor
//  RawQuote) a raw TdxQuote of zeros that must come back with zeros.
static dp_status
s_probe_tappd (dp_tee_api_t *api, long *http, dp_error_t *err)
{
    api->kind = DP_TEE_API_TAPPD;
    json_object *info = NULL;
    dp_status rc = s_info (api, &info, http, err);
    json_object_put (info);
    if (rc == DP_OK || !s_is_refusal (*http))
        return rc;
    static const uint8_t zeros [64];
    char json [200];
    s_buffer_t body;
    snprintf (json, sizeof json, "{\"report_data\":\"%0128d\",\"hash_algorithm\":\"raw\"}", 0);
    rc = s_post (api, "/prpc/Tappd.TdxQuote", json, &body, http, err);
    uint8_t *quote = NULL;
    size_t len = 0;
    if (rc == DP_OK)
        rc = dp_tee_api_parse_quote (body.data, body.len, &quote, &len, NULL, err);
    if (rc == DP_OK)
        rc = s_check_report_data (quote, len, zeros, err);
    free (quote);
    free (body.data);
    return rc;
}

dp_status
dp_tee_api_probe (const char *endpoint, int timeout_ms, dp_tee_api_kind *kind, dp_error_t *err)
{
    dp_tee_api_t *api = dp_tee_api_new (endpoint, DP_TEE_API_DSTACK, timeout_ms, err);
    if (!api)
        return DP_NOMEM;
    dp_error_t dstack_err, tappd_err;
    dp_error_clear (&dstack_err);
    dp_error_clear (&tappd_err);
    json_object *info = NULL;
    long http = 0;
    dp_status rc = s_info (api, &info, &http, &dstack_err);
    json_object_put (info);
    if (rc == DP_OK)
        *kind = DP_TEE_API_DSTACK;
    else
    if (s_is_refusal (http) && (rc = s_probe_tappd (api, &http, &tappd_err)) == DP_OK)
        *kind = DP_TEE_API_TAPPD;
    dp_tee_api_destroy (&api);
    if (rc == DP_OK)
        return DP_OK;
    //  Refused by both APIs: definitive. Otherwise worth another try.
    dp_status code = s_is_refusal (http) ? DP_UNSUPPORTED
                   : tappd_err.code != DP_OK ? tappd_err.code : dstack_err.code;
    return dp_error_set (err, code, "%s answers neither the dstack API (%s) nor tappd's (%s)",
                         endpoint, dstack_err.text, *tappd_err.text ? tappd_err.text : "not tried");
}
