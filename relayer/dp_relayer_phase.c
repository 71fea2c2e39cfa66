/*  dp_relayer_phase.c — phase rules (see dp_relayer_phase.h). */

#include "dp_relayer_phase.h"

#include <string.h>

dp_relayer_action
dp_relayer_phase_on_result (const char *phase, int ours, const char *status)
{
    int funded = strcmp (phase, "funded") == 0;
    int open = funded || strcmp (phase, "unfunded") == 0 || strcmp (phase, "retry_release") == 0;
    //  A deal waiting for its refund (or left to its buyer) moved there on
    //  a result whose signature nobody checked, or one the checks refused:
    //  neither may block a genuine agreed result that comes later. It is
    //  checked like any other, and released while the contract still
    //  holds the deposit.
    int unpaid = strcmp (phase, "refund_wait") == 0 || strcmp (phase, "done") == 0;
    if (strcmp (status, "agreed") == 0)
        return open || unpaid? DP_RELAYER_RELEASE: DP_RELAYER_KEEP;
    if (!open)
        return DP_RELAYER_KEEP;         //  no escrow, or already past this point
    return ours && funded? DP_RELAYER_WAIT_REFUND: DP_RELAYER_DONE;
}

const char *
dp_relayer_phase_unreleased (int ours, const char *final)
{
    return ours? "refund_wait": final;
}
