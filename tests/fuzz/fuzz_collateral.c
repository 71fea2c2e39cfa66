/*  fuzz_collateral.c — the QuoteCollateralV3 reader (JSON, PEM chains,
    hex CRLs, the signed TCB info and QE identity JSON) never crashes; what
    it accepts is then used to verify a real quote, which must not crash
    either. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_verify.h"

static dp_quote_t *s_quote;

//  The fuzz build gets no DP_SHARED_DIR; the vectors sit at ../shared
//  beside the checkout, which __FILE__ (an absolute path) locates.
static void
s_load_quote (void)
{
    char path [4096];
#ifdef DP_SHARED_DIR
    snprintf (path, sizeof path, "%s/vectors/tdx/dcap-qvl/tdx_quote_v4.bin", DP_SHARED_DIR);
#else
    snprintf (path, sizeof path, "%s/../../../shared/vectors/tdx/dcap-qvl/tdx_quote_v4.bin", __FILE__);
    char *slash = strstr (path, "/fuzz_collateral.c");
    if (slash)
        memmove (slash, slash + strlen ("/fuzz_collateral.c"), strlen (slash + strlen ("/fuzz_collateral.c")) + 1);
#endif
    if (dp_quote_load (path, &s_quote, NULL) != DP_OK)
        s_quote = NULL;     //  without the vector only the reader is fuzzed
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static int loaded;
    if (!loaded++)
        s_load_quote ();
    dp_quote_collateral_t *collateral = NULL;
    if (dp_quote_collateral_from_json ((const char *) data, size, &collateral, NULL) != DP_OK) {
        if (collateral)
            abort ();
        return 0;
    }
    if (s_quote) {
        dp_quote_report_t report;
        dp_status rc = dp_quote_verify (s_quote, collateral, NULL, 1752919234, NULL, &report, NULL);
        if (rc != DP_OK && report.status != DP_QUOTE_INVALID)
            abort ();
    }
    dp_quote_collateral_destroy (&collateral);
    return 0;
}
