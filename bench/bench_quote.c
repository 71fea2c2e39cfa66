/*  bench_quote.c — DCAP quote verifications per second (one thread).

    Usage: bench_quote QUOTE COLLATERAL NOW [SECONDS]
    Prints three lines of figures, never a verdict:
      cold    as full, with the process-wide decode memo off: every
              certificate and CRL is decoded from DER again each time;
      full    every iteration reads the quote bytes and the collateral JSON
              text from memory, parses both and verifies everything
              (CRLs, three chains, TCB info / QE identity / QE report /
              quote signatures, TCB levels), as dcap-qvl does per call;
      cached  the collateral is parsed once with its verification cache on:
              its signatures, CRLs and chains and the quote's PCK chain are
              verified once per validity window; each iteration parses the
              quote and checks the QE report and quote signatures, the QE
              report binding, the TCB levels and the attribute policy. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_verify.h"

static uint8_t *
s_read (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    fseek (file, 0, SEEK_END);
    long len = ftell (file);
    fseek (file, 0, SEEK_SET);
    uint8_t *data = len >= 0? malloc ((size_t) len + 1): NULL;
    if (data && fread (data, 1, (size_t) len, file) != (size_t) len) {
        free (data);
        data = NULL;
    }
    fclose (file);
    *size = data? (size_t) len: 0;
    return data;
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

//  One verification; cached collateral when shared is not NULL.
static int
s_once (const uint8_t *quote_bytes, size_t quote_size, const char *json, size_t json_size,
        dp_quote_collateral_t *shared, int64_t now)
{
    dp_quote_t *quote = NULL;
    dp_quote_collateral_t *collateral = shared;
    dp_quote_report_t report;
    int ok = dp_quote_parse (quote_bytes, quote_size, &quote, NULL) == DP_OK
          && (shared || dp_quote_collateral_from_json (json, json_size, &collateral, NULL) == DP_OK)
          && dp_quote_verify (quote, collateral, NULL, now, NULL, &report, NULL) == DP_OK;
    if (!shared)
        dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
    return ok;
}

static void
s_run (const char *name, const uint8_t *quote, size_t quote_size, const char *json, size_t json_size,
       dp_quote_collateral_t *shared, int64_t now, double seconds)
{
    long count = 0;
    double start = s_now (), t = start;
    while (t - start < seconds) {
        for (int i = 0; i < 20; i++)
            if (!s_once (quote, quote_size, json, json_size, shared, now)) {
                fprintf (stderr, "bench_quote: %s: verification failed\n", name);
                exit (1);
            }
        count += 20;
        t = s_now ();
    }
    printf ("%-6s verifications %ld seconds %.3f per_second %.1f\n", name, count, t - start, count / (t - start));
}

int
main (int argc, char **argv)
{
    if (argc < 4) {
        fprintf (stderr, "usage: bench_quote QUOTE COLLATERAL NOW [SECONDS]\n");
        return 2;
    }
    size_t quote_size, json_size;
    uint8_t *quote = s_read (argv [1], &quote_size);
    char *json = (char *) s_read (argv [2], &json_size);
    int64_t now = strtoll (argv [3], NULL, 10);
    double seconds = argc > 4? atof (argv [4]): 3.0;
    dp_quote_collateral_t *shared = NULL;
    dp_error_t err;
    if (!quote || !json || dp_quote_collateral_from_json (json, json_size, &shared, &err) != DP_OK) {
        fprintf (stderr, "bench_quote: cannot read inputs\n");
        return 2;
    }
    if (!s_once (quote, quote_size, json, json_size, NULL, now)) {
        fprintf (stderr, "bench_quote: the inputs do not verify at %lld\n", (long long) now);
        return 1;
    }
    dp_quote_pki_set_decode_cache (0);
    s_run ("cold", quote, quote_size, json, json_size, NULL, now, seconds);
    dp_quote_pki_set_decode_cache (1);
    s_run ("full", quote, quote_size, json, json_size, NULL, now, seconds);
    dp_quote_collateral_set_cache (shared, 1);
    s_run ("cached", quote, quote_size, json, json_size, shared, now, seconds);
    dp_quote_collateral_destroy (&shared);
    free (quote);
    free (json);
    return 0;
}
