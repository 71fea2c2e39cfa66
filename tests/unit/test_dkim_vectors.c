/*  test_dkim_vectors.c — every message of ../shared/vectors/dkim and its
    real/ folder against the `rfc8301` column of expected.tsv, keys from
    the folder's zone.txt, clock at the corpus's fixed time. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dp_dkim.h"

#define S_NOW 1700086400

static uint8_t *
s_slurp (const char *path, size_t *len)
{
    FILE *file = fopen (path, "rb");
    cr_assert (file, "cannot open %s", path);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    uint8_t *data = malloc ((size_t) size + 1);
    cr_assert (fread (data, 1, (size_t) size, file) == (size_t) size);
    fclose (file);
    *len = (size_t) size;
    return data;
}

static size_t
s_count_sigs (const char *column)
{
    if (strcmp (column, "-") == 0)
        return 0;
    size_t n = 1;
    for (const char *p = column; *p; p++)
        n += *p == ',';
    return n;
}

//  Runs one folder; returns the number of rows checked. Columns are found
//  by name in the header line, since the two folders order them differently.
static size_t
s_run_folder (const char *dir)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/zone.txt", dir);
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_FILE, .zone_file = path };
    dp_error_t err;
    dp_dkim_lookup_t *lookup = dp_dkim_lookup_new (&lo, &err);
    cr_assert (lookup, "%s", err.text);
    dp_dkim_options_t options = { .lookup = lookup, .now = S_NOW, .clock_skew = -1 };

    snprintf (path, sizeof path, "%s/expected.tsv", dir);
    FILE *tsv = fopen (path, "r");
    cr_assert (tsv);
    char line [8192];
    int col_file = -1, col_rfc = -1, col_d = -1, col_sigs = -1;
    size_t rows = 0, mismatches = 0;
    while (fgets (line, sizeof line, tsv)) {
        line [strcspn (line, "\n")] = '\0';
        char *cols [16];
        int n = 0;
        for (char *tok = strtok (line, "\t"); tok && n < 16; tok = strtok (NULL, "\t"))
            cols [n++] = tok;
        if (col_file < 0) {
            for (int i = 0; i < n; i++) {
                if (!strcmp (cols [i], "file")) col_file = i;
                if (!strcmp (cols [i], "rfc8301")) col_rfc = i;
                if (!strcmp (cols [i], "d")) col_d = i;
                if (!strcmp (cols [i], "sigs")) col_sigs = i;
            }
            cr_assert (col_file >= 0 && col_rfc >= 0 && col_d >= 0 && col_sigs >= 0);
            continue;
        }
        snprintf (path, sizeof path, "%s/%s", dir, cols [col_file]);
        size_t len;
        uint8_t *eml = s_slurp (path, &len);
        dp_dkim_result_t result;
        dp_status rc = dp_dkim_verify (eml, len, &options, &result, &err);
        free (eml);
        int want = strcmp (cols [col_rfc], "true") == 0;
        const char *want_d = strcmp (cols [col_d], "-") == 0? "": cols [col_d];
        int ok = rc == DP_OK && result.verified == want
              && strcasecmp (result.domain, want_d) == 0
              && result.total == s_count_sigs (cols [col_sigs])
              && result.authenticated == 0
              && (want || result.error [0]);
        if (!ok) {
            mismatches++;
            cr_log_error ("%s: want %s d=%s, got %s d=%s sigs=%zu: %s", cols [col_file],
                          cols [col_rfc], want_d, result.verified? "true": "false",
                          result.domain, result.total, result.error);
        }
        rows++;
    }
    fclose (tsv);
    dp_dkim_lookup_destroy (&lookup);
    cr_expect_eq (mismatches, 0, "%zu of %zu messages in %s disagree with rfc8301",
                  mismatches, rows, dir);
    return rows;
}

Test (dkim_vectors, generated_corpus)
{
    size_t rows = s_run_folder (DP_SHARED_DIR "/vectors/dkim");
    cr_assert_eq (rows, 88, "expected.tsv has %zu rows", rows);
}

Test (dkim_vectors, real_messages)
{
    size_t rows = s_run_folder (DP_SHARED_DIR "/vectors/dkim/real");
    cr_assert_eq (rows, 23, "expected.tsv has %zu rows", rows);
}
