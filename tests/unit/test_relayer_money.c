/*  test_relayer_money.c — the caps on the relayer's own deposits: exact
    uint256 wei sums, inclusive caps, and which cap a refusal names. */

#include <criterion/criterion.h>
#include <string.h>

#include "dp_money.h"
#include "dp_relayer_money.h"

static void
s_wei (const char *eth, uint8_t wei [32])
{
    cr_assert_eq (dp_money_wei_from_text (eth, strlen (eth), wei, NULL), DP_OK, "%s", eth);
}

Test (relayer_money, add_carries_and_refuses_overflow)
{
    uint8_t a [32], b [32], sum [32], expect [32];
    s_wei ("0.000000000000000255", a);      //  0xff wei: the carry crosses a byte
    s_wei ("0.000000000000000001", b);
    s_wei ("0.000000000000000256", expect);
    cr_assert_eq (dp_relayer_money_add (a, b, sum), 0);
    cr_assert_eq (memcmp (sum, expect, 32), 0);
    memset (a, 0xff, 32);
    memcpy (sum, expect, 32);
    cr_assert_eq (dp_relayer_money_add (a, b, sum), -1, "2^256 - 1 + 1 overflows");
    cr_assert_eq (memcmp (sum, expect, 32), 0, "out untouched on overflow");
}

Test (relayer_money, caps_are_inclusive_and_named)
{
    uint8_t max_deposit [32], max_outstanding [32], amount [32], outstanding [32];
    char reason [DP_RELAYER_MONEY_REASON_MAX];
    s_wei ("0.1", max_deposit);
    s_wei ("1", max_outstanding);
    memset (outstanding, 0, 32);
    s_wei ("0.1", amount);
    cr_assert (dp_relayer_money_admit (amount, outstanding, max_deposit, max_outstanding, reason),
               "a deposit equal to the cap is admitted");
    s_wei ("0.100000000000000001", amount);
    cr_assert_not (dp_relayer_money_admit (amount, outstanding, max_deposit, max_outstanding, reason));
    cr_assert_str_eq (reason, "deposit 100000000000000001 wei is over --max-deposit-eth (100000000000000000 wei)");
    s_wei ("1000000", amount);
    cr_assert_not (dp_relayer_money_admit (amount, outstanding, max_deposit, max_outstanding, reason),
                   "the wallet-drain deal: a huge amount");

    s_wei ("0.9", outstanding);
    s_wei ("0.1", amount);
    cr_assert (dp_relayer_money_admit (amount, outstanding, max_deposit, max_outstanding, reason),
               "0.9 + 0.1 reaches the outstanding cap exactly");
    s_wei ("0.900000000000000001", outstanding);
    cr_assert_not (dp_relayer_money_admit (amount, outstanding, max_deposit, max_outstanding, reason));
    cr_assert (strstr (reason, "over --max-outstanding-eth (1000000000000000000 wei)"), "%s", reason);
    memset (outstanding, 0xff, 32);
    cr_assert_not (dp_relayer_money_admit (amount, outstanding, max_deposit, max_outstanding, reason),
                   "a sum that overflows is over the cap");
}
