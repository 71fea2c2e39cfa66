/*  test_submit_show.c — money, transcript lines and the result block;
    the summary table and the plain progress lines. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit_progress.h"
#include "dp_submit_show.h"
#include "dp_submit_summary.h"

Test (submit_show, money)
{
    char out [48];
    cr_assert_str_eq (dp_submit_show_money (73000, out, sizeof out), "$730.00");
    cr_assert_str_eq (dp_submit_show_money (100000, out, sizeof out), "$1,000.00");
    cr_assert_str_eq (dp_submit_show_money (123456789, out, sizeof out), "$1,234,567.89");
    cr_assert_str_eq (dp_submit_show_money (5, out, sizeof out), "$0.05");
    cr_assert_str_eq (dp_submit_show_money (-250, out, sizeof out), "-$2.50");
}

Test (submit_show, cents_from_json)
{
    json_object *price = json_tokener_parse ("730.5");
    cr_assert_eq (dp_submit_show_cents (price), 73050);
    json_object_put (price);
    price = json_tokener_parse ("0.29");
    cr_assert_eq (dp_submit_show_cents (price), 29);
    json_object_put (price);
    cr_assert_eq (dp_submit_show_cents (NULL), -1);
}

static char *
s_capture_move (const char *json, int width)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    json_object *entry = json_tokener_parse (json);
    dp_submit_show_move (out, entry, width);
    json_object_put (entry);
    fclose (out);
    return text;
}

Test (submit_show, move_line)
{
    char *line = s_capture_move ("{\"round\": 1, \"role\": \"seller\", \"action\": \"offer\", "
                                 "\"price\": 840.0, \"terms\": {}, \"reasoning\": \"Premium\\ncurated dataset\"}", 0);
    cr_assert_str_eq (line, "[Round 1] SELLER OFFER        $840.00  Premium curated dataset\n");
    free (line);
    //  Cut on a character boundary, with an ellipsis.
    line = s_capture_move ("{\"round\": 3, \"role\": \"buyer\", \"action\": \"accept\", "
                           "\"price\": 730.0, \"reasoning\": \"ééééé\"}", 3);
    cr_assert_str_eq (line, "[Round 3] BUYER  ACCEPT       $730.00  ééé…\n");
    free (line);
}

Test (submit_show, result_block)
{
    json_object *result = json_tokener_parse (
        "{\"deal_id\": \"d1\", \"agreed\": true, \"final_price\": 730.0, "
        "\"terms\": {\"access_scope\": \"full\", \"duration_days\": 365}, "
        "\"attestation\": \"0x0400020081000000\", \"tee_mode\": \"simulation\", "
        "\"signer\": \"0xAbC\"}");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    dp_submit_show_result (out, result);
    fclose (out);
    cr_assert (strstr (text, "✓ Deal agreed at $730.00\n") != NULL, "%s", text);
    cr_assert (strstr (text, "Access scope: full   Duration: 365 days") != NULL);
    cr_assert (strstr (text, "0x0400020081000000…  [8 bytes, Intel TDX quote, simulation]") != NULL, "%s", text);
    cr_assert (strstr (text, "(none)") != NULL);     //  no data verification attestation
    free (text);
    json_object_put (result);
}

Test (submit_summary, figures_and_exit_code)
{
    dp_submit_summary_t *summary = dp_submit_summary_new ();
    cr_assert_eq (dp_submit_summary_add (summary, "agreed", 73000, NULL), DP_OK);
    cr_assert_eq (dp_submit_summary_add (summary, "agreed", 60000, NULL), DP_OK);
    cr_assert_eq (dp_submit_summary_add (summary, "agreed", 90000, NULL), DP_OK);
    cr_assert_eq (dp_submit_summary_exit_code (summary), 0);
    cr_assert_eq (dp_submit_summary_add (summary, "failed", -1, "poison: 3 attempts"), DP_OK);
    cr_assert_eq (dp_submit_summary_add (summary, "failed", -1, "poison: 4 attempts"), DP_OK);
    cr_assert_eq (dp_submit_summary_add (summary, "verification_failed", -1, "seller_proof: root mismatch"), DP_OK);
    dp_submit_summary_figures_t f;
    dp_submit_summary_figures (summary, &f);
    cr_assert_eq (f.total, 6);
    cr_assert_eq (f.agreed, 3);
    cr_assert_eq (f.failed, 2);
    cr_assert_eq (f.verification_failed, 1);
    cr_assert_eq (f.price_min, 60000);
    cr_assert_eq (f.price_median, 73000);
    cr_assert_eq (f.price_max, 90000);
    cr_assert_float_eq (f.price_mean, 74333.33, 0.01);
    cr_assert_eq (dp_submit_summary_exit_code (summary), 1);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    dp_submit_summary_print (summary, out);
    fclose (out);
    cr_assert (strstr (text, "reason poison") != NULL, "%s", text);
    cr_assert (strstr (text, "min 600.00  median 730.00  mean 743.33  max 900.00") != NULL, "%s", text);
    free (text);
    dp_submit_summary_destroy (&summary);
    cr_assert_null (summary);
}

Test (submit_progress, plain_lines_and_off)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    dp_submit_progress_t *progress = dp_submit_progress_new (out, DP_SUBMIT_PROGRESS_PLAIN, "run", 10, 0);
    dp_submit_progress_update (progress, 4, 3, 1);
    dp_submit_progress_finish (progress);
    dp_submit_progress_finish (progress);
    dp_submit_progress_destroy (&progress);
    progress = dp_submit_progress_new (out, DP_SUBMIT_PROGRESS_OFF, "quiet", 10, 0);
    dp_submit_progress_update (progress, 4, 3, 1);
    dp_submit_progress_finish (progress);
    dp_submit_progress_destroy (&progress);
    fclose (out);
    cr_assert (strncmp (text, "run: 4/10 final (agreed 3, failed 1), ", 38) == 0, "%s", text);
    cr_assert (strstr (text, "quiet") == NULL);
    //  Two lines: the update and the finish (the second finish is a no-op).
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    cr_assert_eq (lines, 2);
    free (text);
}
