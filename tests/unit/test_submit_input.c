/*  test_submit_input.c — the record reader of dp-submit: JSON Lines and
    JSON arrays, line numbers, limits, malformed arrays. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit_input.h"

//  Reads every record of text; returns a malloc'd summary
//  "line:text|line:text|!line:status|" for easy comparison.
static char *
s_read_all (const char *text, size_t record_max)
{
    FILE *stream = fmemopen ((void *) text, strlen (text), "r");
    cr_assert_not_null (stream);
    dp_error_t err;
    dp_submit_input_t *input = dp_submit_input_from_stream (stream, "t", record_max, &err);
    cr_assert_not_null (input);
    size_t cap = 4096, len = 0;
    char *out = calloc (1, cap);
    while (1) {
        dp_submit_record_t record;
        dp_status rc = dp_submit_input_next (input, &record, &err);
        if (rc == DP_NOTFOUND)
            break;
        if (rc == DP_OK) {
            cr_assert_eq (strlen (record.text), record.len);
            int shown = record.len > 40? 40: (int) record.len;
            len += snprintf (out + len, cap - len, "%zu:%.*s|", record.line, shown, record.text);
        }
        else {
            len += snprintf (out + len, cap - len, "!%zu:%s|", record.line, dp_status_name (rc));
            if (rc != DP_LIMIT)
                break;
        }
    }
    dp_submit_input_destroy (&input);
    cr_assert_null (input);
    fclose (stream);
    return out;
}

Test (submit_input, json_lines_with_blank_lines_and_crlf)
{
    char *got = s_read_all ("{\"a\":1}\n\n  \n{\"b\":2}\r\n{\"c\":3}", 0);
    cr_assert_str_eq (got, "1:{\"a\":1}|4:{\"b\":2}|5:{\"c\":3}|");
    free (got);
}

Test (submit_input, empty_input)
{
    char *got = s_read_all ("", 0);
    cr_assert_str_eq (got, "");
    free (got);
    got = s_read_all ("\n \n", 0);
    cr_assert_str_eq (got, "");
    free (got);
}

Test (submit_input, over_long_line_is_skipped_and_reading_goes_on)
{
    char *got = s_read_all ("{\"a\":1}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"b\":2}\n", 16);
    cr_assert_str_eq (got, "1:{\"a\":1}|!2:limit|3:{\"b\":2}|");
    free (got);
}

Test (submit_input, over_long_line_across_many_reads)
{
    //  A line far longer than one read of the buffer.
    size_t big = 3 * 1024 * 1024;
    char *text = malloc (big + 64);
    strcpy (text, "{\"a\":1}\n\"");
    memset (text + 9, 'x', big);
    strcpy (text + 9 + big, "\"\n{\"b\":2}\n");
    char *got = s_read_all (text, 1024 * 1024);
    cr_assert_str_eq (got, "1:{\"a\":1}|!2:limit|3:{\"b\":2}|");
    free (got);
    got = s_read_all (text, 4 * 1024 * 1024);
    cr_assert (strncmp (got, "1:{\"a\":1}|2:\"xxx", 16) == 0);
    cr_assert (strstr (got, "|3:{\"b\":2}|") != NULL);
    free (got);
    free (text);
}

Test (submit_input, json_array_elements_and_lines)
{
    char *got = s_read_all ("  [\n {\"a\": [1, {\"x\": \"]}\\\"\"}]},\n\n {\"b\":\n 2} , 7, \"s\" ]\n", 0);
    cr_assert_str_eq (got, "2:{\"a\": [1, {\"x\": \"]}\\\"\"}]}|4:{\"b\":\n 2}|5:7|5:\"s\"|");
    free (got);
}

Test (submit_input, empty_array)
{
    char *got = s_read_all ("[ ]", 0);
    cr_assert_str_eq (got, "");
    free (got);
}

Test (submit_input, malformed_arrays_name_the_line)
{
    const char *cases [][2] = {
        { "[{\"a\":1}\n{\"b\":2}]", "1:{\"a\":1}|!2:invalid|" },
        { "[{\"a\":1},]", "1:{\"a\":1}|!1:invalid|" },
        { "[{\"a\":1}", "1:{\"a\":1}|!1:invalid|" },
        { "[{\"a\":1", "!1:invalid|" },
        { "[{\"a\":1}] x", "1:{\"a\":1}|!1:invalid|" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *got = s_read_all (cases [i][0], 0);
        cr_assert_str_eq (got, cases [i][1], "case %zu: %s", i, got);
        free (got);
    }
}

Test (submit_input, malformed_array_message)
{
    const char *text = "[{\"a\":1}\n\n{\"b\":2}]";
    FILE *stream = fmemopen ((void *) text, strlen (text), "r");
    dp_error_t err;
    dp_submit_input_t *input = dp_submit_input_from_stream (stream, "x.json", 0, &err);
    dp_submit_record_t record;
    cr_assert_eq (dp_submit_input_next (input, &record, &err), DP_OK);
    cr_assert (dp_submit_input_is_array (input));
    cr_assert_eq (dp_submit_input_next (input, &record, &err), DP_INVALID);
    cr_assert_str_eq (err.text, "JSON array: expected , or ] after an element");
    cr_assert_eq (record.line, 3);
    cr_assert_eq (dp_submit_input_next (input, &record, &err), DP_NOTFOUND);
    cr_assert_str_eq (dp_submit_input_name (input), "x.json");
    dp_submit_input_destroy (&input);
    fclose (stream);
}

Test (submit_input, over_long_array_element)
{
    char *got = s_read_all ("[{\"a\":1}, {\"b\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}, {\"c\":3}]", 16);
    cr_assert_str_eq (got, "1:{\"a\":1}|!1:limit|1:{\"c\":3}|");
    free (got);
}

Test (submit_input, open_missing_file_names_it)
{
    dp_error_t err;
    cr_assert_null (dp_submit_input_open ("/nonexistent/deals.jsonl", 0, &err));
    cr_assert_eq (err.code, DP_IO);
    cr_assert (strstr (err.text, "/nonexistent/deals.jsonl: cannot open") == err.text);
}
