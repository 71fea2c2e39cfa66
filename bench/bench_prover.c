/*  bench_prover.c — Props prover throughput on one file.

    Usage: bench_prover FILE [THREADS [REPS [CHUNK_SIZE]]]
      THREADS     0 = one per online CPU (default 1)
      REPS        repetitions (default 3)
      CHUNK_SIZE  bytes (default 1 MiB)

    Prints one line per repetition and a summary line
      prover threads=T reps=R bytes=N best_mb_s=X median_mb_s=Y
             best_mb_per_cpu_s=Z root=HEX
    (MB = 10^6 bytes; per CPU second counts user + system time of all
    threads, which other load on the machine disturbs less than wall time). bench/prover.sh runs it beside sha256sum on the same
    file. Prints figures only; timing never makes it fail. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "dp_props.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  CPU seconds (user + system, all threads) used by the process so far: a
//  figure that other load on the machine disturbs much less than wall time.
static double
s_cpu (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6
         + (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
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

typedef struct {
    double *wall;               //  MB/s per repetition
    double *cpu;                //  MB per CPU second per repetition
    unsigned long long bytes;
    char root [65];
} s_figures_t;

//  One timed proof; prints its line. Returns 0 or -1 (error printed).
static int
s_run_once (const char *path, long long chunk, long long threads, long long rep, s_figures_t *f)
{
    dp_props_proof_t *proof = NULL;
    dp_error_t err;
    double start = s_now (), cpu_start = s_cpu ();
    if (dp_props_prove_file (path, (size_t) chunk, (int) threads, &proof, &err) != DP_OK) {
        fprintf (stderr, "bench_prover: %s\n", err.text);
        return -1;
    }
    double seconds = s_now () - start, cpu_seconds = s_cpu () - cpu_start;
    f->bytes = proof->data_size;
    f->wall [rep] = (double) f->bytes / 1e6 / seconds;
    f->cpu [rep] = (double) f->bytes / 1e6 / (cpu_seconds > 1e-6? cpu_seconds: 1e-6);
    dp_props_proof_data_hash (proof, f->root);
    printf ("prover rep=%lld threads=%lld seconds=%.3f mb_s=%.1f cpu_seconds=%.3f "
            "mb_per_cpu_s=%.1f chunks=%zu\n", rep + 1, threads, seconds, f->wall [rep],
            cpu_seconds, f->cpu [rep], proof->chunk_count);
    dp_props_proof_destroy (&proof);
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
    s_figures_t f = { calloc ((size_t) reps, sizeof (double)),
                      calloc ((size_t) reps, sizeof (double)), 0, "" };
    int rc = f.wall && f.cpu? 0: 1;
    for (long long r = 0; rc == 0 && r < reps; r++)
        rc = s_run_once (argv [1], chunk, threads, r, &f) == 0? 0: 1;
    if (rc == 0) {
        qsort (f.wall, (size_t) reps, sizeof (double), s_compare);
        qsort (f.cpu, (size_t) reps, sizeof (double), s_compare);
        printf ("prover threads=%lld reps=%lld bytes=%llu best_mb_s=%.1f median_mb_s=%.1f "
                "best_mb_per_cpu_s=%.1f root=%s\n", threads, reps, f.bytes, f.wall [reps - 1],
                f.wall [reps / 2], f.cpu [reps - 1], f.root);
    }
    free (f.wall);
    free (f.cpu);
    return rc;
}
