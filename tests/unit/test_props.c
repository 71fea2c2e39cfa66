/*  test_props.c — the Props verifier (the seed's rules, one reason each),
    the prover against the seed's Python snippet, and the seed's demo
    scenarios (shared/seed/demo_scenarios.json). */

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_props.h"
#include "dp_sha256.h"

//  ---------------------------------------------------------------------
//  Demo scenarios

Test (props, demo_scenarios)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/seed/demo_scenarios.json", DP_SHARED_DIR);
    json_object *scenarios = json_object_from_file (path);
    cr_assert_not_null (scenarios, "cannot read %s", path);
    int seen = 0;
    json_object_object_foreach (scenarios, name, scenario) {
        json_object *chunks = json_object_object_get (scenario, "chunks");
        const char *data_hash = json_object_get_string (json_object_object_get (scenario, "data_hash"));
        size_t count = json_object_array_length (chunks);
        uint8_t hashes [16][32];
        cr_assert (count > 0 && count <= 16, "%s", name);
        for (size_t i = 0; i < count; i++) {
            json_object *chunk = json_object_array_get_idx (chunks, i);
            dp_sha256 (json_object_get_string (chunk), (size_t) json_object_get_string_len (chunk),
                       hashes [i]);
        }
        dp_props_proof_t *proof = dp_props_proof_from_hashes ((const uint8_t (*) [32]) hashes, count);
        cr_assert_not_null (proof);
        char root [65];
        dp_props_proof_data_hash (proof, root);
        cr_assert_str_eq (root, data_hash, "%s: root differs", name);

        json_object *json = dp_props_proof_to_json (proof);
        dp_props_record_t record;
        dp_error_t err;
        cr_assert_eq (dp_props_verify (json, data_hash, &record, &err), DP_OK, "%s: %s", name, err.text);
        cr_assert (record.verified);
        cr_assert_eq (record.chunk_count, count);
        cr_assert_str_eq (record.data_hash, data_hash);
        cr_assert_str_eq (record.algorithm, "sha256");
        cr_assert_str_eq (record.reason, "");
        json_object_put (json);
        dp_props_proof_destroy (&proof);
        cr_assert_null (proof);
        seen++;
    }
    cr_assert_eq (seen, 5);
    json_object_put (scenarios);
}

//  ---------------------------------------------------------------------
//  Verifier rules

//  A valid proof over three chunks "a", "b", "c".
static json_object *
s_valid_proof (char data_hash [65])
{
    uint8_t hashes [3][32];
    dp_sha256 ("a", 1, hashes [0]);
    dp_sha256 ("b", 1, hashes [1]);
    dp_sha256 ("c", 1, hashes [2]);
    dp_props_proof_t *proof = dp_props_proof_from_hashes ((const uint8_t (*) [32]) hashes, 3);
    json_object *json = dp_props_proof_to_json (proof);
    dp_props_proof_data_hash (proof, data_hash);
    dp_props_proof_destroy (&proof);
    return json;
}

static json_object *
s_hashes_of (json_object *proof)
{
    return json_object_object_get (proof, "chunk_hashes");
}

typedef struct {
    const char *name;
    dp_status code;
    const char *reason;         //  a substring of the reason
} rule_case_t;

//  Applies mutation number `which` to a fresh valid proof; returns the
//  proof and may change data_hash.
static json_object *
s_mutate (int which, char data_hash [65])
{
    json_object *p = s_valid_proof (data_hash);
    json_object *hashes = s_hashes_of (p);
    char text [65];
    switch (which) {
        case 0: json_object_put (p); return json_object_new_array ();
        case 1: json_object_object_del (p, "root_hash"); break;
        case 2: json_object_object_add (p, "root_hash", json_object_new_int (7)); break;
        case 3: json_object_object_add (p, "root_hash", json_object_new_string ("abc")); break;
        case 4: json_object_object_del (p, "chunk_hashes"); break;
        case 5: json_object_object_add (p, "chunk_hashes", json_object_new_string ("x")); break;
        case 6: json_object_object_add (p, "chunk_hashes", json_object_new_array ()); break;
        case 7: json_object_array_put_idx (hashes, 1, json_object_new_int (1)); break;
        case 8: json_object_array_put_idx (hashes, 2, json_object_new_string (
                    "zz00000000000000000000000000000000000000000000000000000000000000")); break;
        case 9: json_object_object_del (p, "chunk_count"); break;
        case 10: json_object_object_add (p, "chunk_count", json_object_new_string ("3")); break;
        case 11: json_object_object_add (p, "chunk_count", json_object_new_double (2.5)); break;
        case 12: json_object_object_add (p, "chunk_count", json_object_new_int (-1)); break;
        case 13: json_object_object_del (p, "algorithm"); break;
        case 14: json_object_object_add (p, "algorithm", json_object_new_boolean (1)); break;
        case 15: strcpy (data_hash, "not-hex"); break;
        case 16: json_object_object_add (p, "chunk_count", json_object_new_int (4)); break;
        case 17:
            //  Chunk 2 repeats chunk 0, written in upper case.
            snprintf (text, sizeof text, "%s", json_object_get_string (json_object_array_get_idx (hashes, 0)));
            for (char *c = text; *c; c++)
                if (*c >= 'a' && *c <= 'f')
                    *c = (char) (*c - 32);
            json_object_array_put_idx (hashes, 2, json_object_new_string (text));
            break;
        case 18: json_object_object_add (p, "algorithm", json_object_new_string ("SHA256")); break;
        case 19: json_object_object_add (p, "root_hash", json_object_new_string (
                    "0000000000000000000000000000000000000000000000000000000000000000")); break;
        case 20:
            data_hash [0] = data_hash [0] == '0'? '1': '0';
            break;
        case 21: json_object_put (p); return NULL;
        case 22: json_object_object_add (p, "root_hash", NULL); break;
        case 23: json_object_object_add (p, "chunk_count", NULL); break;
        case 24: json_object_object_add (p, "chunk_count", json_object_new_boolean (1)); break;
    }
    return p;
}

static const rule_case_t s_rules [] = {
    { "not an object",        DP_INVALID, "seller_proof: must be an object" },
    { "root_hash missing",    DP_INVALID, "seller_proof.root_hash: missing" },
    { "root_hash not string", DP_INVALID, "seller_proof.root_hash: must be a string" },
    { "root_hash bad hex",    DP_INVALID, "seller_proof.root_hash: must be 64 hex digits" },
    { "hashes missing",       DP_INVALID, "seller_proof.chunk_hashes: missing" },
    { "hashes not array",     DP_INVALID, "seller_proof.chunk_hashes: must be an array" },
    { "hashes empty",         DP_INVALID, "seller_proof.chunk_hashes: empty" },
    { "hash not string",      DP_INVALID, "seller_proof.chunk_hashes[1]: must be a string" },
    { "hash bad hex",         DP_INVALID, "seller_proof.chunk_hashes[2]: must be 64 hex digits" },
    { "count missing",        DP_INVALID, "seller_proof.chunk_count: missing" },
    { "count string",         DP_INVALID, "seller_proof.chunk_count: must be an integer" },
    { "count fraction",       DP_INVALID, "seller_proof.chunk_count: must be an integer" },
    { "count negative",       DP_INVALID, "seller_proof.chunk_count: must not be negative" },
    { "algorithm missing",    DP_INVALID, "seller_proof.algorithm: missing" },
    { "algorithm not string", DP_INVALID, "seller_proof.algorithm: must be a string" },
    { "data_hash bad",        DP_INVALID, "data_hash: must be 64 hex digits" },
    { "count mismatch",       DP_CRYPTO,  "seller_proof.chunk_count: 4 does not match the 3 chunk hashes" },
    { "duplicate",            DP_CRYPTO,  "chunk 2 repeats chunk 0" },
    { "algorithm wrong",      DP_CRYPTO,  "seller_proof.algorithm: \"SHA256\" is not supported" },
    { "root mismatch",        DP_CRYPTO,  "seller_proof.root_hash: does not match the root computed" },
    { "root not data_hash",   DP_CRYPTO,  "seller_proof.root_hash: does not equal data_hash" },
    { "null proof",           DP_INVALID, "seller_proof: must be an object" },
    { "root_hash null",       DP_INVALID, "seller_proof.root_hash: must be a string" },
    { "count null",           DP_INVALID, "seller_proof.chunk_count: must be an integer" },
    { "count boolean",        DP_INVALID, "seller_proof.chunk_count: must be an integer" },
};

Test (props, each_rule_has_its_reason)
{
    size_t count = sizeof s_rules / sizeof s_rules [0];
    for (size_t i = 0; i < count; i++) {
        char data_hash [65];
        json_object *proof = s_mutate ((int) i, data_hash);
        dp_props_record_t record;
        dp_error_t err;
        dp_status rc = dp_props_verify (proof, data_hash, &record, &err);
        cr_assert_eq (rc, s_rules [i].code, "%s: got %s (%s)", s_rules [i].name,
                      dp_status_name (rc), err.text);
        cr_assert_not (record.verified, "%s", s_rules [i].name);
        cr_assert (strstr (record.reason, s_rules [i].reason), "%s: reason \"%s\"",
                   s_rules [i].name, record.reason);
        cr_assert_str_eq (record.reason, err.text);
        json_object *json = dp_props_record_to_json (&record);
        cr_assert_str_eq (json_object_get_string (json_object_object_get (json, "reason")), record.reason);
        cr_assert_not (json_object_get_boolean (json_object_object_get (json, "verified")));
        cr_assert_null (dp_props_record_payload (&record));
        json_object_put (json);
        json_object_put (proof);
    }
}

Test (props, lenient_where_the_seed_was)
{
    char data_hash [65];
    json_object *proof = s_valid_proof (data_hash);
    //  Integral float count, upper-case hex, an extra key: all accepted.
    json_object_object_add (proof, "chunk_count", json_object_new_double (3.0));
    char upper [65];
    snprintf (upper, sizeof upper, "%s", data_hash);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char) (*c - 32);
    json_object_object_add (proof, "root_hash", json_object_new_string (upper));
    json_object_object_add (proof, "note", json_object_new_string ("extra"));
    dp_props_record_t record;
    dp_error_t err;
    cr_assert_eq (dp_props_verify (proof, upper, &record, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (record.data_hash, data_hash, "stored lower case");
    json_object *payload = dp_props_record_payload (&record);
    cr_assert_not_null (payload);
    cr_assert_str_eq (json_object_get_string (json_object_object_get (payload, "data_hash")), data_hash);
    cr_assert_eq (json_object_get_int (json_object_object_get (payload, "chunk_count")), 3);
    cr_assert (json_object_get_boolean (json_object_object_get (payload, "verified")));
    cr_assert_str_eq (json_object_get_string (json_object_object_get (payload, "algorithm")), "sha256");
    cr_assert_eq (json_object_object_length (payload), 4);
    json_object *json = dp_props_record_to_json (&record);
    cr_assert (json_object_object_get_ex (json, "reason", NULL));
    cr_assert_null (json_object_object_get (json, "reason"), "reason is null when verified");
    json_object_put (json);
    json_object_put (payload);
    json_object_put (proof);
}

Test (props, chunk_limit)
{
    char data_hash [65];
    json_object *proof = s_valid_proof (data_hash);
    dp_props_record_t record;
    dp_error_t err;
    cr_assert_eq (dp_props_verify_limited (proof, data_hash, 2, &record, &err), DP_LIMIT);
    cr_assert (strstr (err.text, "3 entries exceed the limit of 2"), "%s", err.text);
    cr_assert_eq (dp_props_verify_limited (proof, data_hash, 3, &record, &err), DP_OK);
    json_object_put (proof);
}

//  A single chunk: root = SHA-256(00000001 ‖ H(chunk)), never H(chunk).
Test (props, single_chunk_is_length_prefixed)
{
    uint8_t hash [32], root [32], raw [36] = { 0, 0, 0, 1 };
    dp_sha256 ("only", 4, hash);
    memcpy (raw + 4, hash, 32);
    dp_props_root ((const uint8_t (*) [32]) &hash, 1, root);
    uint8_t want [32];
    dp_sha256 (raw, sizeof raw, want);
    cr_assert_arr_eq (root, want, 32);
}

//  ---------------------------------------------------------------------
//  Prover

static void
s_write_file (const char *path, size_t size, unsigned seed)
{
    FILE *file = fopen (path, "wb");
    cr_assert_not_null (file);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fputc ((int) (x & 0xff), file);
    }
    fclose (file);
}

static json_object *
s_python_proof (const char *path, size_t chunk_size)
{
    char command [2048];
    snprintf (command, sizeof command, "python3 %s/tests/fixtures/props/seed_prove.py %s %zu",
              DP_SOURCE_DIR, path, chunk_size);
    FILE *python = popen (command, "r");
    cr_assert_not_null (python);
    static char output [1 << 20];
    size_t len = fread (output, 1, sizeof output - 1, python);
    output [len] = '\0';
    cr_assert_eq (pclose (python), 0, "seed_prove.py failed");
    json_object *json = json_tokener_parse (output);
    cr_assert_not_null (json, "python output is not JSON");
    return json;
}

Test (props, prover_matches_seed_python)
{
    char dir [] = "/tmp/dp-props-XXXXXX";
    cr_assert_not_null (mkdtemp (dir));
    struct { size_t size, chunk; int threads; } cases [] = {
        { 1, 1000, 1 }, { 999, 1000, 2 }, { 1000, 1000, 3 }, { 1001, 1000, 2 },
        { 10000, 1000, 4 }, { 65537, 4096, 0 }, { 3 << 20, 0, 2 }, { (3 << 20) + 5, 0, 7 },
        { 5000, 7, 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char path [64];
        snprintf (path, sizeof path, "%s/data%zu", dir, i);
        s_write_file (path, cases [i].size, (unsigned) i);
        size_t chunk = cases [i].chunk? cases [i].chunk: DP_PROPS_DEFAULT_CHUNK_SIZE;
        json_object *want = s_python_proof (path, chunk);

        dp_props_proof_t *proof = NULL;
        dp_error_t err;
        cr_assert_eq (dp_props_prove_file (path, cases [i].chunk, cases [i].threads, &proof, &err),
                      DP_OK, "case %zu: %s", i, err.text);
        cr_assert_eq (proof->data_size, cases [i].size);
        cr_assert_eq (proof->chunk_size, chunk);
        json_object *got = dp_props_proof_to_json (proof);
        cr_assert (json_object_equal (got, want), "case %zu: proof differs from the seed's", i);

        //  The same bytes in memory give the same proof.
        FILE *file = fopen (path, "rb");
        uint8_t *data = malloc (cases [i].size);
        cr_assert_eq (fread (data, 1, cases [i].size, file), cases [i].size);
        fclose (file);
        dp_props_proof_t *again = NULL;
        cr_assert_eq (dp_props_prove_buffer (data, cases [i].size, cases [i].chunk, 3, &again, &err), DP_OK);
        cr_assert_arr_eq (again->root, proof->root, 32);

        //  And what it proves, the verifier accepts.
        char data_hash [65];
        dp_props_proof_data_hash (proof, data_hash);
        dp_props_record_t record;
        cr_assert_eq (dp_props_verify (got, data_hash, &record, &err), DP_OK, "%s", err.text);
        cr_assert_eq (record.chunk_count, proof->chunk_count);

        free (data);
        dp_props_proof_destroy (&again);
        dp_props_proof_destroy (&proof);
        json_object_put (got);
        json_object_put (want);
        unlink (path);
    }
    rmdir (dir);
}

Test (props, prover_errors)
{
    char dir [] = "/tmp/dp-props-XXXXXX";
    cr_assert_not_null (mkdtemp (dir));
    dp_props_proof_t *proof = NULL;
    dp_error_t err;
    char path [64];
    snprintf (path, sizeof path, "%s/missing", dir);
    cr_assert_eq (dp_props_prove_file (path, 0, 1, &proof, &err), DP_IO);
    cr_assert (strstr (err.text, path) && strstr (err.text, "cannot open"), "%s", err.text);
    cr_assert_eq (dp_props_prove_file (dir, 0, 1, &proof, &err), DP_IO);
    cr_assert (strstr (err.text, "not a regular file"), "%s", err.text);
    snprintf (path, sizeof path, "%s/empty", dir);
    s_write_file (path, 0, 0);
    cr_assert_eq (dp_props_prove_file (path, 0, 1, &proof, &err), DP_INVALID);
    cr_assert (strstr (err.text, "empty"), "%s", err.text);
    unlink (path);
    snprintf (path, sizeof path, "%s/big", dir);
    s_write_file (path, 1001, 1);
    cr_assert_eq (dp_props_prove_file_limited (path, 100, 2, 10, &proof, &err), DP_LIMIT);
    cr_assert (strstr (err.text, "11 chunks of 100 bytes exceed the limit of 10"), "%s", err.text);
    cr_assert (strstr (err.text, "at least 101 bytes"), "%s", err.text);
    cr_assert_eq (dp_props_prove_file_limited (path, 101, 2, 10, &proof, &err), DP_OK);
    cr_assert_eq (proof->chunk_count, 10);
    dp_props_proof_destroy (&proof);
    //  Identical chunks cannot be proven under the seed's rules.
    char repeated [4096];
    memset (repeated, 'z', sizeof repeated);
    cr_assert_eq (dp_props_prove_buffer (repeated, sizeof repeated, 1024, 2, &proof, &err), DP_INVALID);
    cr_assert (strstr (err.text, "chunks 0 and 1 (of 1024 bytes) are identical"), "%s", err.text);
    cr_assert_null (proof);
    cr_assert_eq (dp_props_prove_buffer ("", 0, 0, 1, &proof, &err), DP_INVALID);
    cr_assert_null (proof);
    cr_assert_null (dp_props_proof_from_hashes (NULL, 0));
    unlink (path);
    rmdir (dir);
}

//  SPEC §1's limit exactly: 200,000 chunk hashes verify, one more does not.
Test (props, spec_limit_of_200000, .timeout = 120)
{
    size_t count = DP_PROPS_MAX_CHUNKS;
    uint8_t (*hashes) [32] = malloc ((count + 1) * 32);
    cr_assert_not_null (hashes);
    for (size_t i = 0; i <= count; i++)
        dp_sha256 (&i, sizeof i, hashes [i]);
    dp_props_proof_t *proof = dp_props_proof_from_hashes ((const uint8_t (*) [32]) hashes, count);
    cr_assert_not_null (proof);
    cr_assert_null (dp_props_proof_from_hashes ((const uint8_t (*) [32]) hashes, count + 1));
    json_object *json = dp_props_proof_to_json (proof);
    char data_hash [65];
    dp_props_proof_data_hash (proof, data_hash);
    dp_props_record_t record;
    dp_error_t err;
    cr_assert_eq (dp_props_verify (json, data_hash, &record, &err), DP_OK, "%s", err.text);
    cr_assert_eq (record.chunk_count, count);
    //  The last entry repeating the first is found among 200,000.
    json_object *array = json_object_object_get (json, "chunk_hashes");
    json_object_array_put_idx (array, count - 1, json_object_get (json_object_array_get_idx (array, 7)));
    cr_assert_eq (dp_props_verify (json, data_hash, &record, &err), DP_CRYPTO);
    cr_assert (strstr (err.text, "chunk 199999 repeats chunk 7"), "%s", err.text);
    char text [65];
    json_object_array_add (array, json_object_new_string (dp_hex_encode (hashes [count], 32, text)));
    json_object_object_add (json, "chunk_count", json_object_new_int64 ((int64_t) count + 1));
    cr_assert_eq (dp_props_verify (json, data_hash, &record, &err), DP_LIMIT);
    cr_assert (strstr (err.text, "200001 entries exceed the limit of 200000"), "%s", err.text);
    json_object_put (json);
    dp_props_proof_destroy (&proof);
    free (hashes);
}
