/*  bench_tee.c — what the TEE side of a deal costs in simulation.

        bench_tee [-n QUOTES] [-t THREADS] [-d SIM_ROOT_DIR]

    Prints, side by side in one run: creating a simulation root (first use
    on a host), opening an existing one (every worker start), building the
    quote simulator, quotes per second on 1 and on THREADS threads (each
    quote = one ECDSA P-256 signature over 632 bytes plus a 5 KB copy), the
    quote's size, and loading the stored worker key. Figures only: nothing
    here passes or fails on time. The sim root goes to a temporary folder
    unless -d is given. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_enclave_key.h"
#include "dp_simroot.h"
#include "dp_tee.h"
#include "dp_tee_sim.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct {
    dp_tee_t *tee;
    int count;
    int failures;
} s_job_t;

static void *
s_quote_loop (void *arg)
{
    s_job_t *job = arg;
    uint8_t report_data [64];
    for (int i = 0; i < job->count; i++) {
        memset (report_data, i & 0xff, sizeof report_data);
        uint8_t *quote = NULL;
        size_t len = 0;
        dp_error_t err;
        if (dp_tee_quote (job->tee, report_data, &quote, &len, &err) != DP_OK)
            job->failures++;
        free (quote);
    }
    return NULL;
}

//  Quotes per second with threads threads sharing one dp_tee_t.
static double
s_quotes_per_second (dp_tee_t *tee, int threads, int total, int *failures)
{
    pthread_t ids [64];
    s_job_t jobs [64];
    double start = s_now ();
    for (int i = 0; i < threads; i++) {
        jobs [i] = (s_job_t) { tee, total / threads, 0 };
        pthread_create (&ids [i], NULL, s_quote_loop, &jobs [i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join (ids [i], NULL);
        *failures += jobs [i].failures;
    }
    return (double) (total / threads * threads) / (s_now () - start);
}

int
main (int argc, char **argv)
{
    int total = 20000, threads = 2, opt;
    const char *dir_option = NULL;
    while ((opt = getopt (argc, argv, "n:t:d:")) != -1) {
        if (opt == 'n') total = atoi (optarg);
        else if (opt == 't') threads = atoi (optarg);
        else if (opt == 'd') dir_option = optarg;
        else {
            fprintf (stderr, "usage: bench_tee [-n QUOTES] [-t THREADS] [-d SIM_ROOT_DIR]\n");
            return 2;
        }
    }
    if (total < 1 || threads < 1 || threads > 64) {
        fprintf (stderr, "bench_tee: -n must be >= 1 and -t in 1..64\n");
        return 2;
    }
    char base [] = "/tmp/dp-bench-tee.XXXXXX", dir [300], key_file [300];
    if (!mkdtemp (base))
        return 1;
    snprintf (dir, sizeof dir, "%s/sim-root", dir_option ? dir_option : base);
    snprintf (key_file, sizeof key_file, "%s/worker-key", base);
    dp_error_t err;
    double t0 = s_now ();
    dp_simroot_t *root = dp_simroot_open (dir, 1, &err);
    double t_create = s_now () - t0;
    if (!root) {
        fprintf (stderr, "bench_tee: %s\n", err.text);
        return 1;
    }
    dp_simroot_destroy (&root);
    t0 = s_now ();
    root = dp_simroot_open (dir, 0, &err);
    double t_open = s_now () - t0;
    t0 = s_now ();
    dp_tee_sim_t *sim = dp_tee_sim_new (root, &err);
    double t_sim = s_now () - t0;
    uint8_t report_data [64] = { 0 }, *quote = NULL;
    size_t quote_len = 0;
    if (!sim || dp_tee_sim_quote (sim, report_data, &quote, &quote_len, &err) != DP_OK) {
        fprintf (stderr, "bench_tee: %s\n", err.text);
        return 1;
    }
    free (quote);
    dp_tee_sim_destroy (&sim);
    dp_tee_options_t options = { .mode = "simulation", .simroot = root };
    dp_tee_t *tee = dp_tee_new (&options, &err);
    int failures = 0;
    double one = s_quotes_per_second (tee, 1, total / 2, &failures);
    double many = s_quotes_per_second (tee, threads, total, &failures);
    dp_enclave_key_options_t key_options = { .key_file = key_file };
    dp_enclave_key_t *key = dp_enclave_key_new (tee, &key_options, &err);
    dp_enclave_key_destroy (&key);
    t0 = s_now ();
    key = dp_enclave_key_new (tee, &key_options, &err);
    double t_key = s_now () - t0;
    printf ("sim root create (first use)   %8.2f ms\n", t_create * 1e3);
    printf ("sim root open (worker start)  %8.2f ms\n", t_open * 1e3);
    printf ("quote simulator setup         %8.2f ms\n", t_sim * 1e3);
    printf ("quote size                    %8zu bytes\n", quote_len);
    printf ("quotes/s, 1 thread            %8.0f  (%.1f us each)\n", one, 1e6 / one);
    printf ("quotes/s, %d threads           %8.0f  (%.1f us each per thread)\n", threads, many,
            1e6 * threads / many);
    printf ("worker key load (stored)      %8.3f ms  signer=%s\n", t_key * 1e3,
            key ? dp_enclave_key_address_text (key) : "error");
    if (failures)
        printf ("failed quotes                 %8d\n", failures);
    dp_enclave_key_destroy (&key);
    dp_tee_destroy (&tee);
    dp_simroot_destroy (&root);
    char command [400];
    snprintf (command, sizeof command, "rm -rf '%s'", base);
    return system (command) == 0 && failures == 0 ? 0 : 1;
}
