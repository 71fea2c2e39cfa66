/*  dp_submit_cli.c — flag parsing, output files and ids for the commands. */

#include "dp_submit_cli.h"
#include "dp_submit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

dp_config_t *
dp_submit_cli_parse (const char *command, const char *usage,
                     const dp_config_option_t *options, size_t count, int argc,
                     char **argv, int min_positional, int max_positional, int *exit_code)
{
    char program [64];
    snprintf (program, sizeof program, "dp-submit %s", command);
    dp_config_t *config = dp_config_new (program, usage, options, count);
    if (!config) {
        dp_submit_reportf (command, "out of memory");
        *exit_code = DP_SUBMIT_EXIT_NEGATIVE;
        return NULL;
    }
    dp_error_t err;
    dp_status rc = dp_config_parse (config, argc, argv, &err);
    if (rc == DP_UNSUPPORTED) {
        *exit_code = DP_SUBMIT_EXIT_OK;
        dp_config_destroy (&config);
        return NULL;
    }
    int positionals = rc == DP_OK? dp_config_positional_count (config): 0;
    if (rc == DP_OK && positionals < min_positional)
        rc = dp_error_set (&err, DP_INVALID, "missing argument (usage: %s)", usage);
    else
    if (rc == DP_OK && max_positional >= 0 && positionals > max_positional)
        rc = dp_error_set (&err, DP_INVALID, "unexpected argument '%s' (usage: %s)",
                           dp_config_positional (config, max_positional), usage);
    if (rc != DP_OK) {
        dp_submit_report (command, &err);
        fprintf (stderr, "Run 'dp-submit %s --help' for its flags.\n", command);
        *exit_code = DP_SUBMIT_EXIT_USAGE;
        dp_config_destroy (&config);
        return NULL;
    }
    return config;
}

int
dp_submit_cli_int (dp_config_t *config, const char *command, const char *name,
                   long long min, long long max, long long *out, int *exit_code)
{
    dp_error_t err;
    dp_status rc = dp_config_get_int (config, name, min, max, out, &err);
    if (rc == DP_OK || rc == DP_NOTFOUND)
        return 1;
    dp_submit_report (command, &err);
    *exit_code = DP_SUBMIT_EXIT_USAGE;
    return 0;
}

FILE *
dp_submit_cli_open_output (const char *path, dp_error_t *err)
{
    if (strcmp (path, "-") == 0)
        return stdout;
    FILE *file = fopen (path, "a");
    if (!file)
        dp_error_set (err, DP_IO, "%s: cannot open for writing: %s", path, strerror (errno));
    return file;
}

dp_status
dp_submit_cli_close_output (FILE *file, const char *path, dp_error_t *err)
{
    if (!file)
        return DP_OK;
    int failed = ferror (file) || fflush (file) != 0;
    if (file != stdout && fclose (file) != 0)
        failed = 1;
    if (failed)
        return dp_error_set (err, DP_IO, "%s: write failed: %s", path, strerror (errno));
    return DP_OK;
}

dp_status
dp_submit_cli_write_line (FILE *file, const char *text, size_t len, dp_error_t *err)
{
    if (fwrite (text, 1, len, file) != len || fputc ('\n', file) == EOF || fflush (file) != 0)
        return dp_error_set (err, DP_IO, "write failed: %s", strerror (errno));
    return DP_OK;
}

dp_status
dp_submit_cli_read_file (const char *path, size_t max, char **text, size_t *len,
                         dp_error_t *err)
{
    *text = NULL;
    *len = 0;
    FILE *file = strcmp (path, "-") == 0? stdin: fopen (path, "rb");
    if (!file)
        return dp_error_set (err, DP_IO, "%s: cannot open: %s", path, strerror (errno));
    size_t cap = max < 64 * 1024? max: 64 * 1024, used = 0;
    char *buf = malloc (cap + 1);
    dp_status rc = buf? DP_OK: dp_error_set (err, DP_NOMEM, "%s: out of memory", path);
    while (rc == DP_OK) {
        if (used == cap) {
            if (cap >= max) {
                char extra;     //  exactly max bytes is fine: look for one more
                if (fread (&extra, 1, 1, file) == 1)
                    rc = dp_error_set (err, DP_LIMIT, "%s: larger than the limit of %zu bytes",
                                       path, max);
                break;
            }
            cap = cap * 2 < max? cap * 2: max;
            char *grown = realloc (buf, cap + 1);
            if (!grown) {
                rc = dp_error_set (err, DP_NOMEM, "%s: out of memory", path);
                break;
            }
            buf = grown;
        }
        size_t got = fread (buf + used, 1, cap - used, file);
        used += got;
        if (got == 0) {
            if (ferror (file))
                rc = dp_error_set (err, DP_IO, "%s: read error", path);
            break;
        }
    }
    if (file != stdin)
        fclose (file);
    if (rc != DP_OK) {
        free (buf);
        return rc;
    }
    buf [used] = '\0';
    *text = buf;
    *len = used;
    return DP_OK;
}
