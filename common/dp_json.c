/*  dp_json.c — strict JSON parsing (into json-c trees) and the
    Python-exact and canonical writers.

    Why json-c: it keeps a parsed number's source text (a double made with
    json_object_new_double_s carries the text as userdata), which SPEC
    §1's money rule needs; jansson converts numbers to doubles and drops
    the text.

    Parsing is dp_json_tree's single strict pass, which builds the json-c
    tree itself: json-c's own lexer is lax (dp_json_tree.c lists how), and
    json-c 0.16 also decodes about 3% of valid surrogate-pair escapes to
    U+FFFD (e.g. "\uda36\udea2"; found by the comparison with Python in
    tests/unit/test_json.c, which writes every astral character as such a
    pair), so its tokener is not used here at all. This file turns the
    parser's byte offset into a line and column. */

#include "dp_json.h"
#include "dp_json_tree.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_is_digit (unsigned char c)
{
    return c >= '0' && c <= '9';
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

dp_status
dp_json_parse_depth (const char *text, size_t len, int max_depth, json_object **out,
                     dp_error_t *err)
{
    if (!text || !out)
        return dp_error_set (err, DP_INVALID, "line 1, column 1: no JSON text");
    if (len >= INT_MAX)
        return dp_error_set (err, DP_LIMIT, "JSON text of %zu bytes is too large to parse", len);
    size_t where = 0;
    const char *reason = NULL;
    json_object *value = NULL;
    dp_status rc = dp_json_tree_parse (text, len, max_depth, &value, &where, &reason);
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

//  Room for size more bytes and the NUL; -1 when out of memory.
static int
s_grow (s_writer_t *w, size_t size)
{
    if (w->nomem)
        return -1;
    //  Most deal bodies fit at once; 1000 stays below glibc's large
    //  requests (1 KiB and up), which consolidate the free lists.
    size_t cap = w->cap? w->cap: 1000;
    while (cap < w->len + size + 1)
        cap *= 2;
    char *grown = realloc (w->data, cap);
    if (!grown) {
        w->nomem = 1;
        return -1;
    }
    w->data = grown;
    w->cap = cap;
    return 0;
}

//  Inline: the writers put a few bytes at a time.
static inline void
s_put (s_writer_t *w, const char *data, size_t size)
{
    if (w->len + size + 1 > w->cap && s_grow (w, size))
        return;
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
    s_put (w, "\"", 1);
    size_t i = 0;
    while (i < len) {
        size_t run = i + dp_json_tree_plain_run (s + i, len - i);
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
        size_t n = dp_json_tree_utf8_decode (s + i, len - i, &cp);
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

//  Objects of a few members (nearly all of ours) are sorted in place by
//  insertion: qsort's set-up cost more than sorting them.
#define S_SMALL_OBJECT 16

static void
s_sort_members (s_member_t *members, size_t count)
{
    if (count > S_SMALL_OBJECT) {
        qsort (members, count, sizeof *members, s_member_compare);
        return;
    }
    for (size_t i = 1; i < count; i++) {
        s_member_t member = members [i];
        size_t j = i;
        for (; j > 0 && strcmp (members [j - 1].key, member.key) > 0; j--)
            members [j] = members [j - 1];
        members [j] = member;
    }
}

static int
s_write_object (s_writer_t *w, json_object *value, int depth)
{
    size_t count = (size_t) json_object_object_length (value), i = 0;
    s_member_t local [S_SMALL_OBJECT];
    s_member_t *members = count <= S_SMALL_OBJECT? local: malloc (count * sizeof *members);
    if (!members)
        return s_writer_fail (w, DP_NOMEM, "out of memory");
    json_object_object_foreach (value, key, member) {
        members [i].key = key;
        members [i++].value = member;
    }
    s_sort_members (members, count);
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
    if (members != local)
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
        s_sort_members (members, n);
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
