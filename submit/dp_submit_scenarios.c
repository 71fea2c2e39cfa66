/*  dp_submit_scenarios.c — builds the demo's deals from the embedded data. */

#include "dp_submit_scenarios.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_sha256.h"

extern const char dp_submit_scenarios_json [];
extern const size_t dp_submit_scenarios_json_len;

const char *const dp_submit_scenario_names [DP_SUBMIT_SCENARIO_COUNT] = {
    "vision", "medical", "lidar", "finance", "nlp"
};

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static json_object *s_table;

static void
s_load (void)
{
    s_table = json_tokener_parse (dp_submit_scenarios_json);
}

static json_object *
s_scenario (const char *name)
{
    pthread_once (&s_once, s_load);
    json_object *scenario;
    if (!s_table || !name || !json_object_object_get_ex (s_table, name, &scenario)
    ||  !json_object_is_type (scenario, json_type_object))
        return NULL;
    return scenario;
}

const char *
dp_submit_scenario_label (const char *name)
{
    json_object *scenario = s_scenario (name), *label;
    if (!scenario || !json_object_object_get_ex (scenario, "label", &label))
        return NULL;
    return json_object_get_string (label);
}

//  The seller proof of the seed's Props snippet over the given chunks.
static json_object *
s_proof (json_object *chunks, char root_hex [65])
{
    size_t count = json_object_array_length (chunks);
    dp_sha256_t *root = dp_sha256_new ();
    json_object *hashes = json_object_new_array ();
    json_object *proof = json_object_new_object ();
    if (!root || !hashes || !proof) {
        dp_sha256_destroy (&root);
        json_object_put (hashes);
        json_object_put (proof);
        return NULL;
    }
    uint8_t prefix [4] = { (uint8_t) (count >> 24), (uint8_t) (count >> 16),
                           (uint8_t) (count >> 8), (uint8_t) count };
    dp_sha256_update (root, prefix, 4);
    for (size_t i = 0; i < count; i++) {
        const char *chunk = json_object_get_string (json_object_array_get_idx (chunks, i));
        uint8_t digest [32];
        char hex [65];
        dp_sha256 (chunk, strlen (chunk), digest);
        dp_sha256_update (root, digest, 32);
        json_object_array_add (hashes, json_object_new_string (dp_hex_encode (digest, 32, hex)));
    }
    uint8_t digest [32];
    dp_sha256_final (root, digest);
    dp_sha256_destroy (&root);
    dp_hex_encode (digest, 32, root_hex);
    json_object_object_add (proof, "root_hash", json_object_new_string (root_hex));
    json_object_object_add (proof, "chunk_hashes", hashes);
    json_object_object_add (proof, "chunk_count", json_object_new_int64 ((int64_t) count));
    json_object_object_add (proof, "algorithm", json_object_new_string ("sha256"));
    return proof;
}

static void
s_copy_field (json_object *from, json_object *to, const char *key)
{
    json_object *value = NULL, *copy = NULL;
    if (json_object_object_get_ex (from, key, &value)
    &&  json_object_deep_copy (value, &copy, NULL) == 0)
        json_object_object_add (to, key, copy);
}

dp_status
dp_submit_scenario_deal (const char *name, const char *deal_id, json_object **deal,
                         dp_error_t *err)
{
    *deal = NULL;
    json_object *scenario = s_scenario (name), *chunks, *data_hash;
    if (!scenario)
        return dp_error_set (err, DP_NOTFOUND,
            "scenario: unknown '%s' (vision, medical, lidar, finance, nlp)", name? name: "");
    if (!json_object_object_get_ex (scenario, "chunks", &chunks)
    ||  !json_object_object_get_ex (scenario, "data_hash", &data_hash))
        return dp_error_set (err, DP_INTERNAL, "scenario %s: embedded data incomplete", name);
    json_object *out = json_object_new_object ();
    char root_hex [65];
    json_object *proof = out? s_proof (chunks, root_hex): NULL;
    if (!proof) {
        json_object_put (out);
        return dp_error_set (err, DP_NOMEM, "scenario %s: out of memory", name);
    }
    if (strcmp (root_hex, json_object_get_string (data_hash)) != 0) {
        json_object_put (out);
        json_object_put (proof);
        return dp_error_set (err, DP_INTERNAL,
            "scenario %s: proof root %s differs from data_hash", name, root_hex);
    }
    static const char *fields [] = { "buyer_budget", "floor_price", "buyer_requirements",
                                     "data_description", "data_hash" };
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++)
        s_copy_field (scenario, out, fields [i]);
    json_object_object_add (out, "seller_proof", proof);
    if (deal_id)
        json_object_object_add (out, "deal_id", json_object_new_string (deal_id));
    *deal = out;
    return DP_OK;
}
