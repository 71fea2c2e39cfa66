/*  dp_envelope.h — what the untrusted broker and relayer see of a deal.

    SPEC §2: the broker routes and stores by the envelope and never reads
    the body, which is the deal's compact canonical JSON (opaque bytes, so
    it can later be sealed to the enclave's key). The worker re-derives
    every envelope field from the body and fails the deal on a mismatch.

    Fixed-size fields: an envelope is a plain value, copied freely, with no
    allocation. Sizes follow SPEC §1 (deal_id ≤ 128) and our own bound on
    the batch label (DP_BATCH_MAX, documented in docs/data-model.md). */

#ifndef DP_ENVELOPE_H_INCLUDED
#define DP_ENVELOPE_H_INCLUDED

#include <stdint.h>

#define DP_DEAL_ID_MAX     128      // SPEC §1: [A-Za-z0-9._:-]{1,128}
#define DP_BATCH_MAX       256      // a label; longer ones are refused
#define DP_ENGINE_NAME_MAX 15       // "builtin" | "claude"
#define DP_WEI_TEXT_MAX    79       // escrow_amount_eth as decimal text

typedef struct {
    char     deal_id [DP_DEAL_ID_MAX + 1];
    char     batch [DP_BATCH_MAX + 1];
    int64_t  submitted_at_ms;             //  Unix time in ms, set by the broker on first store
    char     data_hash [65];              //  64 lower-case hex digits
    char     seller_address [43];         //  "0x" + 40 hex as given, or "" if none
    char     escrow_amount_eth [DP_WEI_TEXT_MAX + 1];   //  decimal text, or "" if none
    char     buyer_engine [DP_ENGINE_NAME_MAX + 1];
    char     seller_engine [DP_ENGINE_NAME_MAX + 1];
    uint8_t  priority;                    //  0 (default) .. 9; higher is dispatched first
    uint64_t body_size;                   //  bytes of the canonical body
    uint8_t  body_sha256 [32];            //  SHA-256 of the canonical body (identity for idempotence)
} dp_envelope_t;

#endif
