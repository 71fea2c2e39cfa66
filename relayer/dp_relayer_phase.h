/*  dp_relayer_phase.h — the relayer's decisions about a deal's record
    that depend only on its phase, on whose deposit it holds and on what
    arrived: kept apart from the I/O so each rule is tested on its own.

    Phases (dp_relayer.c keeps them in LMDB):
      deposit_sent → funded → release_sent → released
                            ↘ refund_wait → refund_sent → refunded
      unfunded       the relayer made no deposit (--no-deposit)
      funded         also when the buyer funded the deal on chain itself
      done           a deal the relayer did not fund, with a final result
                     that pays nothing: the buyer refunds it
      refused        the relayer will not move this deal's money: a deposit
                     over a cap, or a result its checks refused for a deal
                     it did not fund
      reverted       the chain refused a deposit or a refund (or a release
                     of a deposit that is not the relayer's)
      retry_deposit, retry_release
                     the node answered with an error that may pass (rate
                     limit, internal error, insufficient funds): tried
                     again at the record's retry_at (a *_sent phase keeps
                     its name and gets a retry_at too)

    "Ours" means the relayer made the deposit (its record has one): that
    money must come back to it if the deal is not released. Reentrant. */

#ifndef DP_RELAYER_PHASE_H_INCLUDED
#define DP_RELAYER_PHASE_H_INCLUDED

typedef enum {
    DP_RELAYER_KEEP = 0,            //  nothing to do: not ours to act on, or already past
    DP_RELAYER_RELEASE,             //  check the result, then release
    DP_RELAYER_WAIT_REFUND,         //  phase refund_wait: refund after the window
    DP_RELAYER_DONE                 //  phase done: the relayer has nothing more to do
} dp_relayer_action;

//  What a final result with `status` ("agreed", "failed", ...) does to a
//  deal in `phase`; ours: the relayer made the deposit. An agreed result
//  is acted on in refund_wait and done too: the result that put the deal
//  there may have been forged (its signature is not checked) or refused,
//  and a genuine one that passes every check is released instead.
dp_relayer_action dp_relayer_phase_on_result (const char *phase, int ours, const char *status);

//  The phase of a deal that this relayer will not release (its checks
//  refused the result, or the chain reverted the release): refund_wait
//  when the deposit is ours, so it is never stranded, else `final`
//  ("refused", "reverted": the buyer refunds its own deposit).
const char *dp_relayer_phase_unreleased (int ours, const char *final);

#endif
