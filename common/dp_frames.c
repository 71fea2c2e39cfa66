/*  dp_frames.c — small helpers for raw ZeroMQ receives. */

#include "dp_frames.h"

#include <zmq.h>

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
