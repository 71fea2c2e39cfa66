/*  fuzz_claude_response.c — the Messages API response parser and the move
    extractor (tool_use input, or JSON found in prose) never crash, never
    read out of bounds, and only ever report a usable move with a known
    action and a package index inside the allowed list (or -1). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_claude.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    static const dp_nego_terms_t terms [3] = { { "full", 365 }, { "row_level", 90 }, { "aggregate", 30 } };
    dp_nego_move_t hist [1] = { { 1, DP_ROLE_SELLER, DP_ACT_OFFER, 84000, 0 } };
    dp_nego_public_t pub = { terms, 3, 10, hist, (size % 2), NULL, NULL, NULL };
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';
    dp_nego_proposal_t out;
    dp_claude_usage_t usage = { 0 };
    dp_claude_parse_response (text, size, &pub, &out, &usage);
    if (out.usable) {
        if (out.action < DP_ACT_OFFER || out.action > DP_ACT_REJECT)
            abort ();
        if (out.package < -1 || out.package >= 3)
            abort ();
        if (strlen (out.reasoning) > DP_NEGO_REASONING_MAX)
            abort ();
    }
    else if (!out.problem [0])
        abort ();       //  every unusable answer says why
    free (text);
    return 0;
}
