/*  dp_submit_verify.h — offline checks of a SPEC §4 result, trusting
    nothing but the result's own bytes, the quote's root of trust and the
    code here (not the broker that handed the result over).

    Checks, each reported by name with its outcome:
      payload hash       SHA-256 of Python's json.dumps(payload, sort_keys=True)
                         of {final_price, terms} (+ data_hash, data_verified
                         when a seller proof was verified) == report_data[0:32]
      transcript digest  SHA-256 of the transcript's canonical JSON ==
                         transcript_digest
      binding            report_data[32:64] == SPEC §5's binding of kind 1
                         (deal_id, transcript_digest, signer)
      quote report data  the attestation quote's report data == report_data
      quote chain        the quote verifies against Intel's root, or against
                         the simulation root for simulation results
      data payload hash  the data verification quote's report_data[0:32]
                         is the SPEC §5 data payload of the result's
                         data_hash for some chunk count (found by search)
      data binding       the data verification quote's report data
                         [32:64] is the binding of kind 2 (zero transcript)
      result signature   signature recovers to signer over SPEC §6's
                         result hash (EIP-191)
      release signature  release_signature recovers to signer over SPEC
                         §7's Release digest (only when present)

    A result without an attestation (a deal that did not agree) has only
    the transcript and signature checks; an unsigned result (a poisoned
    deal, SPEC §3) fails `result signature` as "unsigned".

    Threading: reentrant. */

#ifndef DP_SUBMIT_VERIFY_H_INCLUDED
#define DP_SUBMIT_VERIFY_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_quote_verify.h"
#include "dp_status.h"

typedef struct {
    const char *sim_root_dir;   //  simulation root folder; NULL = SPEC §8's default
    const char *root_pem_path;  //  verify quotes against this root instead; NULL = by mode
    const char *collateral_path;//  collateral JSON (file or folder) for real quotes; NULL = none
    const dp_quote_policy_t *policy;//  quote acceptance policy; NULL = dcap-qvl's defaults
    const char *pccs_url;       //  fetch collateral from this PCS/PCCS when none is given; NULL = no
    const char *cache_dir;      //  the fetched collateral's cache; NULL = none
    int64_t now;                //  Unix seconds for certificate checks; 0 = now
} dp_submit_verify_options_t;

//  Called once per check. ok: 1 passed, 0 failed, -1 skipped (not a
//  failure: e.g. no release signature). detail says what was compared or
//  why it failed ("report_data[0:32] is 9f86…, payload hashes to 1a2b…").
typedef void (dp_submit_verify_report_fn) (void *arg, const char *check, int ok,
                                           const char *detail);

//  Runs every check on result. *failed = number of failed checks.
//  Returns DP_OK when the checks ran (whatever their outcome); DP_INVALID
//  if result is not a JSON object.
dp_status dp_submit_verify_result (json_object *result, const dp_submit_verify_options_t *options,
                                   dp_submit_verify_report_fn *report, void *arg, int *failed,
                                   dp_error_t *err) DP_MUST_CHECK;

//  The chunk count N (1..max) for which report_data32 is SHA-256 of
//  Python's json.dumps({"data_hash", "verified": true, "chunk_count": N,
//  "algorithm": "sha256"}, sort_keys=True) for this data_hash (64
//  lower-case hex digits), or -1 if there is none. Pure; reentrant.
long dp_submit_verify_chunk_count (const char *data_hash, const uint8_t report_data32 [32],
                                   long max);

#endif
