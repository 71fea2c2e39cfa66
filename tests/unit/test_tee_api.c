/*  test_tee_api.c — the dstack and tappd clients against tests/tools/
    fake_tee.py: mode detection (sockets, endpoints, the seed's
    DSTACK_SIMULATOR_ENDPOINT pointing at a tappd simulator), the exact
    requests (path, content type, raw report data, hash_algorithm "raw"),
    recorded quotes from ../shared/vectors/tdx/, key derivation, Info, and
    every failure: HTTP 500, garbage JSON, timeouts, missing sockets, a
    server that dies, a quote with the wrong report data. */

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_tee.h"
#include "dp_tee_api.h"
#include "fake_tee.h"

static char s_dir [256];
static ft_server_t s_server;
static ft_server_t s_server2;

static void
s_setup (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dp-test-teeapi.XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    unsetenv ("TEE_MODE");
    unsetenv ("DSTACK_SIMULATOR_ENDPOINT");
    unsetenv ("TAPPD_SIMULATOR_ENDPOINT");
    memset (&s_server, 0, sizeof s_server);
    memset (&s_server2, 0, sizeof s_server2);
}

static void
s_teardown (void)
{
    ft_stop (&s_server);
    ft_stop (&s_server2);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    cr_assert_eq (system (command), 0);
}

TestSuite (tee_api, .init = s_setup, .fini = s_teardown, .timeout = 60);

static void
s_pattern (uint8_t report_data [64], int seed)
{
    for (int i = 0; i < 64; i++)
        report_data [i] = (uint8_t) (seed + i * 3);
}

//  Quotes through tee and checks it is the recorded quote with
//  [568, 632) replaced by the report data (the simulator's behaviour).
static void
s_expect_recorded_quote (dp_tee_t *tee, const char *recorded, const uint8_t report_data [64])
{
    uint8_t *quote = NULL;
    size_t len = 0;
    char *log = NULL;
    dp_error_t err;
    cr_assert_eq (dp_tee_quote_ex (tee, report_data, &quote, &len, &log, &err), DP_OK, "%s", err.text);
    size_t want_len = 0;
    uint8_t *want = ft_read_quote (recorded, &want_len);
    memcpy (want + 568, report_data, 64);
    cr_assert_eq (len, want_len);
    cr_assert_arr_eq (quote, want, len);
    //  The event log is the recorded one, as a JSON array in a string.
    json_object *events = json_tokener_parse (log);
    cr_assert (events && json_object_is_type (events, json_type_array));
    cr_assert_eq (json_object_array_length (events), 27);
    json_object_put (events);
    free (want);
    free (quote);
    free (log);
}

static void
s_expect_request (json_object *request, const char *path, const uint8_t report_data [64],
                  const char *hash_algorithm)
{
    cr_assert_str_eq (ft_get (request, "path"), path);
    cr_assert_str_eq (ft_get (request, "content_type"), "application/json");
    json_object *body = json_tokener_parse (ft_get (request, "body"));
    cr_assert_not_null (body);
    char hex [129];
    dp_hex_encode (report_data, 64, hex);
    cr_assert_str_eq (ft_get (body, "report_data"), hex);
    json_object *algorithm = NULL;
    int has = json_object_object_get_ex (body, "hash_algorithm", &algorithm);
    if (hash_algorithm)
        cr_assert_str_eq (json_object_get_string (algorithm), hash_algorithm);
    else
        cr_assert_not (has, "unexpected hash_algorithm");
    json_object_put (body);
}

Test (tee_api, dstack_socket_auto)
{
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, NULL);
    dp_tee_options_t options = { .socket_dir = s_dir };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "dstack");
    cr_assert_str_eq (dp_tee_endpoint (tee), s_server.endpoint);
    cr_assert_null (dp_tee_sim_root_hex (tee));
    cr_assert_null (dp_tee_simroot (tee));
    uint8_t report_data [64];
    s_pattern (report_data, 7);
    s_expect_recorded_quote (tee, FT_QUOTE_DSTACK, report_data);
    json_object *requests = ft_requests (&s_server);
    size_t n = json_object_array_length (requests);
    cr_assert_str_eq (ft_get (json_object_array_get_idx (requests, 0), "path"), "/Info");   //  probe
    s_expect_request (json_object_array_get_idx (requests, n - 1), "/GetQuote", report_data, NULL);
    json_object_put (requests);
    dp_tee_destroy (&tee);
}

Test (tee_api, dstack_zero_report_data_keeps_a_verifying_quote)
{
    //  The simulator quote's own REPORTDATA is zero: asking for zeros gives
    //  back the recorded bytes unchanged.
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, NULL);
    dp_tee_options_t options = { .mode = "dstack", .dstack_endpoint = s_server.endpoint };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    uint8_t zeros [64] = { 0 }, *quote = NULL;
    size_t len = 0, want_len = 0;
    cr_assert_eq (dp_tee_quote (tee, zeros, &quote, &len, &err), DP_OK, "%s", err.text);
    uint8_t *want = ft_read_quote (FT_QUOTE_DSTACK, &want_len);
    cr_assert_eq (len, want_len);
    cr_assert_arr_eq (quote, want, len);
    free (want);
    free (quote);
    dp_tee_destroy (&tee);
}

Test (tee_api, tappd_socket_raw_quote)
{
    ft_start (&s_server, s_dir, "tappd", "tappd.sock", FT_QUOTE_TAPPD, NULL);
    dp_tee_options_t options = { .socket_dir = s_dir };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "tappd");
    uint8_t report_data [64];
    s_pattern (report_data, 11);
    s_expect_recorded_quote (tee, FT_QUOTE_TAPPD, report_data);
    json_object *requests = ft_requests (&s_server);
    size_t n = json_object_array_length (requests);
    s_expect_request (json_object_array_get_idx (requests, n - 1), "/prpc/Tappd.RawQuote",
                      report_data, NULL);
    json_object_put (requests);
    dp_tee_destroy (&tee);
}

Test (tee_api, legacy_tappd_uses_tdx_quote_raw)
{
    //  The legacy tappd simulator over TCP: no RawQuote, no Info.
    ft_start (&s_server, s_dir, "tappd-legacy", NULL, FT_QUOTE_TAPPD, NULL);
    setenv ("TAPPD_SIMULATOR_ENDPOINT", s_server.endpoint, 1);
    dp_tee_options_t options = { .socket_dir = s_dir };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "tappd");
    uint8_t report_data [64];
    s_pattern (report_data, 13);
    s_expect_recorded_quote (tee, FT_QUOTE_TAPPD, report_data);
    s_pattern (report_data, 14);
    s_expect_recorded_quote (tee, FT_QUOTE_TAPPD, report_data);
    json_object *requests = ft_requests (&s_server);
    size_t n = json_object_array_length (requests);
    //  The second quote went straight to TdxQuote with "raw".
    s_expect_request (json_object_array_get_idx (requests, n - 1), "/prpc/Tappd.TdxQuote",
                      report_data, "raw");
    cr_assert_str_neq (ft_get (json_object_array_get_idx (requests, n - 2), "path"),
                       "/prpc/Tappd.RawQuote");
    int raw_attempts = 0;
    for (size_t i = 0; i < n; i++)
        raw_attempts += strcmp (ft_get (json_object_array_get_idx (requests, i), "path"),
                                "/prpc/Tappd.RawQuote") == 0;
    cr_assert_leq (raw_attempts, 1, "RawQuote retried after a 404");
    json_object_put (requests);
    dp_tee_destroy (&tee);
}

Test (tee_api, seed_dstack_endpoint_at_a_tappd_simulator)
{
    //  The seed set DSTACK_SIMULATOR_ENDPOINT=http://localhost:8090, a
    //  tappd simulator: the probe must find tappd.
    ft_start (&s_server, s_dir, "tappd-legacy", NULL, FT_QUOTE_TAPPD, NULL);
    setenv ("DSTACK_SIMULATOR_ENDPOINT", s_server.endpoint, 1);
    dp_tee_options_t options = { .socket_dir = s_dir };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "tappd");
    uint8_t report_data [64];
    s_pattern (report_data, 17);
    s_expect_recorded_quote (tee, FT_QUOTE_TAPPD, report_data);
    dp_tee_destroy (&tee);
    //  The same with TEE_MODE=tappd.
    setenv ("TEE_MODE", "tappd", 1);
    tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "tappd");
    dp_tee_destroy (&tee);
    //  TEE_MODE=dstack refuses an endpoint speaking tappd.
    setenv ("TEE_MODE", "dstack", 1);
    cr_assert_null (dp_tee_new (&options, &err));
    cr_assert_eq (err.code, DP_PROTO);
    cr_assert (strstr (err.text, "speaks the tappd API"), "%s", err.text);
}

Test (tee_api, dstack_over_tcp_and_dstack_first)
{
    ft_start (&s_server, s_dir, "dstack", NULL, FT_QUOTE_DSTACK, NULL);
    ft_start (&s_server2, s_dir, "tappd", "tappd.sock", FT_QUOTE_TAPPD, NULL);
    setenv ("DSTACK_SIMULATOR_ENDPOINT", s_server.endpoint, 1);
    dp_tee_options_t options = { .socket_dir = s_dir };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "dstack");
    cr_assert_str_eq (dp_tee_endpoint (tee), s_server.endpoint);
    dp_tee_destroy (&tee);
    //  Without the endpoint, the dstack socket wins over tappd's.
    unsetenv ("DSTACK_SIMULATOR_ENDPOINT");
    ft_stop (&s_server);
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, NULL);
    tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "dstack");
    dp_tee_destroy (&tee);
    //  TEE_MODE=tappd takes the tappd socket.
    options.mode = "tappd";
    tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_endpoint (tee), s_server2.endpoint);
    dp_tee_destroy (&tee);
}

Test (tee_api, derive_key_and_info)
{
    static const char *key_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    uint8_t want [32], key [32];
    cr_assert_eq (dp_hex_decode (key_hex, 64, want, 32, NULL), DP_OK);
    const char *apis [] = { "dstack", "tappd" };
    const char *paths [] = { "/GetKey", "/prpc/Tappd.DeriveK256Key" };
    for (int i = 0; i < 2; i++) {
        ft_start (&s_server, s_dir, apis [i], i ? "tappd.sock" : "dstack.sock",
                  i ? FT_QUOTE_TAPPD : FT_QUOTE_DSTACK, "--key", key_hex, NULL);
        dp_tee_options_t options = { .socket_dir = s_dir };
        dp_error_t err;
        dp_tee_t *tee = dp_tee_new (&options, &err);
        cr_assert_not_null (tee, "%s", err.text);
        cr_assert_str_eq (dp_tee_mode_name (tee), apis [i]);
        cr_assert_eq (dp_tee_derive_key (tee, "dealproof/test/v1", key, &err), DP_OK, "%s", err.text);
        cr_assert_arr_eq (key, want, 32);
        cr_assert_eq (dp_tee_derive_key (tee, "", key, &err), DP_INVALID);
        json_object *info = NULL;
        cr_assert_eq (dp_tee_info (tee, &info, &err), DP_OK, "%s", err.text);
        cr_assert_str_eq (ft_get (info, "app_name"), "dealproof-test");
        json_object_put (info);
        json_object *requests = ft_requests (&s_server);
        json_object *request = NULL;
        for (size_t k = 0; k < json_object_array_length (requests); k++)
            if (strcmp (ft_get (json_object_array_get_idx (requests, k), "path"), paths [i]) == 0)
                request = json_object_array_get_idx (requests, k);
        cr_assert_not_null (request, "no %s request", paths [i]);
        cr_assert_str_eq (ft_get (request, "content_type"), "application/json");
        json_object *body = json_tokener_parse (ft_get (request, "body"));
        cr_assert_str_eq (ft_get (body, "path"), "dealproof/test/v1");
        if (i == 0)
            cr_assert_str_eq (ft_get (body, "algorithm"), "secp256k1");
        json_object_put (body);
        json_object_put (requests);
        dp_tee_destroy (&tee);
        ft_stop (&s_server);
        unlink (s_server.endpoint);
    }
}

Test (tee_api, invalid_derived_key_is_refused)
{
    //  Zero is not a secp256k1 key.
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, "--key",
              "0000000000000000000000000000000000000000000000000000000000000000", NULL);
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 2, .backoff_ms = 10 };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    uint8_t key [32];
    cr_assert_eq (dp_tee_derive_key (tee, "p", key, &err), DP_PROTO);
    cr_assert (strstr (err.text, "not a valid secp256k1 key"), "%s", err.text);
    dp_tee_destroy (&tee);
}

Test (tee_api, retries_then_succeeds)
{
    //  Requests 1-3 fail with HTTP 500: the probe retries through them.
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, "--fail", "3", NULL);
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 4, .backoff_ms = 10 };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "dstack");
    json_object *probes = ft_requests (&s_server);
    cr_assert_eq (json_object_array_length (probes), 4);
    json_object_put (probes);
    dp_tee_destroy (&tee);
    ft_stop (&s_server);
    unlink (s_server.endpoint);
    //  Failures after a good probe: the quote is retried.
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, NULL);
    tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    ft_stop (&s_server);
    unlink (s_server.endpoint);
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, "--fail", "2", NULL);
    uint8_t report_data [64];
    s_pattern (report_data, 21);
    s_expect_recorded_quote (tee, FT_QUOTE_DSTACK, report_data);
    json_object *requests = ft_requests (&s_server);
    cr_assert_eq (json_object_array_length (requests), 3);
    json_object_put (requests);
    dp_tee_destroy (&tee);
}

//  A tee on a healthy dstack server, then the server replaced by one
//  started with the given fault arguments.
static dp_tee_t *
s_tee_then_fault (dp_tee_options_t *options, const char *arg1, const char *arg2)
{
    ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, NULL);
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    ft_stop (&s_server);
    unlink (s_server.endpoint);
    if (arg1)
        ft_start (&s_server, s_dir, "dstack", "dstack.sock", FT_QUOTE_DSTACK, arg1, arg2, NULL);
    return tee;
}

Test (tee_api, persistent_500_fails_clearly)
{
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 3, .backoff_ms = 10 };
    dp_tee_t *tee = s_tee_then_fault (&options, "--fail", "1000");
    uint8_t report_data [64] = { 1 }, *quote = NULL;
    size_t len = 0;
    dp_error_t err;
    cr_assert_eq (dp_tee_quote (tee, report_data, &quote, &len, &err), DP_PROTO);
    cr_assert_null (quote);
    cr_assert (strstr (err.text, "HTTP 500"), "%s", err.text);
    cr_assert (strstr (err.text, "after 3 attempts"), "%s", err.text);
    cr_assert (strstr (err.text, "injected failure"), "%s", err.text);
    cr_assert (strstr (err.text, "/GetQuote"), "%s", err.text);
    json_object *requests = ft_requests (&s_server);
    cr_assert_eq (json_object_array_length (requests), 3);
    json_object_put (requests);
    dp_tee_destroy (&tee);
}

Test (tee_api, garbage_json_fails_clearly)
{
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 2, .backoff_ms = 10 };
    dp_tee_t *tee = s_tee_then_fault (&options, "--garbage", NULL);
    uint8_t report_data [64] = { 2 }, *quote = NULL;
    size_t len = 0;
    dp_error_t err;
    cr_assert_eq (dp_tee_quote (tee, report_data, &quote, &len, &err), DP_PROTO);
    cr_assert (strstr (err.text, "not a JSON object"), "%s", err.text);
    cr_assert (strstr (err.text, "after 2 attempts"), "%s", err.text);
    dp_tee_destroy (&tee);
}

Test (tee_api, timeout_fails_clearly)
{
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 2, .backoff_ms = 10,
                                 .timeout_ms = 300 };
    dp_tee_t *tee = s_tee_then_fault (&options, "--delay", "3");
    uint8_t report_data [64] = { 3 }, *quote = NULL;
    size_t len = 0;
    dp_error_t err;
    time_t start = time (NULL);
    cr_assert_eq (dp_tee_quote (tee, report_data, &quote, &len, &err), DP_TIMEOUT, "%s", err.text);
    cr_assert_leq (time (NULL) - start, 3, "the timeout did not bound the call");
    cr_assert (strstr (err.text, "after 2 attempts"), "%s", err.text);
    dp_tee_destroy (&tee);
}

Test (tee_api, server_gone_fails_clearly)
{
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 2, .backoff_ms = 10 };
    dp_tee_t *tee = s_tee_then_fault (&options, NULL, NULL);
    uint8_t report_data [64] = { 4 }, *quote = NULL;
    size_t len = 0;
    dp_error_t err;
    cr_assert_eq (dp_tee_quote (tee, report_data, &quote, &len, &err), DP_UNREACHABLE, "%s", err.text);
    cr_assert (strstr (err.text, "dstack.sock"), "%s", err.text);
    dp_tee_destroy (&tee);
}

Test (tee_api, missing_socket_or_endpoint)
{
    char path [400];
    snprintf (path, sizeof path, "%s/nothing.sock", s_dir);
    dp_tee_options_t options = { .mode = "dstack", .dstack_endpoint = path, .attempts = 2,
                                 .backoff_ms = 10 };
    dp_error_t err;
    cr_assert_null (dp_tee_new (&options, &err));
    cr_assert_eq (err.code, DP_UNREACHABLE, "%s", err.text);
    cr_assert (strstr (err.text, "nothing.sock"), "%s", err.text);
    //  A configured endpoint that is down is an error in auto mode too.
    options.mode = NULL;
    cr_assert_null (dp_tee_new (&options, &err));
    cr_assert_eq (err.code, DP_UNREACHABLE, "%s", err.text);
    //  Explicit modes without any socket.
    dp_tee_options_t none = { .mode = "tappd", .socket_dir = s_dir };
    cr_assert_null (dp_tee_new (&none, &err));
    cr_assert_eq (err.code, DP_UNREACHABLE);
    cr_assert (strstr (err.text, "TEE_MODE=tappd"), "%s", err.text);
}

Test (tee_api, wrong_report_data_is_refused)
{
    //  A TEE that ignores the requested report data (here: the recorded
    //  quote unpatched; in real life: tappd's default hashing).
    ft_start (&s_server, s_dir, "tappd", "tappd.sock", FT_QUOTE_TAPPD, "--no-patch", NULL);
    dp_tee_options_t options = { .socket_dir = s_dir, .attempts = 1 };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    uint8_t report_data [64] = { 5 }, *quote = NULL;
    size_t len = 0;
    cr_assert_eq (dp_tee_quote (tee, report_data, &quote, &len, &err), DP_PROTO);
    cr_assert (strstr (err.text, "REPORTDATA differs"), "%s", err.text);
    dp_tee_destroy (&tee);
}

Test (tee_api, parsers_reject_bad_answers)
{
    uint8_t *quote = NULL, key [32];
    size_t len = 0;
    char *log = NULL;
    dp_error_t err;
    struct { const char *body; const char *reason; } cases [] = {
        { "", "empty" },
        { "[]", "not a JSON object" },
        { "{\"quote\": 5}", "quote: missing or not a string" },
        { "{}", "quote: missing" },
        { "{\"quote\": \"0x04\"}", "expected an even count" },
        { "{\"quote\": \"zz\"}", "expected an even count" },
        { "{\"quote\": \"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000q\"}", "not a hex digit" },
        { "{\"quote\": \"00\"} trailing", "not a JSON object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        cr_assert_eq (dp_tee_api_parse_quote (cases [i].body, strlen (cases [i].body), &quote, &len,
                                              &log, &err), DP_PROTO, "case %zu", i);
        cr_assert (strstr (err.text, cases [i].reason), "case %zu: %s", i, err.text);
        cr_assert_null (quote);
    }
    const char *good = "{\"quote\": \"0x0400020081000000000000000000000000000000000000000000000000"
                       "0000000000000000000000000000000000000000000000000000000000000000000000\","
                       " \"event_log\": [{\"imr\": 3}]}";
    cr_assert_eq (dp_tee_api_parse_quote (good, strlen (good), &quote, &len, &log, &err), DP_OK,
                  "%s", err.text);
    cr_assert_eq (len, 64);
    cr_assert_str_eq (log, "[{\"imr\":3}]");
    size_t at = 0;
    cr_assert_eq (dp_tee_api_quote_report_data (quote, len, &at, &err), DP_PROTO, "64 bytes is short");
    free (quote);
    free (log);
    const char *keys [] = { "{\"key\": \"00\"}", "{\"k256_key\": \"0101\"}", "{\"key\": 1}" };
    for (int i = 0; i < 3; i++)
        cr_assert_eq (dp_tee_api_parse_key (keys [i], strlen (keys [i]), "key", key, &err), DP_PROTO);
}
