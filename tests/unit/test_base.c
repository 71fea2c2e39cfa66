/*  test_base.c — status table, error details, hex and SHA-256. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_sha256.h"
#include "dp_status.h"
#include "dp_text.h"

Test (status, names_and_messages)
{
    cr_assert_str_eq (dp_status_name (DP_OK), "ok");
    cr_assert_str_eq (dp_status_name (DP_INVALID), "invalid");
    cr_assert_str_eq (dp_status_name ((dp_status) 999), "unknown");
    cr_assert_str_eq (dp_status_message (DP_FULL), "queue full");
}

Test (status, error_set_and_prefix)
{
    dp_error_t err;
    dp_error_clear (&err);
    cr_assert_eq (err.code, DP_OK);
    cr_assert_eq (dp_error_set (&err, DP_INVALID, "%s: must be > 0", "buyer_budget"), DP_INVALID);
    dp_error_prefix (&err, "deals.jsonl:%d", 7);
    cr_assert_str_eq (err.text, "deals.jsonl:7: buyer_budget: must be > 0");
    cr_assert_eq (dp_error_set (NULL, DP_LIMIT, "x"), DP_LIMIT);
}

Test (hex, round_trip)
{
    uint8_t data [] = { 0x00, 0x01, 0xab, 0xff };
    char text [9];
    cr_assert_str_eq (dp_hex_encode (data, 4, text), "0001abff");
    uint8_t back [4];
    cr_assert_eq (dp_hex_decode ("0001ABff", 8, back, 4, NULL), DP_OK);
    cr_assert_arr_eq (back, data, 4);
    cr_assert_eq (dp_hex_decode_0x ("0x0001abff", back, 4, NULL), DP_OK);
}

Test (hex, rejects_bad_input)
{
    uint8_t out [2] = { 7, 7 };
    dp_error_t err;
    cr_assert_eq (dp_hex_decode ("abc", 3, out, 2, &err), DP_INVALID);
    cr_assert (strstr (err.text, "expected 4 hex digits"));
    cr_assert_eq (dp_hex_decode ("ab g", 4, out, 2, &err), DP_INVALID);
    cr_assert (strstr (err.text, "offset 2"));
    cr_assert_eq (out [0], 7, "output untouched on error");
    cr_assert_eq (dp_hex_decode_0x ("0x", out, 2, &err), DP_INVALID);
    cr_assert_eq (dp_hex_decode_0x (NULL, out, 2, &err), DP_INVALID);
}

Test (sha256, known_answers)
{
    uint8_t digest [32];
    char text [65];
    dp_sha256 ("", 0, digest);
    cr_assert_str_eq (dp_hex_encode (digest, 32, text),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    dp_sha256 ("abc", 3, digest);
    cr_assert_str_eq (dp_hex_encode (digest, 32, text),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    dp_sha256_t *ctx = dp_sha256_new ();
    cr_assert_not_null (ctx);
    dp_sha256_update (ctx, "a", 1);
    dp_sha256_update (ctx, "bc", 2);
    uint8_t incremental [32];
    dp_sha256_final (ctx, incremental);
    dp_sha256_destroy (&ctx);
    cr_assert_null (ctx);
    cr_assert_arr_eq (incremental, digest, 32);
}

Test (text, copy_cuts_and_terminates)
{
    char small [4];
    cr_expect_eq (dp_text_copy (small, sizeof small, "abcdef"), 3);
    cr_expect_str_eq (small, "abc");
    cr_expect_eq (dp_text_copy (small, sizeof small, "ab"), 2);
    cr_expect_str_eq (small, "ab");
    cr_expect_eq (dp_text_copy (small, sizeof small, NULL), 0);
    cr_expect_str_eq (small, "");
    char one [1] = { 'x' };
    cr_expect_eq (dp_text_copy (one, sizeof one, "abc"), 0);
    cr_expect_eq (one [0], '\0');
}

Test (text, hash_spreads_sequential_ids)
{
    //  Sequential ids land in distinct low-bit buckets (what an open-
    //  addressing table indexes by), and no hash is 0 (the empty mark).
    enum { N = 4096 };
    static unsigned char used [N];
    int collisions = 0;
    for (int i = 0; i < N; i++) {
        char id [32];
        snprintf (id, sizeof id, "batch-%06d", i);
        uint64_t h = dp_text_hash (id);
        cr_assert_neq (h, 0);
        cr_assert_eq (h, dp_text_hash (id));
        collisions += used [h & (N - 1)]++ > 0;
    }
    //  A random function puts about N/e ids on taken buckets; clustering more.
    cr_expect_lt (collisions, N / 2, "%d of %d ids collide", collisions, N);
}
