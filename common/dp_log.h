/*  dp_log.h — levelled logging to stderr, key=value style.

    Levels: error, warn, info, debug. The level comes from LOG_LEVEL (the
    seed's name) or DP_LOG_LEVEL, default info; a program may set it from a
    flag. The level is checked before the message is formatted (Redis'
    habit), so debug lines cost nothing when off.

    Never log secrets (keys, API keys) or payload bodies (deal bodies,
    emails): log identifiers such as `deal=ID worker=ID seq=N`.
    Thread-safe: each line is written with one call. */

#ifndef DP_LOG_H_INCLUDED
#define DP_LOG_H_INCLUDED

typedef enum { DP_LOG_ERROR = 0, DP_LOG_WARN, DP_LOG_INFO, DP_LOG_DEBUG } dp_log_level;

//  Sets the level; returns the previous one.
dp_log_level dp_log_set_level (dp_log_level level);

//  Parses "error|warn|warning|info|debug" (any case); returns -1 if unknown.
int dp_log_level_parse (const char *text);

//  Reads LOG_LEVEL / DP_LOG_LEVEL from the environment, if set and valid.
void dp_log_init_from_env (void);

//  Sets the program name printed on each line (borrowed; keep it alive).
void dp_log_set_program (const char *name);

//  True if a message at this level would be printed.
int dp_log_enabled (dp_log_level level);

void dp_log_write (dp_log_level level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#define dp_log_error(...) \
    do { if (dp_log_enabled (DP_LOG_ERROR)) dp_log_write (DP_LOG_ERROR, __VA_ARGS__); } while (0)
#define dp_log_warn(...) \
    do { if (dp_log_enabled (DP_LOG_WARN)) dp_log_write (DP_LOG_WARN, __VA_ARGS__); } while (0)
#define dp_log_info(...) \
    do { if (dp_log_enabled (DP_LOG_INFO)) dp_log_write (DP_LOG_INFO, __VA_ARGS__); } while (0)
#define dp_log_debug(...) \
    do { if (dp_log_enabled (DP_LOG_DEBUG)) dp_log_write (DP_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
