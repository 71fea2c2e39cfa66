/*  dp_dkim_canon.c — simple and relaxed canonicalisation (RFC 6376 s3.4). */

#include "dp_dkim_canon.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

static int
s_is_wsp (int c)
{
    return c == ' ' || c == '\t';
}

//  s3.4.2: lower-case the name, unfold, compress WSP runs to one SP, drop
//  WSP at the end of the value and around the colon.
static size_t
s_relaxed_header (const char *field, size_t len, char *out)
{
    size_t n = 0, i = 0;
    while (i < len && field [i] != ':')
        out [n++] = (char) tolower ((unsigned char) field [i++]);
    while (n > 0 && s_is_wsp (out [n - 1]))
        n--;
    out [n++] = ':';
    i++;
    int pending_space = 0, seen_value = 0;
    for (; i < len; i++) {
        char c = field [i];
        if (c == '\r' && i + 1 < len && field [i + 1] == '\n') {
            i++;
            continue;       //  unfold: the CRLF goes, the WSP after it stays
        }
        if (s_is_wsp (c)) {
            pending_space = seen_value;
            continue;
        }
        if (pending_space)
            out [n++] = ' ';
        pending_space = 0;
        seen_value = 1;
        out [n++] = c;
    }
    return n;
}

size_t
dp_dkim_canon_header (dp_dkim_canon_t canon, const char *field, size_t len,
                      int with_crlf, char *out)
{
    size_t n;
    if (canon == DP_DKIM_CANON_SIMPLE) {
        memcpy (out, field, len);
        n = len;
    }
    else
        n = s_relaxed_header (field, len, out);
    if (with_crlf) {
        out [n++] = '\r';
        out [n++] = '\n';
    }
    return n;
}

//  The body hash sink: stages bytes in a buffer so SHA-256 sees large
//  updates (one per 16 KiB, not two per line), and stops at l=.
#define S_STAGE 16384
typedef struct {
    EVP_MD_CTX *ctx;
    uint64_t limit;
    uint64_t total;
    size_t fill;
    uint8_t stage [S_STAGE];
} s_sink_t;

static void
s_flush (s_sink_t *s)
{
    if (s->fill)
        EVP_DigestUpdate (s->ctx, s->stage, s->fill);
    s->fill = 0;
}

static void
s_put (s_sink_t *s, const void *data, size_t len)
{
    uint64_t room = s->total < s->limit? s->limit - s->total: 0;
    size_t take = room < len? (size_t) room: len;
    s->total += len;
    if (take > S_STAGE / 2) {
        s_flush (s);
        EVP_DigestUpdate (s->ctx, data, take);
        return;
    }
    if (s->fill + take > S_STAGE)
        s_flush (s);
    memcpy (s->stage + s->fill, data, take);
    s->fill += take;
}

static void
s_put_empty_lines (s_sink_t *s, size_t count)
{
    for (size_t i = 0; i < count; i++)
        s_put (s, "\r\n", 2);
}

//  s3.4.4: WSP runs become one SP, WSP at the end of a line goes. Writes
//  the line into out (len bytes at most) and returns its new length.
//  White space at the end of a final fragment with no line break is kept
//  (as one SP): the RFC only strips it before a CRLF, and dkimpy, whose
//  answers the corpus records, does the same.
static size_t
s_relaxed_line (const uint8_t *line, size_t len, int terminated, uint8_t *out)
{
    size_t n = 0;
    int pending = 0;
    for (size_t i = 0; i < len; i++) {
        if (s_is_wsp (line [i])) {
            pending = 1;
            continue;
        }
        if (pending)
            out [n++] = ' ';
        pending = 0;
        out [n++] = line [i];
    }
    if (pending && !terminated)
        out [n++] = ' ';
    return n;
}

//  Feeds one line (without terminator). Empty lines are held back, since
//  both canonicalisations drop the empty lines at the end of the body.
static void
s_body_line (s_sink_t *s, dp_dkim_canon_t canon, const uint8_t *line, size_t len,
             int terminated, size_t *empty, uint8_t *scratch)
{
    //  Most body lines (base64, plain words without runs) have no WSP at
    //  all; two vectorised scans spare them the byte-by-byte rewrite.
    if (canon == DP_DKIM_CANON_RELAXED
    && (memchr (line, ' ', len) || memchr (line, '\t', len))) {
        len = s_relaxed_line (line, len, terminated, scratch);
        line = scratch;
    }
    if (len == 0) {
        (*empty)++;
        return;
    }
    s_put_empty_lines (s, *empty);
    *empty = 0;
    s_put (s, line, len);
    s_put (s, "\r\n", 2);
}

static void
s_body_lines (s_sink_t *s, dp_dkim_canon_t canon, const uint8_t *body, size_t len,
              uint8_t *scratch, int *any)
{
    size_t pos = 0, empty = 0;
    while (pos < len) {
        const uint8_t *nl = memchr (body + pos, '\n', len - pos);
        size_t n = nl? (size_t) (nl - (body + pos)): len - pos;
        size_t line_len = (nl && n > 0 && body [pos + n - 1] == '\r')? n - 1: n;
        s_body_line (s, canon, body + pos, line_len, nl != NULL, &empty, scratch);
        pos += nl? n + 1: n;
    }
    *any = s->total > 0;
}

dp_status
dp_dkim_canon_body (dp_dkim_canon_t canon, const uint8_t *body, size_t len,
                    uint64_t limit, uint8_t digest [32], uint64_t *canon_len)
{
    s_sink_t *s = OPENSSL_malloc (sizeof *s);
    uint8_t *scratch = canon == DP_DKIM_CANON_RELAXED? OPENSSL_malloc (len + 1): NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    if (!s || !ctx || (canon == DP_DKIM_CANON_RELAXED && !scratch)
    ||  !EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL)) {
        OPENSSL_free (s);
        OPENSSL_free (scratch);
        EVP_MD_CTX_free (ctx);
        return DP_NOMEM;
    }
    s->ctx = ctx;
    s->limit = limit;
    s->total = 0;
    s->fill = 0;
    int any = 0;
    s_body_lines (s, canon, body, len, scratch, &any);
    //  s3.4.3: an empty simple body is one CRLF; s3.4.4: an empty relaxed
    //  body stays empty.
    if (!any && canon == DP_DKIM_CANON_SIMPLE)
        s_put (s, "\r\n", 2);
    s_flush (s);
    unsigned int dlen = 0;
    EVP_DigestFinal_ex (ctx, digest, &dlen);
    *canon_len = s->total;
    OPENSSL_cleanse (s->stage, sizeof s->stage);
    if (scratch)
        OPENSSL_clear_free (scratch, len + 1);
    OPENSSL_free (s);
    EVP_MD_CTX_free (ctx);
    return DP_OK;
}
