/*  dp_props.h — the Props seller proof: verifier and prover (the seed's rules).

    A seller commits to a dataset by splitting it into ordered chunks and
    publishing the SHA-256 of each chunk and the root

        root = SHA-256( uint32_be(N) ‖ chunk_hash[0] ‖ … ‖ chunk_hash[N-1] )

    (the 4-byte count defeats the N×32-byte single-chunk preimage). The deal's
    data_hash must equal that root. The proof object is the seed's
    `seller_proof`: {"root_hash", "chunk_hashes", "chunk_count", "algorithm"}.

    Verification checks, each failure with its own reason (the record's
    `reason` and err->text are the same message, naming the field):
      1. structure: an object; root_hash a string of 64 hex digits;
         chunk_hashes a non-empty array (at most max_chunks) of 64-hex
         strings; chunk_count an integer >= 0 (an integral JSON float such as
         5.0 is accepted, as the seed's pydantic model did); algorithm a
         string; the data_hash argument 64 hex digits;
      2. chunk_count equals the number of chunk hashes;
      3. no chunk hash appears twice (compared as bytes, so case does not
         hide a repeat);
      4. algorithm is exactly "sha256";
      5. the root recomputed from chunk_hashes equals root_hash;
      6. root_hash equals data_hash.
    Hex digits are accepted in either case. Keys other than the four are
    ignored, as the seed's model ignored them.

    The prover splits a file (or buffer) into fixed-size chunks (the last
    one shorter), hashes them on several threads and gives the same root as
    the seed's Python snippet for the same bytes and chunk size.

    Threading: all functions are reentrant; the prover starts and joins its
    own threads before returning. json-c objects are borrowed. */

#ifndef DP_PROPS_H_INCLUDED
#define DP_PROPS_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  The seed left the chunk size to the caller; ours defaults to 1 MiB.
#define DP_PROPS_DEFAULT_CHUNK_SIZE ((size_t) 1 << 20)
//  SPEC §1's limit on chunk hashes (configurable through dp_limits).
#define DP_PROPS_MAX_CHUNKS 200000
#define DP_PROPS_REASON_MAX 320

//  The seed's Props verification record.
typedef struct {
    char data_hash [65];        //  the deal's data_hash, lower case ("" if unreadable)
    int verified;               //  1 only if every check passed
    size_t chunk_count;         //  number of chunk hashes in the proof
    char algorithm [16];        //  as claimed by the proof ("" if absent or not a string)
    char reason [DP_PROPS_REASON_MAX];   //  "" when verified, else the failure
} dp_props_record_t;

//  ---------------------------------------------------------------------
//  Verifier

//  Verifies seller_proof against the deal's data_hash_hex with the default
//  limit of DP_PROPS_MAX_CHUNKS chunk hashes. Always fills *record.
//  Returns DP_OK if verified; DP_INVALID for a structural error; DP_LIMIT
//  if there are more chunk hashes than the limit; DP_CRYPTO if the proof is
//  well formed but a rule fails (count, duplicate, algorithm, root).
dp_status dp_props_verify (json_object *seller_proof, const char *data_hash_hex,
                           dp_props_record_t *record, dp_error_t *err) DP_MUST_CHECK;

//  The same with an explicit limit on chunk hashes (from dp_limits).
dp_status dp_props_verify_limited (json_object *seller_proof, const char *data_hash_hex,
                                   size_t max_chunks, dp_props_record_t *record,
                                   dp_error_t *err) DP_MUST_CHECK;

//  The record as JSON: {"data_hash", "verified", "chunk_count", "algorithm",
//  "reason"} (reason null when verified). New reference for the caller, or
//  NULL if out of memory.
json_object *dp_props_record_to_json (const dp_props_record_t *record);

//  The data verification attestation payload of SPEC §5 for a verified
//  record: {"data_hash", "verified": true, "chunk_count", "algorithm":
//  "sha256"}. NULL if the record is not verified or out of memory.
json_object *dp_props_record_payload (const dp_props_record_t *record);

//  root = SHA-256(uint32_be(count) ‖ hashes[0] ‖ … ‖ hashes[count-1]).
//  count must fit 32 bits (the seed's 4-byte prefix; every limit keeps it
//  far below).
void dp_props_root (const uint8_t (*hashes) [32], size_t count, uint8_t root [32]);

//  ---------------------------------------------------------------------
//  Prover

//  A proof the prover made. Fields are read-only for users.
typedef struct {
    size_t chunk_count;
    size_t chunk_size;          //  0 when built from given hashes
    uint64_t data_size;         //  bytes hashed (0 when built from given hashes)
    uint8_t (*chunk_hashes) [32];
    uint8_t root [32];          //  = the deal's data_hash
} dp_props_proof_t;

//  Proves the regular file at path: chunk_size 0 means the default (1 MiB);
//  threads <= 0 means one per online CPU. Reads with large pread()s, each
//  thread taking the next chunk. On success *out is a new proof owned by the
//  caller. DP_IO (with the path and errno text) if the file cannot be
//  opened, is not a regular file, or a read fails or comes up short (the
//  file changed); DP_INVALID if the file is empty (a proof needs a chunk);
//  DP_LIMIT if it would need more than max_chunks chunks (the message says
//  which chunk size would do); DP_INVALID too if two chunks are identical
//  (rule 3 above would refuse the proof; the message names both chunks);
//  DP_NOMEM. *out is untouched on error.
dp_status dp_props_prove_file (const char *path, size_t chunk_size, int threads,
                               dp_props_proof_t **out, dp_error_t *err) DP_MUST_CHECK;

//  The same with an explicit chunk limit (dp_props_prove_file uses
//  DP_PROPS_MAX_CHUNKS).
dp_status dp_props_prove_file_limited (const char *path, size_t chunk_size, int threads,
                                       size_t max_chunks, dp_props_proof_t **out,
                                       dp_error_t *err) DP_MUST_CHECK;

//  Proves len bytes in memory (borrowed), same rules and codes.
dp_status dp_props_prove_buffer (const void *data, size_t len, size_t chunk_size, int threads,
                                 dp_props_proof_t **out, dp_error_t *err) DP_MUST_CHECK;

//  A proof over chunk hashes computed elsewhere (e.g. variable-size chunks
//  such as the seed's demo scenarios), copied. NULL if count is 0, above
//  DP_PROPS_MAX_CHUNKS, or out of memory.
dp_props_proof_t *dp_props_proof_from_hashes (const uint8_t (*hashes) [32], size_t count);

//  The seed's seller_proof JSON {"root_hash", "chunk_hashes", "chunk_count",
//  "algorithm": "sha256"} (lower-case hex). New reference, NULL if out of
//  memory.
json_object *dp_props_proof_to_json (const dp_props_proof_t *proof);

//  Writes the root as 64 lower-case hex digits + NUL: the deal's data_hash.
void dp_props_proof_data_hash (const dp_props_proof_t *proof, char out [65]);

void dp_props_proof_destroy (dp_props_proof_t **self_p);

#endif
