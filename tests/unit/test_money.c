/*  test_money.c — exact money from decimal text, wei, and the limits table. */

#include <criterion/criterion.h>
#include <string.h>

#include "dp_limits.h"
#include "dp_money.h"

#define S_MAX 100000000000000LL

static int64_t
s_cents (const char *text, dp_money_round_t round)
{
    int64_t cents = -7;
    dp_error_t err;
    cr_assert_eq (dp_money_cents_from_text (text, strlen (text), round, S_MAX, &cents, &err), DP_OK,
                  "%s: %s", text, err.text);
    return cents;
}

Test (money, cents_rounding)
{
    struct { const char *text; int64_t down, up; } cases [] = {
        { "0.29", 29, 29 }, { "1000.005", 100000, 100001 }, { "0.001", 0, 1 }, { "730", 73000, 73000 },
        { "730.0", 73000, 73000 }, { "7.3e2", 73000, 73000 }, { "7.3E+2", 73000, 73000 },
        { "73000e-2", 73000, 73000 }, { "1e-2", 1, 1 }, { "1e-3", 0, 1 }, { "1e-400", 0, 1 },
        { "0.0100000000000000000000000001", 1, 2 }, { "999999999999.99", 99999999999999LL, 99999999999999LL },
        { "1000000000000", S_MAX, S_MAX }, { "0.30000000000000004", 30, 31 }, { "12.345", 1234, 1235 },
        { "5.00", 500, 500 }, { "0.10", 10, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        cr_assert_eq (s_cents (cases [i].text, DP_MONEY_DOWN), cases [i].down, "%s down", cases [i].text);
        cr_assert_eq (s_cents (cases [i].text, DP_MONEY_UP), cases [i].up, "%s up", cases [i].text);
    }
}

Test (money, cents_errors)
{
    struct { const char *text; dp_status code; const char *expect; } cases [] = {
        { "", DP_INVALID, "not a number" }, { "abc", DP_INVALID, "not a number" },
        { "01", DP_INVALID, "not a number" }, { "1.", DP_INVALID, "not a number" },
        { ".5", DP_INVALID, "not a number" }, { "+1", DP_INVALID, "not a number" },
        { "1e", DP_INVALID, "not a number" }, { "1e+", DP_INVALID, "not a number" },
        { "1 ", DP_INVALID, "not a number" }, { "0x10", DP_INVALID, "not a number" },
        { "NaN", DP_INVALID, "not a number" }, { "0", DP_INVALID, "must be greater than 0" },
        { "-0.0", DP_INVALID, "must be greater than 0" }, { "-1", DP_INVALID, "must be greater than 0" },
        { "0e5", DP_INVALID, "must be greater than 0" },
        { "1000000000000.01", DP_LIMIT, "exceeds the limit of 1000000000000.00" },
        { "1e19", DP_LIMIT, "exceeds the limit" }, { "1e999999999999999999999", DP_LIMIT, "exceeds the limit" },
        { "99999999999999999999", DP_LIMIT, "exceeds the limit" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int64_t cents = -7;
        dp_error_t err;
        dp_status rc = dp_money_cents_from_text (cases [i].text, strlen (cases [i].text), DP_MONEY_UP,
                                                 S_MAX, &cents, &err);
        cr_assert_eq (rc, cases [i].code, "'%s': %s", cases [i].text, err.text);
        cr_assert (strstr (err.text, cases [i].expect), "'%s': %s", cases [i].text, err.text);
        cr_assert_eq (cents, -7, "untouched on error");
    }
    //  Only len bytes are read (not NUL-terminated input).
    int64_t cents;
    cr_assert_eq (dp_money_cents_from_text ("12.34xyz", 5, DP_MONEY_DOWN, S_MAX, &cents, NULL), DP_OK);
    cr_assert_eq (cents, 1234);
}

Test (money, wei)
{
    uint8_t wei [32];
    char text [DP_MONEY_WEI_TEXT_MAX];
    struct { const char *eth; const char *wei; } cases [] = {
        { "1", "1000000000000000000" }, { "0.01", "10000000000000000" }, { "1e-18", "1" },
        { "0.000000000000000001", "1" }, { "123.456", "123456000000000000000" },
        { "1.0000000000000000000000", "1000000000000000000" },
        { "115792089237316195423570985008687907853269984665640564039457.584007913129639935",
          "115792089237316195423570985008687907853269984665640564039457584007913129639935" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        dp_error_t err;
        cr_assert_eq (dp_money_wei_from_text (cases [i].eth, strlen (cases [i].eth), wei, &err), DP_OK,
                      "%s: %s", cases [i].eth, err.text);
        cr_assert_str_eq (dp_money_wei_format (wei, text), cases [i].wei);
    }
    const char *bad [] = { "1e-19", "0", "-1", "1e60", "x", "0.0000000000000000001",
        "115792089237316195423570985008687907853269984665640564039457.584007913129639936" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        cr_assert_eq (dp_money_wei_from_text (bad [i], strlen (bad [i]), wei, NULL), DP_INVALID, "%s", bad [i]);
    memset (wei, 0, 32);
    cr_assert_str_eq (dp_money_wei_format (wei, text), "0");
}

Test (money, format)
{
    char out [DP_MONEY_TEXT_MAX];
    cr_assert_str_eq (dp_money_cents_format (73000, out), "730.00");
    cr_assert_str_eq (dp_money_cents_format (5, out), "0.05");
    cr_assert_str_eq (dp_money_cents_format (-5, out), "-0.05");
    cr_assert_str_eq (dp_money_cents_format (INT64_MIN, out), "-92233720368547758.08");
}

Test (limits, defaults_match_spec)
{
    const dp_limits_t *limits = dp_limits_default ();
    cr_assert_eq (limits->deal_body_max, 16 * 1024 * 1024);
    cr_assert_eq (limits->email_max, 10 * 1024 * 1024);
    cr_assert_eq (limits->chunk_hashes_max, 200000);
    cr_assert_eq (limits->string_max, 64 * 1024);
    cr_assert_eq (limits->line_max, 24 * 1024 * 1024);
    cr_assert_eq (limits->batch_deals_max, 10000);
    cr_assert_eq (limits->batch_bytes_max, 32 * 1024 * 1024);
    cr_assert_eq (limits->frame_max, 64 * 1024 * 1024);
    cr_assert_eq (dp_limits_check (limits, NULL), DP_OK);
    size_t count;
    const dp_limits_row_t *rows = dp_limits_rows (&count);
    cr_assert_eq (count, 10);
    cr_assert_str_eq (rows [0].name, "deal_body_max");
    cr_assert_str_eq (rows [0].env, "DP_LIMIT_DEAL_BODY");
    cr_assert_eq (rows [0].default_value, limits->deal_body_max);
}

Test (limits, set_and_check)
{
    dp_limits_t limits = *dp_limits_default ();
    dp_error_t err;
    cr_assert_eq (dp_limits_set (&limits, "string_max", "1KiB", &err), DP_OK);
    cr_assert_eq (limits.string_max, 1024);
    cr_assert_eq (dp_limits_set (&limits, "limit-frame", "128M", &err), DP_OK);
    cr_assert_eq (limits.frame_max, 128 * 1024 * 1024);
    cr_assert_eq (dp_limits_set (&limits, "batch_deals_max", "50", &err), DP_OK);
    cr_assert_eq (limits.batch_deals_max, 50);
    cr_assert_eq (dp_limits_set (&limits, "string_max", "0", &err), DP_INVALID);
    cr_assert (strstr (err.text, "string_max: expected a positive integer"), "%s", err.text);
    cr_assert_eq (dp_limits_set (&limits, "string_max", "12X", &err), DP_INVALID);
    cr_assert_eq (dp_limits_set (&limits, "string_max", "-1", &err), DP_INVALID);
    cr_assert_eq (dp_limits_set (&limits, "string_max", "99999999999999999999", &err), DP_INVALID);
    cr_assert_eq (dp_limits_set (&limits, "nope", "1", &err), DP_INVALID);
    cr_assert_str_eq (err.text, "nope: no such limit");
    cr_assert_eq (dp_limits_set (&limits, "frame_max", "32MiB", &err), DP_OK);
    cr_assert_eq (dp_limits_check (&limits, &err), DP_INVALID);
    cr_assert (strstr (err.text, "frame_max"), "%s", err.text);
    limits = *dp_limits_default ();
    limits.line_max = 1024;
    cr_assert_eq (dp_limits_check (&limits, &err), DP_INVALID);
    cr_assert (strstr (err.text, "line_max"), "%s", err.text);
    cr_assert_eq (dp_limits_exceeded (&err, "buyer_requirements", 70000, &limits, &limits.string_max), DP_LIMIT);
    cr_assert_str_eq (err.text, "buyer_requirements: 70000 bytes exceeds the limit of 65536 bytes (string_max)");
    cr_assert_str_eq (dp_limits_name (&limits, &limits.frame_max), "frame_max");
}
