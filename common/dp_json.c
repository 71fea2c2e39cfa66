/*  dp_json.c — strict JSON parsing (json-c behind an RFC 8259 lexical
    check) and the Python-exact and canonical writers.

    Why json-c: it keeps a parsed number's source text (a double made by
    its tokener carries the text as userdata), which SPEC §1's money rule
    needs; jansson converts numbers to doubles and drops the text.

    Why a lexical pass of our own before json-c: measured on Debian 12's
    json-c 0.16 in strict mode, it accepts "1.", "00", "-01", NaN and
    Infinity, silently clamps integers beyond uint64, lets raw control
    characters through in strings, turns lone surrogate escapes into
    U+FFFD and accepts overlong and surrogate UTF-8. Python's json module
    and RFC 8259 refuse all of these. The pass is linear and reports the
    exact line and column; json-c then builds the tree and checks the
    structure (brackets, commas, depth).

    json-c 0.16 also decodes about 3% of valid surrogate-pair escapes to
    U+FFFD (e.g. "\uda36\udea2"; found by the comparison with Python in
    tests/unit/test_json.c, which writes every astral character as such
    a pair). So the lexical pass notes each pair, and when there are any
    the text json-c sees has them replaced by their raw UTF-8 (4 bytes for
    12); error offsets are mapped back to the original text. */

#include "dp_json.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---------------------------------------------------------------------
//  UTF-8

//  Decodes one UTF-8 sequence from s[0..avail): returns its length (1..4)
//  and the code point, or 0 if it is malformed (truncated, overlong, a
//  surrogate, or beyond U+10FFFF).
static size_t
s_utf8_decode (const unsigned char *s, size_t avail, uint32_t *cp)
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
s_nibble (unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
s_is_digit (unsigned char c)
{
    return c >= '0' && c <= '9';
}

//  ---------------------------------------------------------------------
//  Lexical check

typedef struct {
    const unsigned char *text;
    size_t len;
    size_t pos;
    size_t where;               //  offset of the failure
    const char *reason;         //  why, or NULL
    dp_status code;             //  DP_INVALID, or DP_NOMEM
    size_t *pairs;              //  offsets of surrogate-pair escapes
    size_t pair_count, pair_cap;
    int nul_escape;             //  the current string has \u0000
} s_lexer_t;

static int
s_fail (s_lexer_t *lx, size_t where, const char *reason)
{
    lx->where = where;
    lx->reason = reason;
    return -1;
}

static int
s_note_pair (s_lexer_t *lx, size_t offset)
{
    if (lx->pair_count == lx->pair_cap) {
        size_t cap = lx->pair_cap? 2 * lx->pair_cap: 16;
        size_t *grown = realloc (lx->pairs, cap * sizeof *grown);
        if (!grown) {
            lx->code = DP_NOMEM;
            return s_fail (lx, offset, "out of memory");
        }
        lx->pairs = grown;
        lx->pair_cap = cap;
    }
    lx->pairs [lx->pair_count++] = offset;
    return 0;
}

//  Four hex digits at s (avail bytes) into *unit; -1 if not.
static int
s_hex4 (const unsigned char *s, size_t avail, uint32_t *unit)
{
    if (avail < 4)
        return -1;
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        int digit = s_nibble (s [i]);
        if (digit < 0)
            return -1;
        value = value << 4 | (uint32_t) digit;
    }
    *unit = value;
    return 0;
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
        return s_note_pair (lx, start);
    }
    return s_fail (lx, start, "lone high surrogate \\u escape in string");
}

//  json-c keeps object keys as C strings, so a key with U+0000 would be
//  cut short silently; such a key (a string followed by ':') is refused.
static int
s_check_key (s_lexer_t *lx, size_t start)
{
    if (!lx->nul_escape)
        return 0;
    size_t i = lx->pos;
    while (i < lx->len && strchr (" \t\n\r", lx->text [i]) && lx->text [i])
        i++;
    if (i < lx->len && lx->text [i] == ':')
        return s_fail (lx, start, "object key contains \\u0000 (not supported)");
    return 0;
}

//  Byte classes for the lexer's loops, so the common bytes cost one
//  table look-up instead of a strchr or a UTF-8 decode each.
enum { S_OTHER, S_PLAIN, S_SPACE, S_PUNCT, S_QUOTE, S_NUMBER, S_LETTER };

//  S_PLAIN: printable ASCII that stands for itself inside a string.
static unsigned char s_in_string [256];
//  Outside strings: what starts at this byte.
static unsigned char s_outside [256];
//  Writers: 1 for the bytes ensure_ascii writes as they are.
static unsigned char s_out_plain [256];

static void
s_classes_init (void)
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
    for (int c = 0x20; c < 0x7f; c++)
        s_out_plain [c] = 1;
    s_out_plain ['"'] = s_out_plain ['\\'] = 0;
}

static pthread_once_t s_classes_once = PTHREAD_ONCE_INIT;

static int
s_lex_string (s_lexer_t *lx)
{
    size_t start = lx->pos++;
    const unsigned char *text = lx->text;
    size_t len = lx->len;
    lx->nul_escape = 0;
    while (lx->pos < len) {
        size_t pos = lx->pos;
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
            if (s_lex_escape (lx))
                return -1;
            continue;
        }
        if (b < 0x20)
            return s_fail (lx, pos, "control character in string (must be escaped)");
        size_t n = s_utf8_decode (text + pos, len - pos, &cp);
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

static int
s_lex (s_lexer_t *lx)
{
    pthread_once (&s_classes_once, s_classes_init);
    while (lx->pos < lx->len) {
        unsigned char c = lx->text [lx->pos];
        int rc = 0;
        switch (s_outside [c]) {
            case S_SPACE:
            case S_PUNCT:
                lx->pos++;
                continue;
            case S_QUOTE:
                rc = s_lex_string (lx);
                break;
            case S_NUMBER:
                rc = s_lex_number (lx);
                break;
            case S_LETTER:
                rc = s_lex_word (lx);
                break;
            default:
                rc = s_fail (lx, lx->pos, c >= 0x80? "unexpected non-ASCII character outside a string"
                                                   : "unexpected character");
        }
        if (rc)
            return rc;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Parsing

//  Sets err to "line L, column C: reason" for byte offset `where`; the
//  column counts characters (UTF-8 lead bytes), both 1-based.
static dp_status
s_located (dp_error_t *err, dp_status code, const char *text, size_t len, size_t where,
           const char *reason)
{
    size_t line = 1, column = 1;
    for (size_t i = 0; i < where && i < len; i++) {
        unsigned char b = (unsigned char) text [i];
        if (b == '\n') {
            line++;
            column = 1;
        }
        else
        if ((b & 0xC0) != 0x80)
            column++;
    }
    return dp_error_set (err, code, "line %zu, column %zu: %s", line, column, reason);
}

static int
s_only_space (const char *text, size_t from, size_t len)
{
    for (size_t i = from; i < len; i++)
        if (!strchr (" \t\n\r", text [i]) || text [i] == '\0')
            return 0;
    return 1;
}

//  json-c parses a bare top-level number only once it sees the end, so an
//  incomplete parse is finished by handing it the terminating NUL.
static json_object *
s_tokenize (json_tokener *tok, const char *text, size_t len, size_t *end,
            enum json_tokener_error *code)
{
    json_object *value = json_tokener_parse_ex (tok, text, (int) len);
    *code = json_tokener_get_error (tok);
    *end = json_tokener_get_parse_end (tok);
    if (!value && *code == json_tokener_continue) {
        value = json_tokener_parse_ex (tok, "", 1);
        *code = json_tokener_get_error (tok);
        *end = len;
        if (*code == json_tokener_continue)
            *code = json_tokener_error_parse_eof;
    }
    return value;
}

//  A copy of the text with each surrogate-pair escape (12 bytes) replaced
//  by its UTF-8 (4 bytes); NULL if out of memory.
static char *
s_rewrite_pairs (const s_lexer_t *lx, size_t *len)
{
    char *copy = malloc (lx->len + 1);
    if (!copy)
        return NULL;
    const char *text = (const char *) lx->text;
    size_t from = 0, to = 0;
    for (size_t k = 0; k < lx->pair_count; k++) {
        size_t at = lx->pairs [k];
        memcpy (copy + to, text + from, at - from);
        to += at - from;
        uint32_t high = 0xD800, low = 0xDC00;      //  the lexer checked both
        s_hex4 (lx->text + at + 2, 4, &high);
        s_hex4 (lx->text + at + 8, 4, &low);
        uint32_t cp = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        copy [to++] = (char) (0xF0 | cp >> 18);
        copy [to++] = (char) (0x80 | ((cp >> 12) & 0x3F));
        copy [to++] = (char) (0x80 | ((cp >> 6) & 0x3F));
        copy [to++] = (char) (0x80 | (cp & 0x3F));
        from = at + 12;
    }
    memcpy (copy + to, text + from, lx->len - from);
    to += lx->len - from;
    copy [to] = '\0';
    *len = to;
    return copy;
}

//  An offset in the rewritten text back to the original: each pair before
//  it shrank by 8 bytes.
static size_t
s_original_offset (const s_lexer_t *lx, size_t offset)
{
    size_t k = 0;
    while (k < lx->pair_count && lx->pairs [k] - 8 * k < offset)
        k++;
    return offset + 8 * k;
}

//  Each thread keeps one tokener of the default depth: json-c allocates
//  and clears its per-depth stack on every json_tokener_new, which cost
//  more than parsing a small deal. Freed when the thread ends.
static pthread_key_t s_tokener_key;
static pthread_once_t s_tokener_once = PTHREAD_ONCE_INIT;

static void
s_tokener_free (void *tok)
{
    json_tokener_free (tok);
}

static void
s_tokener_key_init (void)
{
    if (pthread_key_create (&s_tokener_key, s_tokener_free))
        s_tokener_key = (pthread_key_t) -1;
}

//  A tokener for max_depth, reset; *cached says whether it is the
//  thread's own (kept) or a new one (to free).
static json_tokener *
s_tokener_get (int max_depth, int *cached)
{
    *cached = 0;
    if (max_depth != DP_JSON_MAX_DEPTH)
        return json_tokener_new_ex (max_depth > 0? max_depth: DP_JSON_MAX_DEPTH);
    pthread_once (&s_tokener_once, s_tokener_key_init);
    if (s_tokener_key == (pthread_key_t) -1)
        return json_tokener_new_ex (max_depth);
    json_tokener *tok = pthread_getspecific (s_tokener_key);
    if (tok)
        json_tokener_reset (tok);
    else
    if ((tok = json_tokener_new_ex (max_depth)) && pthread_setspecific (s_tokener_key, tok)) {
        json_tokener_free (tok);
        return NULL;
    }
    *cached = tok != NULL;
    return tok;
}

//  json-c over text[0..len): the tree, or an error at an offset of text.
static dp_status
s_build (const char *text, size_t len, int max_depth, json_object **out, size_t *where,
         const char **reason)
{
    int cached;
    json_tokener *tok = s_tokener_get (max_depth, &cached);
    if (!tok) {
        *reason = "out of memory";
        return DP_NOMEM;
    }
    json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
    enum json_tokener_error code;
    json_object *value = s_tokenize (tok, text, len, where, &code);
    if (cached)
        json_tokener_reset (tok);       //  drop references to the tree
    else
        json_tokener_free (tok);
    if (code != json_tokener_success) {
        *reason = code == json_tokener_error_depth? "nesting too deep": json_tokener_error_desc (code);
        return code == json_tokener_error_depth? DP_LIMIT: DP_INVALID;
    }
    if (!s_only_space (text, *where, len)) {
        json_object_put (value);
        *reason = "unexpected data after the JSON value";
        return DP_INVALID;
    }
    *out = value;
    return DP_OK;
}

dp_status
dp_json_parse_depth (const char *text, size_t len, int max_depth, json_object **out,
                     dp_error_t *err)
{
    if (!text || !out)
        return dp_error_set (err, DP_INVALID, "line 1, column 1: no JSON text");
    if (len >= INT_MAX)
        return dp_error_set (err, DP_LIMIT, "JSON text of %zu bytes is too large to parse", len);
    s_lexer_t lx = { (const unsigned char *) text, len, 0, 0, NULL, DP_INVALID, NULL, 0, 0, 0 };
    if (s_lex (&lx)) {
        free (lx.pairs);
        return s_located (err, lx.code, text, len, lx.where, lx.reason);
    }
    const char *input = text;
    size_t input_len = len, where = 0;
    char *rewritten = NULL;
    if (lx.pair_count && !(input = rewritten = s_rewrite_pairs (&lx, &input_len))) {
        free (lx.pairs);
        return dp_error_set (err, DP_NOMEM, "out of memory parsing JSON");
    }
    const char *reason = NULL;
    json_object *value = NULL;
    dp_status rc = s_build (input, input_len, max_depth, &value, &where, &reason);
    where = s_original_offset (&lx, where);
    free (rewritten);
    free (lx.pairs);
    if (rc != DP_OK)
        return s_located (err, rc, text, len, where, reason);
    *out = value;
    return DP_OK;
}

dp_status
dp_json_parse (const char *text, size_t len, json_object **out, dp_error_t *err)
{
    return dp_json_parse_depth (text, len, DP_JSON_MAX_DEPTH, out, err);
}

//  ---------------------------------------------------------------------
//  Python's float repr
//
//  No Debian-packaged C library gives the shortest round-trip digits
//  (Python uses David Gay's dtoa mode 0; glibc's printf has no such
//  mode), so we search: for 1..17 significant digits, the correctly
//  rounded candidate from printf, and if that does not read back as the
//  same double, its neighbour on the other side of the value (the
//  rounding interval is lopsided at powers of two). The first that reads
//  back is the shortest, and the nearest among equally short ones, which
//  is what Gay's algorithm returns. Read-backs use strtod on an integer
//  mantissa, so no locale's decimal point gets involved.

//  Reads "d[.ddd]e[+-]XX" from printf into digits (NUL-terminated) and the
//  decimal exponent of the first digit.
static int
s_split_sci (const char *text, char *digits, int *exp10)
{
    int n = 0;
    const char *e = strchr (text, 'e');
    for (const char *p = text; p < e; p++)
        if (s_is_digit ((unsigned char) *p))
            digits [n++] = *p;
    digits [n] = '\0';
    *exp10 = atoi (e + 1);
    return n;
}

static int
s_reads_back (const char *digits, int n, int exp10, double value)
{
    char text [48];
    snprintf (text, sizeof text, "%se%d", digits, exp10 - (n - 1));
    return strtod (text, NULL) == value;
}

//  Adds delta (+1/-1) to the last digit of an n-digit string, keeping n
//  digits: "999"+1 -> "100" with exp10+1, "100"-1 -> "999" with exp10-1.
static void
s_step_digits (char *digits, int n, int delta, int *exp10)
{
    int i = n - 1;
    char wrap_from = delta > 0? '9': '0', wrap_to = delta > 0? '0': '9';
    while (i >= 0 && digits [i] == wrap_from)
        digits [i--] = wrap_to;
    if (i >= 0)
        digits [i] = (char) (digits [i] + delta);
    if (delta > 0 && i < 0) {
        digits [0] = '1';
        (*exp10)++;
    }
    if (delta < 0 && digits [0] == '0') {
        //  "100" - 1 = "099": one digit short; the n-digit neighbour
        //  below a power of ten is "999" one decade lower.
        memmove (digits, digits + 1, (size_t) n - 1);
        digits [n - 1] = '9';
        (*exp10)--;
    }
}

//  Shortest digits of a finite value > 0; returns the digit count.
static int
s_shortest (double value, char digits [24], int *exp10)
{
    char text [48], other [24];
    int n = 0;
    for (int precision = 1; precision <= 17; precision++) {
        snprintf (text, sizeof text, "%.*e", precision - 1, value);
        n = s_split_sci (text, digits, exp10);
        if (s_reads_back (digits, n, *exp10, value))
            return n;
        snprintf (text, sizeof text, "%se%d", digits, *exp10 - (n - 1));
        int above = strtod (text, NULL) > value;
        int other_exp = *exp10;
        memcpy (other, digits, (size_t) n + 1);
        s_step_digits (other, n, above? -1: +1, &other_exp);
        if (s_reads_back (other, n, other_exp, value)) {
            memcpy (digits, other, (size_t) n + 1);
            *exp10 = other_exp;
            return n;
        }
    }
    return n;
}

//  Formats digits (n of them, value = 0.DIGITS x 10^decpt) as repr does:
//  fixed notation when -4 < decpt <= 16, else scientific with at least
//  two exponent digits. tmp has room for every case (at most 25 bytes).
static void
s_format_repr (const char *digits, int n, int decpt, char tmp [80])
{
    if (decpt <= -4 || decpt > 16) {
        int exp10 = decpt - 1;
        sprintf (tmp, "%c%s%se%c%02d", digits [0], n > 1? ".": "", digits + 1,
                 exp10 < 0? '-': '+', abs (exp10));
    }
    else
    if (decpt <= 0)
        sprintf (tmp, "0.%.*s%s", -decpt, "0000", digits);
    else
    if (decpt < n)
        sprintf (tmp, "%.*s.%s", decpt, digits, digits + decpt);
    else
        sprintf (tmp, "%s%.*s.0", digits, decpt - n, "0000000000000000");
}

//  Fast path for money: a value that is exactly the double nearest to
//  c / 100 for an integer 1 <= c < 2^46 has "c / 100 without trailing
//  zeros" as its repr. Below 2^46 / 100 the doubles are spaced under a
//  cent, so no other decimal with at most two places reads back as the
//  same double, and any shorter candidate would need more places; and the
//  value lies in repr's fixed-notation range. Prices are nearly all the
//  floats we write, and this skips the printf/strtod search.
static int
s_money_repr (double value, char *out)
{
    double scaled = value * 100.0;
    if (!(scaled >= 1.0 && scaled < 70368744177664.0))      //  2^46
        return -1;
    long long cents = llround (scaled);
    if ((double) cents / 100.0 != value)
        return -1;
    int fraction = (int) (cents % 100);
    if (fraction == 0)
        sprintf (out, "%lld.0", cents / 100);
    else
    if (fraction % 10 == 0)
        sprintf (out, "%lld.%d", cents / 100, fraction / 10);
    else
        sprintf (out, "%lld.%02d", cents / 100, fraction);
    return 0;
}

char *
dp_json_float_repr (double value, char out [DP_JSON_FLOAT_MAX])
{
    if (isnan (value))
        return strcpy (out, "nan");
    if (isinf (value))
        return strcpy (out, value < 0? "-inf": "inf");
    if (value == 0)
        return strcpy (out, signbit (value)? "-0.0": "0.0");
    if (s_money_repr (fabs (value), out + (value < 0)) == 0) {
        if (value < 0)
            out [0] = '-';
        return out;
    }
    char digits [24], tmp [80];
    int exp10;
    int n = s_shortest (fabs (value), digits, &exp10);
    while (n > 1 && digits [n - 1] == '0')
        digits [--n] = '\0';
    tmp [0] = '-';
    s_format_repr (digits, n, exp10 + 1, tmp + (value < 0));
    size_t size = strlen (tmp);
    if (size >= DP_JSON_FLOAT_MAX)
        size = DP_JSON_FLOAT_MAX - 1;       //  cannot happen: at most 24 characters
    memcpy (out, tmp, size);
    out [size] = '\0';
    return out;
}

json_object *
dp_json_price_new (int64_t cents)
{
    double value = (double) cents / 100.0;
    char text [DP_JSON_FLOAT_MAX];
    return json_object_new_double_s (value, dp_json_float_repr (value, text));
}

const char *
dp_json_number_text (json_object *value, char *buf, size_t size)
{
    json_type type = json_object_get_type (value);
    if (type == json_type_double) {
        const char *source = json_object_get_userdata (value);
        if (source)
            return source;
        char text [DP_JSON_FLOAT_MAX];
        dp_json_float_repr (json_object_get_double (value), text);
        if (strlen (text) >= size)
            return NULL;
        return strcpy (buf, text);
    }
    if (type != json_type_int)
        return NULL;
    int64_t number = json_object_get_int64 (value);
    int n = number == INT64_MAX
          ? snprintf (buf, size, "%" PRIu64, json_object_get_uint64 (value))
          : snprintf (buf, size, "%" PRId64, number);
    return n > 0 && (size_t) n < size? buf: NULL;
}

//  ---------------------------------------------------------------------
//  Writers

#define S_MAX_NESTING 1000

typedef struct {
    char *data;
    size_t len, cap;
    int nomem;
    //  Options: Python's json.dumps separators, or the compact form.
    const char *item_sep;
    const char *key_sep;
    int source_numbers;         //  canonical: numbers in their source text
    dp_status status;           //  first failure
    const char *reason;
} s_writer_t;

static void
s_put (s_writer_t *w, const char *data, size_t size)
{
    if (w->nomem)
        return;
    if (w->len + size + 1 > w->cap) {
        size_t cap = w->cap? w->cap: 256;
        while (cap < w->len + size + 1)
            cap *= 2;
        char *grown = realloc (w->data, cap);
        if (!grown) {
            w->nomem = 1;
            return;
        }
        w->data = grown;
        w->cap = cap;
    }
    memcpy (w->data + w->len, data, size);
    w->len += size;
}

static void
s_puts (s_writer_t *w, const char *text)
{
    s_put (w, text, strlen (text));
}

static int
s_writer_fail (s_writer_t *w, dp_status status, const char *reason)
{
    if (w->status == DP_OK) {
        w->status = status;
        w->reason = reason;
    }
    return -1;
}

static void
s_put_unit (s_writer_t *w, uint32_t unit)
{
    char text [16];
    snprintf (text, sizeof text, "\\u%04" PRIx32, unit & 0xFFFF);
    s_put (w, text, 6);
}

//  Python's ensure_ascii escaping: printable ASCII as is except " and \,
//  the five short escapes, everything else \uXXXX in lower-case hex with
//  surrogate pairs beyond the BMP.
static int
s_write_string (s_writer_t *w, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *) text;
    pthread_once (&s_classes_once, s_classes_init);
    s_put (w, "\"", 1);
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && s_out_plain [s [run]])
            run++;
        s_put (w, text + i, run - i);
        if ((i = run) >= len)
            break;
        const char *shortcut = NULL;
        switch (s [i]) {
            case '"':  shortcut = "\\\""; break;
            case '\\': shortcut = "\\\\"; break;
            case '\n': shortcut = "\\n"; break;
            case '\r': shortcut = "\\r"; break;
            case '\t': shortcut = "\\t"; break;
            case '\b': shortcut = "\\b"; break;
            case '\f': shortcut = "\\f"; break;
        }
        if (shortcut) {
            s_put (w, shortcut, 2);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = s_utf8_decode (s + i, len - i, &cp);
        if (n == 0)
            return s_writer_fail (w, DP_INVALID, "a string or key is not valid UTF-8");
        if (cp >= 0x10000) {
            cp -= 0x10000;
            s_put_unit (w, 0xD800 | (cp >> 10));
            s_put_unit (w, 0xDC00 | (cp & 0x3FF));
        }
        else
            s_put_unit (w, cp);
        i += n;
    }
    s_put (w, "\"", 1);
    return 0;
}

static int
s_write_double (s_writer_t *w, json_object *value)
{
    const char *source = w->source_numbers? json_object_get_userdata (value): NULL;
    if (source) {
        s_puts (w, source);
        return 0;
    }
    double number = json_object_get_double (value);
    if (!isfinite (number) && w->source_numbers)
        return s_writer_fail (w, DP_INVALID, "NaN or Infinity has no canonical JSON form");
    if (isnan (number))
        s_puts (w, "NaN");
    else
    if (isinf (number))
        s_puts (w, number < 0? "-Infinity": "Infinity");
    else {
        char text [DP_JSON_FLOAT_MAX];
        s_puts (w, dp_json_float_repr (number, text));
    }
    return 0;
}

static int s_write_value (s_writer_t *w, json_object *value, int depth);

typedef struct {
    const char *key;
    json_object *value;
} s_member_t;

//  Python sorts str keys by code point; for valid UTF-8 that is the
//  order of the bytes as unsigned values, which is what strcmp compares.
static int
s_member_compare (const void *a, const void *b)
{
    return strcmp (((const s_member_t *) a)->key, ((const s_member_t *) b)->key);
}

static int
s_write_object (s_writer_t *w, json_object *value, int depth)
{
    size_t count = (size_t) json_object_object_length (value), i = 0;
    s_member_t *members = malloc ((count? count: 1) * sizeof *members);
    if (!members)
        return s_writer_fail (w, DP_NOMEM, "out of memory");
    json_object_object_foreach (value, key, member) {
        members [i].key = key;
        members [i++].value = member;
    }
    qsort (members, count, sizeof *members, s_member_compare);
    s_put (w, "{", 1);
    int rc = 0;
    for (i = 0; i < count && rc == 0; i++) {
        if (i)
            s_puts (w, w->item_sep);
        rc = s_write_string (w, members [i].key, strlen (members [i].key));
        s_puts (w, w->key_sep);
        if (rc == 0)
            rc = s_write_value (w, members [i].value, depth + 1);
    }
    s_put (w, "}", 1);
    free (members);
    return rc;
}

static int
s_write_array (s_writer_t *w, json_object *value, int depth)
{
    size_t count = json_object_array_length (value);
    s_put (w, "[", 1);
    for (size_t i = 0; i < count; i++) {
        if (i)
            s_puts (w, w->item_sep);
        if (s_write_value (w, json_object_array_get_idx (value, i), depth + 1))
            return -1;
    }
    s_put (w, "]", 1);
    return 0;
}

static int
s_write_value (s_writer_t *w, json_object *value, int depth)
{
    if (depth > S_MAX_NESTING)
        return s_writer_fail (w, DP_LIMIT, "nesting deeper than 1000 levels");
    char number [32];
    switch (json_object_get_type (value)) {
        case json_type_null:
            s_puts (w, "null");
            return 0;
        case json_type_boolean:
            s_puts (w, json_object_get_boolean (value)? "true": "false");
            return 0;
        case json_type_int:
            //  Python prints ints from their value, as json-c holds it.
            s_puts (w, dp_json_number_text (value, number, sizeof number));
            return 0;
        case json_type_double:
            return s_write_double (w, value);
        case json_type_string:
            return s_write_string (w, json_object_get_string (value),
                                   (size_t) json_object_get_string_len (value));
        case json_type_array:
            return s_write_array (w, value, depth);
        case json_type_object:
            return s_write_object (w, value, depth);
    }
    return s_writer_fail (w, DP_INTERNAL, "unknown json-c type");
}

//  Hands the writer's text to the caller, or its failure to err.
static dp_status
s_writer_finish (s_writer_t *w, char **out, size_t *len, dp_error_t *err)
{
    if (w->nomem && w->status == DP_OK)
        s_writer_fail (w, DP_NOMEM, "out of memory");
    if (w->status != DP_OK) {
        free (w->data);
        return dp_error_set (err, w->status, "JSON output: %s", w->reason);
    }
    w->data [w->len] = '\0';    //  s_put always keeps room for it
    *out = w->data;
    if (len)
        *len = w->len;
    return DP_OK;
}

static dp_status
s_write (json_object *value, const char *item_sep, const char *key_sep, int source_numbers,
         char **out, size_t *len, dp_error_t *err)
{
    if (!out)
        return dp_error_set (err, DP_INVALID, "no output pointer");
    s_writer_t w = { NULL, 0, 0, 0, item_sep, key_sep, source_numbers, DP_OK, NULL };
    s_write_value (&w, value, 0);
    return s_writer_finish (&w, out, len, err);
}

dp_status
dp_json_pydumps (json_object *value, char **out, size_t *len, dp_error_t *err)
{
    return s_write (value, ", ", ": ", 0, out, len, err);
}

dp_status
dp_json_canonical (json_object *value, char **out, size_t *len, dp_error_t *err)
{
    return s_write (value, ",", ":", 1, out, len, err);
}

dp_status
dp_json_canonical_members (const char *const *keys, json_object *const *values, size_t count,
                           char **out, size_t *len, dp_error_t *err)
{
    if (!out || (count && (!keys || !values)))
        return dp_error_set (err, DP_INVALID, "no output pointer or members");
    if (count > DP_JSON_MEMBERS_MAX)
        return dp_error_set (err, DP_LIMIT, "JSON output: more than %d members", DP_JSON_MEMBERS_MAX);
    s_member_t members [DP_JSON_MEMBERS_MAX];
    size_t n = 0;
    int sorted = 1;
    for (size_t i = 0; i < count; i++) {
        if (!values [i])
            continue;
        members [n].key = keys [i];
        members [n].value = values [i];
        sorted &= n == 0 || strcmp (members [n - 1].key, keys [i]) < 0;
        n++;
    }
    if (!sorted)
        qsort (members, n, sizeof *members, s_member_compare);
    s_writer_t w = { NULL, 0, 0, 0, ",", ":", 1, DP_OK, NULL };
    s_put (&w, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            s_put (&w, ",", 1);
        if (s_write_string (&w, members [i].key, strlen (members [i].key)))
            break;
        s_put (&w, ":", 1);
        if (s_write_value (&w, members [i].value, 1))
            break;
    }
    s_put (&w, "}", 1);
    return s_writer_finish (&w, out, len, err);
}
