/*  cmd_inspect.c — `dp-submit inspect QUOTE|ID`: parse and verify a TDX or
    SGX quote and print the seed's DCAP fields (mode, version, tee_type,
    qe_vendor_id, report_data_hex, deal_terms_hash, verification_status,
    error) with the measurements and the TCB outcome.

    QUOTE is a file (binary or hex) or hex text; anything else is a deal
    id whose attestation is fetched from the broker. Exit 0 when the quote
    verified (or simulation_only against the simulation root), 1 when it
    parsed but did not verify, 2 when it cannot be read or parsed. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dp_quote.h"
#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"
#include "dp_submit_quote.h"

#define S_COMMAND "inspect"

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_SIM_ROOT,
    { "root", NULL, NULL, "verify against this root certificate (PEM) instead", 0, 0 },
    { "collateral", NULL, NULL, "collateral JSON (QuoteCollateralV3 shape) for real quotes", 0, 0 },
    { "now", NULL, NULL, "Unix time for certificate and collateral checks (default: now)", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

//  Hex text given on the command line: only hex digits after an optional
//  0x, and long enough to be a quote rather than a deal id.
static int
s_is_hex_text (const char *arg)
{
    if (arg [0] == '0' && (arg [1] == 'x' || arg [1] == 'X'))
        arg += 2;
    size_t len = strlen (arg);
    if (len < 256)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit ((unsigned char) arg [i]))
            return 0;
    return 1;
}

static dp_status
s_load (dp_config_t *config, const char *arg, dp_quote_t **quote, char **deal_id,
        dp_error_t *err)
{
    struct stat st;
    *deal_id = NULL;
    if (stat (arg, &st) == 0)
        return dp_quote_load (arg, quote, err);
    if (s_is_hex_text (arg))
        return dp_quote_parse ((const uint8_t *) arg, strlen (arg), quote, err);
    char *hex = NULL;
    dp_status rc = dp_submit_fetch_attestation (config, arg, &hex, err);
    if (rc != DP_OK)
        return rc;
    rc = dp_quote_parse ((const uint8_t *) hex, strlen (hex), quote, err);
    free (hex);
    if (rc == DP_OK)
        *deal_id = strdup (arg);
    return rc;
}

static void
s_print_human (json_object *report)
{
    json_object_object_foreach (report, key, value) {
        if (json_object_is_type (value, json_type_object) || json_object_is_type (value, json_type_array))
            printf ("%-22s %s\n", key, json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN));
        else
            printf ("%-22s %s\n", key, value? json_object_get_string (value): "null");
    }
}

int
dp_submit_cmd_inspect (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit inspect QUOTE|ID [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, 1, &code);
    if (!config)
        return code;
    long long now = 0;
    if (!dp_submit_cli_int (config, S_COMMAND, "now", 0, 32503680000LL, &now, &code)) {
        dp_config_destroy (&config);
        return code;
    }
    dp_quote_t *quote = NULL;
    char *deal_id = NULL;
    dp_error_t err;
    dp_status rc = s_load (config, dp_config_positional (config, 0), &quote, &deal_id, &err);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        dp_config_destroy (&config);
        return dp_submit_exit_for (rc == DP_CRYPTO? DP_INVALID: rc);
    }
    dp_submit_quote_options_t options = {
        .sim_root_dir = dp_config_get (config, "sim-root"),
        .root_pem_path = dp_config_get (config, "root"),
        .collateral_path = dp_config_get (config, "collateral"),
        .now = now,
    };
    dp_submit_quote_check_t check;
    dp_submit_quote_check (quote, &options, &check);
    json_object *report = check.report? check.report: json_object_new_object ();
    if (deal_id)
        json_object_object_add (report, "deal_id", json_object_new_string (deal_id));
    if (dp_config_get_switch (config, "json"))
        puts (json_object_to_json_string_ext (report, JSON_C_TO_STRING_PLAIN));
    else {
        s_print_human (report);
        printf ("%s %s\n", check.ok? "✓": "✗", check.detail);
    }
    json_object_put (report);
    free (deal_id);
    dp_quote_destroy (&quote);
    dp_config_destroy (&config);
    return check.ok? DP_SUBMIT_EXIT_OK: DP_SUBMIT_EXIT_NEGATIVE;
}
