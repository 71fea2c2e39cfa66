/*  dp_submit_input.c — cuts JSON Lines or a JSON array into deal records.

    One buffer holds the bytes not yet handed out. `keep` marks the first
    byte still needed (the start of the record being cut); s_fill moves
    it to the front before reading more, and grows the buffer only up to
    the record limit plus one read, so memory stays bounded whatever the
    input. */

#include "dp_submit_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_READ_SIZE (256u * 1024)

typedef enum { S_UNKNOWN, S_LINES, S_ARRAY } s_format_t;
typedef enum { S_EXPECT_VALUE, S_EXPECT_FIRST, S_EXPECT_SEP, S_EXPECT_END } s_array_state_t;

struct dp_submit_input_t {
    FILE *file;
    int owns_file;
    char *name;
    size_t record_max;
    char *buf;
    size_t cap;
    size_t keep;            //  first byte still needed
    size_t pos;             //  next byte to scan
    size_t end;             //  bytes in buf
    int eof;
    int io_error;
    s_format_t format;
    s_array_state_t array_state;
    size_t line;            //  line of buf[pos]
    size_t index;           //  records handed out (or skipped)
    int skip_line;          //  JSON Lines: discard up to the next newline first
    int broken;             //  the array is malformed: stop
    int saved;              //  byte overwritten by an element's NUL, or -1
};

static dp_submit_input_t *
s_new (FILE *file, int owns, const char *name, size_t record_max, dp_error_t *err)
{
    dp_submit_input_t *self = calloc (1, sizeof *self);
    if (!self)
        goto nomem;
    self->file = file;
    self->owns_file = owns;
    self->record_max = record_max? record_max: DP_SUBMIT_RECORD_MAX;
    self->name = strdup (name);
    self->cap = S_READ_SIZE + 1;
    self->buf = malloc (self->cap);
    self->line = 1;
    self->saved = -1;
    if (!self->name || !self->buf) {
        self->owns_file = 0;
        dp_submit_input_destroy (&self);
        goto nomem;
    }
    return self;
nomem:
    dp_error_set (err, DP_NOMEM, "%s: out of memory", name);
    return NULL;
}

dp_submit_input_t *
dp_submit_input_open (const char *path, size_t record_max, dp_error_t *err)
{
    if (strcmp (path, "-") == 0)
        return dp_submit_input_from_stream (stdin, "<stdin>", record_max, err);
    FILE *file = fopen (path, "rb");
    if (!file) {
        dp_error_set (err, DP_IO, "%s: cannot open: %s", path, strerror (errno));
        return NULL;
    }
    dp_submit_input_t *self = s_new (file, 1, path, record_max, err);
    if (!self)
        fclose (file);
    return self;
}

dp_submit_input_t *
dp_submit_input_from_stream (FILE *stream, const char *name, size_t record_max,
                             dp_error_t *err)
{
    return s_new (stream, 0, name, record_max, err);
}

//  Reads more bytes after compacting. Returns the number of new bytes
//  (0 at end of input or error). The buffer may move: offsets stay valid.
static size_t
s_fill (dp_submit_input_t *self)
{
    if (self->eof)
        return 0;
    if (self->keep > 0) {
        memmove (self->buf, self->buf + self->keep, self->end - self->keep);
        self->pos -= self->keep;
        self->end -= self->keep;
        self->keep = 0;
    }
    size_t limit = self->record_max + S_READ_SIZE + 2;
    if (self->cap - self->end < S_READ_SIZE + 1 && self->cap < limit) {
        size_t cap = self->cap * 2 < limit? self->cap * 2: limit;
        char *grown = realloc (self->buf, cap);
        if (!grown) {
            self->io_error = ENOMEM;
            self->eof = 1;
            return 0;
        }
        self->buf = grown;
        self->cap = cap;
    }
    size_t room = self->cap - self->end - 1;
    size_t got = room? fread (self->buf + self->end, 1, room, self->file): 0;
    if (got == 0) {
        self->eof = 1;
        if (ferror (self->file))
            self->io_error = errno? errno: EIO;
    }
    self->end += got;
    return got;
}

//  Next byte to scan, reading more if needed; -1 at end of input.
static inline int
s_peek (dp_submit_input_t *self)
{
    if (self->pos == self->end && s_fill (self) == 0)
        return -1;
    return (unsigned char) self->buf [self->pos];
}

static int
s_is_blank (const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text [i] != ' ' && text [i] != '\t' && text [i] != '\r')
            return 0;
    return 1;
}

//  Decides the format from the first non-blank byte; counts blank lines.
static void
s_detect (dp_submit_input_t *self)
{
    int c;
    while ((c = s_peek (self)) == ' ' || c == '\t' || c == '\r' || c == '\n') {
        if (c == '\n')
            self->line++;
        self->pos++;
    }
    self->keep = self->pos;
    if (c == '[') {
        self->format = S_ARRAY;
        self->array_state = S_EXPECT_FIRST;
        self->pos++;
        self->keep = self->pos;
    }
    else
        self->format = S_LINES;
}

static dp_status
s_io_status (dp_submit_input_t *self, dp_error_t *err)
{
    return dp_error_set (err, DP_IO, "read error: %s", strerror (self->io_error));
}

//  JSON Lines: discards the rest of an over-long line.
static void
s_skip_rest_of_line (dp_submit_input_t *self)
{
    while (1) {
        char *nl = memchr (self->buf + self->pos, '\n', self->end - self->pos);
        if (nl) {
            self->pos = (size_t) (nl - self->buf) + 1;
            self->keep = self->pos;
            self->line++;
            self->skip_line = 0;
            return;
        }
        self->pos = self->keep = self->end;
        if (s_fill (self) == 0) {
            self->skip_line = 0;
            return;
        }
    }
}

static dp_status
s_next_line (dp_submit_input_t *self, dp_submit_record_t *record, dp_error_t *err)
{
    while (1) {
        if (self->skip_line)
            s_skip_rest_of_line (self);
        size_t start = self->keep;
        char *nl = memchr (self->buf + self->pos, '\n', self->end - self->pos);
        if (!nl) {
            if (self->end - start > self->record_max) {
                record->line = self->line;
                record->index = self->index++;
                self->skip_line = 1;
                return dp_error_set (err, DP_LIMIT,
                    "line longer than the limit of %zu bytes", self->record_max);
            }
            self->pos = self->end;
            if (s_fill (self) > 0)
                continue;
            if (self->io_error)
                return s_io_status (self, err);
            start = self->keep;
            if (start == self->end)
                return DP_NOTFOUND;
            nl = self->buf + self->end;     //  last line without a newline
        }
        size_t stop = (size_t) (nl - self->buf);
        size_t line = self->line;
        self->pos = self->keep = stop < self->end? stop + 1: stop;
        if (stop < self->end)
            self->line++;
        size_t len = stop - start;
        if (len > 0 && self->buf [start + len - 1] == '\r')
            len--;
        if (s_is_blank (self->buf + start, len))
            continue;
        if (len > self->record_max) {
            record->line = line;
            record->index = self->index++;
            return dp_error_set (err, DP_LIMIT,
                "line longer than the limit of %zu bytes", self->record_max);
        }
        self->buf [start + len] = '\0';
        record->text = self->buf + start;
        record->len = len;
        record->line = line;
        record->index = self->index++;
        return DP_OK;
    }
}

//  Skips blanks between array elements, counting lines. Returns the next
//  byte or -1.
static int
s_skip_blanks (dp_submit_input_t *self)
{
    int c;
    while ((c = s_peek (self)) == ' ' || c == '\t' || c == '\r' || c == '\n') {
        if (c == '\n')
            self->line++;
        self->pos++;
    }
    self->keep = self->pos;
    return c;
}

static dp_status
s_array_broken (dp_submit_input_t *self, dp_submit_record_t *record, dp_error_t *err,
                const char *reason)
{
    self->broken = 1;
    record->line = self->line;
    if (self->io_error)
        return s_io_status (self, err);
    return dp_error_set (err, DP_INVALID, "JSON array: %s", reason);
}

//  Scans one element starting at buf[pos]: an object, array, string or
//  scalar. Sets *too_long when it passed the limit (its bytes were then
//  dropped as they came). Returns 0 at the element's end, -1 at EOF.
static int
s_scan_element (dp_submit_input_t *self, int *too_long)
{
    int depth = 0, in_string = 0, escaped = 0;
    int first = (unsigned char) self->buf [self->pos];
    int scalar = first != '{' && first != '[' && first != '"';
    while (1) {
        int c = s_peek (self);
        if (c < 0)
            return -1;
        if (self->pos - self->keep > self->record_max) {
            *too_long = 1;
            self->keep = self->pos;         //  drop what was scanned so far
        }
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
            if (c == '\n')
                self->line++;
            self->pos++;
            if (!in_string && depth == 0)
                return 0;                   //  a top-level string ended
            continue;
        }
        if (scalar && (c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            return 0;
        if (c == '\n')
            self->line++;
        self->pos++;
        if (c == '"')
            in_string = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return 0;
    }
}

//  Hands out buf[keep..pos) as a record. An array element is followed by
//  bytes still to scan, so the byte its NUL replaces is saved and put back
//  on the next call.
static dp_status
s_emit (dp_submit_input_t *self, dp_submit_record_t *record)
{
    record->text = self->buf + self->keep;
    record->len = self->pos - self->keep;
    if (self->pos < self->end)
        self->saved = (unsigned char) self->buf [self->pos];
    self->buf [self->pos] = '\0';
    self->keep = self->pos;
    return DP_OK;
}

static dp_status
s_next_element (dp_submit_input_t *self, dp_submit_record_t *record, dp_error_t *err)
{
    if (self->broken)
        return DP_NOTFOUND;
    int c = s_skip_blanks (self);
    if (self->array_state == S_EXPECT_END) {
        if (c < 0)
            return self->io_error? s_io_status (self, err): DP_NOTFOUND;
        return s_array_broken (self, record, err, "text after the closing ]");
    }
    if (self->array_state == S_EXPECT_SEP) {
        if (c == ']') {
            self->pos++;
            self->array_state = S_EXPECT_END;
            return s_next_element (self, record, err);
        }
        if (c != ',')
            return s_array_broken (self, record, err, c < 0? "unexpected end of input (missing ])"
                                                   : "expected , or ] after an element");
        self->pos++;
        c = s_skip_blanks (self);
        if (c == ']')
            return s_array_broken (self, record, err, "trailing comma before ]");
    }
    else if (self->array_state == S_EXPECT_FIRST && c == ']') {
        self->pos++;
        self->array_state = S_EXPECT_END;
        return s_next_element (self, record, err);
    }
    if (c < 0)
        return s_array_broken (self, record, err, "unexpected end of input (missing ])");
    size_t line = self->line;
    int too_long = 0;
    if (s_scan_element (self, &too_long) < 0)
        return s_array_broken (self, record, err, "unexpected end of input inside an element");
    self->array_state = S_EXPECT_SEP;
    record->line = line;
    record->index = self->index++;
    if (too_long || self->pos - self->keep > self->record_max) {
        self->keep = self->pos;
        return dp_error_set (err, DP_LIMIT, "element longer than the limit of %zu bytes",
                             self->record_max);
    }
    //  Terminate in place: the byte after the element is copied out first
    //  so scanning can resume from it.
    return s_emit (self, record);
}

dp_status
dp_submit_input_next (dp_submit_input_t *self, dp_submit_record_t *record, dp_error_t *err)
{
    memset (record, 0, sizeof *record);
    dp_error_clear (err);
    if (self->saved >= 0) {
        self->buf [self->pos] = (char) self->saved;
        self->saved = -1;
    }
    if (self->format == S_UNKNOWN)
        s_detect (self);
    if (self->format == S_ARRAY)
        return s_next_element (self, record, err);
    return s_next_line (self, record, err);
}

const char *
dp_submit_input_name (dp_submit_input_t *self)
{
    return self->name;
}

int
dp_submit_input_is_array (dp_submit_input_t *self)
{
    if (self->format == S_UNKNOWN)
        s_detect (self);
    return self->format == S_ARRAY;
}

void
dp_submit_input_destroy (dp_submit_input_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_submit_input_t *self = *self_p;
    if (self->owns_file && self->file)
        fclose (self->file);
    free (self->buf);
    free (self->name);
    free (self);
    *self_p = NULL;
}
