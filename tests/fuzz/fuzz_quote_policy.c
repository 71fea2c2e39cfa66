/*  fuzz_quote_policy.c — the quote policy reader (`--policy FILE` of
    dp-submit and dp-relayer) never crashes and never half-succeeds: a
    refusal leaves no document and names a key; an accepted policy is
    applied to a parsed quote without crashing. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_quote.h"
#include "dp_quote_policy.h"
#include "dp_quote_verify.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    dp_quote_policy_doc_t *doc = NULL;
    dp_error_t err;
    if (dp_quote_policy_parse ((const char *) data, size, &doc, &err) != DP_OK) {
        if (doc || err.text [0] == '\0')
            abort ();
        return 0;
    }
    const dp_quote_policy_t *policy = dp_quote_policy_get (doc);
    if (!policy || (policy->measurement_count && !policy->measurements)
    ||  (policy->tcb_status_count && !policy->tcb_statuses))
        abort ();
    for (size_t i = 0; i < policy->measurement_count; i++)
        if (!policy->measurements [i].mrtd)
            abort ();
    dp_quote_policy_destroy (&doc);
    return 0;
}
