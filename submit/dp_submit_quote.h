/*  dp_submit_quote.h — verifying a quote the way `verify` and `inspect`
    need it: choosing the root of trust and the collateral.

    Root: `--root PEM` when given; else the simulation root (SPEC §8) for
    results made in simulation (tee_mode "simulation"), checked to be the
    root the result names (`sim_root`); else Intel's pinned root, with
    `--collateral FILE|DIR` when given (a folder: the first collateral
    whose TCB info has the quote's FMSPC; without collateral a real quote
    can at best be `no_collateral`, which SPEC §10 counts as negative).
    `--policy FILE` (dp_quote_policy.h) applies to every quote checked.
    `--pccs URL` fetches the collateral of each real quote from a PCS or
    PCCS (dp_quote_fetch.h) when no --collateral is given; what it sends is
    verified before it is used or cached.

    Threading: reentrant. */

#ifndef DP_SUBMIT_QUOTE_H_INCLUDED
#define DP_SUBMIT_QUOTE_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_quote.h"
#include "dp_quote_policy.h"
#include "dp_quote_verify.h"
#include "dp_status.h"

typedef struct {
    const char *tee_mode;           //  the result's tee_mode, or NULL (unknown: try Intel, then simulation)
    const char *sim_root_hex;       //  the result's sim_root, or NULL
    const char *sim_root_dir;       //  NULL = SPEC §8's default
    const char *root_pem_path;      //  --root, or NULL
    const char *collateral_path;    //  --collateral (a file or a folder), or NULL
    const dp_quote_policy_t *policy;//  --policy, or NULL (dcap-qvl's defaults)
    const char *pccs_url;           //  --pccs: fetch collateral when no --collateral, or NULL
    const char *cache_dir;          //  where fetched collateral is cached, or NULL (none)
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

//  Checks once, before any quote, that --root and --collateral can be
//  used (NULL: not given): a file that cannot be read or parsed is bad
//  input (SPEC §10: exit 2), not a negative answer for each quote. A
//  --collateral folder must be readable. DP_INVALID / DP_IO, err names
//  the flag ("--collateral: /x.json: collateral: not JSON ...").
dp_status dp_submit_quote_preflight (const char *root_pem_path, const char *collateral_path,
                                     dp_error_t *err) DP_MUST_CHECK;

//  The collateral cache of --pccs: $XDG_CACHE_HOME/dealproof/collateral,
//  else ~/.cache/dealproof/collateral, its parents created (0700). 0 and
//  the path in out; -1 when neither variable is set or it cannot be made
//  (then nothing is cached).
int dp_submit_quote_cache_dir (char *out, size_t size);

//  Loads --policy (dp_quote_policy.h). for_many: the policy is applied to
//  many results (verify), where a fixed report_data cannot hold (each
//  result binds its own, which verify checks anyway): refused as bad input.
//  DP_INVALID / DP_IO / DP_LIMIT with err naming --policy.
dp_status dp_submit_quote_policy_load (const char *path, int for_many, dp_quote_policy_doc_t **out,
                                       dp_error_t *err) DP_MUST_CHECK;

#endif
