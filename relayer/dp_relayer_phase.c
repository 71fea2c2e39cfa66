/*  dp_relayer_phase.c — phase rules (see dp_relayer_phase.h). */

#include "dp_relayer_phase.h"

#include <string.h>

dp_relayer_action
dp_relayer_phase_on_result (const char *phase, int ours, const char *status)
{
    int funded = strcmp (phase, "funded") == 0;
    if (!funded && strcmp (phase, "unfunded") != 0)
        return DP_RELAYER_KEEP;         //  no escrow, or already past this point
    if (strcmp (status, "agreed") == 0)
        return DP_RELAYER_RELEASE;
    return ours && funded? DP_RELAYER_WAIT_REFUND: DP_RELAYER_DONE;
}

const char *
dp_relayer_phase_unreleased (int ours, const char *final)
{
    return ours? "refund_wait": final;
}
