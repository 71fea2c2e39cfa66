/*  test_tee_sim.c — simulated TDX v4 quotes: structure, every signature
    and hash, the chain to the sim root, and dp_tee in simulation mode. */

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_simroot.h"
#include "dp_tee.h"
#include "dp_tee_sim.h"
#include "tee_check.h"

static char s_base [256];
static dp_simroot_t *s_root;

static void
s_setup (void)
{
    snprintf (s_base, sizeof s_base, "/tmp/dp-test-teesim.XXXXXX");
    cr_assert_not_null (mkdtemp (s_base));
    char dir [300];
    snprintf (dir, sizeof dir, "%s/sim-root", s_base);
    dp_error_t err;
    s_root = dp_simroot_open (dir, 1, &err);
    cr_assert_not_null (s_root, "%s", err.text);
    unsetenv ("TEE_MODE");
    unsetenv ("DSTACK_SIMULATOR_ENDPOINT");
    unsetenv ("TAPPD_SIMULATOR_ENDPOINT");
}

static void
s_teardown (void)
{
    dp_simroot_destroy (&s_root);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_base);
    cr_assert_eq (system (command), 0);
}

static void
s_pattern (uint8_t report_data [64], int seed)
{
    for (int i = 0; i < 64; i++)
        report_data [i] = (uint8_t) (seed * 31 + i * 7);
}

TestSuite (tee_sim, .init = s_setup, .fini = s_teardown);

Test (tee_sim, quote_structure_and_signatures)
{
    dp_error_t err;
    dp_tee_sim_t *sim = dp_tee_sim_new (s_root, &err);
    cr_assert_not_null (sim, "%s", err.text);
    uint8_t report_data [64], *quote = NULL;
    size_t len = 0;
    s_pattern (report_data, 1);
    cr_assert_eq (dp_tee_sim_quote (sim, report_data, &quote, &len, &err), DP_OK, "%s", err.text);
    tc_quote_t check;
    cr_assert (tc_check_quote (quote, len, dp_simroot_root_cert (s_root), &check), "%s", check.why);
    cr_assert_arr_eq (check.report_data, report_data, 64);
    cr_assert_eq (len, 636 + (size_t) tc_u32 (quote + 632), "no trailing bytes");
    //  The TD report: TEE_TCB_SVN, SEPT_VE_DISABLE only, MRTD as documented.
    cr_assert_arr_eq (quote + 48, dp_simroot_tee_tcb_svn, 16);
    static const uint8_t attributes [8] = { 0, 0, 0, 0x10, 0, 0, 0, 0 };
    cr_assert_arr_eq (quote + 168, attributes, 8);
    uint8_t mrtd [48];
    cr_assert_eq (dp_tee_sim_measurement ("mrtd", mrtd), 0);
    cr_assert_arr_eq (quote + 184, mrtd, 48);
    cr_assert_eq (dp_tee_sim_measurement ("nope", mrtd), -1);
    //  The values docs/attestation.md lists.
    char hex [97];
    for (int i = 0; i < 48; i++)
        sprintf (hex + 2 * i, "%02x", mrtd [i]);
    cr_assert_str_eq (hex, "3a5adcaa0bd46cf50f44464e028b211ef922d53c170024905c8879f685e3bb42"
                           "8908e443d37ae669356bbfa30bb16d94");
    uint8_t rtmr [48];
    cr_assert_eq (dp_tee_sim_measurement ("rtmr2", rtmr), 0);
    cr_assert_arr_eq (quote + 376 + 96, rtmr, 48);
    for (int i = 0; i < 48; i++)
        sprintf (hex + 2 * i, "%02x", rtmr [i]);
    cr_assert_str_eq (hex, "e60e996924badd745a7567ed88dd6ace4a722622ab53e81501bf66ed52012e40"
                           "90a23a4c849f116f796a931a7469f8bc");
    //  The QE report: the identity the collateral describes.
    const uint8_t *qe = quote + 636 + 134;
    cr_assert_arr_eq (qe + 128, dp_simroot_qe_mrsigner, 32);
    cr_assert_eq (tc_u16 (qe + 256), DP_SIMROOT_QE_ISVPRODID);
    cr_assert_eq (tc_u16 (qe + 258), DP_SIMROOT_QE_ISVSVN);
    cr_assert_eq (qe [48] & 0x02, 0, "QE not in debug mode");
    //  A flipped REPORTDATA bit breaks the quote signature.
    X509_free (check.pck);
    check.pck = NULL;
    quote [600] ^= 1;
    cr_assert_not (tc_check_quote (quote, len, dp_simroot_root_cert (s_root), &check));
    cr_assert_str_eq (check.why, "quote signature");
    X509_free (check.pck);
    free (quote);
    dp_tee_sim_destroy (&sim);
    cr_assert_null (sim);
}

Test (tee_sim, refused_by_another_root)
{
    char dir [300];
    snprintf (dir, sizeof dir, "%s/other-root", s_base);
    dp_error_t err;
    dp_simroot_t *other = dp_simroot_open (dir, 1, &err);
    cr_assert_not_null (other);
    dp_tee_sim_t *sim = dp_tee_sim_new (s_root, &err);
    uint8_t report_data [64] = { 0 }, *quote = NULL;
    size_t len = 0;
    cr_assert_eq (dp_tee_sim_quote (sim, report_data, &quote, &len, &err), DP_OK);
    tc_quote_t check;
    cr_assert_not (tc_check_quote (quote, len, dp_simroot_root_cert (other), &check));
    cr_assert_str_eq (check.why, "PCK chain");
    //  Nor against Intel's root.
    FILE *file = fopen (DP_SHARED_DIR "/vectors/tdx/intel-root/Intel_SGX_Root_CA.pem", "r");
    cr_assert_not_null (file);
    X509 *intel = PEM_read_X509 (file, NULL, NULL, NULL);
    fclose (file);
    X509_free (check.pck);
    cr_assert_not (tc_check_quote (quote, len, intel, &check));
    X509_free (check.pck);
    X509_free (intel);
    free (quote);
    dp_tee_sim_destroy (&sim);
    dp_simroot_destroy (&other);
}

Test (tee_sim, root_without_private_cannot_sign)
{
    char command [2048];
    snprintf (command, sizeof command, "mkdir '%s/copy' && cp '%s/sim-root/root.pem' "
              "'%s/sim-root/collateral.json' '%s/copy/'", s_base, s_base, s_base, s_base);
    cr_assert_eq (system (command), 0);
    snprintf (command, sizeof command, "%s/copy", s_base);
    dp_error_t err;
    dp_simroot_t *copy = dp_simroot_open (command, 0, &err);
    cr_assert_not_null (copy);
    cr_assert_null (dp_tee_sim_new (copy, &err));
    cr_assert_eq (err.code, DP_INVALID);
    cr_assert (strstr (err.text, "private"), "%s", err.text);
    dp_simroot_destroy (&copy);
}

Test (tee_sim, tee_in_simulation_mode)
{
    char dir [300];
    snprintf (dir, sizeof dir, "%s/sim-root", s_base);
    dp_tee_options_t options = { .mode = "simulation", .sim_root = dir };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "simulation");
    cr_assert_str_eq (dp_tee_sim_root_hex (tee), dp_simroot_root_sha256_hex (s_root));
    cr_assert_str_eq (dp_tee_endpoint (tee), dir);
    cr_assert_not_null (dp_tee_simroot (tee));
    uint8_t report_data [64], *quote = NULL, key [32];
    size_t len = 0;
    char *log = NULL;
    s_pattern (report_data, 2);
    cr_assert_eq (dp_tee_quote_ex (tee, report_data, &quote, &len, &log, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (log, "[]");
    tc_quote_t check;
    cr_assert (tc_check_quote (quote, len, dp_simroot_root_cert (s_root), &check), "%s", check.why);
    cr_assert_arr_eq (check.report_data, report_data, 64);
    X509_free (check.pck);
    free (quote);
    free (log);
    cr_assert_eq (dp_tee_derive_key (tee, "dealproof/enclave-key/v1", key, &err), DP_UNSUPPORTED);
    json_object *info = NULL;
    cr_assert_eq (dp_tee_info (tee, &info, &err), DP_OK);
    json_object *mode = NULL;
    cr_assert (json_object_object_get_ex (info, "tee_mode", &mode));
    cr_assert_str_eq (json_object_get_string (mode), "simulation");
    json_object_put (info);
    dp_tee_destroy (&tee);
    cr_assert_null (tee);
}

Test (tee_sim, auto_without_tee_falls_back_to_simulation)
{
    char dir [300], sockets [300];
    snprintf (dir, sizeof dir, "%s/sim-root", s_base);
    snprintf (sockets, sizeof sockets, "%s/no-sockets", s_base);
    dp_tee_options_t options = { .sim_root = dir, .socket_dir = sockets };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "simulation");
    dp_tee_destroy (&tee);
    //  production = auto without the simulation fallback.
    setenv ("TEE_MODE", "production", 1);
    cr_assert_null (dp_tee_new (&options, &err));
    cr_assert_eq (err.code, DP_UNREACHABLE);
    cr_assert (strstr (err.text, "production"), "%s", err.text);
    setenv ("TEE_MODE", "sgx", 1);
    cr_assert_null (dp_tee_new (&options, &err));
    cr_assert_eq (err.code, DP_INVALID);
    cr_assert (strstr (err.text, "TEE_MODE"), "%s", err.text);
    //  The option beats the environment.
    options.mode = "simulation";
    tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    dp_tee_destroy (&tee);
}

Test (tee_sim, shared_root_object)
{
    dp_tee_options_t options = { .mode = "simulation", .simroot = s_root };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_eq (dp_tee_simroot (tee), s_root);
    dp_tee_destroy (&tee);
    //  The borrowed root is still usable.
    cr_assert_not_null (dp_simroot_pck_key (s_root));
}

typedef struct {
    dp_tee_t *tee;
    int seed;
    int failures;
} s_worker_t;

static void *
s_quoter (void *arg)
{
    s_worker_t *worker = arg;
    for (int i = 0; i < 50; i++) {
        uint8_t report_data [64], *quote = NULL;
        size_t len = 0;
        dp_error_t err;
        s_pattern (report_data, worker->seed * 100 + i);
        tc_quote_t check;
        if (dp_tee_quote (worker->tee, report_data, &quote, &len, &err) != DP_OK
            || !tc_check_quote (quote, len, dp_simroot_root_cert (s_root), &check)
            || memcmp (check.report_data, report_data, 64) != 0)
            worker->failures++;
        X509_free (check.pck);
        free (quote);
    }
    return NULL;
}

Test (tee_sim, concurrent_quotes)
{
    dp_tee_options_t options = { .mode = "simulation", .simroot = s_root };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&options, &err);
    cr_assert_not_null (tee);
    pthread_t threads [4];
    s_worker_t workers [4];
    for (int i = 0; i < 4; i++) {
        workers [i] = (s_worker_t) { tee, i, 0 };
        pthread_create (&threads [i], NULL, s_quoter, &workers [i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join (threads [i], NULL);
        cr_assert_eq (workers [i].failures, 0, "thread %d", i);
    }
    dp_tee_destroy (&tee);
}
