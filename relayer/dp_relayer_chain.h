/*  dp_relayer_chain.h — the relayer's view of the chain: DealProof.sol
    calls (ABI-encoded), transactions signed with the relayer key and sent
    over JSON-RPC, receipts, and the contract's deal state.

    Not thread-safe: one chain object per relayer thread. */

#ifndef DP_RELAYER_CHAIN_H_INCLUDED
#define DP_RELAYER_CHAIN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef struct dp_chain_t dp_chain_t;

//  The contract's deal status (DealProof.Status).
typedef enum {
    DP_CHAIN_DEAL_NONE = 0, DP_CHAIN_DEAL_ACTIVE, DP_CHAIN_DEAL_COMPLETED, DP_CHAIN_DEAL_REFUNDED
} dp_chain_deal_status;

typedef struct {
    dp_chain_deal_status status;
    uint8_t buyer [20], seller [20];
    uint8_t amount [32];
    uint8_t data_hash [32];
    uint64_t deadline;              //  refund allowed from this block time on
} dp_chain_deal_t;

//  A signed transaction ready to send, as it is recorded before sending.
typedef struct {
    uint64_t nonce;
    uint64_t max_fee, tip;          //  wei per gas
    uint64_t gas;
    char hash [67];                 //  "0x" + 64 hex
    char *raw_hex;                  //  "0x..." malloc'd
} dp_chain_tx_t;

typedef enum { DP_CHAIN_PENDING = 0, DP_CHAIN_MINED_OK, DP_CHAIN_REVERTED } dp_chain_receipt;

dp_chain_t *dp_chain_new (const char *rpc_url, const char *contract, const uint8_t key [32],
                          int timeout_ms, dp_error_t *err);
void dp_chain_destroy (dp_chain_t **self_p);

uint64_t dp_chain_id (const dp_chain_t *self);
const uint8_t *dp_chain_contract (const dp_chain_t *self);
const char *dp_chain_address_text (const dp_chain_t *self);     //  the relayer's account

//  The account's next nonce as the node counts it at block tag "pending"
//  (with its pool) or "latest" (mined only).
dp_status dp_chain_nonce (dp_chain_t *self, const char *tag, uint64_t *nonce, dp_error_t *err) DP_MUST_CHECK;
//  The latest block's timestamp.
dp_status dp_chain_time (dp_chain_t *self, uint64_t *now, dp_error_t *err) DP_MUST_CHECK;
dp_status dp_chain_deal (dp_chain_t *self, const char *deal_id, dp_chain_deal_t *out,
                         dp_error_t *err) DP_MUST_CHECK;

//  isSigner(address) on the contract: is this enclave key registered?
dp_status dp_chain_is_signer (dp_chain_t *self, const uint8_t signer [20], int *registered,
                              dp_error_t *err) DP_MUST_CHECK;

//  Calldata for the three transactions the relayer sends (malloc'd).
dp_status dp_chain_calldata_create (const char *deal_id, const uint8_t seller [20],
                                    const uint8_t data_hash [32], uint64_t window_s,
                                    uint8_t **data, size_t *len);
dp_status dp_chain_calldata_release (const char *deal_id, const uint8_t amount [32],
                                     const uint8_t report_data32 [32], const uint8_t sig [65],
                                     uint8_t **data, size_t *len);
dp_status dp_chain_calldata_refund (const char *deal_id, uint8_t **data, size_t *len);

//  The most the relayer offers per gas (max fee, wei; 0: no ceiling, the
//  default). Without one, a transaction stuck while prices climb is bumped
//  by 1/8 every receipt timeout for ever: its gas bill has no bound.
void dp_chain_set_max_fee (dp_chain_t *self, uint64_t max_fee_wei);

//  The fees of a new transaction (fee_bump_of NULL) or of the replacement
//  of a stuck one, from today's base fee and tip, under cap (0: none):
//    new:      tip, max fee = 2 * base fee + tip, both cut to the cap
//              (the transaction then waits for the price to come down);
//    replace:  each fee the higher of today's and 1/8 over the old one
//              (nodes refuse a replacement raised less than 10 %).
//  Returns 1 with *tip and *max_fee set, or 0 when a replacement would
//  offer more than cap (the caller keeps waiting for the one it has).
int dp_chain_fees (uint64_t base_fee, uint64_t today_tip, const dp_chain_tx_t *fee_bump_of,
                   uint64_t cap, uint64_t *tip, uint64_t *max_fee);

//  Whether a node's error text (of a DP_INVALID) is DealProof refusing
//  for good: a revert with one of the contract's errors that no retry
//  changes (DealExists, NoDeposit, BadSeller, NotActive, AmountMismatch,
//  BadSignature, UnknownSigner, NotBuyer), by name or selector. 0 for
//  anything else: rate limits, internal errors, insufficient funds, and
//  the reverts that time or the seller can lift (WindowOpen, TransferFailed).
int dp_chain_error_final (const char *text);

//  Estimates gas (DP_INVALID with the node's revert message when the call
//  would revert), prices it from the latest base fee (dp_chain_fees),
//  signs with nonce. fee_bump_of (may be NULL): a stuck transaction to
//  replace (same nonce, fees raised by at least 1/8 as nodes require);
//  DP_LIMIT when that would pass the max fee (dp_chain_set_max_fee).
dp_status dp_chain_prepare (dp_chain_t *self, uint64_t nonce, const uint8_t value [32],
                            const uint8_t *data, size_t len, const dp_chain_tx_t *fee_bump_of,
                            dp_chain_tx_t *out, dp_error_t *err) DP_MUST_CHECK;
void dp_chain_tx_clear (dp_chain_tx_t *tx);

//  eth_sendRawTransaction. A node that already knows the transaction
//  ("already known", "nonce too low" after a resend) is not an error
//  here: DP_EXISTS tells the caller to look at the receipt.
dp_status dp_chain_send (dp_chain_t *self, const dp_chain_tx_t *tx, dp_error_t *err) DP_MUST_CHECK;

dp_status dp_chain_receipt_of (dp_chain_t *self, const char *hash, dp_chain_receipt *out,
                               dp_error_t *err) DP_MUST_CHECK;

#endif
