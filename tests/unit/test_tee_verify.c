/*  test_tee_verify.c — simulated quotes through the real DCAP verifier
    (common/dp_quote_verify): against the simulation root and its
    collateral they are `simulation_only` with TCB UpToDate; against
    Intel's root, with another sim root, or altered, they are refused. */

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_quote.h"
#include "dp_quote_verify.h"
#include "dp_simroot.h"
#include "dp_tee.h"
#include "dp_tee_sim.h"

static char s_base [256];
static dp_simroot_t *s_root;

static void
s_setup (void)
{
    snprintf (s_base, sizeof s_base, "/tmp/dp-test-teeverify.XXXXXX");
    cr_assert_not_null (mkdtemp (s_base));
    char dir [300];
    snprintf (dir, sizeof dir, "%s/sim-root", s_base);
    dp_error_t err;
    s_root = dp_simroot_open (dir, 1, &err);
    cr_assert_not_null (s_root, "%s", err.text);
}

static void
s_teardown (void)
{
    dp_simroot_destroy (&s_root);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_base);
    cr_assert_eq (system (command), 0);
}

TestSuite (tee_verify, .init = s_setup, .fini = s_teardown);

//  Verifies a fresh simulated quote carrying report_data (altered at
//  flip_at unless negative) against root_of's root and collateral.
static dp_status
s_verify (dp_simroot_t *quote_root, dp_simroot_t *root_of, int intel, int flip_at,
          dp_quote_report_t *report)
{
    dp_error_t err;
    dp_tee_sim_t *sim = dp_tee_sim_new (quote_root, &err);
    cr_assert_not_null (sim, "%s", err.text);
    uint8_t report_data [64], *bytes = NULL;
    size_t len = 0;
    for (int i = 0; i < 64; i++)
        report_data [i] = (uint8_t) (200 - i);
    cr_assert_eq (dp_tee_sim_quote (sim, report_data, &bytes, &len, &err), DP_OK);
    if (flip_at >= 0)
        bytes [flip_at] ^= 0x01;
    dp_quote_t *quote = NULL;
    cr_assert_eq (dp_quote_parse (bytes, len, &quote, &err), DP_OK, "%s", err.text);
    size_t collateral_len = 0;
    const char *text = dp_simroot_collateral (root_of, &collateral_len);
    dp_quote_collateral_t *collateral = NULL;
    cr_assert_eq (dp_quote_collateral_from_json (text, collateral_len, &collateral, &err), DP_OK,
                  "%s", err.text);
    dp_quote_root_t *root = NULL;
    const char *pem = dp_simroot_root_pem (root_of);
    cr_assert_eq (dp_quote_root_from_pem (pem, strlen (pem), &root, &err), DP_OK, "%s", err.text);
    dp_quote_policy_t policy = { .report_data = flip_at < 0 ? report_data : NULL };
    dp_status rc = dp_quote_verify (quote, collateral, intel ? NULL : root, time (NULL), &policy,
                                    report, &err);
    dp_quote_root_destroy (&root);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
    free (bytes);
    dp_tee_sim_destroy (&sim);
    return rc;
}

Test (tee_verify, simulation_only_and_up_to_date)
{
    dp_quote_report_t report;
    dp_status rc = s_verify (s_root, s_root, 0, -1, &report);
    cr_assert_eq (rc, DP_OK, "%s: %s", report.step, report.error);
    cr_assert_str_eq (dp_quote_status_name (report.status), "simulation_only");
    cr_assert_str_eq (dp_quote_tcb_status_name (report.tcb.status), "UpToDate");
    cr_assert_arr_eq (report.root_sha256, dp_simroot_root_sha256 (s_root), 32);
    uint8_t mrtd [48];
    dp_tee_sim_measurement ("mrtd", mrtd);
    cr_assert_arr_eq (report.mrtd, mrtd, 48);
}

Test (tee_verify, refused_against_intel)
{
    dp_quote_report_t report;
    cr_assert_eq (s_verify (s_root, s_root, 1, -1, &report), DP_CRYPTO);
    cr_assert_str_eq (dp_quote_status_name (report.status), "invalid_quote");
}

Test (tee_verify, refused_against_another_sim_root)
{
    char dir [300];
    snprintf (dir, sizeof dir, "%s/other", s_base);
    dp_error_t err;
    dp_simroot_t *other = dp_simroot_open (dir, 1, &err);
    cr_assert_not_null (other);
    dp_quote_report_t report;
    cr_assert_eq (s_verify (s_root, other, 0, -1, &report), DP_CRYPTO);
    cr_assert_str_eq (dp_quote_status_name (report.status), "invalid_quote");
    dp_simroot_destroy (&other);
}

Test (tee_verify, altered_report_data_is_refused)
{
    dp_quote_report_t report;
    cr_assert_eq (s_verify (s_root, s_root, 0, DP_TEE_SIM_REPORT_DATA_AT + 5, &report), DP_CRYPTO);
    cr_assert_str_eq (report.step, "quote_signature");
}
