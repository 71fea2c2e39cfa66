/*  fuzz_json_tree.c — the strict parser against json-c's own strict
    tokener: whatever dp_json_parse accepts, json-c accepts too and builds
    the same tree (types, int64/uint64, doubles with their source text,
    strings byte for byte, key order). Inputs with surrogate-pair escapes
    are only parsed, not compared: json-c 0.16 decodes some valid pairs to
    U+FFFD (see dp_json.c), ours decodes them right. */

#define _GNU_SOURCE             //  memmem
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_json.h"

static int
s_same_tree (json_object *a, json_object *b)
{
    json_type type = json_object_get_type (a);
    if (type != json_object_get_type (b))
        return 0;
    switch (type) {
        case json_type_null:
            return 1;
        case json_type_boolean:
            return json_object_get_boolean (a) == json_object_get_boolean (b);
        case json_type_int:
            return json_object_get_int64 (a) == json_object_get_int64 (b)
                && json_object_get_uint64 (a) == json_object_get_uint64 (b);
        case json_type_double: {
            const char *ta = json_object_get_userdata (a), *tb = json_object_get_userdata (b);
            double da = json_object_get_double (a), db = json_object_get_double (b);
            return ta && tb && strcmp (ta, tb) == 0 && memcmp (&da, &db, sizeof da) == 0;
        }
        case json_type_string:
            return json_object_get_string_len (a) == json_object_get_string_len (b)
                && memcmp (json_object_get_string (a), json_object_get_string (b),
                           (size_t) json_object_get_string_len (a)) == 0;
        case json_type_array: {
            size_t n = json_object_array_length (a);
            if (n != json_object_array_length (b))
                return 0;
            for (size_t i = 0; i < n; i++)
                if (!s_same_tree (json_object_array_get_idx (a, i), json_object_array_get_idx (b, i)))
                    return 0;
            return 1;
        }
        case json_type_object: {
            if (json_object_object_length (a) != json_object_object_length (b))
                return 0;
            struct json_object_iterator ia = json_object_iter_begin (a), ea = json_object_iter_end (a);
            struct json_object_iterator ib = json_object_iter_begin (b);
            for (; !json_object_iter_equal (&ia, &ea); json_object_iter_next (&ia), json_object_iter_next (&ib))
                if (strcmp (json_object_iter_peek_name (&ia), json_object_iter_peek_name (&ib)) != 0
                ||  !s_same_tree (json_object_iter_peek_value (&ia), json_object_iter_peek_value (&ib)))
                    return 0;
            return 1;
        }
    }
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const char *text = (const char *) data;
    json_object *ours = NULL;
    if (dp_json_parse (text, size, &ours, NULL) != DP_OK)
        return 0;
    if (memmem (text, size, "\\ud", 3) || memmem (text, size, "\\uD", 3)) {
        json_object_put (ours);
        return 0;
    }
    json_tokener *tok = json_tokener_new_ex (DP_JSON_MAX_DEPTH);
    if (!tok)
        abort ();
    json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
    json_object *theirs = json_tokener_parse_ex (tok, text, (int) size);
    if (json_tokener_get_error (tok) == json_tokener_continue)
        theirs = json_tokener_parse_ex (tok, "", 1);        //  a bare number ends at the end
    if (json_tokener_get_error (tok) != json_tokener_success || !s_same_tree (ours, theirs))
        abort ();
    json_tokener_free (tok);
    json_object_put (theirs);
    json_object_put (ours);
    return 0;
}
