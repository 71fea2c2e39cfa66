/*  fuzz_props.c — the seller proof verifier on arbitrary JSON.

    Input: the proof JSON text, optionally followed by a NUL byte and a
    data_hash string. Never crashes or leaks; a proof it accepts must
    satisfy the rules again when checked independently here (count, root,
    data_hash), so an accepting bug is caught, not only a crash. */

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_props.h"

static void
s_check_accepted (json_object *proof, const char *data_hash, const dp_props_record_t *record)
{
    json_object *hashes = json_object_object_get (proof, "chunk_hashes");
    size_t count = json_object_array_length (hashes);
    if (count == 0 || count != record->chunk_count || !record->verified)
        abort ();
    uint8_t (*raw) [32] = malloc (count * 32);
    if (!raw)
        return;
    for (size_t i = 0; i < count; i++) {
        const char *text = json_object_get_string (json_object_array_get_idx (hashes, i));
        if (!text || dp_hex_decode (text, strlen (text), raw [i], 32, NULL) != DP_OK)
            abort ();
    }
    uint8_t root [32], want [32];
    dp_props_root ((const uint8_t (*) [32]) raw, count, root);
    if (dp_hex_decode (data_hash, strlen (data_hash), want, 32, NULL) != DP_OK
    ||  memcmp (root, want, 32) != 0)
        abort ();
    free (raw);
    json_object *json = dp_props_record_to_json (record);
    json_object *payload = dp_props_record_payload (record);
    if (!json || !payload)
        abort ();
    json_object_put (json);
    json_object_put (payload);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';
    size_t json_len = strlen (text);
    //  After the first NUL: the data_hash to check against (else the
    //  proof's own root_hash, so valid proofs are reachable).
    const char *data_hash = json_len < size? text + json_len + 1: NULL;
    json_tokener *tokener = json_tokener_new ();
    json_object *proof = tokener? json_tokener_parse_ex (tokener, text, (int) json_len): NULL;
    if (!data_hash && proof && json_object_is_type (proof, json_type_object))
        data_hash = json_object_get_string (json_object_object_get (proof, "root_hash"));
    dp_props_record_t record;
    dp_error_t err;
    dp_status rc = dp_props_verify_limited (proof, data_hash, 1000, &record, &err);
    if (rc == DP_OK)
        s_check_accepted (proof, data_hash, &record);
    else
    if (record.verified || record.reason [0] == '\0' || strcmp (record.reason, err.text) != 0)
        abort ();
    json_object_put (proof);
    if (tokener)
        json_tokener_free (tokener);
    free (text);
    return 0;
}
