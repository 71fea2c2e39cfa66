/*  dp_submit.c — exit codes and error reporting shared by the commands. */

#include "dp_submit.h"

#include <stdarg.h>
#include <stdio.h>

int
dp_submit_exit_for (dp_status code)
{
    switch (code) {
        case DP_OK:
            return DP_SUBMIT_EXIT_OK;
        case DP_INVALID:
        case DP_LIMIT:
        case DP_EXISTS:
        case DP_UNSUPPORTED:
        case DP_IO:
            return DP_SUBMIT_EXIT_USAGE;
        case DP_UNREACHABLE:
        case DP_TIMEOUT:
            return DP_SUBMIT_EXIT_UNREACHABLE;
        default:
            return DP_SUBMIT_EXIT_NEGATIVE;
    }
}

void
dp_submit_report (const char *command, const dp_error_t *err)
{
    const char *text = err && err->text [0]? err->text
                     : dp_status_message (err? err->code: DP_INTERNAL);
    fprintf (stderr, "dp-submit %s: %s\n", command, text);
}

void
dp_submit_reportf (const char *command, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "dp-submit %s: ", command);
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
}
