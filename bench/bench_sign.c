/*  bench_sign.c — what the enclave key's signatures cost per deal.

        bench_sign [-n SIGNATURES]   (default 20000)

    Every final result is signed (SPEC §6: EIP-191 over the result hash)
    and, with escrow, a release authorisation is signed too (SPEC §7:
    EIP-712). Prints, side by side in one run: secp256k1 signatures per
    second (libsecp256k1, RFC 6979 nonces), the SPEC §6 digest step
    (EIP-191 keccak) and the SPEC §7 release digest, and, for reference,
    recoveries per second (what `dp-submit verify` and the relayer pay per
    result). Figures only: nothing here passes or fails on time. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_eth.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double
s_cpu (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  Wall and CPU time side by side: on a shared machine the wall figure
//  includes waiting for a core, the CPU figure is what the work costs.
static void
s_report (const char *what, int n, double seconds, double cpu)
{
    printf ("%-34s %10.0f /s  (%7.2f us each; CPU %7.2f us each)\n", what, n / seconds,
            seconds * 1e6 / n, cpu * 1e6 / n);
}

//  Signs n distinct digests; returns failures. Digest i differs per call
//  so nothing can be cached between iterations.
static int
s_sign_loop (const uint8_t key [32], int n, uint8_t (*sigs) [65])
{
    int failures = 0;
    uint8_t digest [32];
    memset (digest, 0x5a, sizeof digest);
    for (int i = 0; i < n; i++) {
        memcpy (digest, &i, sizeof i);
        dp_error_t err;
        if (dp_eth_sign (key, digest, sigs [i], &err) != DP_OK)
            failures++;
    }
    return failures;
}

static int
s_recover_loop (const uint8_t addr [20], int n, uint8_t (*sigs) [65])
{
    int failures = 0;
    uint8_t digest [32], got [20];
    memset (digest, 0x5a, sizeof digest);
    for (int i = 0; i < n; i++) {
        memcpy (digest, &i, sizeof i);
        dp_error_t err;
        if (dp_eth_recover (digest, sigs [i], got, &err) != DP_OK || memcmp (got, addr, 20))
            failures++;
    }
    return failures;
}

int
main (int argc, char **argv)
{
    int n = 20000, opt;
    while ((opt = getopt (argc, argv, "n:")) != -1) {
        if (opt != 'n') {
            fprintf (stderr, "usage: bench_sign [-n SIGNATURES]\n");
            return 2;
        }
        n = atoi (optarg);
    }
    if (n < 1 || n > 10000000) {
        fprintf (stderr, "bench_sign: -n must be in 1..10000000\n");
        return 2;
    }
    uint8_t key [32], addr [20];
    dp_error_t err;
    if (dp_eth_key_generate (key, &err) != DP_OK
    ||  dp_eth_address_from_key (key, addr, &err) != DP_OK) {
        fprintf (stderr, "bench_sign: %s\n", err.text);
        return 1;
    }
    uint8_t (*sigs) [65] = malloc ((size_t) n * sizeof *sigs);
    if (!sigs) {
        fprintf (stderr, "bench_sign: out of memory\n");
        return 1;
    }
    uint8_t hash [32] = { 1 }, out [32], contract [20] = { 2 }, seller [20] = { 3 };
    uint8_t wei [32] = { 0 }, report [32] = { 4 };
    double c0 = s_cpu (), t0 = s_now ();
    for (int i = 0; i < n; i++) {
        hash [0] = (uint8_t) i;
        dp_eth_eip191_hash32 (hash, out);
        hash [1] ^= out [0];
    }
    double c1 = s_cpu (), t1 = s_now ();
    for (int i = 0; i < n; i++) {
        report [0] = (uint8_t) i;
        dp_eth_release_digest (1337, contract, "deal-000001", seller, hash, wei, report, out);
        hash [2] ^= out [0];
    }
    double c2 = s_cpu (), t2 = s_now ();
    int failures = s_sign_loop (key, n, sigs);
    double c3 = s_cpu (), t3 = s_now ();
    failures += s_recover_loop (addr, n, sigs);
    double c4 = s_cpu (), t4 = s_now ();

    printf ("%d operations each, 1 thread\n", n);
    s_report ("EIP-191 digest (SPEC 6)", n, t1 - t0, c1 - c0);
    s_report ("EIP-712 release digest (SPEC 7)", n, t2 - t1, c2 - c1);
    s_report ("secp256k1 signature", n, t3 - t2, c3 - c2);
    s_report ("secp256k1 recovery (verify side)", n, t4 - t3, c4 - c3);
    if (failures)
        printf ("failures                           %10d\n", failures);
    memset (key, 0, sizeof key);
    free (sigs);
    return failures? 1: 0;
}
