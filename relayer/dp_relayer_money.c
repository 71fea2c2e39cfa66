/*  dp_relayer_money.c — the caps on the relayer's own deposits. */

#include "dp_relayer_money.h"

#include <stdio.h>
#include <string.h>

#include "dp_money.h"

int
dp_relayer_money_add (const uint8_t a [32], const uint8_t b [32], uint8_t out [32])
{
    uint8_t sum [32];
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        carry += (unsigned) a [i] + b [i];
        sum [i] = (uint8_t) carry;
        carry >>= 8;
    }
    if (carry)
        return -1;
    memcpy (out, sum, 32);
    return 0;
}

int
dp_relayer_money_cmp (const uint8_t a [32], const uint8_t b [32])
{
    int order = memcmp (a, b, 32);     //  big-endian: bytes order as numbers
    return order < 0? -1: order > 0;
}

int
dp_relayer_money_admit (const uint8_t amount [32], const uint8_t outstanding [32],
                        const uint8_t max_deposit [32], const uint8_t max_outstanding [32],
                        char reason [DP_RELAYER_MONEY_REASON_MAX])
{
    char have [DP_MONEY_WEI_TEXT_MAX], held [DP_MONEY_WEI_TEXT_MAX], cap [DP_MONEY_WEI_TEXT_MAX];
    if (dp_relayer_money_cmp (amount, max_deposit) > 0) {
        snprintf (reason, DP_RELAYER_MONEY_REASON_MAX, "deposit %s wei is over --max-deposit-eth (%s wei)",
                  dp_money_wei_format (amount, have), dp_money_wei_format (max_deposit, cap));
        return 0;
    }
    uint8_t total [32];
    //  A sum past 2^256 is over any cap: overflow refuses too.
    if (dp_relayer_money_add (outstanding, amount, total) != 0
    ||  dp_relayer_money_cmp (total, max_outstanding) > 0) {
        snprintf (reason, DP_RELAYER_MONEY_REASON_MAX,
                  "deposit %s wei with %s wei outstanding is over --max-outstanding-eth (%s wei)",
                  dp_money_wei_format (amount, have), dp_money_wei_format (outstanding, held),
                  dp_money_wei_format (max_outstanding, cap));
        return 0;
    }
    return 1;
}
