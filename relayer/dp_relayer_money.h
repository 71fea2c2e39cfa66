/*  dp_relayer_money.h — the caps on the relayer's own deposits.

    The relayer deposits its own ether for every deal with escrow, with
    the seller and the amount the deal's envelope carries. Whoever can
    submit a deal chooses both, and the genuine enclave's release pays the
    seller; so without a cap, a submitter who makes itself the seller of
    a deal that agrees is paid from the relayer's wallet, as much as it
    asks. Two caps bound that: a deal's deposit (--max-deposit-eth) and
    the sum of the relayer's deposits not yet released or refunded
    (--max-outstanding-eth). A deal over either is not deposited.

    Amounts are 32-byte big-endian uint256 wei, as dp_money makes them:
    exact, never a double. Reentrant. */

#ifndef DP_RELAYER_MONEY_H_INCLUDED
#define DP_RELAYER_MONEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Bytes a refusal reason needs at most (two 78-digit amounts and words).
#define DP_RELAYER_MONEY_REASON_MAX 256

//  out = a + b (out may alias a or b). -1 on overflow (out untouched),
//  else 0.
int dp_relayer_money_add (const uint8_t a [32], const uint8_t b [32], uint8_t out [32]);

//  -1, 0 or 1 as a <, =, > b.
int dp_relayer_money_cmp (const uint8_t a [32], const uint8_t b [32]);

//  May the relayer deposit `amount` while `outstanding` of its deposits
//  are unsettled? 1 when amount <= max_deposit and outstanding + amount
//  <= max_outstanding (a cap is inclusive), else 0 with reason saying
//  which cap and the amounts in wei ("deposit 2000000000000000000 wei is
//  over --max-deposit-eth (100000000000000000 wei)").
int dp_relayer_money_admit (const uint8_t amount [32], const uint8_t outstanding [32],
                            const uint8_t max_deposit [32], const uint8_t max_outstanding [32],
                            char reason [DP_RELAYER_MONEY_REASON_MAX]);

#endif
