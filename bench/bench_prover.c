/*  bench_prover.c — Props prover throughput on one file.

    Usage: bench_prover FILE [THREADS [REPS [CHUNK_SIZE]]]
      THREADS     0 = one per online CPU (default 1)
      REPS        repetitions (default 3)
      CHUNK_SIZE  bytes (default 1 MiB)

    Prints one line per repetition and a summary line
      prover threads=T reps=R bytes=N best_mb_s=X median_mb_s=Y root=HEX
    (MB = 10^6 bytes). bench/prover.sh runs it beside sha256sum on the same
    file. Prints figures only; timing never makes it fail. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_props.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

static int
s_parse (const char *text, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long value = strtoll (text, &end, 10);
    if (!end || *end || end == text || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

int
main (int argc, char **argv)
{
    long long threads = 1, reps = 3, chunk = (long long) DP_PROPS_DEFAULT_CHUNK_SIZE;
    if (argc < 2 || argc > 5
    ||  (argc > 2 && s_parse (argv [2], 0, 256, &threads))
    ||  (argc > 3 && s_parse (argv [3], 1, 1000, &reps))
    ||  (argc > 4 && s_parse (argv [4], 1, 1LL << 32, &chunk))) {
        fprintf (stderr, "usage: bench_prover FILE [THREADS 0..256 [REPS 1..1000 [CHUNK_SIZE]]]\n");
        return 2;
    }
    double *rates = calloc ((size_t) reps, sizeof *rates);
    char root [65] = "";
    unsigned long long bytes = 0;
    for (long long r = 0; rates && r < reps; r++) {
        dp_props_proof_t *proof = NULL;
        dp_error_t err;
        double start = s_now ();
        if (dp_props_prove_file (argv [1], (size_t) chunk, (int) threads, &proof, &err) != DP_OK) {
            fprintf (stderr, "bench_prover: %s\n", err.text);
            free (rates);
            return 1;
        }
        double seconds = s_now () - start;
        bytes = proof->data_size;
        rates [r] = (double) bytes / 1e6 / seconds;
        dp_props_proof_data_hash (proof, root);
        printf ("prover rep=%lld threads=%lld seconds=%.3f mb_s=%.1f chunks=%zu\n",
                r + 1, threads, seconds, rates [r], proof->chunk_count);
        dp_props_proof_destroy (&proof);
    }
    if (!rates)
        return 1;
    qsort (rates, (size_t) reps, sizeof *rates, s_compare);
    printf ("prover threads=%lld reps=%lld bytes=%llu best_mb_s=%.1f median_mb_s=%.1f root=%s\n",
            threads, reps, bytes, rates [reps - 1], rates [reps / 2], root);
    free (rates);
    return 0;
}
