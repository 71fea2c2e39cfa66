/*  test_eventlog.c — dstack event logs against the recorded simulator quote
    and log in ../shared/vectors/tdx/dstack (replaying the log gives the
    quote's RTMR0-3, per the vectors' README), and every malformed form. */

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_eventlog.h"
#include "dp_hex.h"
#include "dp_quote.h"

#define VEC DP_SHARED_DIR "/vectors/tdx/dstack/"

static char *
s_read (const char *path, size_t *len)
{
    FILE *file = fopen (path, "rb");
    cr_assert_not_null (file, "%s", path);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *text = malloc ((size_t) size + 1);
    cr_assert_eq (fread (text, 1, (size_t) size, file), (size_t) size);
    fclose (file);
    text [size] = '\0';
    *len = (size_t) size;
    return text;
}

static dp_eventlog_t *
s_vector_log (void)
{
    size_t len;
    char *text = s_read (VEC "simulator_eventlog.json", &len);
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_eventlog_parse (text, len, &log, &err), DP_OK, "%s", err.text);
    free (text);
    return log;
}

static dp_quote_t *
s_vector_quote (void)
{
    dp_quote_t *quote = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_load (VEC "simulator_quote.hex", &quote, &err), DP_OK, "%s", err.text);
    return quote;
}

Test (eventlog, simulator_log_replays_to_its_quote)
{
    dp_eventlog_t *log = s_vector_log ();
    dp_quote_t *quote = s_vector_quote ();
    cr_assert_eq (dp_eventlog_count (log), 27);
    dp_error_t err;
    cr_assert_eq (dp_eventlog_check_quote (log, quote, &err), DP_OK, "%s", err.text);
    //  The seven dstack events on IMR 3 are checked against their payloads.
    int checked = 0;
    for (size_t i = 0; i < dp_eventlog_count (log); i++)
        checked += dp_eventlog_event (log, i)->payload_checked;
    cr_assert_eq (checked, 7);
    size_t len = 0;
    const uint8_t *compose = dp_eventlog_runtime (log, "compose-hash", &len);
    cr_assert_not_null (compose);
    cr_assert_eq (len, 32);
    const uint8_t *app = dp_eventlog_runtime (log, "app-id", &len);
    cr_assert_eq (len, 20);
    char hex [41];
    dp_hex_encode (app, 20, hex);
    cr_assert_str_eq (hex, "ea549f02e1a25fabd1cb788380e033ec5461b2ff");
    cr_assert_null (dp_eventlog_runtime (log, "no-such-event", &len));
    dp_quote_destroy (&quote);
    dp_eventlog_destroy (&log);
}

//  The log as dstack sends it: the array encoded once more as a string.
Test (eventlog, double_encoded_log_is_read)
{
    size_t len;
    char *text = s_read (VEC "simulator_eventlog.json", &len);
    json_object *wrapped = json_object_new_string_len (text, (int) len);
    const char *outer = json_object_to_json_string_ext (wrapped, JSON_C_TO_STRING_PLAIN);
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_eventlog_parse (outer, strlen (outer), &log, &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_eventlog_count (log), 27);
    dp_eventlog_destroy (&log);
    json_object_put (wrapped);
    free (text);
}

//  Changing any one recorded digest, or the order, changes the replay.
Test (eventlog, a_changed_boot_digest_or_order_no_longer_matches)
{
    size_t len;
    char *text = s_read (VEC "simulator_eventlog.json", &len);
    json_object *doc = json_tokener_parse (text);
    cr_assert_not_null (doc);
    json_object *first = json_object_array_get_idx (doc, 0);
    json_object *digest;
    cr_assert (json_object_object_get_ex (first, "digest", &digest));
    char changed [97];
    snprintf (changed, sizeof changed, "%s", json_object_get_string (digest));
    changed [0] = changed [0] == '0'? '1': '0';
    json_object_object_add (first, "digest", json_object_new_string (changed));
    const char *edited = json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_eventlog_parse (edited, strlen (edited), &log, &err), DP_OK, "%s", err.text);
    dp_quote_t *quote = s_vector_quote ();
    cr_assert_eq (dp_eventlog_check_quote (log, quote, &err), DP_INVALID);
    cr_assert (strstr (err.text, "rtmr0 replays to"), "%s", err.text);
    dp_eventlog_destroy (&log);
    json_object_put (doc);

    //  Two IMR 1 events swapped.
    doc = json_tokener_parse (text);
    size_t a = SIZE_MAX, b = SIZE_MAX;
    for (size_t i = 0; i < json_object_array_length (doc) && b == SIZE_MAX; i++) {
        json_object *imr;
        json_object_object_get_ex (json_object_array_get_idx (doc, i), "imr", &imr);
        if (json_object_get_int (imr) == 1)
            *(a == SIZE_MAX? &a: &b) = i;
    }
    cr_assert (b != SIZE_MAX, "the vector has two IMR 1 events");
    json_object *ea = json_object_get (json_object_array_get_idx (doc, a));
    json_object *eb = json_object_get (json_object_array_get_idx (doc, b));
    json_object_array_put_idx (doc, a, eb);
    json_object_array_put_idx (doc, b, ea);
    edited = json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
    cr_assert_eq (dp_eventlog_parse (edited, strlen (edited), &log, &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_eventlog_check_quote (log, quote, &err), DP_INVALID);
    cr_assert (strstr (err.text, "rtmr1"), "%s", err.text);
    dp_eventlog_destroy (&log);
    json_object_put (doc);
    dp_quote_destroy (&quote);
    free (text);
}

//  A dstack runtime event whose payload was changed (a different compose
//  hash under the recorded digest) is refused at parse, naming it.
Test (eventlog, a_changed_runtime_payload_is_refused)
{
    size_t len;
    char *text = s_read (VEC "simulator_eventlog.json", &len);
    json_object *doc = json_tokener_parse (text);
    for (size_t i = 0; i < json_object_array_length (doc); i++) {
        json_object *entry = json_object_array_get_idx (doc, i), *name;
        json_object_object_get_ex (entry, "event", &name);
        if (strcmp (json_object_get_string (name), "compose-hash") == 0)
            json_object_object_add (entry, "event_payload", json_object_new_string (
                "0000000000000000000000000000000000000000000000000000000000000000"));
    }
    const char *edited = json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_eventlog_parse (edited, strlen (edited), &log, &err), DP_INVALID);
    cr_assert (strstr (err.text, "(compose-hash): digest does not match"), "%s", err.text);
    cr_assert_null (log);
    json_object_put (doc);
    free (text);
}

//  dstack's v2 digest: SHA-384 of the canonical JSON, written out here by
//  hand rather than made by the code under test.
Test (eventlog, v2_digest_is_accepted)
{
    const char *canonical = "{\"name\":\"app-id\",\"payload\":\"abcd\",\"type\":134217729}";
    uint8_t digest [48];
    unsigned int n = 0;
    cr_assert (EVP_Digest (canonical, strlen (canonical), digest, &n, EVP_sha384 (), NULL));
    char hex [97];
    dp_hex_encode (digest, 48, hex);
    char log_text [512];
    snprintf (log_text, sizeof log_text,
              "[{\"imr\":3,\"event_type\":134217729,\"digest\":\"%s\",\"event\":\"app-id\","
              "\"event_payload\":\"abcd\"}]", hex);
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_eventlog_parse (log_text, strlen (log_text), &log, &err), DP_OK, "%s", err.text);
    cr_assert (dp_eventlog_event (log, 0)->payload_checked);
    dp_eventlog_destroy (&log);
}

Test (eventlog, malformed_logs_name_the_entry_and_field)
{
    static const struct { const char *text, *want; } cases [] = {
        { "{}", "expected a JSON array" },
        { "[1]", "event_log[0]: expected an object" },
        { "[{\"imr\":4,\"event_type\":1,\"digest\":\"00\"}]", "event_log[0]: imr: 4 is out of range" },
        { "[{\"imr\":-1,\"event_type\":1,\"digest\":\"00\"}]", "event_log[0]: imr: " },
        { "[{\"event_type\":1,\"digest\":\"00\"}]", "event_log[0]: imr: expected an integer" },
        { "[{\"imr\":0,\"event_type\":4294967296,\"digest\":\"00\"}]", "event_log[0]: event_type: " },
        { "[{\"imr\":0,\"event_type\":1,\"digest\":\"00\"}]", "event_log[0]: digest: expected 96 hex digits" },
        { "[{\"imr\":0,\"event_type\":1}]", "event_log[0]: digest: missing" },
        { "[{\"imr\":0,\"event_type\":1,\"digest\":\"000000000000000000000000000000000000000000000000"
          "000000000000000000000000000000000000000000000000\",\"event_payload\":\"abc\"}]",
          "event_log[0]: event_payload: odd number" },
        { "[{\"imr\":0,\"event_type\":1,\"digest\":\"000000000000000000000000000000000000000000000000"
          "000000000000000000000000000000000000000000000000\",\"event\":7}]",
          "event_log[0]: event: expected a string" },
        { "[[[[[[1]]]]]]", "event_log" },
        { "not json", "event_log" },
        { "\"[1\"", "event_log (inside its string)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dp_eventlog_t *log = NULL;
        dp_error_t err;
        dp_status rc = dp_eventlog_parse (cases [i].text, strlen (cases [i].text), &log, &err);
        cr_assert_neq (rc, DP_OK, "%s was accepted", cases [i].text);
        cr_assert (strstr (err.text, cases [i].want), "%s: %s", cases [i].text, err.text);
        cr_assert_null (log);
    }
}

Test (eventlog, an_empty_log_replays_to_zeros_and_not_a_quote_without_td)
{
    dp_eventlog_t *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_eventlog_parse ("[]", 2, &log, &err), DP_OK, "%s", err.text);
    uint8_t rtmr [4][48], zeros [48] = { 0 };
    dp_eventlog_replay (log, rtmr);
    for (int i = 0; i < 4; i++)
        cr_assert_eq (memcmp (rtmr [i], zeros, 48), 0);
    dp_quote_t *quote = s_vector_quote ();
    cr_assert_eq (dp_eventlog_check_quote (log, quote, &err), DP_INVALID);
    dp_quote_destroy (&quote);
    dp_eventlog_destroy (&log);
}
