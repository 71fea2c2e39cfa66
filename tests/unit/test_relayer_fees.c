/*  test_relayer_fees.c — the relayer's fee pricing (dp_chain_fees): a
    stuck transaction's replacements raise both fees by more than 10 %
    (what nodes require), and stop at the --max-fee-gwei ceiling instead
    of climbing for ever. */

#include <criterion/criterion.h>
#include <stdint.h>

#include "dp_relayer_chain.h"

#define GWEI 1000000000ULL

Test (relayer_fees, new_transaction_is_cut_to_the_ceiling)
{
    uint64_t tip = 0, max_fee = 0;
    cr_assert (dp_chain_fees (10 * GWEI, 2 * GWEI, NULL, 0, &tip, &max_fee));
    cr_assert_eq (max_fee, 22 * GWEI, "2 x base fee + tip");
    cr_assert_eq (tip, 2 * GWEI);
    cr_assert (dp_chain_fees (10 * GWEI, 2 * GWEI, NULL, 15 * GWEI, &tip, &max_fee));
    cr_assert_eq (max_fee, 15 * GWEI);
    cr_assert_eq (tip, 2 * GWEI);
    cr_assert (dp_chain_fees (10 * GWEI, 2 * GWEI, NULL, 1 * GWEI, &tip, &max_fee));
    cr_assert_eq (max_fee, 1 * GWEI);
    cr_assert_eq (tip, 1 * GWEI, "the tip never exceeds the max fee");
}

Test (relayer_fees, bumps_stop_at_the_ceiling)
{
    const uint64_t cap = 100 * GWEI;
    dp_chain_tx_t old = { .tip = 2 * GWEI, .max_fee = 22 * GWEI };
    uint64_t tip = 0, max_fee = 0;
    int bumps = 0;
    while (dp_chain_fees (10 * GWEI, 2 * GWEI, &old, cap, &tip, &max_fee)) {
        cr_assert_gt (max_fee, old.max_fee + old.max_fee / 10, "bump %d: max fee raised over 10 %%", bumps);
        cr_assert_gt (tip, old.tip + old.tip / 10, "bump %d: tip raised over 10 %%", bumps);
        cr_assert_leq (max_fee, cap, "bump %d: %llu over the ceiling", bumps, (unsigned long long) max_fee);
        old.tip = tip;
        old.max_fee = max_fee;
        cr_assert_lt (++bumps, 1000, "bumps never reach the ceiling");
    }
    //  22 gwei x (9/8)^12 is about 90 gwei; the 13th bump would pass 100.
    cr_assert_eq (bumps, 12);
    cr_assert_gt (old.max_fee + old.max_fee / 8, cap, "stopped only when the next bump passes the ceiling");
}

Test (relayer_fees, no_ceiling_and_overflow)
{
    dp_chain_tx_t old = { .tip = 2 * GWEI, .max_fee = 22 * GWEI };
    uint64_t tip = 0, max_fee = 0;
    cr_assert (dp_chain_fees (10 * GWEI, 2 * GWEI, &old, 0, &tip, &max_fee), "0: no ceiling");
    old.tip = UINT64_MAX - 1;
    old.max_fee = UINT64_MAX - 1;
    cr_assert_not (dp_chain_fees (10 * GWEI, 2 * GWEI, &old, 500 * GWEI, &tip, &max_fee),
                   "a bump that overflows saturates, over any ceiling");
}
