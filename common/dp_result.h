/*  dp_result.h — the result object's hashes and builders (SPEC §4–§6).

    A result is a json_object (what `result`, `run --out` and `--json`
    print). This module computes what the signature and the attestation
    commit to, and builds the pieces whose exact form matters:

    - transcript digest (SPEC §4 `transcript_digest`): SHA-256 of Python's
      `json.dumps(transcript, sort_keys=True)`, the transcript being the
      JSON array of entries. SPEC §4 says "the canonical JSON of
      transcript"; we read "canonical JSON" as §5 and §6 define it
      (Python's json.dumps with sorted keys), so anyone can recompute the
      digest with two lines of Python:
          hashlib.sha256(json.dumps(result["transcript"], sort_keys=True)
                         .encode()).hexdigest()
    - result hash (SPEC §6): SHA-256 of json.dumps(sort_keys=True) of the
      result object without the unsigned keys (dp_result_unsigned_keys):
      signature, release_signature, escrow_tx, completion_tx, worker,
      timings, usage. Those are annotations anyone may add or change.
    - attestation payloads (SPEC §5 [0:32]) and their digest.
    - transcript entries and terms with the seed's field names; prices are
      floats printing like Python (730.0), from integer cents.

    Ownership: builders return new json_objects the caller owns (NULL if
    out of memory); hash functions borrow their arguments. Reentrant. */

#ifndef DP_RESULT_H_INCLUDED
#define DP_RESULT_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_status.h"

//  The keys left out of the result hash, NULL-terminated.
extern const char *const dp_result_unsigned_keys [];

//  True (1) if key is one of dp_result_unsigned_keys.
int dp_result_key_is_unsigned (const char *key);

//  out = SHA-256(json.dumps(transcript, sort_keys=True)). transcript is
//  normally an array; any JSON value (NULL = null) is hashed as it is.
//  DP_INVALID if a string is not UTF-8; DP_NOMEM.
dp_status dp_result_transcript_digest (json_object *transcript, uint8_t out [32],
                                       dp_error_t *err) DP_MUST_CHECK;

//  out = SHA-256(json.dumps(result minus unsigned keys, sort_keys=True)).
//  The result is not modified. DP_INVALID if result is not an object or a
//  string is not UTF-8; DP_NOMEM.
dp_status dp_result_hash (json_object *result, uint8_t out [32],
                          dp_error_t *err) DP_MUST_CHECK;

//  The signed text itself: *text (malloc'd, the caller frees) is
//  json.dumps(result minus unsigned keys, sort_keys=True), hash its SHA-256.
dp_status dp_result_signed_text (json_object *result, char **text, size_t *len,
                                 uint8_t hash [32], dp_error_t *err) DP_MUST_CHECK;

//  The whole result as one line of JSON, made from its signed text (as
//  dp_result_signed_text returned it) followed by the unsigned members
//  present in result, in dp_result_unsigned_keys order: the signed part is
//  serialised once for both the hash and the wire. *text is malloc'd.
//  DP_INVALID if signed_text is not an object; DP_NOMEM.
dp_status dp_result_text (json_object *result, const char *signed_text, size_t signed_len,
                          char **text, size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  out = SHA-256(json.dumps(payload, sort_keys=True)): report_data[0:32]
//  of SPEC §5. Same errors as dp_result_transcript_digest.
dp_status dp_result_payload_digest (json_object *payload, uint8_t out [32],
                                    dp_error_t *err) DP_MUST_CHECK;

//  {"access_scope": scope, "duration_days": days}
json_object *dp_result_terms_new (const char *scope, int days);

//  A SPEC §4 transcript entry: {round, role, action, price, terms,
//  reasoning, source}. role "buyer"|"seller"; action "offer"|"counter"|
//  "accept"|"reject"; source "engine"|"llm"|"guardrail"|"fallback".
//  price_cents < 0 writes "price": null. terms is taken over (NULL writes
//  {} as the seed's opening entries did); reasoning NULL writes "".
//  NULL on out of memory (terms is released then too).
json_object *dp_result_entry_new (int round, const char *role, const char *action,
                                  int64_t price_cents, json_object *terms,
                                  const char *reasoning, const char *source);

//  Deal attestation payload (SPEC §5): {"final_price": cents/100,
//  "terms": {...}} plus "data_hash" and "data_verified": true when
//  data_hash is not NULL (a seller proof was verified).
json_object *dp_result_deal_payload_new (int64_t price_cents, const char *scope, int days,
                                         const char *data_hash);

//  Data verification payload (SPEC §5): {"data_hash", "verified": true,
//  "chunk_count", "algorithm": "sha256"}.
json_object *dp_result_data_payload_new (const char *data_hash, int64_t chunk_count);

#endif
