/*  dp_submit_quote.c — root and collateral selection around dp_quote_verify. */

#include "dp_submit_quote.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dp_hex.h"
#include "dp_quote_collateral.h"
#include "dp_quote_fetch.h"
#include "dp_quote_verify.h"
#include "dp_simroot.h"

//  Runs the verifier and writes the outcome into out.
static void
s_verify (const dp_quote_t *quote, dp_quote_collateral_t *collateral,
          const dp_quote_root_t *root, const char *root_name, int64_t now,
          const dp_quote_policy_t *policy, dp_submit_quote_check_t *out)
{
    dp_quote_report_t report;
    dp_error_t err;
    dp_status rc = dp_quote_verify (quote, collateral, root, now, policy, &report, &err);
    json_object_put (out->report);
    out->report = dp_quote_report_to_json (&report);
    snprintf (out->status, sizeof out->status, "%s", dp_quote_status_name (report.status));
    out->ok = rc == DP_OK && (report.status == DP_QUOTE_VERIFIED
                           || report.status == DP_QUOTE_SIMULATION_ONLY);
    if (rc != DP_OK)
        snprintf (out->detail, sizeof out->detail, "%s against %s: %s", out->status, root_name,
                  err.text);
    else
        snprintf (out->detail, sizeof out->detail, "%s: chain to %s, TCB %s", out->status,
                  root_name, dp_quote_tcb_status_name (report.tcb.status));
}

//  The simulation root's certificate and collateral.
static void
s_check_simulation (const dp_quote_t *quote, const dp_submit_quote_options_t *options,
                    int64_t now, dp_submit_quote_check_t *out)
{
    dp_error_t err;
    dp_simroot_t *simroot = dp_simroot_open (options->sim_root_dir, 0, &err);
    dp_quote_root_t *root = NULL;
    dp_quote_collateral_t *collateral = NULL;
    if (!simroot) {
        snprintf (out->detail, sizeof out->detail, "simulation root: %s", err.text);
        return;
    }
    const char *mine = dp_simroot_root_sha256_hex (simroot);
    size_t pem_len = strlen (dp_simroot_root_pem (simroot)), collateral_len = 0;
    const char *collateral_text = dp_simroot_collateral (simroot, &collateral_len);
    if (options->sim_root_hex && strcasecmp (options->sim_root_hex, mine) != 0)
        snprintf (out->detail, sizeof out->detail,
                  "the result was made under simulation root %.16s…, this one (%s) is %.16s…",
                  options->sim_root_hex, dp_simroot_dir (simroot), mine);
    else
    if (dp_quote_root_from_pem (dp_simroot_root_pem (simroot), pem_len, &root, &err) != DP_OK
    ||  dp_quote_collateral_from_json (collateral_text, collateral_len, &collateral, &err) != DP_OK)
        snprintf (out->detail, sizeof out->detail, "simulation root %s: %s",
                  dp_simroot_dir (simroot), err.text);
    else {
        char name [DP_SIMROOT_PATH_MAX + 64];
        snprintf (name, sizeof name, "the simulation root %.16s… (%s)", mine, dp_simroot_dir (simroot));
        s_verify (quote, collateral, root, name, now, options->policy, out);
    }
    dp_quote_collateral_destroy (&collateral);
    dp_quote_root_destroy (&root);
    dp_simroot_destroy (&simroot);
}

static dp_status
s_fetch (const dp_quote_t *quote, const dp_submit_quote_options_t *options,
         const dp_quote_root_t *root, int64_t now, dp_quote_collateral_t **collateral, dp_error_t *err)
{
    dp_quote_fetch_options_t fetch = {
        .base_url = options->pccs_url, .cache_dir = options->cache_dir, .now = now, .root = root,
    };
    return dp_quote_collateral_fetch (&fetch, quote, collateral, err);
}

//  Intel's root, or the one given; with the given collateral if any.
static void
s_check_given (const dp_quote_t *quote, const dp_submit_quote_options_t *options, int64_t now,
               dp_submit_quote_check_t *out)
{
    dp_error_t err;
    dp_quote_root_t *root = NULL;
    dp_quote_collateral_t *collateral = NULL;
    if (options->root_pem_path
    &&  dp_quote_root_load (options->root_pem_path, &root, &err) != DP_OK)
        snprintf (out->detail, sizeof out->detail, "--root: %s", err.text);
    else
    if (options->collateral_path
    &&  dp_quote_collateral_load_for (options->collateral_path, quote, &collateral, &err) != DP_OK)
        snprintf (out->detail, sizeof out->detail, "--collateral: %s", err.text);
    else
    if (!options->collateral_path && options->pccs_url
    &&  s_fetch (quote, options, root, now, &collateral, &err) != DP_OK)
        snprintf (out->detail, sizeof out->detail, "--pccs: %s", err.text);
    else {
        char name [4200];
        snprintf (name, sizeof name, "%s%s", root? options->root_pem_path: "Intel's root",
                  collateral? "": " (no collateral given)");
        s_verify (quote, collateral, root, name, now, options->policy, out);
    }
    dp_quote_collateral_destroy (&collateral);
    dp_quote_root_destroy (&root);
}

void
dp_submit_quote_check (const dp_quote_t *quote, const dp_submit_quote_options_t *options,
                       dp_submit_quote_check_t *out)
{
    memset (out, 0, sizeof *out);
    snprintf (out->status, sizeof out->status, "invalid_quote");
    int64_t now = options->now? options->now: (int64_t) time (NULL);
    int simulation = options->tee_mode && strcmp (options->tee_mode, "simulation") == 0;
    if (options->root_pem_path || (options->tee_mode && !simulation)) {
        s_check_given (quote, options, now, out);
        return;
    }
    if (simulation) {
        s_check_simulation (quote, options, now, out);
        return;
    }
    //  Unknown origin (a bare quote): Intel first, then the simulation root.
    s_check_given (quote, options, now, out);
    if (!out->ok && strcmp (out->status, "no_collateral") != 0) {
        dp_submit_quote_check_t sim;
        memset (&sim, 0, sizeof sim);
        s_check_simulation (quote, options, now, &sim);
        if (sim.ok) {
            json_object_put (out->report);
            *out = sim;
        }
        else
            json_object_put (sim.report);
    }
}

dp_status
dp_submit_quote_preflight (const char *root_pem_path, const char *collateral_path, dp_error_t *err)
{
    if (root_pem_path) {
        dp_quote_root_t *root = NULL;
        if (dp_quote_root_load (root_pem_path, &root, err) != DP_OK)
            return dp_error_prefix (err, "--root");
        dp_quote_root_destroy (&root);
    }
    struct stat st;
    if (!collateral_path)
        return DP_OK;
    if (stat (collateral_path, &st) != 0)
        return dp_error_set (err, DP_IO, "--collateral: %s: %s", collateral_path, strerror (errno));
    if (S_ISDIR (st.st_mode)) {
        DIR *dir = opendir (collateral_path);
        if (!dir)
            return dp_error_set (err, DP_IO, "--collateral: %s: %s", collateral_path, strerror (errno));
        closedir (dir);
        return DP_OK;
    }
    dp_quote_collateral_t *collateral = NULL;
    if (dp_quote_collateral_load (collateral_path, &collateral, err) != DP_OK)
        return dp_error_prefix (err, "--collateral");
    dp_quote_collateral_destroy (&collateral);
    return DP_OK;
}

dp_status
dp_submit_quote_policy_load (const char *path, int for_many, dp_quote_policy_doc_t **out,
                             dp_error_t *err)
{
    *out = NULL;
    if (dp_quote_policy_load (path, out, err) != DP_OK)
        return dp_error_prefix (err, "--policy");
    if (for_many && dp_quote_policy_get (*out)->report_data) {
        dp_quote_policy_destroy (out);
        return dp_error_set (err, DP_INVALID, "--policy: %s: report_data fits one quote, not every "
                             "result (each result's own binding is checked anyway)", path);
    }
    return DP_OK;
}

//  mkdir -p with 0700 for each folder made.
static int
s_make_dirs (char *path)
{
    for (char *slash = strchr (path + 1, '/'); ; slash = strchr (slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        int rc = mkdir (path, 0700);
        if (slash)
            *slash = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
        if (!slash)
            return 0;
    }
}

int
dp_submit_quote_cache_dir (char *out, size_t size)
{
    const char *xdg = getenv ("XDG_CACHE_HOME"), *home = getenv ("HOME");
    int n;
    if (xdg && xdg [0] == '/')
        n = snprintf (out, size, "%s/dealproof/collateral", xdg);
    else
    if (home && home [0] == '/')
        n = snprintf (out, size, "%s/.cache/dealproof/collateral", home);
    else
        return -1;
    if (n < 0 || (size_t) n >= size)
        return -1;
    return s_make_dirs (out);
}
