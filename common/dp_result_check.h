/*  dp_result_check.h — what every verifier of a result recomputes.

    `dp-submit verify` (offline, reporting every check by name) and the
    relayer (before it spends gas on a release) check the same things of a
    SPEC §4 result; both call these, so the rules cannot drift apart:

      payload     report_data[0:32] of SPEC §5, rebuilt from the result:
                  json.dumps({final_price, terms} (+ data_hash,
                  data_verified: true when the result carries a data
                  verification attestation), sort_keys=True) and its SHA-256
      signer      the address that signed the result (SPEC §6: EIP-191 over
                  the result hash), to compare with `signer`
      escrow      the result's `escrow` object decoded (SPEC §4)
      releaser    the address that signed the Release (SPEC §7) over the
                  escrow, deal id, data hash and report data

    Each returns DP_OK or an error naming the field and the reason. The
    comparisons (recovered address vs `signer`, payload hash vs
    report_data) are the caller's, which reports them its own way.
    Reentrant; the result is borrowed and never modified. */

#ifndef DP_RESULT_CHECK_H_INCLUDED
#define DP_RESULT_CHECK_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_status.h"

//  The deal payload of SPEC §5 as Python prints it (*text, malloc'd, the
//  caller frees; NULL text_out to skip it) and its SHA-256.
//  DP_INVALID: final_price or terms missing, or not printable as Python.
dp_status dp_result_check_payload (json_object *result, uint8_t hash [32], char **text_out,
                                   dp_error_t *err) DP_MUST_CHECK;

//  The address that signed the result. DP_NOTFOUND: signature is null (an
//  unsigned result, e.g. a poisoned deal, SPEC §3); DP_INVALID: malformed;
//  DP_CRYPTO: the signature recovers to no address.
dp_status dp_result_check_signer (json_object *result, uint8_t signer [20],
                                  dp_error_t *err) DP_MUST_CHECK;

typedef struct {
    uint64_t chain_id;
    uint8_t contract [20];
    uint8_t seller [20];
    uint8_t amount_wei [32];        //  big-endian
} dp_result_escrow_t;

//  Decodes result.escrow: chain_id a positive integer, contract and
//  seller_address addresses, amount_wei a decimal integer below 2^256 (as
//  text, the worker's form, or a JSON integer). DP_NOTFOUND if absent.
dp_status dp_result_escrow (json_object *result, dp_result_escrow_t *escrow,
                            dp_error_t *err) DP_MUST_CHECK;

//  The address that signed release_signature over SPEC §7's Release of
//  this result (deal_id, escrow, data_hash, report_data). The signature is
//  copied into signature when not NULL. DP_NOTFOUND: no release_signature.
dp_status dp_result_check_releaser (json_object *result, const dp_result_escrow_t *escrow,
                                    const uint8_t report_data [64], uint8_t releaser [20],
                                    uint8_t signature [65], dp_error_t *err) DP_MUST_CHECK;

#endif
