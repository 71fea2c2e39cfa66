/*  test_relayer_phase.c — the relayer's phase rules (dp_relayer_phase.h):
    what a final result does to a deal's record, and that a deposit the
    relayer made is never left in a final phase without a refund. */

#include <criterion/criterion.h>

#include "dp_relayer_phase.h"

Test (relayer_phase, results_on_a_funded_deal)
{
    cr_assert_eq (dp_relayer_phase_on_result ("funded", 1, "agreed"), DP_RELAYER_RELEASE);
    cr_assert_eq (dp_relayer_phase_on_result ("funded", 0, "agreed"), DP_RELAYER_RELEASE,
                  "a deal the buyer funded is released too");
    cr_assert_eq (dp_relayer_phase_on_result ("funded", 1, "failed"), DP_RELAYER_WAIT_REFUND);
    cr_assert_eq (dp_relayer_phase_on_result ("funded", 1, "verification_failed"), DP_RELAYER_WAIT_REFUND);
    cr_assert_eq (dp_relayer_phase_on_result ("funded", 0, "failed"), DP_RELAYER_DONE,
                  "the buyer refunds its own deposit");
    cr_assert_eq (dp_relayer_phase_on_result ("unfunded", 0, "failed"), DP_RELAYER_DONE);
}

Test (relayer_phase, results_past_the_point)
{
    const char *past [] = { "released", "refunded", "refund_sent", "release_sent", "" };
    for (size_t i = 0; i < sizeof past / sizeof past [0]; i++) {
        cr_assert_eq (dp_relayer_phase_on_result (past [i], 1, "agreed"), DP_RELAYER_KEEP, "%s", past [i]);
        cr_assert_eq (dp_relayer_phase_on_result (past [i], 1, "failed"), DP_RELAYER_KEEP, "%s", past [i]);
    }
    cr_assert_eq (dp_relayer_phase_on_result ("refused", 0, "agreed"), DP_RELAYER_KEEP,
                  "a deposit refused by a cap was never made: nothing to release");
}

Test (relayer_phase, own_deposit_never_stranded)
{
    cr_assert_str_eq (dp_relayer_phase_unreleased (1, "refused"), "refund_wait",
                      "a result the checks refused: the relayer's deposit is refunded after the window");
    cr_assert_str_eq (dp_relayer_phase_unreleased (1, "reverted"), "refund_wait",
                      "a reverted release: the same");
    cr_assert_str_eq (dp_relayer_phase_unreleased (0, "refused"), "refused", "the buyer's own deposit");
    cr_assert_str_eq (dp_relayer_phase_unreleased (0, "reverted"), "reverted");
}

Test (relayer_phase, genuine_agreement_after_another_result)
{
    cr_assert_eq (dp_relayer_phase_on_result ("refund_wait", 1, "agreed"), DP_RELAYER_RELEASE,
                  "an agreed result after a (forged or refused) one is checked and released");
    cr_assert_eq (dp_relayer_phase_on_result ("done", 0, "agreed"), DP_RELAYER_RELEASE,
                  "the same for a deal the buyer funded");
    cr_assert_eq (dp_relayer_phase_on_result ("refund_wait", 1, "failed"), DP_RELAYER_KEEP,
                  "another failed result changes nothing");
    cr_assert_eq (dp_relayer_phase_on_result ("refund_sent", 1, "agreed"), DP_RELAYER_KEEP,
                  "a refund in flight is settled, not raced");
}
