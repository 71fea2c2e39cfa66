/*  test_submit_deals.c — loading and validating deal files: defaults
    (batch label, engines: a deal's own fields win), assigned ids, repeats,
    FILE:LINE reports in input order on the parallel path, JSON arrays. */

#define _GNU_SOURCE     //  asprintf
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_submit_deals.h"

#define S_HASH "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f"

static char *
s_deal (const char *id, const char *extra)
{
    char *line = NULL;
    cr_assert (asprintf (&line, "{%s%s%s\"buyer_budget\": 100.0, \"floor_price\": 60.0, "
                         "\"buyer_requirements\": \"r\", \"data_description\": \"d\", "
                         "\"data_hash\": \"" S_HASH "\"%s%s}",
                         id? "\"deal_id\": \"": "", id? id: "", id? "\", ": "",
                         extra? ", ": "", extra? extra: "") > 0);
    return line;
}

static char *
s_write (const char *text)
{
    char *path = strdup ("/tmp/test_submit_deals.XXXXXX");
    int fd = mkstemp (path);
    cr_assert (fd >= 0);
    cr_assert_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    return path;
}

Test (submit_deals, defaults_and_own_fields)
{
    char *a = s_deal ("own", "\"buyer_engine\": \"claude\", \"batch\": \"mine\"");
    char *b = s_deal (NULL, NULL);
    char *text = NULL;
    cr_assert (asprintf (&text, "%s\n%s\n", a, b) > 0);
    char *path = s_write (text);
    dp_submit_deals_t *deals = dp_submit_deals_new ();
    dp_submit_deals_options_t options = { .buyer_engine = "builtin", .seller_engine = "claude" };
    size_t valid, invalid;
    dp_error_t err;
    cr_assert_eq (dp_submit_deals_load (deals, path, &options, NULL, &valid, &invalid, &err), DP_OK);
    cr_assert_eq (valid, 2);
    cr_assert_eq (invalid, 0);
    const dp_submit_deal_t *own = dp_submit_deals_get (deals, 0), *other = dp_submit_deals_get (deals, 1);
    cr_assert_str_eq (own->envelope.deal_id, "own");
    cr_assert_str_eq (own->envelope.batch, "mine");
    cr_assert_str_eq (own->envelope.buyer_engine, "claude");        //  the deal's own wins
    cr_assert_str_eq (own->envelope.seller_engine, "claude");       //  the flag fills the gap
    cr_assert_str_eq (other->envelope.buyer_engine, "builtin");
    cr_assert_eq (strlen (other->envelope.deal_id), 36);            //  a UUIDv4 was assigned
    cr_assert_eq (other->envelope.deal_id [14], '4');
    //  The default label is the file's name without its folder.
    cr_assert_str_eq (other->envelope.batch, strrchr (path, '/') + 1);
    cr_assert_eq (other->line, 2);
    cr_assert_str_eq (other->file, path);
    cr_assert (strstr (other->body, other->envelope.deal_id) != NULL);  //  the body carries the id
    cr_assert_eq (dp_submit_deals_find (deals, "own"), own);
    dp_submit_deals_destroy (&deals);
    cr_assert_null (deals);
    unlink (path);
    free (path); free (text); free (a); free (b);
}

Test (submit_deals, repeats)
{
    char *a = s_deal ("same", NULL), *b = s_deal ("same", "\"max_rounds\": 5");
    dp_submit_deals_t *deals = dp_submit_deals_new ();
    dp_error_t err;
    cr_assert_eq (dp_submit_deals_add (deals, a, strlen (a), "f", 1, NULL, &err), DP_OK);
    //  The same body again: accepted, kept once.
    cr_assert_eq (dp_submit_deals_add (deals, a, strlen (a), "f", 2, NULL, &err), DP_OK);
    cr_assert_eq (dp_submit_deals_count (deals), 1);
    //  Another body under the same id: refused, naming the first line.
    cr_assert_eq (dp_submit_deals_add (deals, b, strlen (b), "f", 3, NULL, &err), DP_INVALID);
    cr_assert_str_eq (err.text, "deal_id: 'same' repeats f:1 with different content");
    dp_submit_deals_destroy (&deals);
    free (a); free (b);
}

//  Loads path, which must load (bad lines are reported, not fatal); the
//  reports land in *report_text (the caller frees it).
static dp_submit_deals_t *
s_load_reporting (const char *path, size_t *valid, size_t *invalid, char **report_text)
{
    size_t report_len = 0;
    FILE *report = open_memstream (report_text, &report_len);
    dp_submit_deals_t *deals = dp_submit_deals_new ();
    dp_error_t err;
    cr_assert_eq (dp_submit_deals_load (deals, path, NULL, report, valid, invalid, &err), DP_OK,
                  "%s", err.text);
    fclose (report);
    return deals;
}

Test (submit_deals, many_lines_keep_their_order_and_reports)
{
    //  Enough records for several threads; every 7th line is bad.
    size_t cap = 1 << 22, used = 0;
    char *text = malloc (cap);
    for (int i = 1; i <= 3000; i++) {
        char id [32];
        snprintf (id, sizeof id, "d-%d", i);
        char *line = i % 7 == 0? strdup ("{\"deal_id\": \"bad\", \"floor_price\": 1}"): s_deal (id, NULL);
        used += (size_t) snprintf (text + used, cap - used, "%s\n", line);
        free (line);
    }
    char *path = s_write (text), *report_text = NULL;
    size_t valid, invalid;
    dp_submit_deals_t *deals = s_load_reporting (path, &valid, &invalid, &report_text);
    cr_assert_eq (invalid, 3000 / 7);
    cr_assert_eq (valid, 3000 - 3000 / 7);
    size_t n = 0;
    for (int i = 1; i <= 3000; i++) {
        if (i % 7 == 0)
            continue;
        const dp_submit_deal_t *deal = dp_submit_deals_get (deals, n++);
        char id [32];
        snprintf (id, sizeof id, "d-%d", i);
        cr_assert_str_eq (deal->envelope.deal_id, id);
        cr_assert_eq (deal->line, (size_t) i);
    }
    //  Reports come in line order: the first names line 7.
    char want [512];
    snprintf (want, sizeof want, "%s:7: ", path);
    cr_assert (strncmp (report_text, want, strlen (want)) == 0, "%.200s", report_text);
    dp_submit_deals_destroy (&deals);
    unlink (path);
    free (path); free (text); free (report_text);
}

Test (submit_deals, broken_array_keeps_what_came_before)
{
    char *a = s_deal ("x-1", NULL), *b = s_deal ("x-2", NULL), *text = NULL;
    cr_assert (asprintf (&text, "[\n%s\n%s]\n", a, b) > 0);      //  missing comma
    char *path = s_write (text);
    dp_submit_deals_t *deals = dp_submit_deals_new ();
    size_t valid, invalid;
    dp_error_t err;
    cr_assert_eq (dp_submit_deals_load (deals, path, NULL, NULL, &valid, &invalid, &err), DP_INVALID);
    cr_assert_eq (valid, 1);
    cr_assert_eq (invalid, 1);
    cr_assert (strstr (err.text, "JSON array") != NULL, "%s", err.text);
    dp_submit_deals_destroy (&deals);
    unlink (path);
    free (path); free (text); free (a); free (b);
    deals = dp_submit_deals_new ();
    cr_assert_eq (dp_submit_deals_load (deals, "/nonexistent/x", NULL, NULL, &valid, &invalid, &err),
                  DP_IO);
    dp_submit_deals_destroy (&deals);
}

//  More records than one chunk (4096): chunks are read while the one
//  before is validated, and validated straight into their places; bad
//  lines, identical repeats and conflicting repeats across chunk borders
//  must still leave the list and the reports in line order.
Test (submit_deals, several_chunks_keep_order_and_places)
{
    size_t cap = 1 << 23, used = 0;
    char *text = malloc (cap);
    for (int i = 1; i <= 10000; i++) {
        char id [32];
        snprintf (id, sizeof id, "d-%d", i % 1000 == 1 && i > 1? i - 1: i);   //  repeats the line before
        char *line = i % 7 == 0? strdup ("{\"deal_id\": \"bad\", \"floor_price\": 1}")
                   : i == 4100? s_deal ("d-5", "\"max_rounds\": 3")     //  conflicts with line 5
                   : s_deal (id, NULL);
        used += (size_t) snprintf (text + used, cap - used, "%s\n", line);
        free (line);
    }
    char *path = s_write (text), *report_text = NULL;
    size_t valid, invalid;
    dp_submit_deals_t *deals = s_load_reporting (path, &valid, &invalid, &report_text);
    size_t bad = 10000 / 7 + 1, repeats = 0;
    for (int i = 1001; i <= 10000; i += 1000)
        repeats += i % 7 != 0 && (i - 1) % 7 != 0;
    cr_assert_eq (invalid, bad);
    cr_assert_eq (valid, 10000 - bad, "identical repeats count as valid");
    cr_assert_eq (dp_submit_deals_count (deals), 10000 - bad - repeats);
    size_t n = 0;
    for (int i = 1; i <= 10000; i++) {
        if (i % 7 == 0 || i == 4100 || (i % 1000 == 1 && i > 1 && (i - 1) % 7 != 0))
            continue;
        const dp_submit_deal_t *deal = dp_submit_deals_get (deals, n++);
        char id [32];
        snprintf (id, sizeof id, "d-%d", i % 1000 == 1 && i > 1? i - 1: i);
        cr_assert_str_eq (deal->envelope.deal_id, id, "item %zu", n - 1);
        cr_assert_eq (deal->line, (size_t) i);
        cr_assert (strstr (deal->body, id) != NULL);
    }
    cr_assert_eq (n, dp_submit_deals_count (deals));
    //  Reports in line order, the conflict naming the first line.
    char want [512];
    snprintf (want, sizeof want, "%s:4095: ", path);
    char *at = strstr (report_text, want);
    snprintf (want, sizeof want, "%s:4100: deal_id: 'd-5' repeats %s:5 with different content", path, path);
    char *conflict = strstr (report_text, want);
    snprintf (want, sizeof want, "%s:4102: ", path);
    char *after = strstr (report_text, want);
    cr_assert (at && conflict && after && at < conflict && conflict < after, "%.300s", report_text);
    //  Items never move: a second file leaves the first items where they were.
    const dp_submit_deal_t *first = dp_submit_deals_get (deals, 0);
    char *more = s_deal ("e-1", NULL);
    char *path2 = s_write (more);
    dp_error_t err;
    cr_assert_eq (dp_submit_deals_load (deals, path2, NULL, NULL, &valid, &invalid, &err), DP_OK);
    cr_assert_eq (valid, 1);
    cr_assert_eq (dp_submit_deals_get (deals, 0), first);
    cr_assert_str_eq (dp_submit_deals_get (deals, dp_submit_deals_count (deals) - 1)->envelope.deal_id, "e-1");
    cr_assert_str_eq (dp_submit_deals_get (deals, dp_submit_deals_count (deals) - 1)->file, path2);
    dp_submit_deals_destroy (&deals);
    unlink (path);
    unlink (path2);
    free (path); free (path2); free (more); free (text); free (report_text);
}

//  A JSON array broken in its second chunk: everything before the fault
//  is kept, the fault is the load's error.
Test (submit_deals, array_broken_in_a_later_chunk)
{
    size_t cap = 1 << 22, used = 0;
    char *text = malloc (cap);
    used += (size_t) snprintf (text, cap, "[\n");
    for (int i = 1; i <= 5000; i++) {
        char id [32];
        snprintf (id, sizeof id, "a-%d", i);
        char *deal = s_deal (id, NULL);
        used += (size_t) snprintf (text + used, cap - used, "%s%s\n", deal, i == 5000 || i == 4500? "": ",");
        free (deal);
    }
    snprintf (text + used, cap - used, "]\n");
    char *path = s_write (text);
    dp_submit_deals_t *deals = dp_submit_deals_new ();
    size_t valid, invalid;
    dp_error_t err;
    cr_assert_eq (dp_submit_deals_load (deals, path, NULL, NULL, &valid, &invalid, &err), DP_INVALID);
    cr_assert_eq (valid, 4500);
    cr_assert_eq (invalid, 1);
    cr_assert (strstr (err.text, "JSON array") != NULL, "%s", err.text);
    cr_assert_str_eq (dp_submit_deals_get (deals, 4499)->envelope.deal_id, "a-4500");
    dp_submit_deals_destroy (&deals);
    unlink (path);
    free (path); free (text);
}
