/*  dp_quote_fetch.c — collateral over HTTP(S) with libcurl, cached on disk. */

#include "dp_quote_fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_quote_verify.h"

//  Intel publishes the root CA CRL here (the root's CRL distribution point).
#define S_INTEL_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
//  Largest answer accepted: a PCK CRL with every revoked platform is a few
//  hundred KB; TCB info a few tens.
#define S_MAX_BODY (4 * 1024 * 1024)
#define S_MAX_HEADER 16384

//  One HTTP answer.
typedef struct {
    char *body;
    size_t size;
    const char *want_header [2];     //  header names to capture (either)
    char header [S_MAX_HEADER];
    int too_big;
} s_answer_t;

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_answer_t *answer = arg;
    size_t len = size * count;
    if (answer->size + len > S_MAX_BODY) {
        answer->too_big = 1;
        return 0;
    }
    char *grown = realloc (answer->body, answer->size + len + 1);
    if (!grown)
        return 0;
    answer->body = grown;
    memcpy (answer->body + answer->size, data, len);
    answer->size += len;
    answer->body [answer->size] = '\0';
    return len;
}

//  Keeps the wanted header's value, URL-decoded (PCS sends PEM chains
//  percent-encoded).
static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    s_answer_t *answer = arg;
    size_t len = size * count;
    for (int i = 0; i < 2 && answer->want_header [i]; i++) {
        size_t name = strlen (answer->want_header [i]);
        if (len <= name + 1 || strncasecmp (data, answer->want_header [i], name) != 0 || data [name] != ':')
            continue;
        size_t at = name + 1, out = 0;
        while (at < len && data [at] == ' ')
            at++;
        while (at < len && data [at] != '\r' && data [at] != '\n' && out + 1 < S_MAX_HEADER) {
            char c = data [at++];
            if (c == '%' && at + 1 < len && dp_hex_is_valid (data + at, 2)) {
                uint8_t byte;
                if (dp_hex_decode (data + at, 2, &byte, 1, NULL) == DP_OK)
                    c = (char) byte;
                at += 2;
            }
            answer->header [out++] = c;
        }
        answer->header [out] = '\0';
    }
    return len;
}

static dp_status
s_get (const char *url, int timeout_ms, s_answer_t *answer, dp_error_t *err)
{
    CURL *curl = curl_easy_init ();
    if (!curl)
        return dp_error_set (err, DP_NOMEM, "fetch: cannot start libcurl");
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, answer);
    CURLcode code = curl_easy_perform (curl);
    long status = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup (curl);
    if (answer->too_big)
        return dp_error_set (err, DP_LIMIT, "fetch: %s: answer larger than %d bytes", url, S_MAX_BODY);
    if (code != CURLE_OK)
        return dp_error_set (err, DP_UNREACHABLE, "fetch: %s: %s", url, curl_easy_strerror (code));
    if (status != 200)
        return dp_error_set (err, DP_UNREACHABLE, "fetch: %s: HTTP status %ld", url, status);
    if (!answer->body && !(answer->body = calloc (1, 1)))
        return dp_error_set (err, DP_NOMEM, "fetch: out of memory");
    if (answer->want_header [0] && !answer->header [0])
        return dp_error_set (err, DP_PROTO, "fetch: %s: no %s header", url, answer->want_header [0]);
    return DP_OK;
}

//  Splits {"<key>":<object>,"signature":"<hex>"} keeping the object's exact
//  bytes. The signature is the last member, as PCS and PCCS send it.
static dp_status
s_split_signed (s_answer_t *answer, const char *key, json_object *out, const char *field,
                const char *sig_field, dp_error_t *err)
{
    char open [48], *body = answer->body;
    snprintf (open, sizeof open, "\"%s\":", key);
    char *start = strstr (body, open);
    char *sig = NULL;
    for (char *at = body; (at = strstr (at, ",\"signature\":\"")) != NULL; at++)
        sig = at;
    if (!start || !sig || sig < start + strlen (open))
        return dp_error_set (err, DP_PROTO, "fetch: %s answer is not {\"%s\":...,\"signature\":...}", key, key);
    start += strlen (open);
    char *hex = sig + strlen (",\"signature\":\"");
    char *end = strchr (hex, '"');
    if (!end || end - hex != 128 || !dp_hex_is_valid (hex, 128))
        return dp_error_set (err, DP_PROTO, "fetch: %s signature is not 64 bytes of hex", key);
    json_object_object_add (out, field, json_object_new_string_len (start, (int) (sig - start)));
    json_object_object_add (out, sig_field, json_object_new_string_len (hex, 128));
    return DP_OK;
}

//  A binary answer (or hex text, as PCCS sends the root CRL) as hex.
static dp_status
s_add_crl (json_object *out, const char *field, s_answer_t *answer, dp_error_t *err)
{
    if (answer->size && dp_hex_is_valid (answer->body, answer->size)) {
        json_object_object_add (out, field, json_object_new_string_len (answer->body, (int) answer->size));
        return DP_OK;
    }
    char *hex = malloc (2 * answer->size + 1);
    if (!hex)
        return dp_error_set (err, DP_NOMEM, "fetch: out of memory");
    dp_hex_encode ((const uint8_t *) answer->body, answer->size, hex);
    json_object_object_add (out, field, json_object_new_string (hex));
    free (hex);
    return DP_OK;
}

static void
s_answer_reset (s_answer_t *answer, const char *header1, const char *header2)
{
    free (answer->body);
    memset (answer, 0, sizeof *answer);
    answer->want_header [0] = header1;
    answer->want_header [1] = header2;
}

//  Which CA issued the PCK leaf ("platform" or "processor") and its FMSPC.
static dp_status
s_platform (const dp_quote_t *quote, char fmspc [13], const char **ca, dp_error_t *err)
{
    STACK_OF (X509) *chain = NULL;
    dp_quote_pck_t pck;
    if (quote->cert_type != 5)
        return dp_error_set (err, DP_INVALID, "fetch: certification data type %u is not 5 (PEM PCK chain)",
                             quote->cert_type);
    dp_status rc = dp_quote_pki_chain_from_pem (quote->cert_data, quote->cert_size, "pck_chain", &chain, err);
    if (rc == DP_OK)
        rc = dp_quote_pki_pck_info (sk_X509_value (chain, 0), &pck, err);
    if (rc == DP_OK) {
        char issuer [128] = "";
        X509_NAME_get_text_by_NID (X509_get_issuer_name (sk_X509_value (chain, 0)), NID_commonName,
                                   issuer, sizeof issuer);
        *ca = strstr (issuer, "Platform")? "platform": "processor";
        for (int i = 0; i < 6; i++)
            snprintf (fmspc + 2 * i, 3, "%02X", pck.fmspc [i]);
    }
    sk_X509_pop_free (chain, X509_free);
    return rc == DP_OK? DP_OK: DP_INVALID;
}

static dp_status
s_fetch_json (const dp_quote_fetch_options_t *options, const char *tee, const char *fmspc,
              const char *ca, json_object *out, dp_error_t *err)
{
    char url [1024], base [512];
    int timeout = options->timeout_ms > 0? options->timeout_ms: 15000;
    snprintf (base, sizeof base, "%s", options->base_url);
    while (strlen (base) && base [strlen (base) - 1] == '/')
        base [strlen (base) - 1] = '\0';
    s_answer_t answer = { 0 };
    s_answer_reset (&answer, "SGX-PCK-CRL-Issuer-Chain", NULL);
    snprintf (url, sizeof url, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base, ca);
    dp_status rc = s_get (url, timeout, &answer, err);
    if (!rc) {
        json_object_object_add (out, "pck_crl_issuer_chain", json_object_new_string (answer.header));
        rc = s_add_crl (out, "pck_crl", &answer, err);
    }
    if (!rc) {
        s_answer_reset (&answer, "TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain");
        snprintf (url, sizeof url, "%s/%s/certification/v4/tcb?fmspc=%s", base, tee, fmspc);
        rc = s_get (url, timeout, &answer, err);
    }
    if (!rc) {
        json_object_object_add (out, "tcb_info_issuer_chain", json_object_new_string (answer.header));
        rc = s_split_signed (&answer, "tcbInfo", out, "tcb_info", "tcb_info_signature", err);
    }
    if (!rc) {
        s_answer_reset (&answer, "SGX-Enclave-Identity-Issuer-Chain", NULL);
        snprintf (url, sizeof url, "%s/%s/certification/v4/qe/identity?update=standard", base, tee);
        rc = s_get (url, timeout, &answer, err);
    }
    if (!rc) {
        json_object_object_add (out, "qe_identity_issuer_chain", json_object_new_string (answer.header));
        rc = s_split_signed (&answer, "enclaveIdentity", out, "qe_identity", "qe_identity_signature", err);
    }
    if (!rc) {
        s_answer_reset (&answer, NULL, NULL);
        if (strncmp (base, DP_QUOTE_PCS_URL, strlen (DP_QUOTE_PCS_URL)) == 0)
            snprintf (url, sizeof url, "%s", S_INTEL_ROOT_CRL_URL);
        else
            snprintf (url, sizeof url, "%s/sgx/certification/v4/rootcacrl", base);
        rc = s_get (url, timeout, &answer, err);
    }
    if (!rc)
        rc = s_add_crl (out, "root_ca_crl", &answer, err);
    free (answer.body);
    return rc;
}

//  Earliest nextUpdate of the collateral (cache expiry).
static int64_t
s_expiry (const dp_quote_collateral_t *c)
{
    int64_t expiry = c->tcb_info->next_update;
    if (c->qe_identity->next_update < expiry)
        expiry = c->qe_identity->next_update;
    int64_t crl = dp_quote_pki_time (X509_CRL_get0_nextUpdate (c->root_crl));
    if (crl < expiry)
        expiry = crl;
    crl = dp_quote_pki_time (X509_CRL_get0_nextUpdate (c->pck_crl));
    return crl < expiry? crl: expiry;
}

static dp_status
s_cache_write (const char *dir, const char *path, const char *text, dp_error_t *err)
{
    if (mkdir (dir, 0700) != 0 && errno != EEXIST)
        return dp_error_set (err, DP_IO, "fetch: cache %s: %s", dir, strerror (errno));
    char temp [4200];
    snprintf (temp, sizeof temp, "%s.XXXXXX", path);
    int fd = mkstemp (temp);
    if (fd < 0)
        return dp_error_set (err, DP_IO, "fetch: cache %s: %s", temp, strerror (errno));
    size_t len = strlen (text);
    int ok = write (fd, text, len) == (ssize_t) len && fsync (fd) == 0;
    ok = close (fd) == 0 && ok;
    if (!ok || rename (temp, path) != 0) {
        unlink (temp);
        return dp_error_set (err, DP_IO, "fetch: cache %s: %s", path, strerror (errno));
    }
    return DP_OK;
}

//  Signatures protect collateral's integrity, not its freshness: a man in
//  the middle could replay an older TCB info that still rated a platform
//  UpToDate. So https, or plain http only where no one is in the middle.
static int
s_url_allowed (const char *url)
{
    if (strncasecmp (url, "https://", 8) == 0)
        return 1;
    if (strncasecmp (url, "http://", 7) != 0)
        return 0;
    static const char *const loopback [] = { "127.0.0.1", "localhost", "[::1]" };
    for (size_t i = 0; i < sizeof loopback / sizeof loopback [0]; i++) {
        size_t n = strlen (loopback [i]);
        char next = url [7 + n];
        if (strncasecmp (url + 7, loopback [i], n) == 0 && (next == ':' || next == '/' || next == '\0'))
            return 1;
    }
    return 0;
}

dp_status
dp_quote_collateral_fetch (const dp_quote_fetch_options_t *options, const dp_quote_t *quote,
                           dp_quote_collateral_t **out, dp_error_t *err)
{
    *out = NULL;
    if (!options || !options->base_url || !*options->base_url)
        return dp_error_set (err, DP_INVALID, "fetch: no collateral service URL");
    if (!s_url_allowed (options->base_url))
        return dp_error_set (err, DP_INVALID, "fetch: %s: https only (plain http only to a loopback "
                             "address): collateral's freshness rests on the service", options->base_url);
    char fmspc [13], path [4096] = "";
    const char *ca = NULL;
    const char *tee = quote->tee_type == DP_QUOTE_TEE_TDX? "tdx": "sgx";
    if (s_platform (quote, fmspc, &ca, err))
        return DP_INVALID;
    if (options->cache_dir) {
        snprintf (path, sizeof path, "%s/%s-%s-%s.json", options->cache_dir, tee, fmspc, ca);
        if (dp_quote_collateral_load (path, out, NULL) == DP_OK && options->now < s_expiry (*out))
            return DP_OK;
        dp_quote_collateral_destroy (out);
    }
    json_object *doc = json_object_new_object ();
    if (!doc)
        return dp_error_set (err, DP_NOMEM, "fetch: out of memory");
    dp_status rc = s_fetch_json (options, tee, fmspc, ca, doc, err);
    const char *text = rc? NULL: json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
    if (!rc && (rc = dp_quote_collateral_from_json (text, strlen (text), out, err)) != DP_OK)
        dp_error_prefix (err, "fetch: %s", options->base_url);
    if (!rc && (rc = dp_quote_collateral_check (*out, options->root, options->now, err)) != DP_OK)
        dp_error_prefix (err, "fetch: %s: the collateral received does not verify", options->base_url);
    if (!rc && options->cache_dir)
        rc = s_cache_write (options->cache_dir, path, text, err);
    if (rc)
        dp_quote_collateral_destroy (out);
    json_object_put (doc);
    return rc;
}
