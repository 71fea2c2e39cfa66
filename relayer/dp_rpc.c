/*  dp_rpc.c — Ethereum JSON-RPC over HTTP with libcurl. */

#include "dp_rpc.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_json.h"

struct dp_rpc_t {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    int timeout_ms;
    uint64_t next_id;
    char *body;                 //  response buffer
    size_t body_len;
    size_t body_cap;
    int overflow;
};

static size_t
s_on_data (char *data, size_t size, size_t count, void *arg)
{
    dp_rpc_t *self = arg;
    size_t len = size * count;
    if (self->body_len + len + 1 > DP_RPC_RESPONSE_MAX) {
        self->overflow = 1;
        return 0;               //  makes curl fail the transfer
    }
    if (self->body_len + len + 1 > self->body_cap) {
        size_t cap = self->body_cap? self->body_cap: 4096;
        while (cap < self->body_len + len + 1)
            cap *= 2;
        char *body = realloc (self->body, cap);
        if (!body)
            return 0;
        self->body = body;
        self->body_cap = cap;
    }
    memcpy (self->body + self->body_len, data, len);
    self->body_len += len;
    self->body [self->body_len] = '\0';
    return len;
}

dp_rpc_t *
dp_rpc_new (const char *url, int timeout_ms, dp_error_t *err)
{
    if (!url || (strncmp (url, "http://", 7) && strncmp (url, "https://", 8))) {
        dp_error_set (err, DP_INVALID, "RPC_URL: '%s' is not an http(s) URL", url? url: "");
        return NULL;
    }
    dp_rpc_t *self = calloc (1, sizeof *self);
    if (!self || !(self->url = strdup (url)) || !(self->curl = curl_easy_init ())) {
        dp_rpc_destroy (&self);
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->timeout_ms = timeout_ms > 0? timeout_ms: 10000;
    self->headers = curl_slist_append (NULL, "Content-Type: application/json");
    curl_easy_setopt (self->curl, CURLOPT_URL, self->url);
    curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, self->headers);
    curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (self->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    self->next_id = 1;
    return self;
}

void
dp_rpc_destroy (dp_rpc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_rpc_t *self = *self_p;
    if (self->curl)
        curl_easy_cleanup (self->curl);
    curl_slist_free_all (self->headers);
    free (self->url);
    free (self->body);
    free (self);
    *self_p = NULL;
}

static dp_status
s_transfer (dp_rpc_t *self, const char *request, const char *method, dp_error_t *err)
{
    self->body_len = 0;
    self->overflow = 0;
    curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, request);
    CURLcode code = curl_easy_perform (self->curl);
    if (self->overflow)
        return dp_error_set (err, DP_PROTO, "%s: response larger than %d bytes", method, DP_RPC_RESPONSE_MAX);
    if (code == CURLE_OPERATION_TIMEDOUT)
        return dp_error_set (err, DP_TIMEOUT, "%s: no answer from %s within %d ms", method, self->url,
                             self->timeout_ms);
    if (code != CURLE_OK)
        return dp_error_set (err, DP_UNREACHABLE, "%s: %s: %s", method, self->url, curl_easy_strerror (code));
    long http = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200)
        return dp_error_set (err, DP_PROTO, "%s: HTTP status %ld", method, http);
    return DP_OK;
}

dp_status
dp_rpc_call (dp_rpc_t *self, const char *method, json_object *params, json_object **result,
             int *rpc_code, dp_error_t *err)
{
    json_object *request = json_object_new_object ();
    json_object_object_add (request, "jsonrpc", json_object_new_string ("2.0"));
    json_object_object_add (request, "id", json_object_new_int64 ((int64_t) self->next_id++));
    json_object_object_add (request, "method", json_object_new_string (method));
    json_object_object_add (request, "params", params? params: json_object_new_array ());
    if (rpc_code)
        *rpc_code = 0;
    dp_status rc = s_transfer (self, json_object_to_json_string_ext (request, JSON_C_TO_STRING_PLAIN),
                               method, err);
    json_object_put (request);
    if (rc != DP_OK)
        return rc;
    json_object *response = NULL;
    if (dp_json_parse (self->body? self->body: "", self->body_len, &response, err) != DP_OK
    ||  !json_object_is_type (response, json_type_object)) {
        json_object_put (response);
        return dp_error_set (err, DP_PROTO, "%s: the answer is not a JSON-RPC object", method);
    }
    json_object *error = NULL, *value = NULL;
    if (json_object_object_get_ex (response, "error", &error) && error) {
        json_object *code = NULL, *message = NULL, *data = NULL;
        json_object_object_get_ex (error, "code", &code);
        json_object_object_get_ex (error, "message", &message);
        //  A revert's data holds the contract's error selector, which is
        //  what tells a permanent refusal from one worth retrying.
        json_object_object_get_ex (error, "data", &data);
        if (rpc_code)
            *rpc_code = json_object_get_int (code);
        rc = dp_error_set (err, DP_INVALID, "%s: code %d: %.300s%s%.140s", method, json_object_get_int (code),
                           message? json_object_get_string (message): "(no message)",
                           data? " data ": "", data? json_object_get_string (data): "");
    }
    else
    if (!json_object_object_get_ex (response, "result", &value))
        rc = dp_error_set (err, DP_PROTO, "%s: the answer has neither result nor error", method);
    else
        *result = json_object_get (value);
    json_object_put (response);
    return rc;
}

dp_status
dp_rpc_quantity_u64 (const char *text, uint64_t *out, dp_error_t *err)
{
    if (!text || strncmp (text, "0x", 2) != 0 || !text [2] || strlen (text) > 18)
        return dp_error_set (err, DP_INVALID, "'%s' is not a 64-bit QUANTITY", text? text: "null");
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull (text + 2, &end, 16);
    if (errno || *end)
        return dp_error_set (err, DP_INVALID, "'%s' is not a 64-bit QUANTITY", text);
    *out = value;
    return DP_OK;
}

dp_status
dp_rpc_call_u64 (dp_rpc_t *self, const char *method, json_object *params, uint64_t *out,
                 dp_error_t *err)
{
    json_object *result = NULL;
    dp_status rc = dp_rpc_call (self, method, params, &result, NULL, err);
    if (rc != DP_OK)
        return rc;
    rc = dp_rpc_quantity_u64 (json_object_get_string (result), out, err);
    json_object_put (result);
    return rc == DP_OK? DP_OK: dp_error_prefix (err, "%s", method);
}
