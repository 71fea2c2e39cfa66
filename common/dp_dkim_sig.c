/*  dp_dkim_sig.c — DKIM-Signature tag rules (RFC 6376 s3.5, s6.1.1). */

#include "dp_dkim_sig.h"
#include "dp_dkim_tags.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static void
s_copy_lower (char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++)
        dst [i] = (char) tolower ((unsigned char) src [i]);
    dst [len] = '\0';
}

//  Labels of letters, digits and hyphens (not first or last), and of
//  underscores where underscore is set.
static int
s_name_ok (const char *name, size_t len, int underscore)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name [i];
        if (c == '.') {
            if (label == 0 || name [i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!isalnum (c) && c != '-' && !(c == '_' && underscore))
            return 0;
        if ((c == '-' && label == 0) || ++label > 63)
            return 0;
    }
    return label > 0 && name [len - 1] != '-';
}

//  d= and the domain of i= are RFC 5321 domains (RFC 6376 s3.5): no '_'.
int
dp_dkim_sig_domain_ok (const char *name, size_t len)
{
    return s_name_ok (name, len, 0);
}

//  Selectors may hold underscores: real ones do, and the key's name
//  (sel._domainkey.d) is not a host name.
int
dp_dkim_sig_selector_ok (const char *name, size_t len)
{
    return s_name_ok (name, len, 1);
}

static int
s_hex_digit (char c)
{
    return c >= '0' && c <= '9'? c - '0': c >= 'A' && c <= 'F'? c - 'A' + 10: -1;
}

//  Decodes dkim-quoted-printable (RFC 6376 s2.11): "=" and two upper-case
//  hex digits is one octet, FWS is dropped. Returns the decoded length, or
//  SIZE_MAX if the text is malformed or does not fit in cap.
static size_t
s_qp_decode (const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        if (dp_dkim_is_fws (c))
            continue;
        if (c == '=') {
            int hi = i + 2 < len? s_hex_digit (text [i + 1]): -1;
            int lo = hi >= 0? s_hex_digit (text [i + 2]): -1;
            if (lo < 0)
                return SIZE_MAX;
            c = (char) (hi * 16 + lo);
            i += 2;
        }
        if (n == cap)
            return SIZE_MAX;
        out [n++] = c;
    }
    return n;
}

static dp_status
s_decimal (const dp_dkim_tag_t *tag, size_t max_digits, uint64_t *out, dp_error_t *err)
{
    if (tag->value_len == 0 || tag->value_len > max_digits)
        return dp_error_set (err, DP_INVALID, "%.*s=: not a number of 1 to %zu digits",
                             (int) tag->name_len, tag->name, max_digits);
    uint64_t v = 0;
    for (size_t i = 0; i < tag->value_len; i++) {
        if (!isdigit ((unsigned char) tag->value [i]))
            return dp_error_set (err, DP_INVALID, "%.*s=: not a decimal number",
                                 (int) tag->name_len, tag->name);
        uint64_t d = (uint64_t) (tag->value [i] - '0');
        v = v > (UINT64_MAX - d) / 10? UINT64_MAX: v * 10 + d;
    }
    *out = v;
    return DP_OK;
}

static dp_status
s_algorithm (dp_dkim_sig_t *sig, const dp_dkim_tag_t *a, dp_error_t *err)
{
    if (dp_dkim_tag_is (a, "rsa-sha256"))
        sig->key_type = DP_DKIM_KEY_RSA;
    else
    if (dp_dkim_tag_is (a, "ed25519-sha256"))
        sig->key_type = DP_DKIM_KEY_ED25519;
    else
    if (dp_dkim_tag_is (a, "rsa-sha1"))
        return dp_error_set (err, DP_INVALID, "a=: rsa-sha1 is not accepted (RFC 8301)");
    else
        return dp_error_set (err, DP_INVALID, "a=: unknown algorithm '%s'", sig->algorithm);
    return DP_OK;
}

static int
s_canon_word (const char *p, size_t len, dp_dkim_canon_t *out)
{
    if (len == 6 && memcmp (p, "simple", 6) == 0)
        *out = DP_DKIM_CANON_SIMPLE;
    else
    if (len == 7 && memcmp (p, "relaxed", 7) == 0)
        *out = DP_DKIM_CANON_RELAXED;
    else
        return 0;
    return 1;
}

static dp_status
s_canon (dp_dkim_sig_t *sig, const dp_dkim_tag_t *c, dp_error_t *err)
{
    sig->header_canon = sig->body_canon = DP_DKIM_CANON_SIMPLE;
    if (!c)
        return DP_OK;
    const char *slash = memchr (c->value, '/', c->value_len);
    size_t head = slash? (size_t) (slash - c->value): c->value_len;
    if (!s_canon_word (c->value, head, &sig->header_canon)
    ||  (slash && !s_canon_word (slash + 1, c->value_len - head - 1, &sig->body_canon)))
        return dp_error_set (err, DP_INVALID, "c=: unknown canonicalization");
    return DP_OK;
}

//  h= is a colon list of field names with FWS allowed around the colons.
static dp_status
s_headers (dp_dkim_sig_t *sig, const dp_dkim_tag_t *h, dp_error_t *err)
{
    int has_from = 0;
    size_t i = 0;
    sig->h_count = 0;
    while (i <= h->value_len) {
        while (i < h->value_len && dp_dkim_is_fws (h->value [i]))
            i++;
        size_t start = i;
        while (i < h->value_len && h->value [i] != ':' && !dp_dkim_is_fws (h->value [i]))
            i++;
        size_t end = i;
        while (i < h->value_len && dp_dkim_is_fws (h->value [i]))
            i++;
        if (end == start || (i < h->value_len && h->value [i] != ':'))
            return dp_error_set (err, DP_INVALID, "h=: malformed field name list");
        if (sig->h_count == DP_DKIM_H_MAX)
            return dp_error_set (err, DP_LIMIT, "h=: more than %d names", DP_DKIM_H_MAX);
        sig->h [sig->h_count++] = (dp_dkim_hname_t) { h->value + start, end - start };
        has_from |= end - start == 4 && strncasecmp (h->value + start, "from", 4) == 0;
        i++;
    }
    if (!has_from)      //  RFC 6376 s6.1.1: From MUST be signed
        return dp_error_set (err, DP_INVALID, "h=: does not include From");
    return DP_OK;
}

static dp_status
s_identity (dp_dkim_sig_t *sig, const dp_dkim_tag_t *i, dp_error_t *err)
{
    if (!i) {
        strcpy (sig->auid_domain, sig->domain);
        return DP_OK;
    }
    //  The value is dkim-quoted-printable: "x=40evil.com" is "x@evil.com",
    //  so the domain is taken after decoding.
    char auid [512];        //  local part (64) "@" domain (253), with room
    size_t alen_raw = s_qp_decode (i->value, i->value_len, auid, sizeof auid);
    if (alen_raw == SIZE_MAX)
        return dp_error_set (err, DP_INVALID, "i=: malformed or too long quoted-printable");
    const char *at = NULL;
    for (size_t k = 0; k < alen_raw; k++)
        if (auid [k] == '@')
            at = auid + k;
    size_t dlen = at? alen_raw - (size_t) (at + 1 - auid): 0;
    if (!at || !dp_dkim_sig_domain_ok (at + 1, dlen))
        return dp_error_set (err, DP_INVALID, "i=: not '[local]@domain'");
    s_copy_lower (sig->auid_domain, sizeof sig->auid_domain, at + 1, dlen);
    size_t alen = strlen (sig->auid_domain), len = strlen (sig->domain);
    int same = alen == len && strcmp (sig->auid_domain, sig->domain) == 0;
    int sub = alen > len && sig->auid_domain [alen - len - 1] == '.'
           && strcmp (sig->auid_domain + alen - len, sig->domain) == 0;
    if (!same && !sub)
        return dp_error_set (err, DP_INVALID, "i=: domain is not d= or a subdomain of it");
    return DP_OK;
}

static dp_status
s_hashes (dp_dkim_sig_t *sig, const dp_dkim_tags_t *tags, dp_error_t *err)
{
    const dp_dkim_tag_t *b = dp_dkim_tags_find (tags, "b");
    const dp_dkim_tag_t *bh = dp_dkim_tags_find (tags, "bh");
    if (!b || !bh)
        return dp_error_set (err, DP_INVALID, "%s: missing", b? "bh=": "b=");
    if (dp_dkim_base64_decode (b->value, b->value_len, sig->b, sizeof sig->b,
                               &sig->b_len, err) != DP_OK)
        return dp_error_prefix (err, "b=");
    if (sig->b_len == 0)
        return dp_error_set (err, DP_INVALID, "b=: empty");
    sig->b_start = b->raw_start;
    sig->b_end = b->raw_end;
    uint8_t bh_raw [64];
    size_t bh_len = 0;
    if (dp_dkim_base64_decode (bh->value, bh->value_len, bh_raw, sizeof bh_raw,
                               &bh_len, err) != DP_OK)
        return dp_error_prefix (err, "bh=");
    if (bh_len != 32)
        return dp_error_set (err, DP_INVALID, "bh=: %zu bytes, not a SHA-256 hash", bh_len);
    memcpy (sig->bh, bh_raw, 32);
    return DP_OK;
}

static dp_status
s_times (dp_dkim_sig_t *sig, const dp_dkim_tags_t *tags, dp_error_t *err)
{
    const dp_dkim_tag_t *l = dp_dkim_tags_find (tags, "l");
    const dp_dkim_tag_t *t = dp_dkim_tags_find (tags, "t");
    const dp_dkim_tag_t *x = dp_dkim_tags_find (tags, "x");
    uint64_t v;
    sig->length = UINT64_MAX;
    if (l && s_decimal (l, 76, &sig->length, err) != DP_OK)
        return DP_INVALID;
    if (l && sig->length == UINT64_MAX)
        sig->length = UINT64_MAX - 1;   //  huge, but still present (UINT64_MAX = no l=)
    if ((sig->has_t = t != NULL)) {
        if (s_decimal (t, 12, &v, err) != DP_OK)
            return DP_INVALID;
        sig->t = (int64_t) v;
    }
    if ((sig->has_x = x != NULL)) {
        if (s_decimal (x, 12, &v, err) != DP_OK)
            return DP_INVALID;
        sig->x = (int64_t) v;
    }
    if (sig->has_t && sig->has_x && sig->x <= sig->t)
        return dp_error_set (err, DP_INVALID, "x=: not after t=");
    return DP_OK;
}

//  d=, s= and a= first, so that even a signature that fails later can be
//  reported by domain and selector.
static dp_status
s_identifiers (dp_dkim_sig_t *sig, const dp_dkim_tags_t *tags, dp_error_t *err)
{
    const dp_dkim_tag_t *a = dp_dkim_tags_find (tags, "a");
    const dp_dkim_tag_t *d = dp_dkim_tags_find (tags, "d");
    const dp_dkim_tag_t *s = dp_dkim_tags_find (tags, "s");
    if (a) {
        //  Up to the first white space, so a folded value never puts a line
        //  break into the result.
        size_t n = 0;
        while (n < a->value_len && n < sizeof sig->algorithm - 1 && !dp_dkim_is_fws (a->value [n]))
            n++;
        memcpy (sig->algorithm, a->value, n);
        sig->algorithm [n] = '\0';
    }
    if (d && dp_dkim_sig_domain_ok (d->value, d->value_len))
        s_copy_lower (sig->domain, sizeof sig->domain, d->value, d->value_len);
    if (s && dp_dkim_sig_selector_ok (s->value, s->value_len))
        s_copy_lower (sig->selector, sizeof sig->selector, s->value, s->value_len);
    const dp_dkim_tag_t *v = dp_dkim_tags_find (tags, "v");
    if (!v || !dp_dkim_tag_is (v, "1"))
        return dp_error_set (err, DP_INVALID, "v=: %s", v? "version is not 1": "missing");
    if (!a)
        return dp_error_set (err, DP_INVALID, "a=: missing");
    if (!d || !sig->domain [0])
        return dp_error_set (err, DP_INVALID, "d=: %s", d? "not a domain name": "missing");
    if (!s || !sig->selector [0])
        return dp_error_set (err, DP_INVALID, "s=: %s", s? "not a selector": "missing");
    return s_algorithm (sig, a, err);
}

dp_status
dp_dkim_sig_parse (const char *text, size_t len, dp_dkim_sig_t *sig, dp_error_t *err)
{
    dp_dkim_tags_t tags;
    memset (sig, 0, sizeof *sig);
    if (dp_dkim_tags_parse (text, len, &tags, err) != DP_OK)
        return dp_error_prefix (err, "tag list");
    if (s_identifiers (sig, &tags, err) != DP_OK || s_hashes (sig, &tags, err) != DP_OK)
        return DP_INVALID;
    if (s_canon (sig, dp_dkim_tags_find (&tags, "c"), err) != DP_OK)
        return DP_INVALID;
    const dp_dkim_tag_t *h = dp_dkim_tags_find (&tags, "h");
    if (!h)
        return dp_error_set (err, DP_INVALID, "h=: missing");
    dp_status rc = s_headers (sig, h, err);
    if (rc != DP_OK)
        return rc;
    if (s_identity (sig, dp_dkim_tags_find (&tags, "i"), err) != DP_OK)
        return DP_INVALID;
    const dp_dkim_tag_t *q = dp_dkim_tags_find (&tags, "q");
    if (q && !dp_dkim_tag_list_has (q, "dns/txt"))
        return dp_error_set (err, DP_INVALID, "q=: no dns/txt query method");
    return s_times (sig, &tags, err);
}
