/*  fuzz_wire.c — the frame decoder never crashes, never reads out of
    bounds, and every frame it accepts encodes back to a frame that decodes
    to the same message (kind, request id, and the re-encoding is stable). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_wire.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    dp_wire_msg_t msg, again;
    if (dp_wire_decode (data, size, 1 << 20, 100, &msg, NULL) != DP_OK)
        return 0;
    uint8_t *frame, *frame2;
    size_t len, len2;
    if (dp_wire_encode (&msg, &frame, &len, NULL) != DP_OK)
        abort ();
    if (dp_wire_decode (frame, len, 0, 0, &again, NULL) != DP_OK)
        abort ();
    if (again.kind != msg.kind || again.request_id != msg.request_id)
        abort ();
    if (dp_wire_encode (&again, &frame2, &len2, NULL) != DP_OK || len2 != len
        || memcmp (frame, frame2, len) != 0)
        abort ();
    free (frame2);
    dp_wire_msg_clear (&again);
    free (frame);
    dp_wire_msg_clear (&msg);
    return 0;
}
