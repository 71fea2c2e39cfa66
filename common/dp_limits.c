/*  dp_limits.c — the limits table (SPEC §1). */

#include "dp_limits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const dp_limits_t s_defaults = {
#define DP_LIMITS_DEFAULT(field, def, unit, flag, env, help) .field = (def),
    DP_LIMITS_MAP (DP_LIMITS_DEFAULT)
#undef DP_LIMITS_DEFAULT
};

static const dp_limits_row_t s_rows [] = {
#define DP_LIMITS_ROW(field, def, unit, flag, env, help) \
    { #field, flag, env, unit, help, (def) },
    DP_LIMITS_MAP (DP_LIMITS_ROW)
#undef DP_LIMITS_ROW
};

static const size_t s_offsets [] = {
#define DP_LIMITS_OFFSET(field, def, unit, flag, env, help) offsetof (dp_limits_t, field),
    DP_LIMITS_MAP (DP_LIMITS_OFFSET)
#undef DP_LIMITS_OFFSET
};

#define S_ROW_COUNT (sizeof s_rows / sizeof s_rows [0])

const dp_limits_t *
dp_limits_default (void)
{
    return &s_defaults;
}

const dp_limits_row_t *
dp_limits_rows (size_t *count)
{
    if (count)
        *count = S_ROW_COUNT;
    return s_rows;
}

//  "16MiB", "16M", "65536": a positive integer times a power of 1024.
static int
s_parse_size (const char *text, uint64_t *value)
{
    if (!text || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long number = strtoull (text, &end, 10);
    if (errno || number == 0)
        return -1;
    uint64_t scale = 1;
    if (strcasecmp (end, "k") == 0 || strcasecmp (end, "kib") == 0)
        scale = DP_KIB;
    else
    if (strcasecmp (end, "m") == 0 || strcasecmp (end, "mib") == 0)
        scale = DP_MIB;
    else
    if (strcasecmp (end, "g") == 0 || strcasecmp (end, "gib") == 0)
        scale = 1024 * DP_MIB;
    else
    if (*end)
        return -1;
    if (number > UINT64_MAX / scale)
        return -1;
    *value = number * scale;
    return 0;
}

dp_status
dp_limits_set (dp_limits_t *limits, const char *name, const char *text, dp_error_t *err)
{
    for (size_t i = 0; name && i < S_ROW_COUNT; i++) {
        if (strcmp (name, s_rows [i].name) != 0 && strcmp (name, s_rows [i].flag) != 0)
            continue;
        uint64_t value;
        if (s_parse_size (text, &value))
            return dp_error_set (err, DP_INVALID,
                                 "%s: expected a positive integer (optionally with KiB/MiB/GiB), got '%.64s'",
                                 s_rows [i].name, text? text: "");
        *(uint64_t *) ((char *) limits + s_offsets [i]) = value;
        return DP_OK;
    }
    return dp_error_set (err, DP_INVALID, "%.64s: no such limit", name? name: "(null)");
}

dp_status
dp_limits_check (const dp_limits_t *limits, dp_error_t *err)
{
    //  A batch travels in one frame with per-deal envelopes and acks.
    uint64_t framing = limits->batch_deals_max * DP_KIB + 64 * DP_KIB;
    if (limits->frame_max <= limits->batch_bytes_max + framing)
        return dp_error_set (err, DP_INVALID,
                             "frame_max (%" PRIu64 ") must exceed batch_bytes_max (%" PRIu64
                             ") plus framing (%" PRIu64 ")",
                             limits->frame_max, limits->batch_bytes_max, framing);
    if (limits->line_max < limits->deal_body_max)
        return dp_error_set (err, DP_INVALID,
                             "line_max (%" PRIu64 ") must be at least deal_body_max (%" PRIu64 ")",
                             limits->line_max, limits->deal_body_max);
    return DP_OK;
}

const char *
dp_limits_name (const dp_limits_t *limits, const uint64_t *field)
{
    for (size_t i = 0; limits && i < S_ROW_COUNT; i++)
        if ((const char *) field == (const char *) limits + s_offsets [i])
            return s_rows [i].name;
    return "limit";
}

dp_status
dp_limits_exceeded (dp_error_t *err, const char *field, uint64_t got,
                    const dp_limits_t *limits, const uint64_t *limit)
{
    const char *name = dp_limits_name (limits, limit);
    const char *unit = "units";
    for (size_t i = 0; i < S_ROW_COUNT; i++)
        if (strcmp (s_rows [i].name, name) == 0)
            unit = s_rows [i].unit;
    return dp_error_set (err, DP_LIMIT, "%s: %" PRIu64 " %s exceeds the limit of %" PRIu64 " %s (%s)",
                         field, got, unit, *limit, unit, name);
}
