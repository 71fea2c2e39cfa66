/*  dp_json_tree.c — strict JSON lexing and json-c tree building in one
    pass (see dp_json_tree.h for why).

    The lexical rules are those the separate check before json-c enforced
    (measured on Debian 12's json-c 0.16 in strict mode, its lexer accepts
    "1.", "00", "-01", NaN and Infinity, clamps integers beyond uint64,
    lets raw control characters through, turns lone surrogate escapes into
    U+FFFD and accepts overlong and surrogate UTF-8). The structural rules
    and their messages are those of json-c's strict tokener, so callers
    and users see the same errors as before. */

#define _GNU_SOURCE             //  strtod_l
#include "dp_json_tree.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined (__SSE2__)
#include <emmintrin.h>          //  SSE2 is part of every x86-64
#endif

#include "dp_hex.h"

//  ---------------------------------------------------------------------
//  Characters

size_t
dp_json_tree_utf8_decode (const unsigned char *s, size_t avail, uint32_t *cp)
{
    unsigned char b = s [0];
    size_t n;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if ((b & 0xE0) == 0xC0) { n = 2; c = b & 0x1F; min = 0x80; }
    else if ((b & 0xF0) == 0xE0) { n = 3; c = b & 0x0F; min = 0x800; }
    else if ((b & 0xF8) == 0xF0) { n = 4; c = b & 0x07; min = 0x10000; }
    else return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s [i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

static int
s_is_digit (unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
s_is_space (unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

//  Four hex digits at s (avail bytes) into *unit; -1 if not.
static int
s_hex4 (const unsigned char *s, size_t avail, uint32_t *unit)
{
    if (avail < 4)
        return -1;
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        int digit = dp_hex_digit (s [i]);
        if (digit < 0)
            return -1;
        value = value << 4 | (uint32_t) digit;
    }
    *unit = value;
    return 0;
}

#if defined (__SSE2__)

size_t
dp_json_tree_plain_run (const unsigned char *s, size_t len)
{
    //  16 bytes at a time: a signed compare with 0x20 catches both the
    //  control characters and every byte >= 0x80.
    const __m128i space = _mm_set1_epi8 (0x20), quote = _mm_set1_epi8 ('"');
    const __m128i slash = _mm_set1_epi8 ('\\'), del = _mm_set1_epi8 (0x7F);
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128 ((const __m128i *) (s + i));
        __m128i special = _mm_or_si128 (_mm_or_si128 (_mm_cmplt_epi8 (v, space), _mm_cmpeq_epi8 (v, quote)),
                                        _mm_or_si128 (_mm_cmpeq_epi8 (v, slash), _mm_cmpeq_epi8 (v, del)));
        unsigned mask = (unsigned) _mm_movemask_epi8 (special);
        if (mask)
            return i + (size_t) __builtin_ctz (mask);
    }
    while (i < len && s [i] >= 0x20 && s [i] < 0x7F && s [i] != '"' && s [i] != '\\')
        i++;
    return i;
}

#else

size_t
dp_json_tree_plain_run (const unsigned char *s, size_t len)
{
    //  A word of 8 bytes is plain when no byte is >= 0x80, < 0x20, '"',
    //  '\\' or 0x7F: each test is the exact "some byte is zero/less"
    //  bit trick (Hacker's Delight 6-1), so a flagged word is only ever
    //  one that really holds such a byte; it is then finished bytewise.
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w, quote, slash, del;
        memcpy (&w, s + i, 8);
        quote = w ^ (ones * '"');
        slash = w ^ (ones * '\\');
        del = w ^ (ones * 0x7F);
        uint64_t special = w | ((w - ones * 0x20) & ~w)
                         | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)
                         | ((del - ones) & ~del);
        if (special & highs)
            break;
    }
    while (i < len && s [i] >= 0x20 && s [i] < 0x7F && s [i] != '"' && s [i] != '\\')
        i++;
    return i;
}

#endif

//  Byte classes, so the common bytes cost one table look-up each.
enum { S_OTHER, S_PLAIN, S_SPACE, S_PUNCT, S_QUOTE, S_NUMBER, S_LETTER };
static unsigned char s_in_string [256];     //  S_PLAIN: printable ASCII standing for itself
static unsigned char s_outside [256];       //  what starts at this byte outside strings
static locale_t s_c_locale;                 //  numbers are read with '.' whatever the locale

static void
s_once_init (void)
{
    for (int c = 0x20; c < 0x80; c++)
        s_in_string [c] = S_PLAIN;
    s_in_string ['"'] = s_in_string ['\\'] = S_OTHER;
    for (const char *p = " \t\n\r"; *p; p++)
        s_outside [(unsigned char) *p] = S_SPACE;
    for (const char *p = "[]{},:"; *p; p++)
        s_outside [(unsigned char) *p] = S_PUNCT;
    for (int c = '0'; c <= '9'; c++)
        s_outside [c] = S_NUMBER;
    s_outside ['-'] = S_NUMBER;
    for (int c = 'a'; c <= 'z'; c++)
        s_outside [c] = s_outside [c - 0x20] = S_LETTER;
    s_outside ['"'] = S_QUOTE;
    s_c_locale = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
}

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

//  ---------------------------------------------------------------------
//  Lexer: each s_lex_* checks one token at lx->pos and moves past it.

typedef struct {
    const unsigned char *text;
    size_t len;
    size_t pos;
    size_t where;               //  offset of the failure
    const char *reason;         //  why, or NULL
    dp_status code;             //  DP_INVALID, DP_LIMIT or DP_NOMEM
    int nul_escape;             //  the last string has \u0000
    int escaped;                //  the last string has any escape
    int is_double;              //  the last number has a fraction or exponent
} s_lexer_t;

static int
s_fail (s_lexer_t *lx, size_t where, const char *reason)
{
    lx->where = where;
    lx->reason = reason;
    return -1;
}

//  One escape sequence at lx->pos (the backslash). A high surrogate must
//  be followed by a low one: json-c would replace a lone one by U+FFFD,
//  silently changing the text; Python keeps it, but no UTF-8 can.
static int
s_lex_escape (s_lexer_t *lx)
{
    size_t start = lx->pos;
    const unsigned char *s = lx->text;
    if (start + 1 >= lx->len)
        return s_fail (lx, start, "unterminated string");
    unsigned char kind = s [start + 1];
    if (kind && strchr ("\"\\/bfnrt", kind)) {
        lx->pos += 2;
        return 0;
    }
    uint32_t unit, low;
    if (kind != 'u' || s_hex4 (s + start + 2, lx->len - start - 2, &unit))
        return s_fail (lx, start, "invalid escape sequence in string");
    lx->pos += 6;
    lx->nul_escape |= unit == 0;
    if (unit >= 0xDC00 && unit <= 0xDFFF)
        return s_fail (lx, start, "lone low surrogate \\u escape in string");
    if (unit < 0xD800 || unit > 0xDBFF)
        return 0;
    size_t at = lx->pos;
    if (at + 1 < lx->len && s [at] == '\\' && s [at + 1] == 'u'
    &&  s_hex4 (s + at + 2, lx->len - at - 2, &low) == 0
    &&  low >= 0xDC00 && low <= 0xDFFF) {
        lx->pos += 6;
        return 0;
    }
    return s_fail (lx, start, "lone high surrogate \\u escape in string");
}

//  json-c keeps object keys as C strings, so a key with U+0000 would be
//  cut short silently; such a key (a string followed by ':') is refused,
//  wherever it stands (as the lexical check always did).
static int
s_check_key (s_lexer_t *lx, size_t start)
{
    if (!lx->nul_escape)
        return 0;
    size_t i = lx->pos;
    while (i < lx->len && s_is_space (lx->text [i]))
        i++;
    if (i < lx->len && lx->text [i] == ':')
        return s_fail (lx, start, "object key contains \\u0000 (not supported)");
    return 0;
}

static int
s_lex_string (s_lexer_t *lx)
{
    size_t start = lx->pos++;
    const unsigned char *text = lx->text;
    size_t len = lx->len;
    lx->nul_escape = lx->escaped = 0;
    while (lx->pos < len) {
        size_t pos = lx->pos + dp_json_tree_plain_run (text + lx->pos, len - lx->pos);
        while (pos < len && s_in_string [text [pos]] == S_PLAIN)
            pos++;
        lx->pos = pos;
        if (pos >= len)
            break;
        unsigned char b = text [pos];
        uint32_t cp;
        if (b == '"') {
            lx->pos++;
            return s_check_key (lx, start);
        }
        if (b == '\\') {
            lx->escaped = 1;
            if (s_lex_escape (lx))
                return -1;
            continue;
        }
        if (b < 0x20)
            return s_fail (lx, pos, "control character in string (must be escaped)");
        size_t n = dp_json_tree_utf8_decode (text + pos, len - pos, &cp);
        if (n == 0)
            return s_fail (lx, pos, "invalid UTF-8 in string");
        lx->pos += n;
    }
    return s_fail (lx, start, "unterminated string");
}

//  True if the integer's digits (no sign, no leading zero) exceed what
//  json-c can hold: int64 for negatives, uint64 otherwise.
static int
s_int_out_of_range (const unsigned char *digits, size_t n, int negative)
{
    const char *max = negative? "9223372036854775808": "18446744073709551615";
    size_t max_len = strlen (max);
    if (n != max_len)
        return n > max_len;
    return memcmp (digits, max, n) > 0;
}

static size_t
s_skip_digits (const unsigned char *s, size_t i, size_t len)
{
    while (i < len && s_is_digit (s [i]))
        i++;
    return i;
}

//  RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
static int
s_lex_number (s_lexer_t *lx)
{
    const unsigned char *s = lx->text;
    size_t i = lx->pos, start = lx->pos, len = lx->len;
    int negative = s [i] == '-', is_int = 1;
    i += negative;
    size_t digits = i;
    if (i >= len || !s_is_digit (s [i]))
        return s_fail (lx, start, "invalid number (digit expected)");
    if (s [i] == '0' && i + 1 < len && s_is_digit (s [i + 1]))
        return s_fail (lx, start, "invalid number (leading zero)");
    i = s_skip_digits (s, i, len);
    size_t digits_end = i;
    if (i < len && s [i] == '.') {
        is_int = 0;
        if (++i >= len || !s_is_digit (s [i]))
            return s_fail (lx, start, "invalid number (digit expected after '.')");
        i = s_skip_digits (s, i, len);
    }
    if (i < len && (s [i] == 'e' || s [i] == 'E')) {
        is_int = 0;
        i++;
        if (i < len && (s [i] == '+' || s [i] == '-'))
            i++;
        if (i >= len || !s_is_digit (s [i]))
            return s_fail (lx, start, "invalid number (digit expected in exponent)");
        i = s_skip_digits (s, i, len);
    }
    if (is_int && s_int_out_of_range (s + digits, digits_end - digits, negative))
        return s_fail (lx, start, "integer out of range (beyond 64 bits)");
    lx->is_double = !is_int;
    lx->pos = i;
    return 0;
}

static int
s_lex_word (s_lexer_t *lx)
{
    size_t start = lx->pos, i = lx->pos;
    while (i < lx->len && ((lx->text [i] | 0x20) >= 'a' && (lx->text [i] | 0x20) <= 'z'))
        i++;
    size_t n = i - start;
    const char *word = (const char *) lx->text + start;
    if ((n == 4 && memcmp (word, "true", 4) == 0)
    ||  (n == 5 && memcmp (word, "false", 5) == 0)
    ||  (n == 4 && memcmp (word, "null", 4) == 0)) {
        lx->pos = i;
        return 0;
    }
    return s_fail (lx, start, "invalid literal (JSON has only true, false and null)");
}

//  One token of any kind at lx->pos.
static int
s_lex_token (s_lexer_t *lx)
{
    unsigned char c = lx->text [lx->pos];
    switch (s_outside [c]) {
        case S_SPACE:
        case S_PUNCT:
            lx->pos++;
            return 0;
        case S_QUOTE:
            return s_lex_string (lx);
        case S_NUMBER:
            return s_lex_number (lx);
        case S_LETTER:
            return s_lex_word (lx);
    }
    return s_fail (lx, lx->pos, c >= 0x80? "unexpected non-ASCII character outside a string"
                                         : "unexpected character");
}

//  A structural fault at `where` (a token start or the end): a lexical
//  fault further on wins, as it did when the whole text was lexed first.
static int
s_structural (s_lexer_t *lx, size_t where, dp_status code, const char *reason)
{
    lx->pos = where;
    while (lx->pos < lx->len)
        if (s_lex_token (lx))
            return -1;
    lx->code = code;
    return s_fail (lx, where, reason);
}

//  ---------------------------------------------------------------------
//  Values

//  The parser lives on the caller's stack (about 1 KiB): a heap block
//  that size costs a malloc_consolidate per parse in glibc.
#define S_LOCAL_FRAMES 32
#define S_LOCAL_BYTES  256

typedef struct {
    json_object *container;
    int is_object;
    int has_members;
} s_frame_t;

typedef struct {
    s_lexer_t lx;
    int max_depth;
    s_frame_t *frames;          //  open containers, the top one last
    size_t depth, frames_cap;
    json_object *root;
    char *key;                  //  the member name being read (NUL-terminated)
    char *scratch;              //  decoded strings, number texts
    size_t key_cap, scratch_cap;
    s_frame_t local_frames [S_LOCAL_FRAMES];
    char local_key [S_LOCAL_BYTES];
    char local_scratch [S_LOCAL_BYTES];
} s_parser_t;

static int
s_nomem (s_parser_t *p)
{
    p->lx.code = DP_NOMEM;
    return s_fail (&p->lx, p->lx.pos, "out of memory");
}

//  Makes *buf (a local array or the heap) hold at least size bytes.
static int
s_reserve (s_parser_t *p, char **buf, size_t *cap, char *local, size_t size)
{
    if (size <= *cap)
        return 0;
    char *grown = malloc (size);
    if (!grown)
        return s_nomem (p);
    if (*buf != local)
        free (*buf);
    *buf = grown;
    *cap = size;
    return 0;
}

//  Writes code point cp as UTF-8 at out; returns the bytes written.
static size_t
s_put_utf8 (uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out [0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out [0] = (char) (0xC0 | cp >> 6);
        out [1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out [0] = (char) (0xE0 | cp >> 12);
        out [1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out [0] = (char) (0xF0 | cp >> 18);
    out [1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    out [3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

//  Decodes the escapes of a lexed string body s[0..n) into out (at least
//  n bytes: no escape grows); returns the decoded length. The lexer has
//  checked every escape, surrogate pairs included.
static size_t
s_unescape (const unsigned char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (s [i] != '\\') {
            out [o++] = (char) s [i++];
            continue;
        }
        unsigned char kind = s [i + 1];
        const char *from = "bfnrt", *to = "\b\f\n\r\t";
        const char *short_form = strchr (from, kind);
        if (kind != 'u') {
            out [o++] = short_form? to [short_form - from]: (char) kind;
            i += 2;
            continue;
        }
        uint32_t unit = 0, low = 0;
        s_hex4 (s + i + 2, 4, &unit);
        i += 6;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            s_hex4 (s + i + 2, 4, &low);
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
        }
        o += s_put_utf8 (unit, out + o);
    }
    return o;
}

//  The string token [start, lx.pos) as text: *text points into the input
//  when it has no escape, else into buf (decoded there).
static int
s_string_text (s_parser_t *p, size_t start, char **buf, size_t *cap, char *local,
               const char **text, size_t *len)
{
    const unsigned char *body = p->lx.text + start + 1;
    size_t n = p->lx.pos - start - 2;
    if (!p->lx.escaped) {
        *text = (const char *) body;
        *len = n;
        return 0;
    }
    if (s_reserve (p, buf, cap, local, n + 1))
        return -1;
    *len = s_unescape (body, n, *buf);
    *text = *buf;
    return 0;
}

//  An integer token json-c's way: negatives and values up to INT64_MAX
//  as int64, larger ones as uint64 (the lexer has checked the range).
static json_object *
s_make_int (const unsigned char *s, size_t n)
{
    int negative = s [0] == '-';
    uint64_t magnitude = 0;
    for (size_t i = (size_t) negative; i < n; i++)
        magnitude = magnitude * 10 + (uint64_t) (s [i] - '0');
    if (negative)
        return json_object_new_int64 (magnitude > (uint64_t) INT64_MAX? INT64_MIN: -(int64_t) magnitude);
    if (magnitude > (uint64_t) INT64_MAX)
        return json_object_new_uint64 (magnitude);
    return json_object_new_int64 ((int64_t) magnitude);
}

//  Clinger's fast path (1990): a decimal whose digits make an integer
//  below 10^15 (so below 2^53, exact as a double) scaled by 10^k with
//  |k| <= 22 (an exact power of ten as a double) is the correctly
//  rounded result of one IEEE multiplication or division, which is what
//  strtod returns. Prices ("903.50") always take it; it skips strtod's
//  multi-precision set-up. Returns 0 and *value, or -1 to use strtod.
static const double s_powers [] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static int
s_fast_double (const unsigned char *s, size_t n, double *value)
{
    size_t i = s [0] == '-';
    uint64_t digits = 0;
    int count = 0, scale = 0, exponent = 0, exponent_sign = 1;
    for (int fraction = 0; i < n; i++) {
        if (s [i] == '.' && !fraction) {
            fraction = 1;
            continue;
        }
        if (!s_is_digit (s [i]))
            break;
        count += count > 0 || s [i] != '0';         //  significant digits
        digits = digits * 10 + (uint64_t) (s [i] - '0');
        scale -= fraction;
    }
    if (i < n && (s [i] == 'e' || s [i] == 'E')) {
        i++;
        if (s [i] == '+' || s [i] == '-')
            exponent_sign = s [i++] == '-'? -1: 1;
        for (; i < n && exponent < 1000; i++)
            exponent = exponent * 10 + (s [i] - '0');
    }
    int k = scale + exponent_sign * exponent;
    if (count > 15 || i < n || k < -22 || k > 22)
        return -1;
    double magnitude = k < 0? (double) digits / s_powers [-k]: (double) digits * s_powers [k];
    *value = s [0] == '-'? -magnitude: magnitude;
    return 0;
}

//  A number with a fraction or exponent: the double strtod reads in the
//  C locale (out of range gives +-inf or 0, as json-c's tokener), with
//  its source text kept (json_object_new_double_s).
static json_object *
s_make_double (s_parser_t *p, const unsigned char *s, size_t n)
{
    if (s_reserve (p, &p->scratch, &p->scratch_cap, p->local_scratch, n + 1))
        return NULL;
    memcpy (p->scratch, s, n);
    p->scratch [n] = '\0';
    double value;
    if (s_fast_double (s, n, &value))
        value = strtod_l (p->scratch, NULL, s_c_locale);
    json_object *number = json_object_new_double_s (value, p->scratch);
    if (!number)
        s_nomem (p);
    return number;
}

//  The scalar token at lx.pos, checked and built; *value NULL for null.
static int
s_scalar (s_parser_t *p, json_object **value)
{
    s_lexer_t *lx = &p->lx;
    size_t start = lx->pos;
    unsigned char c = lx->text [start];
    *value = NULL;
    if (s_lex_token (lx))
        return -1;
    if (c == '"') {
        const char *text;
        size_t len;
        if (s_string_text (p, start, &p->scratch, &p->scratch_cap, p->local_scratch, &text, &len))
            return -1;
        *value = json_object_new_string_len (text, (int) len);
    }
    else
    if (s_outside [c] == S_NUMBER)
        *value = lx->is_double? s_make_double (p, lx->text + start, lx->pos - start)
                              : s_make_int (lx->text + start, lx->pos - start);
    else
    if (c == 'n')
        return 0;
    else
        *value = json_object_new_boolean (c == 't');
    return *value? 0: s_nomem (p);
}

//  ---------------------------------------------------------------------
//  Structure

//  Hangs value (owned) on the open container, or makes it the root.
static int
s_attach (s_parser_t *p, json_object *value)
{
    if (p->depth == 0) {
        p->root = value;
        return 0;
    }
    s_frame_t *top = &p->frames [p->depth - 1];
    top->has_members = 1;
    int rc = top->is_object? json_object_object_add (top->container, p->key, value)
                           : json_object_array_add (top->container, value);
    if (rc) {
        json_object_put (value);
        return s_nomem (p);
    }
    return 0;
}

static int
s_push (s_parser_t *p, json_object *container, int is_object)
{
    if (p->depth == p->frames_cap) {
        size_t cap = 2 * p->frames_cap;
        s_frame_t *grown = malloc (cap * sizeof *grown);
        if (!grown)
            return s_nomem (p);
        memcpy (grown, p->frames, p->depth * sizeof *grown);
        if (p->frames != p->local_frames)
            free (p->frames);
        p->frames = grown;
        p->frames_cap = cap;
    }
    p->frames [p->depth++] = (s_frame_t) { container, is_object, 0 };
    return 0;
}

//  One value starting at lx.pos (not the end, whitespace skipped): a
//  scalar is attached whole, a container is attached and left open.
static int
s_value (s_parser_t *p)
{
    s_lexer_t *lx = &p->lx;
    unsigned char c = lx->text [lx->pos];
    if (p->depth > (size_t) p->max_depth)
        return s_structural (lx, lx->pos, DP_LIMIT, "nesting too deep");
    if (c == '[' || c == '{') {
        json_object *container = c == '{'? json_object_new_object (): json_object_new_array_ext (8);
        if (!container || s_attach (p, container))
            return container? -1: s_nomem (p);
        lx->pos++;
        return s_push (p, container, c == '{');
    }
    if (c != '"' && s_outside [c] != S_NUMBER && s_outside [c] != S_LETTER)
        return s_structural (lx, lx->pos, DP_INVALID, "unexpected character");
    json_object *value;
    if (s_scalar (p, &value) || s_attach (p, value))
        return -1;
    //  Inside a container json-c wants a number to end at a separator or
    //  whitespace ("[1:2]", "[1true]" fail at the second character).
    if (s_outside [c] == S_NUMBER && p->depth > 0 && lx->pos < lx->len
    &&  !s_is_space (lx->text [lx->pos]) && !strchr (",]}", lx->text [lx->pos]))
        return s_structural (lx, lx->pos, DP_INVALID, "number expected");
    return 0;
}

//  Skips whitespace; -1 with json-c's end-of-data fault at the end.
static int
s_skip_space (s_parser_t *p)
{
    s_lexer_t *lx = &p->lx;
    while (lx->pos < lx->len && s_is_space (lx->text [lx->pos]))
        lx->pos++;
    if (lx->pos < lx->len)
        return 0;
    return s_structural (lx, lx->len, DP_INVALID, "unexpected end of data");
}

//  A member "key": value of the open object, at its opening quote.
static int
s_member (s_parser_t *p)
{
    s_lexer_t *lx = &p->lx;
    size_t start = lx->pos;
    const char *key;
    size_t len;
    if (s_lex_string (lx)
    ||  s_string_text (p, start, &p->key, &p->key_cap, p->local_key, &key, &len)
    ||  s_reserve (p, &p->key, &p->key_cap, p->local_key, len + 1))
        return -1;
    if (key != p->key)
        memcpy (p->key, key, len);
    p->key [len] = '\0';
    if (s_skip_space (p))
        return -1;
    if (lx->text [lx->pos] != ':')
        return s_structural (lx, lx->pos, DP_INVALID, "object property name separator ':' expected");
    lx->pos++;
    return s_skip_space (p) || s_value (p);
}

//  The next step inside the open container at lx.pos (whitespace
//  skipped): a member or element, a separator, or the closing bracket.
static int
s_step (s_parser_t *p)
{
    s_lexer_t *lx = &p->lx;
    s_frame_t *top = &p->frames [p->depth - 1];
    unsigned char c = lx->text [lx->pos];
    unsigned char close = top->is_object? '}': ']';
    if (c == close) {
        lx->pos++;
        p->depth--;
        return 0;
    }
    if (top->has_members) {
        if (c != ',')
            return s_structural (lx, lx->pos, DP_INVALID, top->is_object
                                 ? "object value separator ',' expected"
                                 : "array value separator ',' expected");
        lx->pos++;
        if (s_skip_space (p))
            return -1;
        c = lx->text [lx->pos];
        if (c == close)
            return s_structural (lx, lx->pos, DP_INVALID, "unexpected character");
    }
    if (!top->is_object)
        return s_value (p);
    if (c != '"')
        return s_structural (lx, lx->pos, DP_INVALID, "quoted object property name expected");
    return s_member (p);
}

static int
s_parse (s_parser_t *p)
{
    s_lexer_t *lx = &p->lx;
    if (s_skip_space (p) || s_value (p))
        return -1;
    while (p->depth > 0)
        if (s_skip_space (p) || s_step (p))
            return -1;
    while (lx->pos < lx->len && s_is_space (lx->text [lx->pos]))
        lx->pos++;
    if (lx->pos < lx->len)
        return s_structural (lx, lx->pos, DP_INVALID, "unexpected character");
    return 0;
}

dp_status
dp_json_tree_parse (const char *text, size_t len, int max_depth, json_object **out,
                    size_t *where, const char **reason)
{
    pthread_once (&s_once, s_once_init);
    if (!s_c_locale) {
        *where = 0;
        *reason = "out of memory";
        return DP_NOMEM;
    }
    s_parser_t parser, *p = &parser;
    p->lx = (s_lexer_t) { (const unsigned char *) text, len, 0, 0, NULL, DP_INVALID, 0, 0, 0 };
    //  json-c's depth: the top value is at 0, and a container at
    //  max_depth - 1 may not hold anything; p->max_depth is that depth,
    //  and p->depth counts open containers.
    p->max_depth = (max_depth > 0? max_depth: DP_JSON_TREE_DEPTH) - 1;
    p->frames = p->local_frames;
    p->frames_cap = S_LOCAL_FRAMES;
    p->depth = 0;
    p->root = NULL;
    p->key = p->local_key;
    p->scratch = p->local_scratch;
    p->key_cap = p->scratch_cap = S_LOCAL_BYTES;
    int rc = s_parse (p);
    if (p->frames != p->local_frames)
        free (p->frames);
    if (p->key != p->local_key)
        free (p->key);
    if (p->scratch != p->local_scratch)
        free (p->scratch);
    dp_status status = p->lx.code;
    *where = p->lx.where;
    *reason = p->lx.reason;
    if (rc == 0)
        *out = p->root;
    else
        json_object_put (p->root);
    return rc == 0? DP_OK: status;
}
