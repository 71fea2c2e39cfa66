/*  dp_dkim_tags.c — RFC 6376 s3.2 tag lists and strict base64. */

#include "dp_dkim_tags.h"

#include <ctype.h>
#include <string.h>

//  Folding white space is WSP, or CRLF followed by WSP. A CR or LF that is
//  not part of such a fold is not white space (it is a syntax error).
static size_t
s_skip_fws (const char *text, size_t len, size_t pos)
{
    while (pos < len) {
        if (text [pos] == ' ' || text [pos] == '\t')
            pos++;
        else
        if (text [pos] == '\r' && pos + 2 < len && text [pos + 1] == '\n'
        && (text [pos + 2] == ' ' || text [pos + 2] == '\t'))
            pos += 3;
        else
            break;
    }
    return pos;
}

static int
s_is_valchar (unsigned char c)
{
    return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

//  Reads one tag value from pos up to ';' or the end; trims FWS around it.
static dp_status
s_parse_value (const char *text, size_t len, size_t *pos_p, dp_dkim_tag_t *tag,
               dp_error_t *err)
{
    size_t pos = s_skip_fws (text, len, *pos_p);
    size_t start = pos, end = pos;
    while (pos < len && text [pos] != ';') {
        if (s_is_valchar ((unsigned char) text [pos])) {
            pos++;
            end = pos;
            continue;
        }
        size_t next = s_skip_fws (text, len, pos);
        if (next == pos)
            //  Named like the other tag errors ("bh=: ..."): the offset
            //  alone does not tell a seller which field is broken.
            return dp_error_set (err, DP_INVALID,
                                 "%.*s=: character 0x%02x at offset %zu not allowed in a "
                                 "tag value", (int) tag->name_len, tag->name,
                                 (unsigned char) text [pos], pos);
        pos = next;
    }
    tag->value = text + start;
    tag->value_len = end - start;
    tag->raw_end = pos;
    *pos_p = pos;
    return DP_OK;
}

static int
s_name_eq (const dp_dkim_tag_t *a, const dp_dkim_tag_t *b)
{
    return a->name_len == b->name_len && memcmp (a->name, b->name, a->name_len) == 0;
}

static dp_status
s_parse_tag (const char *text, size_t len, size_t *pos_p, dp_dkim_tag_t *tag,
             dp_error_t *err)
{
    size_t pos = *pos_p;
    if (!isalpha ((unsigned char) text [pos]))
        return dp_error_set (err, DP_INVALID, "offset %zu: expected a tag name", pos);
    size_t start = pos;
    while (pos < len && (isalnum ((unsigned char) text [pos]) || text [pos] == '_'))
        pos++;
    tag->name = text + start;
    tag->name_len = pos - start;
    pos = s_skip_fws (text, len, pos);
    if (pos >= len || text [pos] != '=')
        return dp_error_set (err, DP_INVALID, "offset %zu: tag '%.*s' has no '='",
                             pos, (int) tag->name_len, tag->name);
    pos++;
    tag->raw_start = pos;
    *pos_p = pos;
    return s_parse_value (text, len, pos_p, tag, err);
}

dp_status
dp_dkim_tags_parse (const char *text, size_t len, dp_dkim_tags_t *out, dp_error_t *err)
{
    out->count = 0;
    size_t pos = 0;
    while (1) {
        pos = s_skip_fws (text, len, pos);
        if (pos >= len)
            break;      //  empty list, or a trailing ";" then FWS
        if (out->count == DP_DKIM_TAGS_MAX)
            return dp_error_set (err, DP_LIMIT, "more than %d tags", DP_DKIM_TAGS_MAX);
        dp_dkim_tag_t *tag = &out->tags [out->count];
        dp_status rc = s_parse_tag (text, len, &pos, tag, err);
        if (rc != DP_OK)
            return rc;
        for (size_t i = 0; i < out->count; i++)
            if (s_name_eq (&out->tags [i], tag))
                return dp_error_set (err, DP_INVALID, "tag '%.*s' appears twice",
                                     (int) tag->name_len, tag->name);
        out->count++;
        if (pos >= len)
            break;
        pos++;          //  the ';'
    }
    return DP_OK;
}

const dp_dkim_tag_t *
dp_dkim_tags_find (const dp_dkim_tags_t *self, const char *name)
{
    size_t len = strlen (name);
    for (size_t i = 0; i < self->count; i++)
        if (self->tags [i].name_len == len && memcmp (self->tags [i].name, name, len) == 0)
            return &self->tags [i];
    return NULL;
}

int
dp_dkim_tag_is (const dp_dkim_tag_t *tag, const char *text)
{
    size_t len = strlen (text);
    return tag->value_len == len && memcmp (tag->value, text, len) == 0;
}

static int
s_b64_value (unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

//  Hand-written rather than EVP_DecodeBlock: that one pads its output with
//  zero bytes for '=', accepts misplaced padding and cannot tell the caller
//  which character was wrong; DKIM needs all three done strictly.
dp_status
dp_dkim_base64_decode (const char *text, size_t len, uint8_t *out, size_t max,
                       size_t *out_len, dp_error_t *err)
{
    uint32_t acc = 0;
    size_t digits = 0, pad = 0, n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (dp_dkim_is_fws (c))
            continue;
        if (c == '=') {
            if (++pad > 2)
                return dp_error_set (err, DP_INVALID, "base64: too much padding");
            continue;
        }
        int v = s_b64_value (c);
        if (v < 0 || pad)
            return dp_error_set (err, DP_INVALID, "base64: %s at offset %zu",
                                 v < 0? "invalid character": "data after padding", i);
        acc = (acc << 6) | (uint32_t) v;
        if (++digits % 4 == 0) {
            if (n + 3 > max)
                return dp_error_set (err, DP_LIMIT, "base64: longer than %zu bytes", max);
            out [n++] = (uint8_t) (acc >> 16);
            out [n++] = (uint8_t) (acc >> 8);
            out [n++] = (uint8_t) acc;
        }
    }
    size_t rest = digits % 4;
    if ((digits + pad) % 4 != 0 || rest == 1 || (rest && rest + pad != 4) || (!rest && pad))
        return dp_error_set (err, DP_INVALID, "base64: length is not a multiple of 4");
    if (rest) {
        size_t extra = rest - 1;
        if (n + extra > max)
            return dp_error_set (err, DP_LIMIT, "base64: longer than %zu bytes", max);
        acc <<= 6 * (4 - rest);
        out [n++] = (uint8_t) (acc >> 16);
        if (extra == 2)
            out [n++] = (uint8_t) (acc >> 8);
    }
    *out_len = n;
    return DP_OK;
}

int
dp_dkim_tag_list_has (const dp_dkim_tag_t *tag, const char *item)
{
    size_t item_len = strlen (item), i = 0;
    while (i <= tag->value_len) {
        while (i < tag->value_len && dp_dkim_is_fws (tag->value [i]))
            i++;
        size_t start = i;
        while (i < tag->value_len && tag->value [i] != ':')
            i++;
        size_t end = i;
        while (end > start && dp_dkim_is_fws (tag->value [end - 1]))
            end--;
        if (end - start == item_len && memcmp (tag->value + start, item, item_len) == 0)
            return 1;
        i++;
    }
    return 0;
}
