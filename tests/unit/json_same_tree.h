/*  json_same_tree.h — structural equality of two json-c trees, for the
    tests and the fuzz target that hold dp_json_tree to json-c's tokener.
    Header-only (static): each test program includes it once. */

#ifndef JSON_SAME_TREE_H_INCLUDED
#define JSON_SAME_TREE_H_INCLUDED

#include <json-c/json.h>
#include <string.h>

//  Structural equality including what json_object_equal does not look
//  at: int64 vs uint64 reading, a double's source text, key order.
static inline int
same_tree (json_object *a, json_object *b)
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
                if (!same_tree (json_object_array_get_idx (a, i), json_object_array_get_idx (b, i)))
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
                ||  !same_tree (json_object_iter_peek_value (&ia), json_object_iter_peek_value (&ib)))
                    return 0;
            return 1;
        }
    }
    return 0;
}

#endif
