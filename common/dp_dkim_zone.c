/*  dp_dkim_zone.c — key records from a zone.txt file. */

#include "dp_dkim_zone.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  Named limits: the corpus files have ~40 lines; a deployment's offline
//  key file is still small. The bounds keep a wrong path (a log file, a
//  device) from exhausting memory.
#define S_MAX_LINES 100000
#define S_MAX_BYTES (16 * 1024 * 1024)

typedef struct {
    char *name;     //  lower case, no trailing dot
    char *txt;
    size_t txt_len;
} s_record_t;

struct dp_dkim_zone_t {
    s_record_t *records;
    size_t count;
};

static void
s_name_norm (char *name)
{
    for (char *p = name; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    size_t len = strlen (name);
    if (len > 0 && name [len - 1] == '.')
        name [len - 1] = '\0';
}

//  Parses the quoted chunks after "TXT" into a new string.
static dp_status
s_parse_chunks (const char *p, const char *end, char **out, size_t *out_len, dp_error_t *err)
{
    char *txt = malloc ((size_t) (end - p) + 1);
    size_t n = 0;
    int chunks = 0;
    if (!txt)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    while (1) {
        while (p < end && isspace ((unsigned char) *p))
            p++;
        if (p == end)
            break;
        if (*p != '"') {
            free (txt);
            return dp_error_set (err, DP_INVALID, "expected a quoted TXT chunk");
        }
        for (p++; p < end && *p != '"'; p++) {
            if (*p == '\\' && p + 1 < end)
                p++;
            txt [n++] = *p;
        }
        if (p == end) {
            free (txt);
            return dp_error_set (err, DP_INVALID, "unterminated TXT chunk");
        }
        p++;
        chunks++;
    }
    if (chunks == 0) {
        free (txt);
        return dp_error_set (err, DP_INVALID, "TXT without a chunk");
    }
    txt [n] = '\0';
    *out = txt;
    *out_len = n;
    return DP_OK;
}

static dp_status
s_parse_line (dp_dkim_zone_t *self, const char *line, size_t len, size_t *cap,
              dp_error_t *err)
{
    const char *p = line, *end = line + len;
    while (p < end && isspace ((unsigned char) *p))
        p++;
    if (p == end || *p == '#')
        return DP_OK;
    const char *name = p;
    while (p < end && !isspace ((unsigned char) *p))
        p++;
    size_t name_len = (size_t) (p - name);
    while (p < end && isspace ((unsigned char) *p))
        p++;
    if (end - p < 4 || strncasecmp (p, "TXT", 3) != 0 || !isspace ((unsigned char) p [3]))
        return dp_error_set (err, DP_INVALID, "expected 'NAME TXT \"...\"'");
    if (name_len == 0 || name_len > 255)
        return dp_error_set (err, DP_INVALID, "bad name length");
    if (self->count == *cap) {
        size_t next = *cap? *cap * 2: 64;
        s_record_t *grown = realloc (self->records, next * sizeof *grown);
        if (!grown)
            return dp_error_set (err, DP_NOMEM, "out of memory");
        self->records = grown;
        *cap = next;
    }
    s_record_t *rec = &self->records [self->count];
    dp_status rc = s_parse_chunks (p + 3, end, &rec->txt, &rec->txt_len, err);
    if (rc != DP_OK)
        return rc;
    rec->name = strndup (name, name_len);
    if (!rec->name) {
        free (rec->txt);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    s_name_norm (rec->name);
    self->count++;
    return DP_OK;
}

dp_dkim_zone_t *
dp_dkim_zone_new_from_text (const char *text, size_t len, const char *label, dp_error_t *err)
{
    dp_dkim_zone_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "%s: out of memory", label);
        return NULL;
    }
    size_t pos = 0, lineno = 0, cap = 0;
    while (pos < len) {
        const char *nl = memchr (text + pos, '\n', len - pos);
        size_t n = nl? (size_t) (nl - (text + pos)): len - pos;
        if (++lineno > S_MAX_LINES) {
            dp_error_set (err, DP_LIMIT, "%s: more than %d lines", label, S_MAX_LINES);
            dp_dkim_zone_destroy (&self);
            return NULL;
        }
        if (s_parse_line (self, text + pos, n, &cap, err) != DP_OK) {
            dp_error_prefix (err, "%s:%zu", label, lineno);
            dp_dkim_zone_destroy (&self);
            return NULL;
        }
        pos += n + (nl? 1: 0);
    }
    return self;
}

dp_dkim_zone_t *
dp_dkim_zone_new (const char *path, dp_error_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        dp_error_set (err, DP_IO, "%s: cannot open", path);
        return NULL;
    }
    char *text = malloc (S_MAX_BYTES + 1);
    size_t len = text? fread (text, 1, S_MAX_BYTES + 1, file): 0;
    int failed = !text || ferror (file);
    fclose (file);
    if (failed || len > S_MAX_BYTES) {
        dp_error_set (err, failed? DP_IO: DP_LIMIT, "%s: %s", path,
                      failed? "cannot read": "larger than 16 MiB");
        free (text);
        return NULL;
    }
    dp_dkim_zone_t *self = dp_dkim_zone_new_from_text (text, len, path, err);
    free (text);
    return self;
}

void
dp_dkim_zone_destroy (dp_dkim_zone_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_dkim_zone_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free (self->records [i].name);
        free (self->records [i].txt);
    }
    free (self->records);
    free (self);
    *self_p = NULL;
}

dp_status
dp_dkim_zone_txt (dp_dkim_zone_t *self, const char *name, char **txt, size_t *len,
                  dp_error_t *err)
{
    size_t name_len = strlen (name);
    if (name_len > 0 && name [name_len - 1] == '.')
        name_len--;
    const s_record_t *found = NULL;
    for (size_t i = 0; i < self->count; i++) {
        const s_record_t *rec = &self->records [i];
        if (strlen (rec->name) != name_len || strncasecmp (rec->name, name, name_len) != 0)
            continue;
        if (found)
            return dp_error_set (err, DP_INVALID, "more than one TXT record");
        found = rec;
    }
    if (!found)
        return dp_error_set (err, DP_NOTFOUND, "no such name");
    *txt = malloc (found->txt_len + 1);
    if (!*txt)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    memcpy (*txt, found->txt, found->txt_len + 1);
    *len = found->txt_len;
    return DP_OK;
}

size_t
dp_dkim_zone_size (const dp_dkim_zone_t *self)
{
    return self->count;
}
