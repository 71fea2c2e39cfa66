/*  dp_frames.c — small helpers for raw ZeroMQ receives. */

#include "dp_frames.h"

#include <stdlib.h>
#include <zmq.h>

static void
s_free (void *data, void *hint)
{
    (void) hint;
    free (data);
}

size_t
dp_frames_drop_rest (void *socket)
{
    size_t dropped = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, socket, 0) < 0) {
            zmq_msg_close (&part);
            break;
        }
        dropped++;
        more = zmq_msg_more (&part);
        zmq_msg_close (&part);
    }
    return dropped;
}

int
dp_frames_send_owned (void *socket, void *data, size_t len, int flags)
{
    zmq_msg_t msg;
    if (zmq_msg_init_data (&msg, data, len, s_free, NULL) != 0) {
        free (data);
        return -1;
    }
    int rc = zmq_msg_send (&msg, socket, flags);
    if (rc < 0)
        zmq_msg_close (&msg);       //  frees data
    return rc;
}
