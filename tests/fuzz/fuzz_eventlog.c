/*  fuzz_eventlog.c — the event log parser takes any bytes without a
    crash, a leak or an error without text; an accepted log replays, and
    every event it hands back is within its bounds (IMR 0..3, a dstack
    runtime event checked against its payload). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_eventlog.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    dp_eventlog_t *log = NULL;
    dp_error_t err = { 0 };
    if (dp_eventlog_parse ((const char *) data, size, &log, &err) != DP_OK) {
        if (log || !err.text [0])
            abort ();
        return 0;
    }
    uint8_t rtmr [4][DP_EVENTLOG_DIGEST_SIZE];
    dp_eventlog_replay (log, rtmr);
    for (size_t i = 0; i < dp_eventlog_count (log); i++) {
        const dp_eventlog_event_t *e = dp_eventlog_event (log, i);
        if (e->imr > 3 || !e->name || (e->payload_len && !e->payload))
            abort ();
        if (e->imr == 3 && e->event_type == DP_EVENTLOG_RUNTIME_TYPE && !e->payload_checked)
            abort ();
    }
    if (dp_eventlog_event (log, dp_eventlog_count (log)))
        abort ();
    dp_eventlog_destroy (&log);
    return 0;
}
