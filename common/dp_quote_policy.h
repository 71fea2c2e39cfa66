/*  dp_quote_policy.h — a quote acceptance policy read from JSON, for
    `dp-submit verify` and the relayer (see dp_quote_verify.h for what a
    dp_quote_policy_t means):

    {
      "tcb_statuses": ["UpToDate", "SWHardeningNeeded"],
      "measurements": [ { "mrtd": "<96 hex>", "rtmr0": "<96 hex>", ... } ],
      "report_data": "<128 hex>",
      "allow_debug": false,
      "allow_service_td": false
    }

    Every key is optional; unknown keys are refused (a typo must not widen
    the policy). In a measurement, "mrtd" is required and each "rtmrN" is
    optional (absent = any value). The document owns all storage the
    returned policy points to; it is immutable and may be shared. */

#ifndef DP_QUOTE_POLICY_H_INCLUDED
#define DP_QUOTE_POLICY_H_INCLUDED

#include <stddef.h>

#include "dp_quote_verify.h"
#include "dp_status.h"

#define DP_QUOTE_POLICY_MAX_MEASUREMENTS 64

typedef struct dp_quote_policy_doc_t dp_quote_policy_doc_t;

//  Parses a policy document. DP_INVALID names the key and reason
//  ("policy.measurements[1].rtmr2: expected 96 hex digits, got 94");
//  DP_LIMIT past DP_QUOTE_POLICY_MAX_MEASUREMENTS; DP_NOMEM.
dp_status dp_quote_policy_parse (const char *text, size_t len, dp_quote_policy_doc_t **out,
                                 dp_error_t *err) DP_MUST_CHECK;

//  Reads and parses a policy file (at most 1 MiB); DP_IO if unreadable.
dp_status dp_quote_policy_load (const char *path, dp_quote_policy_doc_t **out,
                                dp_error_t *err) DP_MUST_CHECK;

//  The policy to pass to dp_quote_verify (borrowed from the document).
const dp_quote_policy_t *dp_quote_policy_get (const dp_quote_policy_doc_t *self);

void dp_quote_policy_destroy (dp_quote_policy_doc_t **self_p);

#endif
