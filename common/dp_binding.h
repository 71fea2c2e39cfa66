/*  dp_binding.h — the 64 bytes of report_data a TDX quote commits to (SPEC §5).

    [0:32]  = SHA-256 of the attestation payload as Python's
              json.dumps(payload, sort_keys=True) prints it. The caller
              computes it (dp_json_pydumps + dp_sha256) and passes it in.
    [32:64] = SHA-256 of DealProof's binding:
              "DealProof binding v1" (20 ASCII bytes, no NUL)
              ‖ kind (1 byte: 1 = deal attestation, 2 = data verification)
              ‖ uint32 big-endian byte length of deal_id ‖ deal_id (UTF-8)
              ‖ transcript_digest (32 bytes; 32 zero bytes for kind 2)
              ‖ signer address (20 bytes).

    Pure functions, no allocation, thread-safe. */

#ifndef DP_BINDING_H_INCLUDED
#define DP_BINDING_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

#define DP_BINDING_SIZE 64
#define DP_BINDING_TAG "DealProof binding v1"

typedef enum {
    DP_BINDING_DEAL = 1,            //  the negotiation result's quote
    DP_BINDING_DATA = 2             //  the Props data verification quote
} dp_binding_kind;

//  Writes report_data for a payload hash. kind is DP_BINDING_DEAL or
//  DP_BINDING_DATA; for DP_BINDING_DATA transcript_digest is ignored (may be
//  NULL) and 32 zero bytes are bound instead. deal_id is NUL-terminated
//  UTF-8 (SPEC §1 limits it to 128 characters). All pointers are borrowed.
void dp_binding_report_data (const uint8_t payload_sha256 [32], int kind, const char *deal_id,
                             const uint8_t transcript_digest [32], const uint8_t signer [20],
                             uint8_t out [DP_BINDING_SIZE]);

//  Just the second half, [32:64], with the same arguments.
void dp_binding_hash (int kind, const char *deal_id, const uint8_t transcript_digest [32],
                      const uint8_t signer [20], uint8_t out [32]);

//  Recomputes report_data from the claimed parts and compares it with the
//  64 bytes found in a quote or result (what `dp-submit verify` checks).
//  DP_OK if both halves match; DP_CRYPTO naming which half differs
//  ("report_data[0:32] does not match the payload hash",
//  "report_data[32:64] does not match the binding of deal …");
//  DP_INVALID if kind is not 1 or 2 or deal_id is NULL.
dp_status dp_binding_check (const uint8_t report_data [DP_BINDING_SIZE],
                            const uint8_t payload_sha256 [32], int kind, const char *deal_id,
                            const uint8_t transcript_digest [32], const uint8_t signer [20],
                            dp_error_t *err) DP_MUST_CHECK;

#endif
