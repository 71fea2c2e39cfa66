/*  test_json_tree.c — dp_json_tree, the strict one-pass parser behind
    dp_json_parse: the trees are the ones json-c's strict tokener builds
    for the same text (types, int64/uint64, doubles with their source
    text, key order, duplicate keys), structural errors keep json-c's
    messages and offsets, a lexical fault anywhere wins over an earlier
    structural one, json-c's depth rule holds exactly, and the paths that
    outgrow the parser's local buffers work. */

#define _GNU_SOURCE             //  memmem
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_json.h"
#include "dp_json_tree.h"
#include "json_same_tree.h"

//  ---------------------------------------------------------------------
//  Helpers

//  json-c's strict tokener on the whole text, or NULL with *ok 0.
static json_object *
s_json_c (const char *text, size_t len, int *ok)
{
    json_tokener *tok = json_tokener_new_ex (DP_JSON_MAX_DEPTH);
    json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
    json_object *value = json_tokener_parse_ex (tok, text, (int) len);
    if (json_tokener_get_error (tok) == json_tokener_continue)
        value = json_tokener_parse_ex (tok, "", 1);     //  a bare number ends at the end
    *ok = json_tokener_get_error (tok) == json_tokener_success;
    json_tokener_free (tok);
    return value;
}

//  Our tree equals json-c's for text that both accept.
static void
s_matches_json_c (const char *text, size_t len)
{
    json_object *ours = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_parse (text, len, &ours, &err), DP_OK, "%.*s: %s", (int) len, text, err.text);
    int ok;
    json_object *theirs = s_json_c (text, len, &ok);
    cr_assert (ok, "json-c refuses %.*s", (int) len, text);
    cr_assert (same_tree (ours, theirs), "trees differ for %.*s", (int) len, text);
    json_object_put (ours);
    json_object_put (theirs);
}

static void
s_fails (const char *text, size_t len, int depth, dp_status code, const char *message)
{
    json_object *value = (json_object *) 0x1;
    dp_error_t err;
    dp_status rc = dp_json_parse_depth (text, len, depth, &value, &err);
    cr_assert_eq (rc, code, "'%.*s' gave %s (%s)", (int) len, text, dp_status_name (rc), err.text);
    cr_assert_str_eq (err.text, message, "'%.*s': '%s'", (int) len, text, err.text);
    cr_assert_eq (value, (json_object *) 0x1, "out untouched on error");
}

#define S_FAILS(text, message) s_fails ((text), strlen (text), DP_JSON_MAX_DEPTH, DP_INVALID, (message))

//  ---------------------------------------------------------------------
//  Same trees as json-c

Test (json_tree, same_tree_as_json_c)
{
    const char *cases [] = {
        "{\"a\": [1, 2.5, \"x\", true, false, null], \"b\": {}}",
        "[0, -0, -0.0, 0.29, 1000.0, 1E2, 1.10, 12.5e-3, 1e400, -1e400, 1e-400]",
        "[9223372036854775807, 9223372036854775808, 18446744073709551615, -9223372036854775808]",
        "{\"z\": 1, \"a\": 2, \"m\": {\"y\": [], \"b\": {}}}",
        "{\"a\": 1, \"a\": [2], \"b\": 3, \"a\": null}",          //  first place, last value
        "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\", \"caf\xc3\xa9\", \"a\\u0000b\"]",
        "{\"\\u00e9\": 1, \"k\\n\": 2}",
        " \t\r\n[ 1 , { \"a\" : \"b\" } ]\n ",
        "\"top\"", "17", "-3.5", "true", "false",
        "{\"deal_id\": \"d-1\", \"buyer_budget\": 900.50, \"floor_price\": 500, "
        "\"terms_options\": {\"access_scope\": [\"full\", \"eval\"], \"duration_days\": [30, 365]}}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        s_matches_json_c (cases [i], strlen (cases [i]));
}

//  Every seed of the JSON-reading fuzz targets that both parsers accept
//  (json-c mangles some surrogate pairs, so those are left out).
Test (json_tree, same_tree_on_fuzz_corpora)
{
    const char *folders [] = { "fuzz_deal", "fuzz_pydumps", "fuzz_props", "fuzz_submit_verify" };
    size_t compared = 0;
    for (size_t f = 0; f < sizeof folders / sizeof folders [0]; f++) {
        char path [1024];
        snprintf (path, sizeof path, "%s/tests/fuzz/corpus/%s", DP_SOURCE_DIR, folders [f]);
        DIR *dir = opendir (path);
        cr_assert_not_null (dir, "%s", path);
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            char file [2048];
            snprintf (file, sizeof file, "%s/%s", path, entry->d_name);
            FILE *in = entry->d_name [0] == '.'? NULL: fopen (file, "rb");
            if (!in)
                continue;
            static char text [1 << 20];
            size_t len = fread (text, 1, sizeof text, in);
            fclose (in);
            json_object *ours = NULL;
            int ok;
            if (memmem (text, len, "\\ud", 3) || memmem (text, len, "\\uD", 3)
            ||  dp_json_parse (text, len, &ours, NULL) != DP_OK) {
                continue;
            }
            json_object *theirs = s_json_c (text, len, &ok);
            cr_assert (ok && same_tree (ours, theirs), "%s", file);
            json_object_put (ours);
            json_object_put (theirs);
            compared++;
        }
        closedir (dir);
    }
    cr_assert_gt (compared, 10, "only %zu seeds compared", compared);
}

//  ---------------------------------------------------------------------
//  Errors

//  json-c's structural messages and offsets, state by state.
Test (json_tree, structural_errors_as_json_c)
{
    S_FAILS ("", "line 1, column 1: unexpected end of data");
    S_FAILS ("[1,", "line 1, column 4: unexpected end of data");
    S_FAILS ("{\"a\":1", "line 1, column 7: unexpected end of data");
    S_FAILS ("{\"a\"", "line 1, column 5: unexpected end of data");
    S_FAILS ("]", "line 1, column 1: unexpected character");
    S_FAILS ("[1,]", "line 1, column 4: unexpected character");
    S_FAILS ("[,1]", "line 1, column 2: unexpected character");
    S_FAILS ("{\"a\":1,}", "line 1, column 8: unexpected character");
    S_FAILS ("{\"a\":}", "line 1, column 6: unexpected character");
    S_FAILS ("[1 2]", "line 1, column 4: array value separator ',' expected");
    S_FAILS ("[1}", "line 1, column 3: array value separator ',' expected");
    S_FAILS ("[true:1]", "line 1, column 6: array value separator ',' expected");
    S_FAILS ("{1:2}", "line 1, column 2: quoted object property name expected");
    S_FAILS ("{\"a\":1,2}", "line 1, column 8: quoted object property name expected");
    S_FAILS ("{\"a\" 1}", "line 1, column 6: object property name separator ':' expected");
    S_FAILS ("{\"a\":1 \"b\":2}", "line 1, column 8: object value separator ',' expected");
    S_FAILS ("{\"a\":\"b\":1}", "line 1, column 9: object value separator ',' expected");
    //  Inside a container a number must end at a separator or whitespace.
    S_FAILS ("[1:2]", "line 1, column 3: number expected");
    S_FAILS ("[1true]", "line 1, column 3: number expected");
    S_FAILS ("[1-2]", "line 1, column 3: number expected");
    S_FAILS ("{\"a\":1\"b\"}", "line 1, column 7: number expected");
    //  Anything but whitespace after the value.
    S_FAILS ("1 2", "line 1, column 3: unexpected character");
    S_FAILS ("1]", "line 1, column 2: unexpected character");
    S_FAILS ("{\"a\":1}}", "line 1, column 8: unexpected character");
    S_FAILS ("[] []", "line 1, column 4: unexpected character");
}

//  The lexical check used to run over the whole text before json-c saw
//  it, so a lexical fault later in the text wins over a structural one.
Test (json_tree, lexical_fault_wins)
{
    S_FAILS ("[1 2, 01]", "line 1, column 7: invalid number (leading zero)");
    S_FAILS ("{\"a\" 01}", "line 1, column 6: invalid number (leading zero)");
    S_FAILS ("[1,] tru", "line 1, column 6: invalid literal (JSON has only true, false and null)");
    S_FAILS ("] \"\\x\"", "line 1, column 4: invalid escape sequence in string");
    S_FAILS ("[1 \"\\ud800\"]", "line 1, column 5: lone high surrogate \\u escape in string");
    S_FAILS ("{\"a\":1} \xff", "line 1, column 9: unexpected non-ASCII character outside a string");
    S_FAILS ("[\"a\\u0000\" : 1]", "line 1, column 2: object key contains \\u0000 (not supported)");
    S_FAILS ("[[[ 1e", "line 1, column 5: invalid number (digit expected in exponent)");
    char deep [200];
    memset (deep, '[', 100);
    memcpy (deep + 100, "\"\t\"", 3);
    s_fails (deep, 103, DP_JSON_MAX_DEPTH, DP_INVALID,
             "line 1, column 102: control character in string (must be escaped)");
}

Test (json_tree, malformed_input)
{
    S_FAILS ("\"abc", "line 1, column 1: unterminated string");
    S_FAILS ("\"abc\\", "line 1, column 5: unterminated string");
    S_FAILS ("\"\\u12\"", "line 1, column 2: invalid escape sequence in string");
    S_FAILS ("\"\\ud83d\\u00e9\"", "line 1, column 2: lone high surrogate \\u escape in string");
    S_FAILS ("\"\\ude00\"", "line 1, column 2: lone low surrogate \\u escape in string");
    S_FAILS ("\"\\ud83d", "line 1, column 2: lone high surrogate \\u escape in string");
    S_FAILS ("\"\xe2\x82\"", "line 1, column 2: invalid UTF-8 in string");
    S_FAILS ("[184467440737095516150]", "line 1, column 2: integer out of range (beyond 64 bits)");
    S_FAILS ("-9223372036854775809", "line 1, column 1: integer out of range (beyond 64 bits)");
    S_FAILS ("[NaN]", "line 1, column 2: invalid literal (JSON has only true, false and null)");
    S_FAILS ("[1.5.3]", "line 1, column 5: unexpected character");
    //  Every prefix of a document is refused, each with a message.
    const char *doc = "{\"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\", true, null], \"b\": {\"c\": false}}";
    for (size_t n = 0; n < strlen (doc); n++) {
        json_object *value = NULL;
        dp_error_t err;
        cr_assert_neq (dp_json_parse (doc, n, &value, &err), DP_OK, "prefix %zu", n);
        cr_assert (strncmp (err.text, "line 1, column ", 15) == 0, "%s", err.text);
    }
}

//  ---------------------------------------------------------------------
//  Depth, duplicates, sizes

static char *
s_nested (size_t k, const char *open, const char *inner, const char *close)
{
    size_t size = k * (strlen (open) + strlen (close)) + strlen (inner) + 1;
    char *text = malloc (size), *at = text;
    for (size_t i = 0; i < k; i++)
        at += sprintf (at, "%s", open);
    at += sprintf (at, "%s", inner);
    for (size_t i = 0; i < k; i++)
        at += sprintf (at, "%s", close);
    return text;
}

//  json-c's rule: the top is depth 0 and a container at max_depth - 1
//  must be empty.
Test (json_tree, depth_rule_of_json_c)
{
    struct { size_t k; const char *open, *inner, *close; int ok; size_t column; } cases [] = {
        { 64, "[", "", "]", 1, 0 }, { 65, "[", "", "]", 0, 65 },
        { 63, "[", "1", "]", 1, 0 }, { 64, "[", "1", "]", 0, 65 },
        { 63, "{\"a\":", "1", "}", 1, 0 }, { 64, "{\"a\":", "1", "}", 0, 321 },
        { 63, "{\"a\": ", "{}", "}", 1, 0 }, { 64, "{\"a\": ", "{}", "}", 0, 385 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *text = s_nested (cases [i].k, cases [i].open, cases [i].inner, cases [i].close);
        json_object *value = NULL;
        dp_error_t err;
        dp_status rc = dp_json_parse (text, strlen (text), &value, &err);
        if (cases [i].ok)
            cr_assert_eq (rc, DP_OK, "case %zu: %s", i, err.text);
        else {
            char expect [64];
            snprintf (expect, sizeof expect, "line 1, column %zu: nesting too deep", cases [i].column);
            cr_assert_eq (rc, DP_LIMIT, "case %zu", i);
            cr_assert_str_eq (err.text, expect, "case %zu", i);
        }
        json_object_put (value);
        free (text);
    }
    s_fails ("[1]", 3, 1, DP_LIMIT, "line 1, column 2: nesting too deep");
    json_object *value = NULL;
    cr_assert_eq (dp_json_parse_depth ("[]", 2, 1, &value, NULL), DP_OK);
    json_object_put (value);
}

//  More open containers than the parser keeps on its own stack.
Test (json_tree, deep_nesting_on_the_heap)
{
    char *text = s_nested (900, "[{\"k\": ", "[1, 2]", "}]");
    json_object *value = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_parse_depth (text, strlen (text), 2000, &value, &err), DP_OK, "%s", err.text);
    json_object *at = value;
    for (int i = 0; i < 900; i++)
        at = json_object_object_get (json_object_array_get_idx (at, 0), "k");
    cr_assert_eq (json_object_get_int64 (json_object_array_get_idx (at, 1)), 2);
    json_object_put (value);
    cr_assert_eq (dp_json_parse_depth (text, strlen (text), 1000, &value, &err), DP_LIMIT);
    free (text);
}

Test (json_tree, duplicate_keys_keep_first_place_last_value)
{
    const char *text = "{\"a\": {\"x\": 1}, \"b\": 2, \"a\": [3], \"c\": 4, \"b\": null}";
    json_object *value = NULL;
    cr_assert_eq (dp_json_parse (text, strlen (text), &value, NULL), DP_OK);
    cr_assert_eq (json_object_object_length (value), 3);
    struct json_object_iterator it = json_object_iter_begin (value);
    cr_assert_str_eq (json_object_iter_peek_name (&it), "a");
    cr_assert (json_object_is_type (json_object_iter_peek_value (&it), json_type_array));
    json_object_iter_next (&it);
    cr_assert_str_eq (json_object_iter_peek_name (&it), "b");
    cr_assert_null (json_object_iter_peek_value (&it));
    json_object_put (value);
    s_matches_json_c (text, strlen (text));
}

//  Keys, strings and numbers longer than the parser's local buffers.
Test (json_tree, long_keys_strings_and_numbers)
{
    size_t n = 5000;
    char *text = malloc (10 * n + 64), *at = text;
    at += sprintf (at, "{\"");
    for (size_t i = 0; i < n; i++)
        *at++ = (char) ('a' + i % 26);
    at += sprintf (at, "\": \"");
    for (size_t i = 0; i < n; i++)
        at += sprintf (at, "\\u00e9");
    at += sprintf (at, "\", \"\\u00e9");
    for (size_t i = 0; i < n; i++)
        *at++ = 'k';
    at += sprintf (at, "\": 0.");
    for (size_t i = 0; i < n; i++)
        *at++ = '1';
    at += sprintf (at, "}");
    s_matches_json_c (text, (size_t) (at - text));
    json_object *value = NULL;
    cr_assert_eq (dp_json_parse (text, (size_t) (at - text), &value, NULL), DP_OK);
    json_object_object_foreach (value, key, member) {
        if (json_object_is_type (member, json_type_string)) {
            cr_assert_eq (strlen (key), n);
            cr_assert_eq (json_object_get_string_len (member), (int) (2 * n));
        }
        else {
            cr_assert_eq (strlen (key), n + 2);
            cr_assert_eq (strlen (json_object_get_userdata (member)), n + 2, "source text kept whole");
            cr_assert_float_eq (json_object_get_double (member), 1.0 / 9.0, 1e-15);
        }
    }
    json_object_put (value);
    free (text);
}

Test (json_tree, huge_and_tiny_numbers_keep_their_text)
{
    const char *text = "[1e400, -1e400, 1e-400, 123456789012345678901234567890.5]";
    json_object *value = NULL;
    cr_assert_eq (dp_json_parse (text, strlen (text), &value, NULL), DP_OK);
    cr_assert (isinf (json_object_get_double (json_object_array_get_idx (value, 0))));
    cr_assert (json_object_get_double (json_object_array_get_idx (value, 1)) < 0);
    cr_assert_eq (json_object_get_double (json_object_array_get_idx (value, 2)), 0.0);
    cr_assert_str_eq (json_object_get_userdata (json_object_array_get_idx (value, 3)),
                      "123456789012345678901234567890.5");
    char *canonical = NULL;
    cr_assert_eq (dp_json_canonical (value, &canonical, NULL, NULL), DP_OK);
    cr_assert_str_eq (canonical, "[1e400,-1e400,1e-400,123456789012345678901234567890.5]");
    free (canonical);
    json_object_put (value);
}

Test (json_tree, utf8_decoder)
{
    uint32_t cp = 0;
    cr_assert_eq (dp_json_tree_utf8_decode ((const unsigned char *) "A", 1, &cp), 1);
    cr_assert_eq (cp, 'A');
    cr_assert_eq (dp_json_tree_utf8_decode ((const unsigned char *) "\xf0\x9f\x98\x80", 4, &cp), 4);
    cr_assert_eq (cp, 0x1F600);
    cr_assert_eq (dp_json_tree_utf8_decode ((const unsigned char *) "\xf0\x9f\x98", 3, &cp), 0, "truncated");
    cr_assert_eq (dp_json_tree_utf8_decode ((const unsigned char *) "\xe0\x80\x80", 3, &cp), 0, "overlong");
    cr_assert_eq (dp_json_tree_utf8_decode ((const unsigned char *) "\xed\xb0\x80", 3, &cp), 0, "surrogate");
    cr_assert_eq (dp_json_tree_utf8_decode ((const unsigned char *) "\x80", 1, &cp), 0, "continuation");
}

//  Doubles come out bit for bit as strtod reads them, whether they take
//  the fast path (at most 15 significant digits, 10^-22..10^22) or not.
static void
s_same_as_strtod (const char *text)
{
    json_object *value = NULL;
    dp_error_t err;
    cr_assert_eq (dp_json_parse (text, strlen (text), &value, &err), DP_OK, "%s: %s", text, err.text);
    double ours = json_object_get_double (value), libc = strtod (text, NULL);
    cr_assert_eq (memcmp (&ours, &libc, sizeof ours), 0, "%s: %a, strtod %a", text, ours, libc);
    cr_assert_str_eq (json_object_get_userdata (value), text);
    json_object_put (value);
}

Test (json_tree, doubles_as_strtod)
{
    const char *cases [] = {
        "0.1", "903.50", "0.29", "-0.0", "0.000001", "1e22", "1e23", "4.35e-20", "1e-22", "1e-23",
        "999999999999999e22", "9999999999999999e22", "9007199254740993.0", "123456789012345.6",
        "1.7976931348623157e308", "5e-324", "2.2250738585072011e-308", "1E+05", "12.5e-3",
        "0.5e1", "1.00000000000000000000000000001", "0.00000000000000000000000000001e29",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        s_same_as_strtod (cases [i]);
    //  And a spread of generated ones: 1-12 integer digits, 0-12
    //  fraction digits (zeros often), exponents up to +-400.
    srand (7);
    for (int t = 0; t < 100000; t++) {
        char text [128], *at = text;
        if (rand () % 2)
            *at++ = '-';
        int whole = rand () % 12, fraction = rand () % 12;
        *at++ = whole? (char) ('1' + rand () % 9): '0';
        for (int i = 1; i < whole; i++)
            *at++ = (char) ('0' + rand () % 10);
        *at++ = '.';
        for (int i = 0; i < fraction + 1; i++)
            *at++ = rand () % 4? (char) ('0' + rand () % 10): '0';
        if (rand () % 2)
            at += sprintf (at, "e%d", rand () % 2? rand () % 30 - 15: rand () % 800 - 400);
        *at = '\0';
        s_same_as_strtod (text);
    }
}
