/*  dp_relayer_check.h — the relayer's own checks of an agreed result
    before it moves money (the contract checks the signer again; this is
    the line before it, and the only place the quote policy is applied).

    A result is released only when every check passes:
      status          "agreed", with release_signature and escrow
      signature       SPEC §6: the result hash recovers to `signer`
      escrow          chain_id and contract are this relayer's; seller and
                      amount (wei) equal the envelope's (the broker's copy
                      of what the submitter asked for) and data_hash too
      release         SPEC §7: release_signature recovers to `signer`
      payload         report_data[0:32] = SHA-256 of the SPEC §5 payload
                      rebuilt from final_price, terms (and data_hash)
      binding         report_data[32:64] = SPEC §5 binding (deal id,
                      transcript digest, signer)
      quote           the attestation verifies under the policy (root,
                      collateral, TCB statuses, MRTD or a policy file's
                      MRTD/RTMR allow-list) and carries report_data

    Threading: a checker is read-only after creation; reentrant. */

#ifndef DP_RELAYER_CHECK_H_INCLUDED
#define DP_RELAYER_CHECK_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_envelope.h"
#include "dp_status.h"

typedef struct dp_relayer_checker_t dp_relayer_checker_t;

typedef struct {
    int allow_simulation;           //  accept simulated quotes (the simulation root)
    const char *sim_root;           //  its folder; NULL = SPEC §8 default
    const char *collateral;         //  collateral file for real quotes, or a folder of them
                                    //  (read at each check, chosen by FMSPC); NULL: none (refused)
    const char *tcb_statuses;       //  comma list; NULL = "UpToDate"
    const char *mrtd_hex;           //  96 hex digits, or NULL = any measurement
    const char *pccs_url;           //  fetch real quotes' collateral from this PCS/PCCS when
                                    //  no collateral is given (verified, then cached), or NULL
    const char *cache_dir;          //  the fetched collateral's cache folder, or NULL
    const char *policy_path;        //  dp_quote_policy.h JSON, or NULL: its measurements
                                    //  (MRTD + RTMRs) replace mrtd_hex (not both), its
                                    //  tcb_statuses (if any) replace tcb_statuses; no report_data
} dp_relayer_policy_t;

dp_relayer_checker_t *dp_relayer_checker_new (const dp_relayer_policy_t *policy, dp_error_t *err);
void dp_relayer_checker_destroy (dp_relayer_checker_t **self_p);

//  What a release needs once the result passed.
typedef struct {
    uint8_t amount [32];
    uint8_t report_data32 [32];
    uint8_t release_signature [65];
    uint8_t signer [20];
} dp_relayer_release_t;

//  Runs every check; DP_OK and *out filled when the result may be
//  released, else DP_CRYPTO / DP_INVALID with err naming the failed check
//  ("escrow: amount_wei 1 differs from the envelope's 500000000000000000").
dp_status dp_relayer_check (dp_relayer_checker_t *self, json_object *result,
                            const dp_envelope_t *envelope, uint64_t chain_id,
                            const uint8_t contract [20], dp_relayer_release_t *out,
                            dp_error_t *err) DP_MUST_CHECK;

#endif
