/*  fuzz_submit_input.c — the JSON Lines / JSON array record reader of
    dp-submit never reads out of bounds, hands out NUL-terminated records
    no longer than its limit, and always ends. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit_input.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *stream = fmemopen ((void *) data, size, "r");
    if (!stream)
        return 0;
    dp_error_t err;
    //  A small limit so the over-long paths are reached too.
    dp_submit_input_t *input = dp_submit_input_from_stream (stream, "fuzz", 64, &err);
    if (input) {
        for (size_t n = 0; n <= size + 1; n++) {
            dp_submit_record_t record;
            dp_status rc = dp_submit_input_next (input, &record, &err);
            if (rc == DP_OK && (record.len > 64 || strlen (record.text) > record.len))
                abort ();
            if (rc != DP_OK && rc != DP_LIMIT)
                break;
        }
        dp_submit_input_destroy (&input);
    }
    fclose (stream);
    return 0;
}
