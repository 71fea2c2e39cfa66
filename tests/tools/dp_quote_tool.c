/*  dp_quote_tool.c — verifies one quote and prints the report as JSON.

    Usage: dp_quote_tool QUOTE [COLLATERAL|URL|-] [NOW] [ROOT_PEM]
    COLLATERAL is a file or a folder (picked by FMSPC); an http(s) URL
    fetches from that PCCS-style service, cached in $DP_QUOTE_CACHE if set.
    A test and debugging helper (dp-submit inspect is the user's command).
    Exit 0 verified / simulation_only, 1 no_collateral or invalid, 2 bad input. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_quote.h"
#include "dp_quote_fetch.h"
#include "dp_quote_verify.h"

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: dp_quote_tool QUOTE [COLLATERAL|-] [NOW] [ROOT_PEM]\n");
        return 2;
    }
    dp_error_t err;
    dp_quote_t *quote = NULL;
    dp_quote_collateral_t *collateral = NULL;
    dp_quote_root_t *root = NULL;
    int64_t now = argc > 3? strtoll (argv [3], NULL, 10): (int64_t) time (NULL);
    const char *source = argc > 2? argv [2]: "-";
    dp_quote_fetch_options_t fetch = { .base_url = source, .cache_dir = getenv ("DP_QUOTE_CACHE"),
                                       .timeout_ms = 5000, .now = now };
    int remote = strncmp (source, "http://", 7) == 0 || strncmp (source, "https://", 8) == 0;
    if (dp_quote_load (argv [1], &quote, &err)
    ||  (remote && dp_quote_collateral_fetch (&fetch, quote, &collateral, &err))
    ||  (!remote && strcmp (source, "-") != 0 && dp_quote_collateral_load_for (source, quote, &collateral, &err))
    ||  (argc > 4 && dp_quote_root_load (argv [4], &root, &err))) {
        fprintf (stderr, "dp_quote_tool: %s\n", err.text);
        dp_quote_destroy (&quote);
        dp_quote_collateral_destroy (&collateral);
        return 2;
    }
    dp_quote_report_t report;
    dp_status rc = dp_quote_verify (quote, collateral, root, now, NULL, &report, &err);
    json_object *json = dp_quote_report_to_json (&report);
    printf ("%s\n", json_object_to_json_string_ext (json, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put (json);
    dp_quote_destroy (&quote);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_root_destroy (&root);
    return rc == DP_OK && report.status != DP_QUOTE_NO_COLLATERAL? 0: 1;
}
