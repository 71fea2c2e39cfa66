/*  dp_relayer.h — the escrow relayer: moves each deal's deposit exactly
    once, driven by the broker's event stream.

    For every deal whose envelope carries escrow fields (seller_address,
    escrow_amount_eth) the relayer, acting as the buyer's agent as the
    seed's server did:
      - deposits at creation: createDeal(keccak256(deal_id), seller,
        data_hash, window) with the deposit, unless the deal is already
        funded on chain (a buyer did it);
      - on an agreed result, checks the result itself (the enclave's
        signature, the release signature, the escrow fields against the
        envelope and this chain and contract, and the quote under the
        configured policy), then sends releaseWithAttestation;
      - on a failed result, refunds once the window has passed on chain.

    Exactly once: each transaction is signed and recorded (nonce, raw
    bytes, hash) in the relayer's own LMDB before it is sent. After a
    restart, records with a transaction in flight are reconciled with the
    chain (receipt, then the contract's deal state) before anything new is
    sent; an unmined transaction is re-sent as the same raw bytes (same
    nonce: it cannot be mined twice) or replaced with higher fees when it
    is stuck. The contract's own checks are the last line, never the only
    one. Events are processed in sequence order and the last one handled
    is stored, so a restart resumes where it stopped (replay from the
    broker).

    Threading: a relayer runs on the thread that calls dp_relayer_run. */

#ifndef DP_RELAYER_H_INCLUDED
#define DP_RELAYER_H_INCLUDED

#include <signal.h>
#include <stdint.h>

#include "dp_status.h"

//  The largest --max-fee-gwei: 10^9 gwei (1 ETH a gas) in wei still fits
//  the 64 bits fees are kept in.
#define DP_RELAYER_MAX_FEE_GWEI_MAX 1000000000ULL

typedef struct {
    const char *broker;             //  broker endpoint (required)
    const char *rpc_url;            //  Ethereum JSON-RPC URL (required)
    const char *contract;           //  DealProof.sol address (required)
    uint8_t key [32];               //  the relayer's transaction key (copied, wiped)
    const char *data_dir;           //  LMDB folder (required; created)
    uint64_t window_s;              //  negotiation window of deposits (default 3600)
    //  Release policy for quotes: the root (NULL: Intel's), the simulation
    //  root folder when simulated quotes are accepted, a collateral file
    //  for real quotes, accepted TCB statuses (comma list; NULL: UpToDate).
    int allow_simulation;
    const char *sim_root;
    const char *collateral;
    const char *tcb_statuses;
    const char *mrtd_hex;           //  allow only this MRTD (96 hex), or NULL
    const char *policy_path;        //  quote policy file (dp_quote_policy.h), or NULL
    const char *pccs_url;           //  collateral service for real quotes (cached in
                                    //  data_dir/collateral), or NULL
    int deposit;                    //  1 (default): deposit at creation
    //  Caps on the relayer's own deposits (dp_relayer_money.h), ether as
    //  decimal text: one deal's deposit (default "0.1") and the sum of its
    //  deposits not yet released or refunded (default "1"). A deal over
    //  either is not deposited (its record: phase "refused" and why).
    const char *max_deposit_eth;
    const char *max_outstanding_eth;
    int receipt_timeout_ms;         //  a transaction unmined this long is bumped (default 30000)
    uint64_t max_fee_gwei;          //  fee ceiling per gas: no bump past it (default 500;
                                    //  1 to DP_RELAYER_MAX_FEE_GWEI_MAX)
    int rpc_timeout_ms;             //  default 10000
} dp_relayer_options_t;

typedef struct dp_relayer_t dp_relayer_t;

void dp_relayer_options_default (dp_relayer_options_t *options);

//  Opens the store, connects to the broker and the node, checks the
//  chain id and the contract's code. NULL with err: DP_INVALID (option,
//  a cap that is not a positive amount of ether),
//  DP_UNREACHABLE (broker or node), DP_IO (store), DP_NOMEM.
dp_relayer_t *dp_relayer_new (const dp_relayer_options_t *options, dp_error_t *err);
void dp_relayer_destroy (dp_relayer_t **self_p);

//  Reconciles in-flight transactions, then follows events until *stop
//  becomes non-zero (a signal handler sets it) or, when idle_exit_ms > 0,
//  nothing happened for that long. Returns DP_OK on a clean stop.
dp_status dp_relayer_run (dp_relayer_t *self, volatile sig_atomic_t *stop, int idle_exit_ms,
                          dp_error_t *err);

//  Counters since start: transactions sent, releases, refunds, deposits,
//  results refused by the relayer's own checks.
typedef struct {
    uint64_t sent, deposits, releases, refunds, refused, events;
} dp_relayer_counts_t;
void dp_relayer_counts (dp_relayer_t *self, dp_relayer_counts_t *out);

#endif
