/*  dp_result.c — result hashes and builders (SPEC §4–§6). */

#include "dp_result.h"

#include <stdlib.h>
#include <string.h>

#include "dp_json.h"
#include "dp_sha256.h"

const char *const dp_result_unsigned_keys [] = {
    "signature", "release_signature", "escrow_tx", "completion_tx",
    "worker", "timings", "usage", NULL
};

int
dp_result_key_is_unsigned (const char *key)
{
    for (int i = 0; key && dp_result_unsigned_keys [i]; i++)
        if (strcmp (key, dp_result_unsigned_keys [i]) == 0)
            return 1;
    return 0;
}

//  SHA-256 of the Python-exact serialisation; shared by the digests.
static dp_status
s_pydumps_sha256 (json_object *value, uint8_t out [32], dp_error_t *err)
{
    char *text;
    size_t len;
    dp_status rc = dp_json_pydumps (value, &text, &len, err);
    if (rc != DP_OK)
        return rc;
    dp_sha256 (text, len, out);
    free (text);
    return DP_OK;
}

dp_status
dp_result_transcript_digest (json_object *transcript, uint8_t out [32], dp_error_t *err)
{
    return s_pydumps_sha256 (transcript, out, err);
}

dp_status
dp_result_payload_digest (json_object *payload, uint8_t out [32], dp_error_t *err)
{
    return s_pydumps_sha256 (payload, out, err);
}

dp_status
dp_result_signed_text (json_object *result, char **text, size_t *len, uint8_t hash [32],
                       dp_error_t *err)
{
    if (!json_object_is_type (result, json_type_object))
        return dp_error_set (err, DP_INVALID, "result: not a JSON object");
    //  A shallow copy holding references to the signed members only; the
    //  caller's object is never modified.
    json_object *signed_part = json_object_new_object ();
    if (!signed_part)
        return dp_error_set (err, DP_NOMEM, "result: out of memory");
    json_object_object_foreach (result, key, value) {
        if (dp_result_key_is_unsigned (key))
            continue;
        if (json_object_object_add (signed_part, key, json_object_get (value)) != 0) {
            json_object_put (value);
            json_object_put (signed_part);
            return dp_error_set (err, DP_NOMEM, "result: out of memory");
        }
    }
    dp_status rc = dp_json_pydumps (signed_part, text, len, err);
    json_object_put (signed_part);
    if (rc == DP_OK)
        dp_sha256 (*text, *len, hash);
    return rc;
}

dp_status
dp_result_hash (json_object *result, uint8_t out [32], dp_error_t *err)
{
    char *text;
    size_t len;
    dp_status rc = dp_result_signed_text (result, &text, &len, out, err);
    if (rc == DP_OK)
        free (text);
    return rc;
}

dp_status
dp_result_text (json_object *result, const char *signed_text, size_t signed_len, char **text,
                size_t *len, dp_error_t *err)
{
    if (signed_len < 2 || signed_text [0] != '{' || signed_text [signed_len - 1] != '}')
        return dp_error_set (err, DP_INVALID, "result: the signed text is not a JSON object");
    size_t cap = signed_len + 256, used = signed_len - 1;
    char *out = malloc (cap);
    if (!out)
        return dp_error_set (err, DP_NOMEM, "result: out of memory");
    memcpy (out, signed_text, used);
    int empty = signed_len == 2;
    for (int i = 0; dp_result_unsigned_keys [i]; i++) {
        const char *key = dp_result_unsigned_keys [i];
        json_object *value = NULL;
        if (!json_object_object_get_ex (result, key, &value))
            continue;
        char *member = NULL;
        size_t member_len = 0, key_len = strlen (key);
        dp_status rc = dp_json_pydumps (value, &member, &member_len, err);
        if (rc != DP_OK) {
            free (out);
            return rc;
        }
        //  ", " + quoted key + ": " + value, then room for "}" and NUL.
        size_t need = used + 2 + key_len + 4 + member_len + 2;
        if (need > cap) {
            char *grown = realloc (out, need * 2);
            if (!grown) {
                free (member);
                free (out);
                return dp_error_set (err, DP_NOMEM, "result: out of memory");
            }
            out = grown;
            cap = need * 2;
        }
        if (!empty) {
            memcpy (out + used, ", ", 2);
            used += 2;
        }
        out [used++] = '"';
        memcpy (out + used, key, key_len);
        used += key_len;
        memcpy (out + used, "\": ", 3);
        used += 3;
        memcpy (out + used, member, member_len);
        used += member_len;
        empty = 0;
        free (member);
    }
    out [used++] = '}';
    out [used] = '\0';
    *text = out;
    *len = used;
    return DP_OK;
}

//  Adds value under key, taking it over; on failure releases both and
//  returns -1, so builders can chain adds and give up once.
static int
s_add (json_object *object, const char *key, json_object *value)
{
    if (!value || json_object_object_add (object, key, value) != 0) {
        json_object_put (value);
        return -1;
    }
    return 0;
}

json_object *
dp_result_terms_new (const char *scope, int days)
{
    json_object *terms = json_object_new_object ();
    if (!terms)
        return NULL;
    if (s_add (terms, "access_scope", json_object_new_string (scope? scope: ""))
    ||  s_add (terms, "duration_days", json_object_new_int (days))) {
        json_object_put (terms);
        return NULL;
    }
    return terms;
}

json_object *
dp_result_entry_new (int round, const char *role, const char *action, int64_t price_cents,
                     json_object *terms, const char *reasoning, const char *source)
{
    json_object *entry = json_object_new_object ();
    if (!terms)
        terms = json_object_new_object ();
    if (!entry || !terms) {
        json_object_put (entry);
        json_object_put (terms);
        return NULL;
    }
    //  terms goes first: s_add takes it over whether it succeeds or not.
    int failed = s_add (entry, "terms", terms)
              || s_add (entry, "round", json_object_new_int (round))
              || s_add (entry, "role", json_object_new_string (role? role: ""))
              || s_add (entry, "action", json_object_new_string (action? action: ""))
              || s_add (entry, "reasoning", json_object_new_string (reasoning? reasoning: ""))
              || s_add (entry, "source", json_object_new_string (source? source: ""));
    if (!failed)
        failed = price_cents < 0
               ? json_object_object_add (entry, "price", NULL) != 0
               : s_add (entry, "price", dp_json_price_new (price_cents));
    if (failed) {
        json_object_put (entry);
        return NULL;
    }
    return entry;
}

json_object *
dp_result_deal_payload_new (int64_t price_cents, const char *scope, int days,
                            const char *data_hash)
{
    json_object *payload = json_object_new_object ();
    if (!payload)
        return NULL;
    int failed = s_add (payload, "final_price", dp_json_price_new (price_cents))
              || s_add (payload, "terms", dp_result_terms_new (scope, days));
    if (!failed && data_hash)
        failed = s_add (payload, "data_hash", json_object_new_string (data_hash))
              || s_add (payload, "data_verified", json_object_new_boolean (1));
    if (failed) {
        json_object_put (payload);
        return NULL;
    }
    return payload;
}

json_object *
dp_result_data_payload_new (const char *data_hash, int64_t chunk_count)
{
    json_object *payload = json_object_new_object ();
    if (!payload)
        return NULL;
    if (s_add (payload, "data_hash", json_object_new_string (data_hash? data_hash: ""))
    ||  s_add (payload, "verified", json_object_new_boolean (1))
    ||  s_add (payload, "chunk_count", json_object_new_int64 (chunk_count))
    ||  s_add (payload, "algorithm", json_object_new_string ("sha256"))) {
        json_object_put (payload);
        return NULL;
    }
    return payload;
}
