/*  dp_submit_quote.h — verifying a quote the way `verify` and `inspect`
    need it: choosing the root of trust and the collateral.

    Root: `--root PEM` when given; else the simulation root (SPEC §8) for
    results made in simulation (tee_mode "simulation"), checked to be the
    root the result names (`sim_root`); else Intel's pinned root, with
    `--collateral FILE` when given (without collateral a real quote can at
    best be `no_collateral`, which SPEC §10 counts as negative).

    Threading: reentrant. */

#ifndef DP_SUBMIT_QUOTE_H_INCLUDED
#define DP_SUBMIT_QUOTE_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_quote.h"
#include "dp_status.h"

typedef struct {
    const char *tee_mode;           //  the result's tee_mode, or NULL (unknown: try Intel, then simulation)
    const char *sim_root_hex;       //  the result's sim_root, or NULL
    const char *sim_root_dir;       //  NULL = SPEC §8's default
    const char *root_pem_path;      //  --root, or NULL
    const char *collateral_path;    //  --collateral, or NULL
    int64_t now;                    //  0 = now
} dp_submit_quote_options_t;

typedef struct {
    int ok;                         //  verified or simulation_only
    char status [24];               //  verification_status
    char detail [640];              //  one line for people
    json_object *report;            //  dp_quote_report_to_json, caller puts (may be NULL)
} dp_submit_quote_check_t;

//  Verifies quote as described above; always fills *out (free out->report
//  with json_object_put).
void dp_submit_quote_check (const dp_quote_t *quote, const dp_submit_quote_options_t *options,
                            dp_submit_quote_check_t *out);

#endif
