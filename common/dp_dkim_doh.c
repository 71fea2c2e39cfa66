/*  dp_dkim_doh.c — RFC 8484 POST through libcurl. */

#include "dp_dkim_doh.h"
#include "dp_dkim_dns.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct dp_dkim_doh_t {
    char *url;
    char *ca_file;
    long timeout_ms;
};

typedef struct {
    uint8_t data [DP_DKIM_DNS_MAX];
    size_t len;
    int overflow;
} s_body_t;

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static void
s_curl_init (void)
{
    //  Must run before any thread uses curl; the library stays loaded.
    curl_global_init (CURL_GLOBAL_DEFAULT);
}

dp_dkim_doh_t *
dp_dkim_doh_new (const char *url, const char *ca_file, int timeout_ms, dp_error_t *err)
{
    if (!url || strncasecmp (url, "https://", 8) != 0) {
        dp_error_set (err, DP_INVALID, "doh: the resolver URL must start with https://");
        return NULL;
    }
    if (ca_file && access (ca_file, R_OK) != 0) {
        dp_error_set (err, DP_IO, "doh: CA file %s: cannot read", ca_file);
        return NULL;
    }
    pthread_once (&s_curl_once, s_curl_init);
    dp_dkim_doh_t *self = calloc (1, sizeof *self);
    if (self) {
        self->url = strdup (url);
        self->ca_file = ca_file? strdup (ca_file): NULL;
        self->timeout_ms = timeout_ms;
    }
    if (!self || !self->url || (ca_file && !self->ca_file)) {
        dp_dkim_doh_destroy (&self);
        dp_error_set (err, DP_NOMEM, "doh: out of memory");
    }
    return self;
}

void
dp_dkim_doh_destroy (dp_dkim_doh_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->url);
    free ((*self_p)->ca_file);
    free (*self_p);
    *self_p = NULL;
}

static size_t
s_on_data (char *data, size_t size, size_t count, void *arg)
{
    s_body_t *body = arg;
    size_t n = size * count;
    if (n > sizeof body->data - body->len) {
        body->overflow = 1;
        return 0;       //  aborts the transfer
    }
    memcpy (body->data + body->len, data, n);
    body->len += n;
    return n;
}

static dp_status
s_curl_status (CURLcode code, const char *detail, dp_error_t *err)
{
    if (code == CURLE_OPERATION_TIMEDOUT)
        return dp_error_set (err, DP_TIMEOUT, "doh: timed out");
    if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
        return dp_error_set (err, DP_UNREACHABLE, "doh: TLS certificate not trusted (%s)",
                             detail [0]? detail: curl_easy_strerror (code));
    return dp_error_set (err, DP_UNREACHABLE, "doh: %s",
                         detail [0]? detail: curl_easy_strerror (code));
}

static void
s_configure (dp_dkim_doh_t *self, CURL *curl, struct curl_slist *headers,
             const uint8_t *query, size_t qlen, s_body_t *body, long timeout_ms, char *detail)
{
    curl_easy_setopt (curl, CURLOPT_URL, self->url);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (self->ca_file) {
        //  A configured CA replaces the system store: Debian's libcurl also
        //  has a built-in CAPATH (/etc/ssl/certs) that CAINFO alone would
        //  leave in force, so every system CA would still be trusted.
        //  (Native CA import and OpenSSL's default paths stay off: libcurl
        //  only uses them when asked, or when no CA file or path is set.)
        curl_easy_setopt (curl, CURLOPT_CAINFO, self->ca_file);
        curl_easy_setopt (curl, CURLOPT_CAPATH, NULL);
    }
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, (const char *) query);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) qlen);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, detail);
}

static dp_status
s_exchange (dp_dkim_doh_t *self, const uint8_t *query, size_t qlen, s_body_t *body,
            long timeout_ms, dp_error_t *err)
{
    CURL *curl = curl_easy_init ();
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/dns-message");
    struct curl_slist *all = headers? curl_slist_append (headers, "Accept: application/dns-message"): NULL;
    if (!curl || !all) {
        curl_easy_cleanup (curl);
        curl_slist_free_all (headers);
        return dp_error_set (err, DP_NOMEM, "doh: out of memory");
    }
    char detail [CURL_ERROR_SIZE] = "";
    s_configure (self, curl, all, query, qlen, body, timeout_ms, detail);
    CURLcode code = curl_easy_perform (curl);
    long status = 0;
    char *type = NULL;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo (curl, CURLINFO_CONTENT_TYPE, &type);
    dp_status rc = DP_OK;
    if (body->overflow)
        rc = dp_error_set (err, DP_PROTO, "doh: response larger than %d bytes", DP_DKIM_DNS_MAX);
    else
    if (code != CURLE_OK)
        rc = s_curl_status (code, detail, err);
    else
    if (status != 200)
        rc = dp_error_set (err, DP_UNREACHABLE, "doh: HTTP status %ld", status);
    else
    if (!type || strncasecmp (type, "application/dns-message", 23) != 0)
        rc = dp_error_set (err, DP_PROTO, "doh: response is not application/dns-message");
    curl_easy_cleanup (curl);
    curl_slist_free_all (all);
    return rc;
}

dp_status
dp_dkim_doh_txt (dp_dkim_doh_t *self, const char *name, int timeout_ms, char **txt,
                 size_t *len, dp_error_t *err)
{
    long limit = timeout_ms > 0 && timeout_ms < self->timeout_ms? timeout_ms: self->timeout_ms;
    uint8_t query [512];
    size_t qlen = 0;
    //  RFC 8484 s4.1: DoH clients SHOULD use id 0 (HTTP caches); TLS, not
    //  the id, ties the answer to the question.
    dp_status rc = dp_dkim_dns_query (name, 0, query, sizeof query, &qlen, err);
    if (rc != DP_OK)
        return rc;
    s_body_t *body = calloc (1, sizeof *body);
    if (!body)
        return dp_error_set (err, DP_NOMEM, "doh: out of memory");
    rc = s_exchange (self, query, qlen, body, limit, err);
    if (rc == DP_OK)
        rc = dp_dkim_dns_answer_txt (body->data, body->len, name, 0, txt, len, err);
    free (body);
    return rc;
}
