/*  dp_dkim_dns.c — TXT query and answer in DNS wire format. */

#include "dp_dkim_dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TYPE_CNAME 5
#define S_TYPE_TXT 16
#define S_CLASS_IN 1
#define S_NAME_MAX 255

dp_status
dp_dkim_dns_query (const char *name, uint16_t id, uint8_t *out, size_t cap, size_t *len,
                   dp_error_t *err)
{
    size_t name_len = strlen (name);
    if (name_len && name [name_len - 1] == '.')
        name_len--;
    if (name_len == 0 || name_len > 253)
        return dp_error_set (err, DP_INVALID, "dns: bad name length");
    if (cap < 12 + name_len + 2 + 4)
        return dp_error_set (err, DP_LIMIT, "dns: query buffer too small");
    uint8_t header [12] = { (uint8_t) (id >> 8), (uint8_t) id, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy (out, header, 12);
    size_t n = 12, start = 0;
    for (size_t i = 0; i <= name_len; i++) {
        if (i < name_len && name [i] != '.')
            continue;
        size_t label = i - start;
        if (label == 0 || label > 63)
            return dp_error_set (err, DP_INVALID, "dns: empty or long label in name");
        out [n++] = (uint8_t) label;
        memcpy (out + n, name + start, label);
        n += label;
        start = i + 1;
    }
    out [n++] = 0;
    uint8_t tail [4] = { 0, S_TYPE_TXT, 0, S_CLASS_IN };
    memcpy (out + n, tail, 4);
    *len = n + 4;
    return DP_OK;
}

//  Reads a possibly compressed name at *pos into out (dotted, no final
//  dot) and moves *pos past it. -1 if malformed.
static int
s_read_name (const uint8_t *msg, size_t len, size_t *pos, char out [S_NAME_MAX + 1])
{
    size_t p = *pos, n = 0, jumps = 0;
    int jumped = 0;
    while (1) {
        if (p >= len)
            return -1;
        uint8_t c = msg [p];
        if ((c & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++jumps > 32)
                return -1;
            if (!jumped)
                *pos = p + 2;
            jumped = 1;
            p = ((size_t) (c & 0x3f) << 8) | msg [p + 1];
            continue;
        }
        if (c & 0xc0)
            return -1;
        p++;
        if (c == 0)
            break;
        if (p + c > len || n + c + 1 > S_NAME_MAX)
            return -1;
        if (n)
            out [n++] = '.';
        memcpy (out + n, msg + p, c);
        n += c;
        p += c;
    }
    out [n] = '\0';
    if (!jumped)
        *pos = p;
    return 0;
}

static int
s_name_eq (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    if (lb && b [lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp (a, b, la) == 0;
}

static uint16_t
s_u16 (const uint8_t *p)
{
    return (uint16_t) ((p [0] << 8) | p [1]);
}

static dp_status
s_txt_rdata (const uint8_t *rdata, size_t rdlen, char **txt, size_t *txt_len, dp_error_t *err)
{
    char *out = malloc (rdlen + 1);
    size_t n = 0;
    if (!out)
        return dp_error_set (err, DP_NOMEM, "dns: out of memory");
    for (size_t i = 0; i < rdlen;) {
        size_t chunk = rdata [i++];
        if (i + chunk > rdlen) {
            free (out);
            return dp_error_set (err, DP_PROTO, "dns: TXT string overruns its record");
        }
        memcpy (out + n, rdata + i, chunk);
        n += chunk;
        i += chunk;
    }
    out [n] = '\0';
    *txt = out;
    *txt_len = n;
    return DP_OK;
}

static dp_status
s_check_header (const uint8_t *msg, size_t len, const char *name, uint16_t id,
                size_t *pos, dp_error_t *err)
{
    if (len < 12)
        return dp_error_set (err, DP_PROTO, "dns: response shorter than a header");
    if (s_u16 (msg) != id || !(msg [2] & 0x80))
        return dp_error_set (err, DP_PROTO, "dns: not a response to our query");
    int rcode = msg [3] & 0x0f;
    if (rcode == 3)
        return dp_error_set (err, DP_NOTFOUND, "NXDOMAIN");
    if (rcode != 0)
        return dp_error_set (err, DP_UNREACHABLE, "resolver answered rcode %d%s", rcode,
                             rcode == 2? " (SERVFAIL)": rcode == 5? " (REFUSED)": "");
    if (msg [2] & 0x02)
        return dp_error_set (err, DP_PROTO, "dns: truncated response");
    if (s_u16 (msg + 4) != 1)
        return dp_error_set (err, DP_PROTO, "dns: response has %u questions", s_u16 (msg + 4));
    char qname [S_NAME_MAX + 1];
    *pos = 12;
    if (s_read_name (msg, len, pos, qname) != 0 || *pos + 4 > len)
        return dp_error_set (err, DP_PROTO, "dns: malformed question");
    if (!s_name_eq (qname, name) || s_u16 (msg + *pos) != S_TYPE_TXT
    ||  s_u16 (msg + *pos + 2) != S_CLASS_IN)
        return dp_error_set (err, DP_PROTO, "dns: response is for another question");
    *pos += 4;
    return DP_OK;
}

dp_status
dp_dkim_dns_answer_txt (const uint8_t *msg, size_t len, const char *name, uint16_t id,
                        char **txt, size_t *txt_len, dp_error_t *err)
{
    *txt = NULL;
    size_t pos;
    dp_status rc = s_check_header (msg, len, name, id, &pos, err);
    if (rc != DP_OK)
        return rc;
    char owner [S_NAME_MAX + 1], target [S_NAME_MAX + 1];
    snprintf (target, sizeof target, "%s", name);
    size_t tlen = strlen (target);
    if (tlen && target [tlen - 1] == '.')
        target [tlen - 1] = '\0';
    const uint8_t *found = NULL;
    size_t found_len = 0, records = 0;
    for (unsigned an = s_u16 (msg + 6); an > 0; an--) {
        if (s_read_name (msg, len, &pos, owner) != 0 || pos + 10 > len)
            return dp_error_set (err, DP_PROTO, "dns: malformed answer record");
        uint16_t type = s_u16 (msg + pos), class = s_u16 (msg + pos + 2);
        size_t rdlen = s_u16 (msg + pos + 8);
        pos += 10;
        if (pos + rdlen > len)
            return dp_error_set (err, DP_PROTO, "dns: answer record overruns the message");
        if (class == S_CLASS_IN && s_name_eq (owner, target)) {
            size_t rpos = pos;
            if (type == S_TYPE_CNAME && s_read_name (msg, pos + rdlen, &rpos, target) != 0)
                return dp_error_set (err, DP_PROTO, "dns: malformed CNAME");
            if (type == S_TYPE_TXT) {
                found = msg + pos;
                found_len = rdlen;
                records++;
            }
        }
        pos += rdlen;
    }
    if (records == 0)
        return dp_error_set (err, DP_NOTFOUND, "no TXT record");
    if (records > 1)        //  RFC 6376 s3.6.2.2: undefined; refuse
        return dp_error_set (err, DP_INVALID, "%zu TXT records", records);
    return s_txt_rdata (found, found_len, txt, txt_len, err);
}
