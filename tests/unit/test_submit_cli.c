/*  test_submit_cli.c — shared CLI pieces: exit codes of SPEC §10, whole
    file reads with their limit, output lines. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_submit.h"
#include "dp_submit_cli.h"

Test (submit_cli, exit_codes)
{
    cr_assert_eq (dp_submit_exit_for (DP_OK), 0);
    cr_assert_eq (dp_submit_exit_for (DP_CRYPTO), 1);
    cr_assert_eq (dp_submit_exit_for (DP_NOTFOUND), 1);
    cr_assert_eq (dp_submit_exit_for (DP_INVALID), 2);
    cr_assert_eq (dp_submit_exit_for (DP_LIMIT), 2);
    cr_assert_eq (dp_submit_exit_for (DP_IO), 2);
    cr_assert_eq (dp_submit_exit_for (DP_UNREACHABLE), 3);
    cr_assert_eq (dp_submit_exit_for (DP_TIMEOUT), 3);
}

Test (submit_cli, read_file_limit)
{
    char path [] = "/tmp/test_submit_cli.XXXXXX";
    int fd = mkstemp (path);
    cr_assert (fd >= 0);
    cr_assert_eq (write (fd, "0123456789", 10), 10);
    close (fd);
    char *text;
    size_t len;
    dp_error_t err;
    //  Exactly the limit is accepted; one byte less is refused.
    cr_assert_eq (dp_submit_cli_read_file (path, 10, &text, &len, &err), DP_OK);
    cr_assert_eq (len, 10);
    cr_assert_str_eq (text, "0123456789");
    free (text);
    cr_assert_eq (dp_submit_cli_read_file (path, 9, &text, &len, &err), DP_LIMIT);
    cr_assert_null (text);
    cr_assert (strstr (err.text, "larger than the limit of 9 bytes") != NULL, "%s", err.text);
    unlink (path);
    cr_assert_eq (dp_submit_cli_read_file (path, 10, &text, &len, &err), DP_IO);
    cr_assert (strstr (err.text, path) == err.text);
}

Test (submit_cli, output_lines)
{
    char path [] = "/tmp/test_submit_cli_out.XXXXXX";
    close (mkstemp (path));
    dp_error_t err;
    FILE *file = dp_submit_cli_open_output (path, &err);
    cr_assert_not_null (file);
    cr_assert_eq (dp_submit_cli_write_line (file, "a-1", 3, &err), DP_OK);
    //  Flushed at once: another reader sees the whole line already.
    FILE *reader = fopen (path, "r");
    char line [16] = "";
    cr_assert_not_null (fgets (line, sizeof line, reader));
    cr_assert_str_eq (line, "a-1\n");
    fclose (reader);
    cr_assert_eq (dp_submit_cli_close_output (file, path, &err), DP_OK);
    cr_assert_null (dp_submit_cli_open_output ("/nonexistent/dir/x", &err));
    cr_assert_eq (err.code, DP_IO);
    unlink (path);
}
