/*  dp_dkim_msg.c — header/body split with the corpus's line conventions. */

#include "dp_dkim_msg.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
} s_reader_t;

//  Next line without its LF / CRLF. *line_len excludes the terminator;
//  returns 0 at the end of the input.
static int
s_next_line (s_reader_t *r, const uint8_t **line, size_t *line_len)
{
    if (r->pos >= r->len)
        return 0;
    const uint8_t *start = r->data + r->pos;
    const uint8_t *nl = memchr (start, '\n', r->len - r->pos);
    size_t n = nl? (size_t) (nl - start): r->len - r->pos;
    r->pos += nl? n + 1: n;
    if (nl && n > 0 && start [n - 1] == '\r')
        n--;
    *line = start;
    *line_len = n;
    return 1;
}

static size_t
s_field_name_len (const uint8_t *line, size_t len)
{
    size_t i = 0;
    while (i < len && line [i] >= 0x21 && line [i] <= 0x7e && line [i] != ':')
        i++;
    return (i > 0 && i < len && line [i] == ':')? i: 0;
}

static dp_status
s_add_field (dp_dkim_msg_t *msg, size_t *cap, size_t off, size_t name_len, dp_error_t *err)
{
    if (msg->count == DP_DKIM_FIELDS_MAX)
        return dp_error_set (err, DP_LIMIT, "header: more than %d fields", DP_DKIM_FIELDS_MAX);
    if (msg->count == *cap) {
        size_t next = *cap? *cap * 2: 32;
        dp_dkim_field_t *grown = realloc (msg->fields, next * sizeof *grown);
        if (!grown)
            return dp_error_set (err, DP_NOMEM, "header: out of memory");
        msg->fields = grown;
        *cap = next;
    }
    msg->fields [msg->count++] = (dp_dkim_field_t) { .off = off, .len = 0, .name_len = name_len };
    return DP_OK;
}

//  Appends one header line to the copy (as CRLF). The copy is sized for the
//  whole input plus one CR per line, so it never overflows.
static void
s_append_line (dp_dkim_msg_t *msg, const uint8_t *line, size_t len)
{
    memcpy (msg->hdr + msg->hdr_len, line, len);
    msg->hdr_len += len;
    msg->hdr [msg->hdr_len++] = '\r';
    msg->hdr [msg->hdr_len++] = '\n';
}

static dp_status
s_header_line (dp_dkim_msg_t *msg, size_t *cap, const uint8_t *line, size_t len,
               size_t lineno, dp_error_t *err)
{
    if (line [0] == ' ' || line [0] == '\t') {
        if (msg->count == 0)
            return dp_error_set (err, DP_INVALID,
                                 "line %zu: continuation line before any header field", lineno);
    }
    else {
        size_t name_len = s_field_name_len (line, len);
        if (name_len == 0)
            return dp_error_set (err, DP_INVALID,
                                 "line %zu: header line is not 'name:value'", lineno);
        dp_status rc = s_add_field (msg, cap, msg->hdr_len, name_len, err);
        if (rc != DP_OK)
            return rc;
    }
    if (msg->hdr_len + len + 2 > DP_DKIM_HEADER_MAX)
        return dp_error_set (err, DP_LIMIT, "header: larger than %d bytes", DP_DKIM_HEADER_MAX);
    s_append_line (msg, line, len);
    dp_dkim_field_t *field = &msg->fields [msg->count - 1];
    field->len = msg->hdr_len - 2 - field->off;
    return DP_OK;
}

//  Octets up to the end of the first empty line (or all of them): the
//  header section, so the copy is sized by it and not by a large body.
static size_t
s_header_extent (const uint8_t *eml, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr (eml + pos, '\n', len - pos);
        if (!nl)
            return len;
        size_t line = (size_t) (nl - (eml + pos));
        pos += line + 1;
        if (line == 0 || (line == 1 && eml [pos - 2] == '\r'))
            return pos;
    }
    return len;
}

dp_status
dp_dkim_msg_parse (const uint8_t *eml, size_t len, dp_dkim_msg_t *msg, dp_error_t *err)
{
    memset (msg, 0, sizeof *msg);
    size_t extent = s_header_extent (eml, len);
    size_t hdr_cap = extent < DP_DKIM_HEADER_MAX? extent * 2 + 2: DP_DKIM_HEADER_MAX + 2;
    msg->hdr = malloc (hdr_cap);
    if (!msg->hdr)
        return dp_error_set (err, DP_NOMEM, "header: out of memory");
    s_reader_t r = { eml, len, 0 };
    const uint8_t *line;
    size_t line_len, lineno = 0, cap = 0;
    while (s_next_line (&r, &line, &line_len)) {
        lineno++;
        if (lineno == 1 && line_len >= 5 && memcmp (line, "From ", 5) == 0)
            continue;       //  mbox separator
        if (line_len == 0) {
            msg->body = eml + r.pos;
            msg->body_len = len - r.pos;
            return DP_OK;
        }
        dp_status rc = s_header_line (msg, &cap, line, line_len, lineno, err);
        if (rc != DP_OK) {
            dp_dkim_msg_release (msg);
            return rc;
        }
    }
    msg->body = eml + len;
    return DP_OK;
}

void
dp_dkim_msg_release (dp_dkim_msg_t *msg)
{
    if (msg->hdr) {
        //  The header is the seller's e-mail: wipe it rather than leave it
        //  in freed memory.
        OPENSSL_cleanse (msg->hdr, msg->hdr_len);
        free (msg->hdr);
    }
    free (msg->fields);
    memset (msg, 0, sizeof *msg);
}

int
dp_dkim_msg_field_is (const dp_dkim_msg_t *msg, size_t index, const char *name,
                      size_t name_len)
{
    const dp_dkim_field_t *f = &msg->fields [index];
    return f->name_len == name_len && strncasecmp (msg->hdr + f->off, name, name_len) == 0;
}
