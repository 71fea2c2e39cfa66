/*  fuzz_deal.c — a deal from arbitrary bytes: parse and validate never
    crash, and every deal accepted keeps the model's invariants: its body
    reads back as the same deal with the same body (what the worker does),
    its envelope checks out, and its packages respect budget >= floor. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_deal.h"
#include "dp_json.h"

static void
s_check_deal (dp_deal_t *deal)
{
    dp_deal_t *again = NULL;
    if (dp_deal_from_json (deal->body, deal->body_len, NULL, &again, NULL) != DP_OK)
        abort ();
    if (again->body_len != deal->body_len || memcmp (again->body, deal->body, deal->body_len) != 0)
        abort ();
    dp_envelope_t envelope;
    dp_deal_envelope (deal, &envelope);
    if (dp_deal_check_envelope (again, &envelope, NULL) != DP_OK)
        abort ();
    if (deal->budget_cents < deal->floor_cents || deal->floor_cents < 1)
        abort ();
    for (size_t i = 0; i < deal->package_count; i++)
        if (deal->packages [i].budget_cents < deal->packages [i].floor_cents)
            abort ();
    dp_deal_destroy (&again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    dp_deal_defaults_t defaults = { NULL, size % 2, "fuzz", size % 3? NULL: "claude", NULL, size % 5 == 0 };
    dp_deal_t *deal = NULL;
    dp_error_t err;
    if (dp_deal_from_json ((const char *) data, size, &defaults, &deal, &err) == DP_OK) {
        s_check_deal (deal);
        dp_deal_destroy (&deal);
    }
    else
    if (deal || err.text [0] == '\0')
        abort ();       //  a failure always explains itself and returns nothing
    return 0;
}
