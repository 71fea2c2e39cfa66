/*  crypto_vectors.h — reading ../shared/vectors/eth/ (JSON arrays) in the crypto
    unit tests (json-c). Header-only, test code: a failure to read a vector
    file fails the test that asked for it. */

#ifndef CRYPTO_VECTORS_H_INCLUDED
#define CRYPTO_VECTORS_H_INCLUDED

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"

//  Parses DP_SHARED_DIR/vectors/eth/<name>; caller puts the result.
static inline json_object *
vectors_load (const char *name)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/vectors/eth/%s", DP_SHARED_DIR, name);
    json_object *root = json_object_from_file (path);
    cr_assert_not_null (root, "cannot read vector file %s", path);
    cr_assert (json_object_is_type (root, json_type_array), "%s: not an array", path);
    return root;
}

//  The string field `key` of a case; fails the test if absent.
static inline const char *
vectors_str (json_object *item, const char *key)
{
    json_object *value = NULL;
    cr_assert (json_object_object_get_ex (item, key, &value), "vector lacks %s", key);
    cr_assert (json_object_is_type (value, json_type_string), "vector %s: not a string", key);
    return json_object_get_string (value);
}

static inline int64_t
vectors_int (json_object *item, const char *key)
{
    json_object *value = NULL;
    cr_assert (json_object_object_get_ex (item, key, &value), "vector lacks %s", key);
    return json_object_get_int64 (value);
}

//  Decodes a 0x-hex field into a malloc'd buffer; *len gets its size.
static inline uint8_t *
vectors_bytes (json_object *item, const char *key, size_t *len)
{
    const char *text = vectors_str (item, key);
    cr_assert (strncmp (text, "0x", 2) == 0, "vector %s: no 0x", key);
    size_t digits = strlen (text + 2);
    *len = digits / 2;
    uint8_t *out = malloc (*len + 1);
    cr_assert_not_null (out);
    cr_assert_eq (dp_hex_decode (text + 2, digits, out, *len, NULL), DP_OK,
                  "vector %s: bad hex", key);
    return out;
}

//  Decodes a 0x-hex field of exactly size bytes into out.
static inline void
vectors_fixed (json_object *item, const char *key, uint8_t *out, size_t size)
{
    const char *text = vectors_str (item, key);
    cr_assert_eq (dp_hex_decode_0x (text, out, size, NULL), DP_OK,
                  "vector %s: not %zu bytes of hex", key, size);
}

static inline const char *
vectors_kind (json_object *item)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex (item, "kind", &value))
        return "";
    return json_object_get_string (value);
}

#endif
