/*  dp_binding.c — SPEC §5 report data: payload hash ‖ DealProof binding.

    The seed left report_data[32:64] zero; we bind the deal id, the
    transcript and the enclave key there so a quote cannot be replayed for
    another deal or claimed by another signer. The deal id is length-prefixed
    so that no (deal_id, transcript) pair can be shifted into another. */

#include "dp_binding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sha256.h"

//  Deal ids are at most 128 bytes (SPEC §1); the stack preimage covers
//  every valid one with room to spare, so the common path cannot fail.
#define S_STACK_ID_MAX 512

void
dp_binding_hash (int kind, const char *deal_id, const uint8_t transcript_digest [32],
                 const uint8_t signer [20], uint8_t out [32])
{
    static const uint8_t zeros [32] = { 0 };
    const uint8_t *transcript = kind == DP_BINDING_DATA || !transcript_digest? zeros: transcript_digest;
    size_t id_len = strlen (deal_id);
    uint8_t buffer [sizeof DP_BINDING_TAG - 1 + 1 + 4 + S_STACK_ID_MAX + 32 + 20];
    uint8_t *p = buffer;
    memcpy (p, DP_BINDING_TAG, sizeof DP_BINDING_TAG - 1);
    p += sizeof DP_BINDING_TAG - 1;
    *p++ = (uint8_t) kind;
    *p++ = (uint8_t) (id_len >> 24);
    *p++ = (uint8_t) (id_len >> 16);
    *p++ = (uint8_t) (id_len >> 8);
    *p++ = (uint8_t) id_len;
    if (id_len <= S_STACK_ID_MAX) {
        memcpy (p, deal_id, id_len);
        memcpy (p + id_len, transcript, 32);
        memcpy (p + id_len + 32, signer, 20);
        dp_sha256 (buffer, (size_t) (p - buffer) + id_len + 52, out);
        return;
    }
    //  An over-long id (only reachable by callers that skipped validation)
    //  is still bound exactly, through the incremental form.
    dp_sha256_t *ctx = dp_sha256_new ();
    if (!ctx) {
        //  Same policy as dp_sha256: a hash we cannot compute is a broken
        //  platform, and a wrong binding must never be returned.
        fprintf (stderr, "dealproof: out of memory for a SHA-256 context\n");
        abort ();
    }
    dp_sha256_update (ctx, buffer, (size_t) (p - buffer));
    dp_sha256_update (ctx, deal_id, id_len);
    dp_sha256_update (ctx, transcript, 32);
    dp_sha256_update (ctx, signer, 20);
    dp_sha256_final (ctx, out);
    dp_sha256_destroy (&ctx);
}

void
dp_binding_report_data (const uint8_t payload_sha256 [32], int kind, const char *deal_id,
                        const uint8_t transcript_digest [32], const uint8_t signer [20],
                        uint8_t out [DP_BINDING_SIZE])
{
    memcpy (out, payload_sha256, 32);
    dp_binding_hash (kind, deal_id, transcript_digest, signer, out + 32);
}

dp_status
dp_binding_check (const uint8_t report_data [DP_BINDING_SIZE],
                  const uint8_t payload_sha256 [32], int kind, const char *deal_id,
                  const uint8_t transcript_digest [32], const uint8_t signer [20],
                  dp_error_t *err)
{
    if (kind != DP_BINDING_DEAL && kind != DP_BINDING_DATA)
        return dp_error_set (err, DP_INVALID, "report_data: binding kind %d is not 1 or 2", kind);
    if (!deal_id)
        return dp_error_set (err, DP_INVALID, "report_data: no deal_id to bind");
    if (memcmp (report_data, payload_sha256, 32) != 0)
        return dp_error_set (err, DP_CRYPTO,
                             "report_data[0:32] does not match the payload hash");
    uint8_t binding [32];
    dp_binding_hash (kind, deal_id, transcript_digest, signer, binding);
    if (memcmp (report_data + 32, binding, 32) != 0)
        return dp_error_set (err, DP_CRYPTO,
                             "report_data[32:64] does not match the binding of deal %.128s "
                             "(kind %d, transcript, signer)", deal_id, kind);
    return DP_OK;
}
