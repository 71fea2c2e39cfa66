/*  bench_submit_validate.c — how fast dp-submit reads and validates deals.

    Writes N deal lines (default 100,000; seed-like bodies, a third with a
    5-chunk seller proof) to a temporary file, then times, side by side in
    one run:
      read      the record reader alone (JSON Lines cutting);
      parse     reader + dp_json_parse (dp_json_tree's one strict pass
                that checks the text and builds the json-c tree);
      validate  reader + full validation, canonical body and envelope,
                one record after another on this thread;
      load      dp_submit_deals_load: the same validation on every core,
                the next chunk read meanwhile (what `submit` and `run` do
                before sending).
    Prints lines/s for each; never passes or fails on time.

    Usage: bench_submit_validate [N] */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_json.h"
#include "dp_submit_deals.h"
#include "dp_submit_input.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
s_write_deals (FILE *file, long count)
{
    static const char *proof =
        ", \"seller_proof\": {\"root_hash\": \"bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f\", "
        "\"chunk_hashes\": [\"1b2a0b5d6a4f4f6d0e7bb8a14c0a1f2c3d4e5f60718293a4b5c6d7e8f9012345\", "
        "\"2b2a0b5d6a4f4f6d0e7bb8a14c0a1f2c3d4e5f60718293a4b5c6d7e8f9012345\", "
        "\"3b2a0b5d6a4f4f6d0e7bb8a14c0a1f2c3d4e5f60718293a4b5c6d7e8f9012345\", "
        "\"4b2a0b5d6a4f4f6d0e7bb8a14c0a1f2c3d4e5f60718293a4b5c6d7e8f9012345\", "
        "\"5b2a0b5d6a4f4f6d0e7bb8a14c0a1f2c3d4e5f60718293a4b5c6d7e8f9012345\"], "
        "\"chunk_count\": 5, \"algorithm\": \"sha256\"}";
    for (long i = 0; i < count; i++)
        fprintf (file, "{\"deal_id\": \"bench-%ld\", \"buyer_budget\": %ld.50, \"floor_price\": %ld.0, "
                 "\"buyer_requirements\": \"10 GB COCO-style labelled image dataset for fine-tuning a "
                 "computer vision model, 2023 or newer.\", \"data_description\": \"10 GB curated "
                 "COCO-style dataset: 520k images, 80 categories, licensed for ML training.\", "
                 "\"data_hash\": \"bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f\"%s}\n",
                 i, 900 + i % 400, 500 + i % 300, i % 3 == 0? proof: "");
}

static void
s_report (const char *name, long lines, double seconds, double bytes)
{
    printf ("%-10s %9ld lines  %7.3f s  %10.0f lines/s  %7.1f MB/s\n", name, lines, seconds,
            (double) lines / seconds, bytes / seconds / 1e6);
}

int
main (int argc, char **argv)
{
    long count = argc > 1? atol (argv [1]): 100000;
    char path [] = "/tmp/bench_submit_validate.XXXXXX";
    int fd = mkstemp (path);
    FILE *file = fd >= 0? fdopen (fd, "w"): NULL;
    if (!file || count <= 0) {
        fprintf (stderr, "bench_submit_validate: cannot create a temporary file\n");
        return 1;
    }
    s_write_deals (file, count);
    double bytes = (double) ftell (file);
    fclose (file);
    printf ("deals: %ld lines, %.1f MB (%s)\n", count, bytes / 1e6, path);

    for (int mode = 0; mode < 4; mode++) {
        dp_error_t err;
        dp_submit_input_t *input = dp_submit_input_open (path, 0, &err);
        dp_submit_deals_t *deals = dp_submit_deals_new ();
        dp_submit_deals_options_t options = { .batch = "bench" };
        dp_submit_record_t record;
        long lines = 0, bad = 0;
        double start = s_now ();
        if (mode == 3) {
            size_t valid = 0, invalid = 0;
            if (dp_submit_deals_load (deals, path, &options, NULL, &valid, &invalid, &err) != DP_OK)
                printf ("  load: %s\n", err.text);
            lines = (long) (valid + invalid);
            bad = (long) invalid;
        }
        while (mode < 3 && dp_submit_input_next (input, &record, &err) == DP_OK) {
            lines++;
            if (mode == 1) {
                json_object *value = NULL;
                if (dp_json_parse (record.text, record.len, &value, &err) != DP_OK)
                    bad++;
                json_object_put (value);
            }
            else
            if (mode == 2 && dp_submit_deals_add (deals, record.text, record.len, path,
                                                  (size_t) lines, &options, &err) != DP_OK)
                bad++;
        }
        double seconds = s_now () - start;
        static const char *names [] = { "read", "parse", "validate", "load" };
        s_report (names [mode], lines, seconds, bytes);
        if (bad)
            printf ("  %ld lines were refused (last: %s)\n", bad, err.text);
        dp_submit_deals_destroy (&deals);
        dp_submit_input_destroy (&input);
    }
    unlink (path);
    return 0;
}
