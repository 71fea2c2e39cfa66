/*  dp_money.c — exact money from decimal text.

    A number is read into (sign, significant digits, exponent) without
    ever forming a double, so any decimal text is handled exactly. */

#include "dp_money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

//  value = (negative? -1: 1) x DIGITS x 10^exp10, with DIGITS free of
//  leading and trailing zeros (empty for zero).
typedef struct {
    int negative;
    const char *text;
    size_t len;
    char digits [96];           //  the first significant digits (more than
                                //  the 78 that a uint256 or the 19 that
                                //  cents can use, so every used one is here)
    size_t count;               //  significant digits in total
    int64_t exp10;
} s_decimal_t;

static int
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

//  Exponent digits, saturated at +-10^12: far beyond any limit, so the
//  callers' range checks refuse such numbers without overflow.
static int64_t
s_read_exponent (const char *s, size_t len, size_t *i)
{
    int negative = 0;
    if (*i < len && (s [*i] == '+' || s [*i] == '-'))
        negative = s [(*i)++] == '-';
    int64_t value = 0;
    while (*i < len && s_is_digit (s [*i])) {
        if (value < 1000000000000LL)
            value = value * 10 + (s [*i] - '0');
        (*i)++;
    }
    return negative? -value: value;
}

//  Appends one mantissa digit; zeros are held back until a non-zero digit
//  follows, so trailing zeros never count. Each digit after the point
//  lowers the exponent.
static void
s_push_digit (s_decimal_t *d, char c, int after_point, int64_t *pending_zeros)
{
    if (after_point)
        d->exp10--;
    if (c == '0') {
        if (d->count)
            (*pending_zeros)++;
        return;
    }
    for (; *pending_zeros > 0; (*pending_zeros)--)
        if (d->count++ < sizeof d->digits)
            d->digits [d->count - 1] = '0';
    if (d->count++ < sizeof d->digits)
        d->digits [d->count - 1] = c;
}

//  JSON number grammar; -1 if text is not a number.
static int
s_decimal_parse (const char *s, size_t len, s_decimal_t *d)
{
    memset (d, 0, sizeof *d);
    size_t i = 0;
    int64_t zeros = 0;
    d->negative = len > 0 && s [0] == '-';
    i += d->negative;
    if (i >= len || !s_is_digit (s [i]) || (s [i] == '0' && i + 1 < len && s_is_digit (s [i + 1])))
        return -1;
    for (; i < len && s_is_digit (s [i]); i++)
        s_push_digit (d, s [i], 0, &zeros);
    if (i < len && s [i] == '.') {
        if (++i >= len || !s_is_digit (s [i]))
            return -1;
        for (; i < len && s_is_digit (s [i]); i++)
            s_push_digit (d, s [i], 1, &zeros);
    }
    //  Held-back zeros belong to the value: scale instead of storing them.
    d->exp10 += zeros;
    if (i < len && (s [i] == 'e' || s [i] == 'E')) {
        i++;
        size_t start = i + (i < len && (s [i] == '+' || s [i] == '-'));
        if (start >= len || !s_is_digit (s [start]))
            return -1;
        d->exp10 += s_read_exponent (s, len, &i);
    }
    return i == len? 0: -1;
}

//  Digit k (0-based from the most significant) of the significand; the
//  callers only ask for k < 78, all of which are stored.
static int
s_digit (const s_decimal_t *d, size_t k)
{
    return k < sizeof d->digits && k < d->count? d->digits [k] - '0': 0;
}

//  The limit is formatted only when it is exceeded: printf for every
//  amount read cost more than reading it.
static dp_status
s_over_limit (int64_t max_cents, dp_error_t *err)
{
    char max_text [DP_MONEY_TEXT_MAX];
    return dp_error_set (err, DP_LIMIT, "exceeds the limit of %s",
                         dp_money_cents_format (max_cents, max_text));
}

dp_status
dp_money_cents_from_text (const char *text, size_t len, dp_money_round_t round,
                          int64_t max_cents, int64_t *cents, dp_error_t *err)
{
    s_decimal_t d;
    if (!text || s_decimal_parse (text, len, &d))
        return dp_error_set (err, DP_INVALID, "not a number");
    if (d.negative || d.count == 0)
        return dp_error_set (err, DP_INVALID, "must be greater than 0");
    //  value in cents = DIGITS x 10^(exp10 + 2); its integer part has
    //  `whole` digits, and anything after them is a fraction to round.
    int64_t shift = d.exp10 + 2;
    int64_t whole = (int64_t) d.count + shift;
    if (whole > 19)
        return s_over_limit (max_cents, err);
    uint64_t value = 0;
    for (int64_t k = 0; k < whole; k++)
        value = value * 10 + (uint64_t) (k < (int64_t) d.count? s_digit (&d, (size_t) k): 0);
    int fraction = whole < (int64_t) d.count;       //  digits beyond are non-zero
    if (fraction && round == DP_MONEY_UP)
        value++;
    if (value > (uint64_t) max_cents)
        return s_over_limit (max_cents, err);
    *cents = (int64_t) value;
    return DP_OK;
}

//  wei = wei x 10 + digit over 32 big-endian bytes; -1 on overflow.
static int
s_u256_push (uint8_t wei [32], int digit)
{
    unsigned carry = (unsigned) digit;
    for (int i = 31; i >= 0; i--) {
        unsigned next = wei [i] * 10u + carry;
        wei [i] = (uint8_t) next;
        carry = next >> 8;
    }
    return carry? -1: 0;
}

dp_status
dp_money_wei_from_text (const char *text, size_t len, uint8_t wei [32], dp_error_t *err)
{
    s_decimal_t d;
    if (!text || s_decimal_parse (text, len, &d))
        return dp_error_set (err, DP_INVALID, "not a number");
    if (d.negative || d.count == 0)
        return dp_error_set (err, DP_INVALID, "must be greater than 0");
    int64_t shift = d.exp10 + 18;
    if (shift < 0)
        return dp_error_set (err, DP_INVALID, "more than 18 decimals (not a whole number of wei)");
    if ((int64_t) d.count + shift > 78)
        return dp_error_set (err, DP_INVALID, "exceeds 2^256 - 1 wei");
    uint8_t value [32] = { 0 };
    for (int64_t k = 0; k < (int64_t) d.count + shift; k++) {
        int digit = k < (int64_t) d.count? s_digit (&d, (size_t) k): 0;
        if (s_u256_push (value, digit))
            return dp_error_set (err, DP_INVALID, "exceeds 2^256 - 1 wei");
    }
    memcpy (wei, value, 32);
    return DP_OK;
}

char *
dp_money_cents_format (int64_t cents, char out [DP_MONEY_TEXT_MAX])
{
    uint64_t magnitude = cents < 0? (uint64_t) 0 - (uint64_t) cents: (uint64_t) cents;
    snprintf (out, DP_MONEY_TEXT_MAX, "%s%" PRIu64 ".%02u", cents < 0? "-": "",
              magnitude / 100, (unsigned) (magnitude % 100));
    return out;
}

char *
dp_money_wei_format (const uint8_t wei [32], char out [DP_MONEY_WEI_TEXT_MAX])
{
    uint8_t value [32];
    memcpy (value, wei, 32);
    char reversed [DP_MONEY_WEI_TEXT_MAX];
    size_t n = 0;
    int nonzero = 1;
    while (nonzero && n < sizeof reversed - 1) {
        //  Divide by 10 in place; the remainder is the next digit.
        unsigned remainder = 0;
        nonzero = 0;
        for (int i = 0; i < 32; i++) {
            unsigned current = remainder << 8 | value [i];
            value [i] = (uint8_t) (current / 10);
            remainder = current % 10;
            nonzero |= value [i];
        }
        reversed [n++] = (char) ('0' + remainder);
    }
    for (size_t i = 0; i < n; i++)
        out [i] = reversed [n - 1 - i];
    out [n] = '\0';
    return out;
}
