/*  dp_frames.h — small helpers for raw ZeroMQ receives.

    Our messages are one msgpack frame (or a topic frame and one event on
    PUB). Hot paths receive with zmq_msg_t rather than CZMQ's frame and
    message objects, and must still cope with a peer that sends more parts
    than expected: these helpers drop the surplus so the next receive
    starts at a message boundary. */

#ifndef DP_FRAMES_H_INCLUDED
#define DP_FRAMES_H_INCLUDED

#include <stddef.h>

//  Receives and drops the remaining parts of the message being read from
//  socket (a libzmq socket handle). Returns how many parts it dropped.
size_t dp_frames_drop_rest (void *socket);

//  Sends data (malloc'd) as one frame without copying it: ZeroMQ frees it
//  once the frame is on the wire, or at once if the send fails. The send
//  takes ownership either way. Returns zmq_msg_send's result (-1 with
//  errno on failure).
int dp_frames_send_owned (void *socket, void *data, size_t len, int flags);

#endif
