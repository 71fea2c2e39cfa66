/*  dp_status.c — status names and error details. */

#include "dp_status.h"

#include <stdio.h>
#include <string.h>

static const char *s_names [] = {
#define DP_STATUS_NAME(name, str, msg) str,
    DP_STATUS_MAP (DP_STATUS_NAME)
#undef DP_STATUS_NAME
};

static const char *s_messages [] = {
#define DP_STATUS_MESSAGE(name, str, msg) msg,
    DP_STATUS_MAP (DP_STATUS_MESSAGE)
#undef DP_STATUS_MESSAGE
};

const char *
dp_status_name (dp_status code)
{
    if ((unsigned) code >= DP_STATUS_COUNT)
        return "unknown";
    return s_names [code];
}

const char *
dp_status_message (dp_status code)
{
    if ((unsigned) code >= DP_STATUS_COUNT)
        return "unknown status";
    return s_messages [code];
}

void
dp_error_clear (dp_error_t *err)
{
    if (err) {
        err->code = DP_OK;
        err->text [0] = '\0';
    }
}

dp_status
dp_error_set (dp_error_t *err, dp_status code, const char *format, ...)
{
    if (err) {
        err->code = code;
        va_list args;
        va_start (args, format);
        vsnprintf (err->text, sizeof err->text, format, args);
        va_end (args);
    }
    return code;
}

dp_status
dp_error_prefix (dp_error_t *err, const char *format, ...)
{
    if (!err)
        return DP_INTERNAL;
    char prefix [DP_ERROR_TEXT_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (prefix, sizeof prefix, format, args);
    va_end (args);
    //  Twice the size so the compiler can see nothing is cut mid-format;
    //  the copy back truncates to the error's capacity.
    char joined [2 * DP_ERROR_TEXT_MAX + 3];
    snprintf (joined, sizeof joined, "%s: %s", prefix, err->text);
    size_t keep = strlen (joined);
    if (keep >= sizeof err->text)
        keep = sizeof err->text - 1;
    memcpy (err->text, joined, keep);
    err->text [keep] = '\0';
    return err->code;
}
