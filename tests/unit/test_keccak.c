/*  test_keccak.c — Keccak-256 against ../shared/vectors/eth/keccak256.json,
    including the two SHA3-256 cases that a Keccak must NOT reproduce. */

#include <criterion/criterion.h>
#include <string.h>

#include "crypto_vectors.h"
#include "dp_keccak.h"

Test (keccak, vectors)
{
    json_object *cases = vectors_load ("keccak256.json");
    size_t keccak_cases = 0, sha3_cases = 0;
    for (size_t i = 0; i < json_object_array_length (cases); i++) {
        json_object *item = json_object_array_get_idx (cases, i);
        const char *name = vectors_str (item, "name");
        const char *algorithm = vectors_str (item, "algorithm");
        size_t len;
        uint8_t *input = vectors_bytes (item, "input_hex", &len);
        cr_assert_eq ((int64_t) len, vectors_int (item, "input_len"), "%s", name);
        uint8_t want [32], got [32];
        vectors_fixed (item, "digest", want, 32);
        dp_keccak256 (input, len, got);
        if (strcmp (algorithm, "keccak256") == 0) {
            cr_assert_arr_eq (got, want, 32, "%s: keccak256 differs", name);
            keccak_cases++;
        }
        else {
            cr_assert_str_eq (algorithm, "sha3-256");
            cr_assert (memcmp (got, want, 32) != 0,
                       "%s: produced the SHA3-256 digest (wrong padding)", name);
            sha3_cases++;
        }
        free (input);
    }
    cr_assert_eq (keccak_cases, 22);
    cr_assert_eq (sha3_cases, 2);
    json_object_put (cases);
}

//  Feeding the same bytes in every split must give the one-shot digest:
//  covers lane-aligned and unaligned updates across block boundaries.
Test (keccak, incremental_splits)
{
    uint8_t data [700];
    for (size_t i = 0; i < sizeof data; i++)
        data [i] = (uint8_t) (7 * i + 3);
    size_t lengths [] = { 0, 1, 7, 8, 135, 136, 137, 271, 272, 273, 700 };
    for (size_t l = 0; l < sizeof lengths / sizeof lengths [0]; l++) {
        size_t len = lengths [l];
        uint8_t want [32];
        dp_keccak256 (data, len, want);
        for (size_t split = 0; split <= len; split += (len > 40? 13: 1)) {
            dp_keccak_t ctx;
            dp_keccak_init (&ctx);
            dp_keccak_update (&ctx, data, split);
            dp_keccak_update (&ctx, NULL, 0);
            dp_keccak_update (&ctx, data + split, len - split);
            uint8_t got [32];
            dp_keccak_final (&ctx, got);
            cr_assert_arr_eq (got, want, 32, "len %zu split %zu", len, split);
        }
        //  Byte by byte.
        dp_keccak_t ctx;
        dp_keccak_init (&ctx);
        for (size_t i = 0; i < len; i++)
            dp_keccak_update (&ctx, data + i, 1);
        uint8_t got [32];
        dp_keccak_final (&ctx, got);
        cr_assert_arr_eq (got, want, 32, "len %zu bytewise", len);
    }
}

Test (keccak, known_anchors)
{
    uint8_t got [32];
    char hex [65];
    dp_keccak256 (NULL, 0, got);
    cr_assert_str_eq (dp_hex_encode (got, 32, hex),
                      "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    //  transfer(address,uint256) selector a9059cbb.
    const char *sig = "transfer(address,uint256)";
    dp_keccak256 (sig, strlen (sig), got);
    cr_assert_str_eq (dp_hex_encode (got, 4, hex), "a9059cbb");
}
