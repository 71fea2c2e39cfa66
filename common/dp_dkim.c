/*  dp_dkim.c — the DKIM verifier: one message, every signature. */

#include "dp_dkim.h"
#include "dp_dkim_canon.h"
#include "dp_dkim_msg.h"
#include "dp_dkim_sig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

//  Body hashes already computed for this message: signatures with the
//  same body canonicalization and l= share one pass over the body.
#define S_BODY_CACHE 4
typedef struct {
    dp_dkim_canon_t canon;
    uint64_t limit;
    uint64_t canon_len;
    uint8_t digest [32];
} s_body_hash_t;

//  Key lookups already made for this message: signatures naming the same
//  key (selector and domain) share one lookup and its outcome.
typedef struct {
    char name [DP_DKIM_NAME_MAX];
    dp_dkim_sig_status_t status;        //  PASS when key is set
    dp_dkim_key_t *key;                 //  a reference; NULL when the lookup failed
    char reason [DP_DKIM_REASON_MAX];
} s_key_memo_t;

typedef struct {
    const dp_dkim_options_t *options;
    int64_t now;
    int64_t skew;
    int64_t deadline_ms;        //  end of this message's lookup budget (monotonic)
    s_key_memo_t keys [DP_DKIM_SIGNATURES_MAX];
    size_t key_count;
    dp_dkim_msg_t msg;
    size_t from_count;
    char *scratch;              //  one canonicalised header field
    s_body_hash_t bodies [S_BODY_CACHE];
    size_t body_count;
} s_job_t;

const char *
dp_dkim_sig_status_name (dp_dkim_sig_status_t status)
{
    switch (status) {
        case DP_DKIM_SIG_PASS:      return "pass";
        case DP_DKIM_SIG_FAIL:      return "fail";
        case DP_DKIM_SIG_INVALID:   return "invalid";
        case DP_DKIM_SIG_TEMPERROR: return "temperror";
    }
    return "unknown";
}

//  Copies text into a fixed buffer, cutting it at the buffer's size.
static void
s_set_text (char *dst, size_t cap, const char *text)
{
    size_t n = strlen (text);
    if (n > cap - 1)
        n = cap - 1;
    memcpy (dst, text, n);
    dst [n] = '\0';
}

static dp_dkim_sig_status_t
s_outcome (dp_dkim_signature_t *out, dp_dkim_sig_status_t status, const char *reason)
{
    out->status = status;
    s_set_text (out->reason, sizeof out->reason, reason);
    return status;
}

static dp_status
s_body_hash (s_job_t *job, dp_dkim_canon_t canon, uint64_t limit, s_body_hash_t **out)
{
    for (size_t i = 0; i < job->body_count; i++)
        if (job->bodies [i].canon == canon && job->bodies [i].limit == limit) {
            *out = &job->bodies [i];
            return DP_OK;
        }
    s_body_hash_t *slot = &job->bodies [job->body_count < S_BODY_CACHE? job->body_count++: 0];
    slot->canon = canon;
    slot->limit = limit;
    *out = slot;
    return dp_dkim_canon_body (canon, job->msg.body, job->msg.body_len, limit,
                               slot->digest, &slot->canon_len);
}

//  Index of the bottom-most field named name below `below`, or SIZE_MAX.
static size_t
s_find_field (const dp_dkim_msg_t *msg, const dp_dkim_hname_t *name, size_t below)
{
    while (below > 0) {
        below--;
        if (dp_dkim_msg_field_is (msg, below, name->name, name->len))
            return below;
    }
    return SIZE_MAX;
}

//  s5.4.2: each h= name takes the next instance of that field from the
//  bottom up; a name with no instance left contributes nothing.
static void
s_hash_signed_fields (s_job_t *job, const dp_dkim_sig_t *sig, EVP_MD_CTX *ctx)
{
    size_t next_below [DP_DKIM_H_MAX];
    for (size_t j = 0; j < sig->h_count; j++) {
        size_t below = job->msg.count;
        for (size_t k = j; k-- > 0;)
            if (sig->h [k].len == sig->h [j].len
            &&  strncasecmp (sig->h [k].name, sig->h [j].name, sig->h [j].len) == 0) {
                below = next_below [k];
                break;
            }
        size_t index = s_find_field (&job->msg, &sig->h [j], below);
        next_below [j] = index == SIZE_MAX? 0: index;
        if (index == SIZE_MAX)
            continue;
        const dp_dkim_field_t *f = &job->msg.fields [index];
        size_t n = dp_dkim_canon_header (sig->header_canon, job->msg.hdr + f->off, f->len,
                                         1, job->scratch);
        EVP_DigestUpdate (ctx, job->scratch, n);
    }
}

//  s3.7: the signature field itself, with b='s value emptied and no CRLF.
static void
s_hash_signature_field (s_job_t *job, const dp_dkim_sig_t *sig, size_t index,
                        EVP_MD_CTX *ctx)
{
    const dp_dkim_field_t *f = &job->msg.fields [index];
    const char *field = job->msg.hdr + f->off;
    size_t value_off = f->name_len + 1;
    char *tmp = job->scratch + f->len + 2;     //  second half of the scratch
    size_t n = value_off + sig->b_start;
    memcpy (tmp, field, n);
    memcpy (tmp + n, field + value_off + sig->b_end, f->len - value_off - sig->b_end);
    n += f->len - value_off - sig->b_end;
    size_t m = dp_dkim_canon_header (sig->header_canon, tmp, n, 0, job->scratch);
    EVP_DigestUpdate (ctx, job->scratch, m);
}

static int
s_check_crypto (const dp_dkim_sig_t *sig, EVP_PKEY *pkey, const uint8_t digest [32])
{
    int ok = 0;
    if (sig->key_type == DP_DKIM_KEY_ED25519) {
        //  RFC 8463 s3: PureEdDSA over the SHA-256 hash of the header data.
        EVP_MD_CTX *md = EVP_MD_CTX_new ();
        ok = md && EVP_DigestVerifyInit (md, NULL, NULL, NULL, pkey) == 1
          && EVP_DigestVerify (md, sig->b, sig->b_len, digest, 32) == 1;
        EVP_MD_CTX_free (md);
        return ok;
    }
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new (pkey, NULL);
    ok = pctx && EVP_PKEY_verify_init (pctx) == 1
      && EVP_PKEY_CTX_set_rsa_padding (pctx, RSA_PKCS1_PADDING) == 1
      && EVP_PKEY_CTX_set_signature_md (pctx, EVP_sha256 ()) == 1
      && EVP_PKEY_verify (pctx, sig->b, sig->b_len, digest, 32) == 1;
    EVP_PKEY_CTX_free (pctx);
    return ok;
}

static dp_dkim_sig_status_t
s_check_key (const dp_dkim_sig_t *sig, dp_dkim_key_t *key, dp_dkim_signature_t *out)
{
    out->key_bits = dp_dkim_key_bits (key);
    out->testing = dp_dkim_key_is_testing (key);
    if (dp_dkim_key_type (key) != sig->key_type)
        return s_outcome (out, DP_DKIM_SIG_INVALID, "key type (k=) does not match a=");
    if (!dp_dkim_key_allows_sha256 (key))
        return s_outcome (out, DP_DKIM_SIG_INVALID, "key h= does not allow sha256");
    if (dp_dkim_key_is_strict (key) && strcmp (sig->auid_domain, sig->domain) != 0)
        return s_outcome (out, DP_DKIM_SIG_INVALID, "key t=s: i= domain must equal d=");
    return DP_DKIM_SIG_PASS;
}

//  Which lookup failures are "DNS unavailable" (temperror). Issue #8 maps
//  every resolver failure there: timeouts, unreachable resolvers, SERVFAIL
//  and other error codes, malformed or truncated answers, and NXDOMAIN or
//  NODATA too (the seed's dns_unavailable means "no key could be had"),
//  though RFC 6376 s6.1.2 calls a missing key a PERMFAIL; the verdict, not
//  verified, is the same either way. What stays invalid is what the
//  domain published or what failed validation: a record that does not
//  parse, several records, a bogus or insecure DNSSEC answer.
static dp_dkim_sig_status_t
s_lookup_outcome (dp_status rc)
{
    switch (rc) {
        case DP_TIMEOUT:
        case DP_UNREACHABLE:
        case DP_NOTFOUND:
        case DP_PROTO:
            return DP_DKIM_SIG_TEMPERROR;
        default:
            return DP_DKIM_SIG_INVALID;
    }
}

//  Looks name up (within the message's budget) and remembers the outcome
//  in a new memo slot; NULL only if every slot is taken (cannot happen:
//  one lookup per examined signature at most).
static s_key_memo_t *
s_lookup (s_job_t *job, const char *name)
{
    if (job->key_count == DP_DKIM_SIGNATURES_MAX)
        return NULL;
    s_key_memo_t *memo = &job->keys [job->key_count++];
    snprintf (memo->name, sizeof memo->name, "%s", name);
    dp_error_t err;
    dp_error_clear (&err);
    dp_status rc = dp_dkim_lookup_key (job->options->lookup, name, job->deadline_ms,
                                       &memo->key, &err);
    memo->status = rc == DP_OK? DP_DKIM_SIG_PASS: s_lookup_outcome (rc);
    if (rc != DP_OK)
        snprintf (memo->reason, sizeof memo->reason, "key %.100s: %.140s", name, err.text);
    return memo;
}

static dp_dkim_sig_status_t
s_fetch_key (s_job_t *job, const dp_dkim_sig_t *sig, dp_dkim_key_t **key,
             dp_dkim_signature_t *out)
{
    char name [DP_DKIM_NAME_MAX * 2 + 16];
    snprintf (name, sizeof name, "%s._domainkey.%s", sig->selector, sig->domain);
    if (strlen (name) > 253)
        return s_outcome (out, DP_DKIM_SIG_INVALID, "key name longer than 253 octets");
    s_key_memo_t *memo = NULL;
    for (size_t i = 0; i < job->key_count && !memo; i++)
        if (strcasecmp (job->keys [i].name, name) == 0)
            memo = &job->keys [i];
    if (!memo && !(memo = s_lookup (job, name)))
        return s_outcome (out, DP_DKIM_SIG_INVALID, "too many key lookups");
    if (memo->status != DP_DKIM_SIG_PASS)
        return s_outcome (out, memo->status, memo->reason);
    *key = dp_dkim_key_ref (memo->key);
    return DP_DKIM_SIG_PASS;
}

static void
s_forget_keys (s_job_t *job)
{
    for (size_t i = 0; i < job->key_count; i++)
        dp_dkim_key_destroy (&job->keys [i].key);
    job->key_count = 0;
}

static dp_dkim_sig_status_t
s_check_policy (s_job_t *job, const dp_dkim_sig_t *sig, dp_dkim_signature_t *out)
{
    if (sig->has_t && sig->t > job->now + job->skew)
        return s_outcome (out, DP_DKIM_SIG_INVALID, "t=: signed in the future");
    if (sig->has_x && sig->x + job->skew < job->now)
        return s_outcome (out, DP_DKIM_SIG_INVALID, "x=: signature has expired");
    if (job->from_count != 1)
        //  RFC 5322 allows one From; RFC 6376 s8.15 warns of added ones.
        return s_outcome (out, DP_DKIM_SIG_INVALID,
                          job->from_count? "message has more than one From field":
                                           "message has no From field");
    return DP_DKIM_SIG_PASS;
}

static dp_dkim_sig_status_t
s_check_hashes (s_job_t *job, const dp_dkim_sig_t *sig, size_t index, dp_dkim_key_t *key,
                dp_dkim_signature_t *out)
{
    s_body_hash_t *body;
    if (s_body_hash (job, sig->body_canon, sig->length, &body) != DP_OK)
        return s_outcome (out, DP_DKIM_SIG_TEMPERROR, "out of memory");
    if (sig->length != UINT64_MAX && sig->length > body->canon_len)
        return s_outcome (out, DP_DKIM_SIG_INVALID, "l=: larger than the body");
    if (CRYPTO_memcmp (body->digest, sig->bh, 32) != 0)
        return s_outcome (out, DP_DKIM_SIG_FAIL, "body hash mismatch");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    uint8_t digest [32];
    unsigned int dlen = 0;
    if (!ctx || !EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL)) {
        EVP_MD_CTX_free (ctx);
        return s_outcome (out, DP_DKIM_SIG_TEMPERROR, "out of memory");
    }
    s_hash_signed_fields (job, sig, ctx);
    s_hash_signature_field (job, sig, index, ctx);
    EVP_DigestFinal_ex (ctx, digest, &dlen);
    EVP_MD_CTX_free (ctx);
    if (!s_check_crypto (sig, dp_dkim_key_pkey (key), digest))
        return s_outcome (out, DP_DKIM_SIG_FAIL, "signature did not verify");
    return s_outcome (out, DP_DKIM_SIG_PASS, "");
}

static dp_dkim_sig_status_t
s_check_signature (s_job_t *job, size_t index, dp_dkim_signature_t *out)
{
    const dp_dkim_field_t *f = &job->msg.fields [index];
    dp_dkim_sig_t sig;
    dp_error_t err;
    dp_error_clear (&err);
    dp_status rc = dp_dkim_sig_parse (job->msg.hdr + f->off + f->name_len + 1,
                                      f->len - f->name_len - 1, &sig, &err);
    memcpy (out->domain, sig.domain, sizeof out->domain);
    memcpy (out->selector, sig.selector, sizeof out->selector);
    memcpy (out->algorithm, sig.algorithm, sizeof out->algorithm);
    out->body_length = sig.length;
    if (rc != DP_OK)
        return s_outcome (out, DP_DKIM_SIG_INVALID, err.text);
    if (s_check_policy (job, &sig, out) != DP_DKIM_SIG_PASS)
        return out->status;
    dp_dkim_key_t *key = NULL;
    if (s_fetch_key (job, &sig, &key, out) != DP_DKIM_SIG_PASS)
        return out->status;
    dp_dkim_sig_status_t status = s_check_key (&sig, key, out);
    if (status == DP_DKIM_SIG_PASS)
        status = s_check_hashes (job, &sig, index, key, out);
    dp_dkim_key_destroy (&key);
    return status;
}

//  The signature the result names: the first that passed with a key not in
//  testing mode (RFC 6376 s3.6.1: a t=y signature proves no more than none),
//  else the first that passed, else the first.
static const dp_dkim_signature_t *
s_choose (const dp_dkim_result_t *out)
{
    const dp_dkim_signature_t *pass = NULL;
    for (size_t i = 0; i < out->count; i++) {
        const dp_dkim_signature_t *s = &out->signatures [i];
        if (s->status == DP_DKIM_SIG_PASS && !s->testing)
            return s;
        if (s->status == DP_DKIM_SIG_PASS && !pass)
            pass = s;
    }
    return pass? pass: out->count? &out->signatures [0]: NULL;
}

static void
s_summarise (dp_dkim_result_t *out, int authenticated_path)
{
    const dp_dkim_signature_t *chosen = s_choose (out);
    for (size_t i = 0; i < out->count; i++) {
        if (out->signatures [i].status == DP_DKIM_SIG_PASS)
            out->verified = 1;
        if (out->signatures [i].status == DP_DKIM_SIG_TEMPERROR)
            out->dns_unavailable = 1;
    }
    out->testing = out->verified && chosen->testing;
    if (out->verified)
        out->dns_unavailable = 0;
    out->authenticated = out->verified && authenticated_path;
    if (chosen) {
        memcpy (out->domain, chosen->domain, sizeof out->domain);
        memcpy (out->selector, chosen->selector, sizeof out->selector);
        memcpy (out->algorithm, chosen->algorithm, sizeof out->algorithm);
    }
    if (out->verified)
        return;
    size_t used = 0;
    for (size_t i = 0; i < out->count && used < sizeof out->error; i++)
        used += out->count == 1?
            (size_t) snprintf (out->error, sizeof out->error, "%s", out->signatures [i].reason):
            (size_t) snprintf (out->error + used, sizeof out->error - used, "%ssignature %zu: %s",
                               i? "; ": "", i + 1, out->signatures [i].reason);
}

static void
s_run (s_job_t *job, dp_dkim_result_t *out)
{
    static const char sig_name [] = "DKIM-Signature";
    for (size_t i = 0; i < job->msg.count; i++) {
        if (dp_dkim_msg_field_is (&job->msg, i, "From", 4))
            job->from_count++;
        if (dp_dkim_msg_field_is (&job->msg, i, sig_name, sizeof sig_name - 1))
            out->total++;
    }
    for (size_t i = 0; i < job->msg.count && out->count < DP_DKIM_SIGNATURES_MAX; i++)
        if (dp_dkim_msg_field_is (&job->msg, i, sig_name, sizeof sig_name - 1))
            s_check_signature (job, i, &out->signatures [out->count++]);
}

static dp_status
s_fail (dp_dkim_result_t *out, dp_error_t *err, dp_status code, const char *text)
{
    s_set_text (out->error, sizeof out->error, text);
    dp_error_set (err, code, "%s", out->error);
    return code;
}

dp_status
dp_dkim_verify (const uint8_t *eml, size_t len, const dp_dkim_options_t *options,
                dp_dkim_result_t *out, dp_error_t *err)
{
    memset (out, 0, sizeof *out);
    if (!options || !options->lookup || (!eml && len))
        return s_fail (out, err, DP_INVALID, "dkim: no key lookup path given");
    out->key_path = dp_dkim_lookup_path (options->lookup);
    size_t max = options->max_size? options->max_size: DP_DKIM_MESSAGE_MAX;
    if (len > max) {
        char text [96];
        snprintf (text, sizeof text, "message: larger than %zu bytes", max);
        return s_fail (out, err, DP_LIMIT, text);
    }
    s_job_t job = { .options = options, .now = options->now? options->now: (int64_t) time (NULL),
                    .skew = options->clock_skew >= 0? options->clock_skew: DP_DKIM_CLOCK_SKEW,
                    .deadline_ms = dp_dkim_lookup_clock_ms () + (int64_t) DP_DKIM_LOOKUP_BUDGET
                                 * dp_dkim_lookup_timeout_ms (options->lookup) };
    dp_error_t perr;
    dp_error_clear (&perr);
    dp_status rc = dp_dkim_msg_parse (eml, len, &job.msg, &perr);
    if (rc != DP_OK) {
        char text [DP_ERROR_TEXT_MAX + 32];
        snprintf (text, sizeof text, "malformed message: %s", perr.text);
        out->malformed = rc != DP_NOMEM;
        s_fail (out, err, rc, text);
        return rc == DP_NOMEM? DP_NOMEM: rc == DP_LIMIT? DP_LIMIT: DP_OK;
    }
    job.scratch = malloc (2 * job.msg.hdr_len + 8);
    if (!job.scratch) {
        dp_dkim_msg_release (&job.msg);
        return s_fail (out, err, DP_NOMEM, "dkim: out of memory");
    }
    s_run (&job, out);
    s_forget_keys (&job);
    OPENSSL_cleanse (job.scratch, 2 * job.msg.hdr_len + 8);
    free (job.scratch);
    dp_dkim_msg_release (&job.msg);
    if (out->total == 0)
        return s_fail (out, err, DP_OK, "no DKIM-Signature field");
    s_summarise (out, dp_dkim_lookup_authenticated (options->lookup));
    if (!out->verified)
        dp_error_set (err, DP_OK, "%s", out->error);
    return DP_OK;
}

const char *
dp_dkim_result_credential (const dp_dkim_result_t *r, const char **why)
{
    const char *reason = !r->verified? "not verified":
                         !r->authenticated? "key not from an authenticated path":
                         r->testing? "key in testing mode (t=y): treated as unsigned "
                                     "(RFC 6376 s3.6.1)": NULL;
    if (why)
        *why = reason;
    return reason? NULL: r->domain;
}

static json_object *
s_string_or_null (const char *text)
{
    return text [0]? json_object_new_string (text): NULL;
}

json_object *
dp_dkim_result_to_json (const dp_dkim_result_t *r, int with_signatures)
{
    json_object *obj = json_object_new_object ();
    if (!obj)
        return NULL;
    json_object_object_add (obj, "domain", s_string_or_null (r->domain));
    json_object_object_add (obj, "verified", json_object_new_boolean (r->verified));
    json_object_object_add (obj, "dns_unavailable", json_object_new_boolean (r->dns_unavailable));
    json_object_object_add (obj, "error", r->verified? NULL: s_string_or_null (r->error));
    json_object_object_add (obj, "selector", s_string_or_null (r->selector));
    json_object_object_add (obj, "algorithm", s_string_or_null (r->algorithm));
    json_object_object_add (obj, "key_path",
                            json_object_new_string (dp_dkim_path_name (r->key_path)));
    json_object_object_add (obj, "authenticated", json_object_new_boolean (r->authenticated));
    if (!with_signatures)
        return obj;
    json_object *list = json_object_new_array ();
    for (size_t i = 0; i < r->count; i++) {
        const dp_dkim_signature_t *s = &r->signatures [i];
        json_object *one = json_object_new_object ();
        json_object_object_add (one, "status",
                                json_object_new_string (dp_dkim_sig_status_name (s->status)));
        json_object_object_add (one, "domain", s_string_or_null (s->domain));
        json_object_object_add (one, "selector", s_string_or_null (s->selector));
        json_object_object_add (one, "algorithm", s_string_or_null (s->algorithm));
        json_object_object_add (one, "reason", s_string_or_null (s->reason));
        json_object_array_add (list, one);
    }
    json_object_object_add (obj, "signatures", list);
    return obj;
}
