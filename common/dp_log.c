/*  dp_log.c — levelled logging to stderr. */

#include "dp_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = DP_LOG_INFO;
static const char *s_program = "dealproof";
static const char *s_level_names [] = { "error", "warn", "info", "debug" };

dp_log_level
dp_log_set_level (dp_log_level level)
{
    return (dp_log_level) atomic_exchange (&s_level, (int) level);
}

int
dp_log_level_parse (const char *text)
{
    if (!text)
        return -1;
    if (strcasecmp (text, "warning") == 0)
        return DP_LOG_WARN;
    for (int level = 0; level < 4; level++)
        if (strcasecmp (text, s_level_names [level]) == 0)
            return level;
    return -1;
}

void
dp_log_init_from_env (void)
{
    const char *names [] = { "DP_LOG_LEVEL", "LOG_LEVEL" };
    for (int i = 0; i < 2; i++) {
        int level = dp_log_level_parse (getenv (names [i]));
        if (level >= 0) {
            dp_log_set_level ((dp_log_level) level);
            return;
        }
    }
}

void
dp_log_set_program (const char *name)
{
    if (name)
        s_program = name;
}

int
dp_log_enabled (dp_log_level level)
{
    return (int) level <= atomic_load (&s_level);
}

void
dp_log_write (dp_log_level level, const char *format, ...)
{
    char line [2048];
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    int used = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, now.tv_nsec / 1000000, s_program, (int) getpid (),
                         s_level_names [level < 4? level: 3]);
    va_list args;
    va_start (args, format);
    if (used > 0 && (size_t) used < sizeof line)
        used += vsnprintf (line + used, sizeof line - (size_t) used, format, args);
    va_end (args);
    if (used < 0)
        return;
    if ((size_t) used >= sizeof line - 1)
        used = (int) sizeof line - 2;
    line [used++] = '\n';
    //  One write per line so lines from threads do not interleave.
    ssize_t ignored = write (STDERR_FILENO, line, (size_t) used);
    (void) ignored;
}
