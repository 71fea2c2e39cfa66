/*  test_json.c — dp_json: strict parsing with line/column errors, Python's
    json.dumps(sort_keys=True) byte for byte (checked against python3 on
    12,000 random payloads), the canonical body form and price floats. */

#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_json.h"

//  ---------------------------------------------------------------------
//  Helpers

static char *
s_dumps (json_object *value)
{
    char *text = NULL;
    size_t len = 0;
    dp_error_t err;
    cr_assert_eq (dp_json_pydumps (value, &text, &len, &err), DP_OK, "%s", err.text);
    cr_assert_eq (strlen (text), len);
    return text;
}

static char *
s_canonical (json_object *value)
{
    char *text = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_canonical (value, &text, NULL, &err), DP_OK, "%s", err.text);
    return text;
}

static json_object *
s_parse (const char *text)
{
    json_object *value = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_parse (text, strlen (text), &value, &err), DP_OK, "%s: %s", text, err.text);
    return value;
}

//  Parses text, expects failure with `code` and `expect` in the message.
static void
s_parse_fails (const char *text, size_t len, dp_status code, const char *expect)
{
    json_object *value = (json_object *) 0x1;
    dp_error_t err;
    dp_status rc = dp_json_parse (text, len, &value, &err);
    cr_assert_eq (rc, code, "'%s' gave %s (%s)", text, dp_status_name (rc), err.text);
    cr_assert (strstr (err.text, expect), "'%s': message '%s' lacks '%s'", text, err.text, expect);
    cr_assert_eq (value, (json_object *) 0x1, "out untouched on error");
}

static void
s_round_trip (const char *input, const char *python)
{
    json_object *value = s_parse (input);
    char *text = s_dumps (value);
    cr_assert_str_eq (text, python, "dumps(%s)", input);
    free (text);
    json_object_put (value);
}

//  ---------------------------------------------------------------------
//  Parsing

Test (json_parse, accepts_json)
{
    json_object *value = s_parse (" {\"a\": [1, 2.5, \"x\", true, false, null], \"b\": {}} \n");
    cr_assert (json_object_is_type (value, json_type_object));
    json_object_put (value);
    value = s_parse ("null");
    cr_assert_null (value);
    value = s_parse ("-0");
    cr_assert_eq (json_object_get_int64 (value), 0);
    json_object_put (value);
    value = s_parse ("18446744073709551615");
    cr_assert_eq (json_object_get_uint64 (value), UINT64_MAX);
    json_object_put (value);
    value = s_parse ("\"\\ud83d\\ude00 \\u0000\"");
    cr_assert_eq (json_object_get_string_len (value), 6);
    cr_assert_eq (memcmp (json_object_get_string (value), "\xf0\x9f\x98\x80 \0", 6), 0);
    json_object_put (value);
}

//  json-c 0.16 alone turns these valid pairs into U+FFFD.
Test (json_parse, surrogate_pairs_json_c_mangles)
{
    json_object *value = s_parse ("{\"\\uda36\\udea2\": [\"\\ud836\\udc00x\", \"\\udbff\\udfff\"]}");
    json_object *list = json_object_object_get (value, "\xf2\x9d\xaa\xa2");
    cr_assert_not_null (list, "key decoded to U+9DAA2");
    cr_assert_str_eq (json_object_get_string (json_object_array_get_idx (list, 0)), "\xf0\x9d\xa0\x80x");
    cr_assert_str_eq (json_object_get_string (json_object_array_get_idx (list, 1)), "\xf4\x8f\xbf\xbf");
    json_object_put (value);
}

Test (json_parse, keeps_number_source_text)
{
    json_object *value = s_parse ("[0.29, 1000.0, 1E2, 1.10, 730, -5]");
    const char *expect [] = { "0.29", "1000.0", "1E2", "1.10", "730", "-5" };
    char buf [32];
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq (dp_json_number_text (json_object_array_get_idx (value, i), buf, sizeof buf),
                          expect [i]);
    cr_assert_null (dp_json_number_text (json_object_array_get_idx (value, 4), buf, 3), "buf too small");
    json_object *built = json_object_new_double (0.5);
    cr_assert_str_eq (dp_json_number_text (built, buf, sizeof buf), "0.5", "no source text: repr");
    cr_assert_null (dp_json_number_text (built, buf, 3));
    json_object_put (built);
    json_object *text = json_object_new_string ("1");
    cr_assert_null (dp_json_number_text (text, buf, sizeof buf), "not a number");
    json_object_put (text);
    json_object_put (value);
}

Test (json_parse, errors_name_line_and_column)
{
    s_parse_fails ("{\n  \"a\": 01\n}", 12, DP_INVALID, "line 2, column 8: invalid number (leading zero)");
    s_parse_fails ("[1, 2,]", 7, DP_INVALID, "line 1, column 7:");
    s_parse_fails ("{\"a\": 1}x", 9, DP_INVALID, "line 1, column 9: invalid literal");
    s_parse_fails ("{\"a\": 1} {}", 11, DP_INVALID, "line 1, column 10:");
    s_parse_fails ("[\"é\", NaN]", 11, DP_INVALID, "line 1, column 7: invalid literal");
    s_parse_fails ("Infinity", 8, DP_INVALID, "invalid literal");
    s_parse_fails ("[1.]", 4, DP_INVALID, "digit expected after '.'");
    s_parse_fails ("1e", 2, DP_INVALID, "digit expected in exponent");
    s_parse_fails ("-", 1, DP_INVALID, "invalid number");
    s_parse_fails ("[\"a\tb\"]", 7, DP_INVALID, "line 1, column 4: control character");
    s_parse_fails ("\"\\ud800\"", 8, DP_INVALID, "lone high surrogate");
    s_parse_fails ("\"\\udc00\"", 8, DP_INVALID, "lone low surrogate");
    s_parse_fails ("\"\\ud800\\u0041\"", 14, DP_INVALID, "lone high surrogate");
    s_parse_fails ("\"\\x\"", 4, DP_INVALID, "invalid escape");
    s_parse_fails ("\"\\u12g4\"", 8, DP_INVALID, "invalid escape");
    s_parse_fails ("\"\xff\"", 3, DP_INVALID, "invalid UTF-8");
    s_parse_fails ("\"\xc0\xaf\"", 4, DP_INVALID, "invalid UTF-8");            //  overlong
    s_parse_fails ("\"\xed\xa0\x80\"", 5, DP_INVALID, "invalid UTF-8");        //  surrogate
    s_parse_fails ("\"\xf4\x90\x80\x80\"", 6, DP_INVALID, "invalid UTF-8");    //  > U+10FFFF
    s_parse_fails ("\"abc", 4, DP_INVALID, "unterminated string");
    s_parse_fails ("18446744073709551616", 20, DP_INVALID, "integer out of range");
    s_parse_fails ("-9223372036854775809", 20, DP_INVALID, "integer out of range");
    s_parse_fails ("", 0, DP_INVALID, "line 1, column 1:");
    s_parse_fails ("   \n ", 5, DP_INVALID, "line 2, column 2:");
    s_parse_fails ("[1, \0 2]", 8, DP_INVALID, "unexpected character");
    s_parse_fails ("{'a': 1}", 8, DP_INVALID, "unexpected character");
    s_parse_fails ("/* c */ 1", 9, DP_INVALID, "unexpected character");
    s_parse_fails ("[tru]", 5, DP_INVALID, "invalid literal");
    s_parse_fails ("{\"a\\u0000b\" : 1}", 16, DP_INVALID, "line 1, column 2: object key contains \\u0000");
    s_parse_fails ("{\"a\" 1}", 7, DP_INVALID, "line 1, column 6:");
    s_parse_fails ("[[[", 3, DP_INVALID, "line 1, column 4:");
    //  An error after a surrogate pair (rewritten for json-c) is located
    //  in the original text.
    s_parse_fails ("[\"\\ud83d\\ude00\", 1 2]", 21, DP_INVALID, "line 1, column 20:");
    //  Columns count characters, not bytes.
    s_parse_fails ("[\"ééé\", x]", 13, DP_INVALID, "line 1, column 9:");
}

Test (json_parse, depth_limit)
{
    char deep [200];
    memset (deep, '[', 100);
    memset (deep + 100, ']', 100);
    json_object *value = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_parse (deep, 200, &value, &err), DP_LIMIT);
    cr_assert (strstr (err.text, "nesting too deep"), "%s", err.text);
    cr_assert_eq (dp_json_parse_depth (deep, 200, 128, &value, &err), DP_OK, "%s", err.text);
    json_object_put (value);
    cr_assert_eq (dp_json_parse (NULL, 0, &value, &err), DP_INVALID);
}

//  ---------------------------------------------------------------------
//  Python's repr and dumps

Test (json_float, python_repr)
{
    struct { double value; const char *repr; } cases [] = {
        { 730.0, "730.0" }, { 730.5, "730.5" }, { 0.29, "0.29" }, { 1e-05, "1e-05" },
        { 0.0001, "0.0001" }, { 1e16, "1e+16" }, { 1e15, "1000000000000000.0" },
        { 0.1, "0.1" }, { 0.1 + 0.2, "0.30000000000000004" }, { 5e-324, "5e-324" },
        { -0.0, "-0.0" }, { 0.0, "0.0" }, { 1e22, "1e+22" }, { 123456789012345680.0, "1.2345678901234568e+17" },
        { 1.7976931348623157e308, "1.7976931348623157e+308" }, { 2.2250738585072014e-308, "2.2250738585072014e-308" },
        { 9007199254740993.0, "9007199254740992.0" }, { 1.5e300, "1.5e+300" }, { -1.25e-7, "-1.25e-07" },
        { 1.0 / 3.0, "0.3333333333333333" }, { 100.0, "100.0" }, { 1234567890123456.7, "1234567890123456.8" },
        { INFINITY, "inf" }, { -INFINITY, "-inf" }, { NAN, "nan" },
    };
    char out [DP_JSON_FLOAT_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        cr_assert_str_eq (dp_json_float_repr (cases [i].value, out), cases [i].repr);
}

Test (json_pydumps, python_examples)
{
    s_round_trip ("{\"b\": 1, \"a\": [1.0, 2, \"x\"], \"\u00e9\": null, \"A\": true}",
                  "{\"A\": true, \"a\": [1.0, 2, \"x\"], \"b\": 1, \"\\u00e9\": null}");
    s_round_trip ("{\"final_price\": 730.0, \"terms\": {\"duration_days\": 365, \"access_scope\": \"full\"}}",
                  "{\"final_price\": 730.0, \"terms\": {\"access_scope\": \"full\", \"duration_days\": 365}}");
    s_round_trip ("\"\\u0000\\u001f\\u007f\\b\\f\\n\\r\\t\\\"\\\\/\"",
                  "\"\\u0000\\u001f\\u007f\\b\\f\\n\\r\\t\\\"\\\\/\"");
    s_round_trip ("\"\xf0\x9f\x98\x80\xe2\x80\xa8\xef\xbb\xbf\"", "\"\\ud83d\\ude00\\u2028\\ufeff\"");
    s_round_trip ("[1e16, 1E-5, 0.30000000000000004, -0.0, 5e-324, 1e400, -1e400]",
                  "[1e+16, 1e-05, 0.30000000000000004, -0.0, 5e-324, Infinity, -Infinity]");
    s_round_trip ("[[], {}, [{}], -9223372036854775808, 18446744073709551615]",
                  "[[], {}, [{}], -9223372036854775808, 18446744073709551615]");
    //  Code point order: U+FFFF sorts before U+10000 in Python (not UTF-16 order).
    s_round_trip ("{\"\xf0\x90\x80\x80\": 1, \"\xef\xbf\xbf\": 2, \"z\": 3, \"\": 4}",
                  "{\"\": 4, \"z\": 3, \"\\uffff\": 2, \"\\ud800\\udc00\": 1}");
}

Test (json_pydumps, nan_and_invalid_utf8)
{
    json_object *value = json_object_new_array ();
    json_object_array_add (value, json_object_new_double (NAN));
    char *text = s_dumps (value);
    cr_assert_str_eq (text, "[NaN]");
    free (text);
    dp_error_t err;
    cr_assert_eq (dp_json_canonical (value, &text, NULL, &err), DP_INVALID);
    cr_assert (strstr (err.text, "NaN or Infinity"));
    json_object_array_add (value, json_object_new_string ("\xc3"));
    cr_assert_eq (dp_json_pydumps (value, &text, NULL, &err), DP_INVALID);
    cr_assert (strstr (err.text, "not valid UTF-8"), "%s", err.text);
    json_object_put (value);
    cr_assert_eq (dp_json_pydumps (NULL, &text, NULL, &err), DP_OK);
    cr_assert_str_eq (text, "null");
    free (text);
}

Test (json_pydumps, nesting_limit_and_arguments)
{
    //  json-c lets code nest values without bound; the writers stop at 1000.
    json_object *root = json_object_new_array (), *inner = root;
    for (int i = 0; i < 1001; i++) {
        json_object *next = json_object_new_array ();
        json_object_array_add (inner, next);
        inner = next;
    }
    char *text;
    dp_error_t err;
    cr_assert_eq (dp_json_pydumps (root, &text, NULL, &err), DP_LIMIT);
    cr_assert (strstr (err.text, "nesting deeper than 1000"), "%s", err.text);
    cr_assert_eq (dp_json_canonical (root, &text, NULL, &err), DP_LIMIT);
    json_object_put (root);
    cr_assert_eq (dp_json_pydumps (NULL, NULL, NULL, &err), DP_INVALID);
}

Test (json_canonical, source_text_and_compact)
{
    json_object *value = s_parse ("{ \"z\": 1.10, \"a\": [1E2, 0.29, {\"y\": \"\u00e9\", \"b\": -0}] }");
    char *text = s_canonical (value);
    cr_assert_str_eq (text, "{\"a\":[1E2,0.29,{\"b\":0,\"y\":\"\\u00e9\"}],\"z\":1.10}");
    free (text);
    text = s_dumps (value);
    cr_assert_str_eq (text, "{\"a\": [100.0, 0.29, {\"b\": 0, \"y\": \"\\u00e9\"}], \"z\": 1.1}");
    free (text);
    json_object_put (value);
}

Test (json_price, prints_like_python)
{
    struct { int64_t cents; const char *text; } cases [] = {
        { 73000, "730.0" }, { 73050, "730.5" }, { 29, "0.29" }, { 1, "0.01" }, { 0, "0.0" },
        { 100000000000000LL, "1000000000000.0" }, { 99999999999999LL, "999999999999.99" },
        { 123456, "1234.56" }, { 10, "0.1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        json_object *price = dp_json_price_new (cases [i].cents);
        char *text = s_dumps (price);
        cr_assert_str_eq (text, cases [i].text);
        free (text);
        text = s_canonical (price);
        cr_assert_str_eq (text, cases [i].text);
        free (text);
        //  json-c's own writer prints it the same way.
        cr_assert_str_eq (json_object_to_json_string (price), cases [i].text);
        cr_assert_float_eq (json_object_get_double (price), (double) cases [i].cents / 100, 0);
        json_object_put (price);
    }
}

//  ---------------------------------------------------------------------
//  Against Python itself: random payloads, one python3 process.

static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
s_random (void)
{
    //  xorshift64*: reproducible from the seed printed on failure.
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1DULL;
}

static size_t
s_utf8_encode (uint32_t cp, char *out)
{
    if (cp < 0x80) { out [0] = (char) cp; return 1; }
    if (cp < 0x800) {
        out [0] = (char) (0xC0 | cp >> 6); out [1] = (char) (0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out [0] = (char) (0xE0 | cp >> 12); out [1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out [2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    out [0] = (char) (0xF0 | cp >> 18); out [1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    out [2] = (char) (0x80 | ((cp >> 6) & 0x3F)); out [3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

static uint32_t
s_random_code_point (int allow_nul)
{
    static const uint32_t special [] = { '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0x7f,
                                         0x2028, 0x2029, 0xFEFF, 0xFFFF, 0x10000, 0x10FFFF, 0x1F600 };
    switch (s_random () % 7) {
        case 0: return 0x20 + (uint32_t) (s_random () % 95);
        case 1: return 0x20 + (uint32_t) (s_random () % 95);
        case 2: return (uint32_t) (s_random () % 0x20) | (allow_nul? 0: 1);
        case 3: return 0x80 + (uint32_t) (s_random () % 0x780);
        case 4: {
            uint32_t cp = 0x800 + (uint32_t) (s_random () % (0x10000 - 0x800));
            return cp >= 0xD800 && cp <= 0xDFFF? cp + 0x800: cp;
        }
        case 5: return 0x10000 + (uint32_t) (s_random () % 0x100000);
        default: return special [s_random () % (sizeof special / sizeof special [0])];
    }
}

static json_object *
s_random_string (int allow_nul, char *buf, size_t *len)
{
    size_t n = 0, count = s_random () % 12;
    for (size_t i = 0; i < count; i++)
        n += s_utf8_encode (s_random_code_point (allow_nul), buf + n);
    buf [n] = '\0';
    *len = n;
    return json_object_new_string_len (buf, (int) n);
}

static double
s_random_double (void)
{
    static const double edges [] = {
        1e16, 5e-324, 0.1 + 0.2, -0.0, 0.0, 1e22, 123456789012345680.0, 1e-5, 1e-4, 730.0, 0.29,
        1e308, 1.7976931348623157e308, 2.2250738585072014e-308, 2.225073858507201e-308, 1e15, 1e17,
        9007199254740993.0, 0.1, 1.0 / 3.0, 1e-7, 100.0, 1e23, 4.35, 2.675, 1e21, 1e-310,
    };
    uint64_t bits = s_random ();
    double value;
    switch (bits % 6) {
        case 0: return edges [s_random () % (sizeof edges / sizeof edges [0])];
        case 1: memcpy (&value, &bits, 8); return value;       //  any bit pattern, NaN and inf too
        case 2: return (double) (int64_t) (s_random () % 10000000000ULL) / 100.0;
        case 3: return ldexp (1.0, (int) (s_random () % 2100) - 1075);
        case 4: return (double) (s_random () % 1000000) * pow (10.0, (int) (s_random () % 60) - 30);
        default: return -(double) (s_random () % 100000) / 1000.0;
    }
}

static json_object *
s_random_int (void)
{
    static const int64_t edges [] = { 0, -1, 1, INT64_MIN, INT64_MAX, 9007199254740993LL, -9007199254740993LL };
    switch (s_random () % 4) {
        case 0: return json_object_new_int64 (edges [s_random () % 7]);
        case 1: return json_object_new_uint64 (UINT64_MAX - s_random () % 1000);
        case 2: return json_object_new_int64 ((int64_t) s_random ());
        default: return json_object_new_int64 ((int64_t) (s_random () % 2000) - 1000);
    }
}

static json_object *
s_random_value (int depth)
{
    char buf [64];
    size_t len;
    unsigned kind = (unsigned) (s_random () % (depth < 4? 9: 6));
    switch (kind) {
        case 0: return NULL;
        case 1: return json_object_new_boolean ((int) (s_random () & 1));
        case 2: return s_random_int ();
        case 3: case 4: return json_object_new_double (s_random_double ());
        case 5: return s_random_string (1, buf, &len);
        case 6: {
            json_object *array = json_object_new_array ();
            for (int i = (int) (s_random () % 5); i > 0; i--)
                json_object_array_add (array, s_random_value (depth + 1));
            return array;
        }
        default: {
            json_object *object = json_object_new_object ();
            for (int i = (int) (s_random () % 6); i > 0; i--) {
                json_object_put (s_random_string (0, buf, &len));
                if (strcmp (buf, "__f") != 0)
                    json_object_object_add (object, buf, s_random_value (depth + 1));
            }
            return object;
        }
    }
}

//  The transport to Python, independent of the code under test: raw
//  UTF-8 strings with minimal escapes, integers in decimal, and each
//  double as {"__f": C99 hex float} so Python gets the exact bits.
static void
s_transport_string (FILE *out, const char *text, size_t len)
{
    fputc ('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c == '"' || c == '\\')
            fprintf (out, "\\%c", c);
        else
        if (c < 0x20)
            fprintf (out, "\\u%04x", c);
        else
            fputc (c, out);
    }
    fputc ('"', out);
}

static void
s_transport (FILE *out, json_object *value)
{
    switch (json_object_get_type (value)) {
        case json_type_null: fputs ("null", out); break;
        case json_type_boolean: fputs (json_object_get_boolean (value)? "true": "false", out); break;
        case json_type_int:
            if (json_object_get_int64 (value) == INT64_MAX)
                fprintf (out, "%" PRIu64, json_object_get_uint64 (value));
            else
                fprintf (out, "%" PRId64, json_object_get_int64 (value));
            break;
        case json_type_double: fprintf (out, "{\"__f\": \"%a\"}", json_object_get_double (value)); break;
        case json_type_string:
            s_transport_string (out, json_object_get_string (value), (size_t) json_object_get_string_len (value));
            break;
        case json_type_array:
            fputc ('[', out);
            for (size_t i = 0; i < json_object_array_length (value); i++) {
                if (i) fputc (',', out);
                s_transport (out, json_object_array_get_idx (value, i));
            }
            fputc (']', out);
            break;
        case json_type_object: {
            fputc ('{', out);
            int first = 1;
            json_object_object_foreach (value, key, member) {
                if (!first) fputc (',', out);
                first = 0;
                s_transport_string (out, key, strlen (key));
                fputc (':', out);
                s_transport (out, member);
            }
            fputc ('}', out);
            break;
        }
    }
}

#define S_PAYLOADS 12000

static const char *s_python =
    "import json, sys\n"
    "def hook(pairs):\n"
    "    if len(pairs) == 1 and pairs[0][0] == '__f':\n"
    "        return float.fromhex(pairs[0][1])\n"
    "    return dict(pairs)\n"
    "with open(sys.argv[1], encoding='utf-8') as src, open(sys.argv[2], 'w', encoding='ascii') as dst:\n"
    "    for line in src:\n"
    "        value = json.loads(line, object_pairs_hook=hook)\n"
    "        dst.write(json.dumps(value, sort_keys=True) + '\\n')\n"
    "        dst.write(json.dumps(value, sort_keys=True, separators=(',', ':')) + '\\n')\n";

//  Our two outputs for each payload (json.dumps form, then the compact
//  canonical form, which for numbers without source text is Python's
//  dumps with separators (",", ":"); NULL where NaN/Infinity make it
//  refuse), and the payloads' transport file.
static char **
s_make_payloads (const char *path, uint64_t seed)
{
    s_rng = seed;
    char **ours = calloc (2 * S_PAYLOADS, sizeof (char *));
    FILE *out = fopen (path, "w");
    cr_assert (ours && out);
    for (int i = 0; i < S_PAYLOADS; i++) {
        //  Mostly objects, like real payloads, at any depth.
        json_object *payload = i % 10? json_object_new_object (): s_random_value (0);
        for (int k = (int) (s_random () % 6); payload && json_object_is_type (payload, json_type_object) && k > 0; k--) {
            char buf [64];
            size_t len;
            json_object_put (s_random_string (0, buf, &len));
            if (strcmp (buf, "__f") != 0)
                json_object_object_add (payload, buf, s_random_value (1));
        }
        ours [2 * i] = s_dumps (payload);
        if (dp_json_canonical (payload, &ours [2 * i + 1], NULL, NULL) != DP_OK)
            ours [2 * i + 1] = NULL;
        s_transport (out, payload);
        fputc ('\n', out);
        json_object_put (payload);
    }
    cr_assert_eq (fclose (out), 0);
    return ours;
}

//  Re-parses Python's line with our parser and dumps it again: the parser
//  must read every escape Python writes (NaN/Infinity are not JSON).
static void
s_check_reparse (const char *line, size_t len, int index)
{
    if (strstr (line, "NaN") || strstr (line, "Infinity"))
        return;
    json_object *value = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_parse (line, len, &value, &err), DP_OK, "payload %d: %s", index, err.text);
    char *again = s_dumps (value);
    cr_assert_str_eq (again, line, "payload %d re-parsed:\n%s\n%s", index, again, line);
    free (again);
    json_object_put (value);
}

Test (json_pydumps, matches_python_on_12000_random_payloads, .timeout = 300)
{
    char dir [] = "/tmp/dp-test-json-XXXXXX";
    cr_assert (mkdtemp (dir));
    char payloads [128], expected [128], script [128], command [1024];
    snprintf (payloads, sizeof payloads, "%s/payloads.jsonl", dir);
    snprintf (expected, sizeof expected, "%s/python.jsonl", dir);
    snprintf (script, sizeof script, "%s/dumps.py", dir);
    uint64_t seed = getenv ("DP_TEST_SEED")? strtoull (getenv ("DP_TEST_SEED"), NULL, 0): 0x5EEDULL;
    char **ours = s_make_payloads (payloads, seed);
    FILE *file = fopen (script, "w");
    cr_assert (file);
    fputs (s_python, file);
    fclose (file);
    //  python3 on PATH (SPEC §11: not Debian's), else Debian's; either has json.
    snprintf (command, sizeof command,
              "if command -v python3 >/dev/null 2>&1; then python3 %s %s %s; else /usr/bin/python3 %s %s %s; fi",
              script, payloads, expected, script, payloads, expected);
    cr_assert_eq (system (command), 0, "python3 failed: %s", command);
    file = fopen (expected, "r");
    cr_assert (file);
    char *line = NULL;
    size_t cap = 0;
    int count = 0;
    ssize_t n;
    int compact = 0;
    while ((n = getline (&line, &cap, file)) > 0 && count < 2 * S_PAYLOADS) {
        line [--n] = '\0';
        if (count % 2 == 0) {
            cr_assert_str_eq (ours [count], line, "payload %d differs from Python (seed %#" PRIx64 ")",
                              count / 2, seed);
            s_check_reparse (line, (size_t) n, count / 2);
        }
        else
        if (ours [count]) {
            cr_assert_str_eq (ours [count], line, "payload %d (compact) differs from Python (seed %#"
                              PRIx64 ")", count / 2, seed);
            compact++;
        }
        free (ours [count++]);
    }
    cr_assert_eq (count, 2 * S_PAYLOADS, "python printed %d lines", count);
    cr_assert_gt (compact, S_PAYLOADS / 2, "most payloads are finite");
    free (line);
    free (ours);
    fclose (file);
    unlink (payloads);
    unlink (expected);
    unlink (script);
    rmdir (dir);
}
