/*  bench_dkim.c — DKIM verification throughput on one thread.

        bench_dkim [-r ROUNDS] [-t NOW] zone.txt file.eml...

    Reads every message into memory first (file I/O is not timed), verifies
    each once to count passes, then ROUNDS times more under the clock, and
    prints messages per second. Keys come from zone.txt (the file path), so
    no DNS is timed; the lookup's parsed-key cache is warm after the first
    pass, as it is in a long-running worker. Prints figures only. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_dkim.h"

typedef struct {
    uint8_t *data;
    size_t len;
} s_msg_t;

static int
s_slurp (const char *path, s_msg_t *msg)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    msg->data = malloc (size > 0? (size_t) size: 1);
    msg->len = msg->data? fread (msg->data, 1, (size_t) size, file): 0;
    fclose (file);
    return msg->data && msg->len == (size_t) size? 0: -1;
}

static double
s_seconds (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
s_pass (s_msg_t *msgs, int count, const dp_dkim_options_t *options)
{
    int pass = 0;
    for (int i = 0; i < count; i++) {
        dp_dkim_result_t result;
        if (dp_dkim_verify (msgs [i].data, msgs [i].len, options, &result, NULL) == DP_OK)
            pass += result.verified;
    }
    return pass;
}

int
main (int argc, char **argv)
{
    long rounds = 50;
    long long now = 1700086400;     //  the corpus's fixed verification time
    int opt;
    while ((opt = getopt (argc, argv, "r:t:")) != -1) {
        if (opt == 'r')
            rounds = atol (optarg);
        else
        if (opt == 't')
            now = atoll (optarg);
        else
            return 2;
    }
    if (argc - optind < 2 || rounds < 1) {
        fprintf (stderr, "usage: bench_dkim [-r rounds] [-t now] zone.txt file.eml...\n");
        return 2;
    }
    dp_error_t err;
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_FILE, .zone_file = argv [optind] };
    dp_dkim_lookup_t *lookup = dp_dkim_lookup_new (&lo, &err);
    if (!lookup) {
        fprintf (stderr, "bench_dkim: %s\n", err.text);
        return 2;
    }
    int count = argc - optind - 1;
    s_msg_t *msgs = calloc ((size_t) count, sizeof *msgs);
    for (int i = 0; msgs && i < count; i++)
        if (s_slurp (argv [optind + 1 + i], &msgs [i]) != 0) {
            fprintf (stderr, "bench_dkim: cannot read %s\n", argv [optind + 1 + i]);
            return 2;
        }
    dp_dkim_options_t options = { .lookup = lookup, .now = now, .clock_skew = -1 };
    int pass = s_pass (msgs, count, &options);
    double start = s_seconds ();
    for (long r = 0; r < rounds; r++)
        s_pass (msgs, count, &options);
    double elapsed = s_seconds () - start;
    printf ("dealproof dkim: %d messages x %ld = %ld verifications in %.3f s = %.1f msg/s "
            "(%d pass per round)\n", count, rounds, count * rounds, elapsed,
            (double) (count * rounds) / elapsed, pass);
    for (int i = 0; i < count; i++)
        free (msgs [i].data);
    free (msgs);
    dp_dkim_lookup_destroy (&lookup);
    return 0;
}
