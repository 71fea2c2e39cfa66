/*  dp_money.h — exact money from decimal text (SPEC §1).

    Amounts are read from the number's source text (or a decimal string),
    never through a binary double: "0.29" is 29 cents, which a double
    (0.28999...) would turn into 28. The grammar is JSON's number grammar
    (-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?), so "1e-2" and "1000.0" work and
    any length of digits is handled exactly.

    Prices are integer cents: callers choose the rounding, the budget is
    rounded down and the floor rounded up, so a limit is never loosened.
    escrow_amount_eth becomes wei (x 10^18) exactly: a non-zero digit past
    the 18th decimal is an error; the result is a 32-byte big-endian
    uint256 (what the contract takes).

    Errors name no field: callers prefix it (dp_error_prefix). Reentrant. */

#ifndef DP_MONEY_H_INCLUDED
#define DP_MONEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef enum {
    DP_MONEY_DOWN,              //  towards zero (a budget)
    DP_MONEY_UP                 //  away from zero (a floor)
} dp_money_round_t;

//  Bytes dp_money_cents_format needs at most ("-92233720368547758.08").
#define DP_MONEY_TEXT_MAX 32
//  Bytes dp_money_wei_format needs at most (78 digits of 2^256 - 1).
#define DP_MONEY_WEI_TEXT_MAX 80

//  text[0..len) as a number of cents rounded as asked. The value must be
//  greater than 0 (DP_INVALID "must be greater than 0" otherwise) and, in
//  cents after rounding, at most max_cents (DP_LIMIT "exceeds the limit
//  of 1000000000000.00"). DP_INVALID for text that is not a number.
//  *cents untouched on error.
dp_status dp_money_cents_from_text (const char *text, size_t len, dp_money_round_t round,
                                    int64_t max_cents, int64_t *cents,
                                    dp_error_t *err) DP_MUST_CHECK;

//  text[0..len) in ether as wei, big-endian. DP_INVALID if not a number,
//  not greater than 0, with more than 18 decimals (a non-zero digit past
//  the 18th), or above 2^256 - 1 wei. wei untouched on error.
dp_status dp_money_wei_from_text (const char *text, size_t len, uint8_t wei [32],
                                  dp_error_t *err) DP_MUST_CHECK;

//  "730.00", "-0.05": cents as a decimal with two places (for messages and
//  displays; JSON output uses dp_json_price_new). Returns out.
char *dp_money_cents_format (int64_t cents, char out [DP_MONEY_TEXT_MAX]);

//  The decimal digits of a big-endian uint256 ("0" for zero). Returns out.
char *dp_money_wei_format (const uint8_t wei [32], char out [DP_MONEY_WEI_TEXT_MAX]);

#endif
