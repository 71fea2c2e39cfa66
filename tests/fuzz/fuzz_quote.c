/*  fuzz_quote.c — the DCAP quote parser never reads out of bounds, and
    every quote it accepts has consistent offsets; accepted quotes also go
    through the verifier (no collateral), which must refuse or accept
    without crashing. */

#include <stdint.h>
#include <stdlib.h>

#include "dp_quote.h"
#include "dp_quote_verify.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    dp_quote_t *quote = NULL;
    if (dp_quote_parse (data, size, &quote, NULL) != DP_OK) {
        if (quote)
            abort ();
        return 0;
    }
    //  Every pointer the parser hands out lies inside its copy.
    const uint8_t *end = quote->data + quote->size;
    if (quote->signed_size > quote->size || quote->report_data + 64 > end
    ||  quote->cert_data + quote->cert_size > end || quote->qe_auth_data + quote->qe_auth_size > end
    ||  quote->qe_report.raw + 384 > end || quote->signature + 64 > end)
        abort ();
    dp_quote_report_t report;
    dp_status rc = dp_quote_verify (quote, NULL, NULL, 1780000000, NULL, &report, NULL);
    if (rc != DP_OK && report.status != DP_QUOTE_INVALID)
        abort ();
    dp_quote_destroy (&quote);
    return 0;
}
