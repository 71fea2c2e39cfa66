/*  fuzz_wire.c — the frame decoder never crashes, never reads out of
    bounds, and every frame it accepts encodes back to a frame that decodes
    to the same message (kind, request id, and the re-encoding is stable).
    The structural walk (dp_wire_field_span, dp_wire_decode_from) never
    crashes on any input either, and on an accepted frame its spans tile
    the fields exactly and decoding from the first field is decoding. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_wire.h"

//  On any input: spans of the first fields, without crashing. On a frame
//  that decodes: field after field without a gap, and the last (if it has
//  fields) ending at the end.
static void
s_check_spans (const uint8_t *data, size_t size, int accepted)
{
    size_t at = 0;
    for (size_t i = 0; i < 64; i++) {
        size_t offset, span;
        if (dp_wire_field_span (data, size, i, &offset, &span, NULL) != DP_OK) {
            if (accepted && i > 0 && at != size)
                abort ();       //  a field of an accepted frame not found
            return;
        }
        if (offset + span > size || (accepted && i > 0 && offset != at))
            abort ();
        at = offset + span;
    }
}

//  The broker's `events` from stored `event` frames, and its `jobs` from
//  `job` frames: on any input the batch encoder either refuses or makes a
//  frame that decodes exactly when the input decoded as that single kind,
//  to one item with the same seq / token.
static void
s_check_batch (const uint8_t *data, size_t size, const dp_wire_msg_t *msg, int accepted, int jobs)
{
    uint8_t *frame;
    size_t len;
    int is_item = accepted && msg->kind == (jobs? DP_WIRE_JOB: DP_WIRE_EVENT);
    dp_status rc = jobs? dp_wire_encode_jobs (&data, &size, 1, &frame, &len, NULL)
                       : dp_wire_encode_events (&data, &size, 1, &frame, &len, NULL);
    if (rc != DP_OK) {
        if (is_item)
            abort ();           //  a good item refused
        return;
    }
    dp_wire_msg_t batch;
    rc = dp_wire_decode (frame, len, 1 << 20, 100, &batch, NULL);
    if ((rc == DP_OK) != is_item)
        abort ();
    if (rc == DP_OK && (batch.kind != (jobs? DP_WIRE_JOBS: DP_WIRE_EVENTS) || batch.count != 1
                        || (jobs? batch.jobs [0].token != msg->token
                                : batch.events [0].seq != msg->event.seq)))
        abort ();
    dp_wire_msg_clear (&batch);
    free (frame);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    dp_wire_msg_t msg, again;
    dp_status rc = dp_wire_decode (data, size, 1 << 20, 100, &msg, NULL);
    s_check_spans (data, size, rc == DP_OK);
    s_check_batch (data, size, &msg, rc == DP_OK, 0);
    s_check_batch (data, size, &msg, rc == DP_OK, 1);
    if (rc != DP_OK)
        return 0;
    if (dp_wire_decode_from (data, size, 0, &again, NULL) != DP_OK || again.kind != msg.kind)
        abort ();
    dp_wire_msg_clear (&again);
    dp_wire_decode_from (data, size, 1, &again, NULL);
    dp_wire_msg_clear (&again);
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
