/*  dp-rawclient — sends malformed frames of every kind to a broker from a
    raw ZeroMQ DEALER and checks that each gets the right error reply and
    that the broker keeps serving.

    dp-rawclient --broker ENDPOINT --max-frame BYTES --max-batch N
                 [--max-batch-bytes BYTES --max-body BYTES]

    (the broker must run with the same limits; the last two cases run only
    when both are given, and need max-body < max-batch-bytes < 2 x max-body
    and max-batch-bytes + framing < max-frame).
    Prints one line per case; exit 0 when every case passed, 1 otherwise. */

#include <czmq.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sha256.h"
#include "dp_wire.h"

static zsock_t *s_dealer;
static int s_failures;

//  Sends frames (NULL-terminated list of (data, len) pairs) and waits for
//  one reply; returns it decoded (kind 0 if none or undecodable).
static void
s_exchange (const uint8_t *data, size_t len, int two_frames, dp_wire_msg_t *reply, zframe_t **keep)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, data, len);
    if (two_frames)
        zmsg_addstr (msg, "extra");
    zmsg_send (&msg, s_dealer);
    memset (reply, 0, sizeof *reply);
    zsock_set_rcvtimeo (s_dealer, 3000);
    *keep = zframe_recv (s_dealer);
    if (!*keep || dp_wire_decode (zframe_data (*keep), zframe_size (*keep), 0, 0, reply, NULL) != DP_OK)
        reply->kind = 0;
}

static void
s_case (const char *name, const uint8_t *data, size_t len, int two_frames, int want_kind,
        dp_status want_code)
{
    dp_wire_msg_t reply;
    zframe_t *frame;
    s_exchange (data, len, two_frames, &reply, &frame);
    dp_status code = reply.kind == DP_WIRE_SUBMIT_ACK && reply.count? reply.acks [0].code
                   : reply.kind == DP_WIRE_DONE_ACKS && reply.count? reply.done_acks [0].code
                   : reply.code;
    int ok = reply.kind == want_kind && code == want_code;
    printf ("%-28s %s (got %s %s%s%s)\n", name, ok? "ok": "FAILED", dp_wire_kind_name (reply.kind),
            dp_status_name (code), reply.kind == DP_WIRE_ERROR? ": ": "",
            reply.kind == DP_WIRE_ERROR? reply.text: "");
    s_failures += !ok;
    dp_wire_msg_clear (&reply);
    zframe_destroy (&frame);
}

static void
s_encoded (dp_wire_msg_t *msg, uint8_t **out, size_t *len)
{
    if (dp_wire_encode (msg, out, len, NULL) != DP_OK)
        abort ();
}

//  A case whose frame is msg, encoded.
static void
s_msg_case (const char *name, dp_wire_msg_t *msg, int want_kind, dp_status want_code)
{
    uint8_t *frame;
    size_t len;
    s_encoded (msg, &frame, &len);
    s_case (name, frame, len, 0, want_kind, want_code);
    free (frame);
}

//  A raw [version, kind, request_id, extra...] header with a string field.
static void
s_raw (msgpack_sbuffer *buf, int version, int kind, int fields)
{
    msgpack_packer pk;
    msgpack_sbuffer_init (buf);
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, (size_t) (3 + fields));
    msgpack_pack_int (&pk, version);
    msgpack_pack_int (&pk, kind);
    msgpack_pack_int (&pk, 7);
    for (int i = 0; i < fields; i++)
        msgpack_pack_str_with_body (&pk, "deal-1", 6);
}

//  The envelope mistakes a submit item can carry: bad_sha flips a bit of
//  body_sha256, bad_size misstates body_size, bad_priority sets 10.
enum { BAD_SHA = 1, BAD_SIZE = 2, BAD_PRIORITY = 4 };

static void
s_submit_case (const char *name, size_t count, int bad, size_t body_len, int want_kind,
               dp_status want)
{
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_SUBMIT, 9);
    msg.items = calloc (count, sizeof *msg.items);
    uint8_t *body = calloc (1, body_len + 1);
    for (size_t i = 0; i < count; i++) {
        dp_wire_item_t *item = &msg.items [i];
        snprintf (item->envelope.deal_id, sizeof item->envelope.deal_id, "raw-%zu", i);
        item->body = body;
        item->body_len = body_len;
        item->envelope.body_size = body_len;
        dp_sha256 (body, body_len, item->envelope.body_sha256);
        item->envelope.body_sha256 [0] ^= (uint8_t) (bad & BAD_SHA);
        if (bad & BAD_SIZE)
            item->envelope.body_size = body_len + 1;
        if (bad & BAD_PRIORITY)
            item->envelope.priority = 10;
    }
    msg.count = count;
    uint8_t *frame;
    size_t len;
    s_encoded (&msg, &frame, &len);
    s_case (name, frame, len, 0, want_kind, want);
    free (frame);
    free (body);
    free (msg.items);
}

int
main (int argc, char **argv)
{
    const char *broker = NULL;
    size_t max_frame = 65536, max_batch = 10, max_batch_bytes = 0, max_body = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp (argv [i], "--broker")) broker = argv [i + 1];
        else if (!strcmp (argv [i], "--max-frame")) max_frame = (size_t) atol (argv [i + 1]);
        else if (!strcmp (argv [i], "--max-batch")) max_batch = (size_t) atol (argv [i + 1]);
        else if (!strcmp (argv [i], "--max-batch-bytes")) max_batch_bytes = (size_t) atol (argv [i + 1]);
        else if (!strcmp (argv [i], "--max-body")) max_body = (size_t) atol (argv [i + 1]);
    }
    if (!broker)
        return 2;
    s_dealer = zsock_new_dealer (broker);
    zsock_set_linger (s_dealer, 0);

    s_case ("empty frame", (const uint8_t *) "", 0, 0, DP_WIRE_ERROR, DP_PROTO);
    s_case ("not msgpack", (const uint8_t *) "hello broker", 12, 0, DP_WIRE_ERROR, DP_PROTO);
    s_case ("map, not array", (const uint8_t *) "\x81\xa1x\x01", 4, 0, DP_WIRE_ERROR, DP_PROTO);
    s_case ("array count lie", (const uint8_t *) "\xdd\xff\xff\xff\xff\x01", 6, 0, DP_WIRE_ERROR, DP_PROTO);
    s_case ("str length lie", (const uint8_t *) "\x94\x01\x07\x00\xdb\xff\xff\xff\xf0", 9, 0,
            DP_WIRE_ERROR, DP_PROTO);

    msgpack_sbuffer buf;
    s_raw (&buf, 2, DP_WIRE_STATUS, 1);
    s_case ("unknown version", (uint8_t *) buf.data, buf.size, 0, DP_WIRE_ERROR, DP_UNSUPPORTED);
    msgpack_sbuffer_destroy (&buf);
    s_raw (&buf, 1, 99, 1);
    s_case ("unknown kind", (uint8_t *) buf.data, buf.size, 0, DP_WIRE_ERROR, DP_UNSUPPORTED);
    msgpack_sbuffer_destroy (&buf);
    s_raw (&buf, 1, DP_WIRE_WELCOME, 6);
    s_case ("welcome, wrong types", (uint8_t *) buf.data, buf.size, 0, DP_WIRE_ERROR, DP_PROTO);
    msgpack_sbuffer_destroy (&buf);
    s_raw (&buf, 1, DP_WIRE_STATUS, 2);
    s_case ("extra field", (uint8_t *) buf.data, buf.size, 0, DP_WIRE_ERROR, DP_PROTO);
    msgpack_sbuffer_destroy (&buf);
    s_raw (&buf, 1, DP_WIRE_STATS, 0);
    buf.data [buf.size - 1] = 0x05;         //  truncate nothing: stats is fine
    s_case ("stats (valid)", (uint8_t *) buf.data, buf.size, 0, DP_WIRE_STATS_REPLY, DP_OK);
    msgpack_sbuffer_destroy (&buf);

    dp_wire_msg_t msg;
    uint8_t *frame;
    size_t len;
    zframe_t *frame_keep = NULL;
    dp_wire_msg_init (&msg, DP_WIRE_STATUS, 3);
    snprintf (msg.deal_id, sizeof msg.deal_id, "no-such-deal");
    s_encoded (&msg, &frame, &len);
    s_case ("status of unknown deal", frame, len, 0, DP_WIRE_ERROR, DP_NOTFOUND);
    uint8_t *longer = malloc (len + 3);
    memcpy (longer, frame, len);
    memcpy (longer + len, "\xc0\xc0\xc0", 3);
    s_case ("trailing bytes", longer, len + 3, 0, DP_WIRE_ERROR, DP_PROTO);
    s_case ("truncated", frame, len - 3, 0, DP_WIRE_ERROR, DP_PROTO);
    s_case ("two frames", frame, len, 1, DP_WIRE_ERROR, DP_PROTO);
    frame [len - 5] = '/';                  //  inside the deal id
    s_case ("bad deal id", frame, len, 0, DP_WIRE_ERROR, DP_PROTO);
    frame [3] = 0xc3;                       //  request id → true: wrong type
    s_case ("wrong type", frame, len, 0, DP_WIRE_ERROR, DP_PROTO);
    free (longer);
    free (frame);

    dp_wire_msg_init (&msg, DP_WIRE_WELCOME, 4);
    s_msg_case ("broker-only kind", &msg, DP_WIRE_ERROR, DP_UNSUPPORTED);
    //  The batched kinds the broker sends (`jobs`, `events`), well formed,
    //  are refused the same way.
    dp_wire_msg_init (&msg, DP_WIRE_JOB, 0);
    snprintf (msg.envelope.deal_id, sizeof msg.envelope.deal_id, "deal-1");
    msg.body = (const uint8_t *) "{}";
    msg.body_len = msg.envelope.body_size = 2;
    dp_sha256 (msg.body, msg.body_len, msg.envelope.body_sha256);
    msg.token = 1;
    msg.attempt = 1;
    msg.lease_ms = 30000;
    uint8_t *part;
    size_t part_len;
    s_encoded (&msg, &part, &part_len);
    const uint8_t *parts [1] = { part };
    if (dp_wire_encode_jobs (parts, &part_len, 1, &frame, &len, NULL) != DP_OK)
        abort ();
    s_case ("jobs, a broker-only kind", frame, len, 0, DP_WIRE_ERROR, DP_UNSUPPORTED);
    free (frame);
    free (part);
    dp_wire_msg_init (&msg, DP_WIRE_EVENT, 0);
    msg.event.epoch = 1;
    msg.event.seq = 1;
    snprintf (msg.event.type, sizeof msg.event.type, "status");
    snprintf (msg.event.deal_id, sizeof msg.event.deal_id, "deal-1");
    snprintf (msg.event.status, sizeof msg.event.status, "pending");
    s_encoded (&msg, &part, &part_len);
    parts [0] = part;
    if (dp_wire_encode_events (parts, &part_len, 1, &frame, &len, NULL) != DP_OK)
        abort ();
    s_case ("events, a broker-only kind", frame, len, 0, DP_WIRE_ERROR, DP_UNSUPPORTED);
    free (frame);
    free (part);
    dp_wire_msg_init (&msg, DP_WIRE_HEARTBEAT, 5);
    s_msg_case ("heartbeat, no hello", &msg, DP_WIRE_ERROR, DP_NOTFOUND);
    dp_wire_msg_init (&msg, DP_WIRE_FEATURES, 5);
    snprintf (msg.features, sizeof msg.features, "jobs");
    s_msg_case ("features, no hello", &msg, DP_WIRE_ERROR, DP_NOTFOUND);
    dp_wire_msg_init (&msg, DP_WIRE_CREDIT, 5);
    msg.capacity = 4;
    s_msg_case ("credit, no hello", &msg, DP_WIRE_ERROR, DP_NOTFOUND);
    dp_wire_msg_init (&msg, DP_WIRE_LIST, 5);
    snprintf (msg.status, sizeof msg.status, "lost");
    msg.limit = 10;
    s_msg_case ("list, unknown status", &msg, DP_WIRE_ERROR, DP_INVALID);
    //  A single `done` whose status is not final (a `dones` answers it in
    //  its done_acks; a lone one gets an error).
    dp_wire_msg_init (&msg, DP_WIRE_DONE, 6);
    snprintf (msg.deal_id, sizeof msg.deal_id, "never-submitted");
    snprintf (msg.status, sizeof msg.status, "pending");
    msg.token = 42;
    s_msg_case ("result, status not final", &msg, DP_WIRE_ERROR, DP_PROTO);
    dp_wire_msg_init (&msg, DP_WIRE_DONE, 6);
    snprintf (msg.deal_id, sizeof msg.deal_id, "never-submitted");
    snprintf (msg.status, sizeof msg.status, "agreed");
    msg.token = 42;
    s_msg_case ("result for unknown deal", &msg, DP_WIRE_DONE_ACK, DP_NOTFOUND);
    //  A batch of results: for deals never submitted, answered at once; with
    //  a bad deal id inside, or more than DP_WIRE_DONES_MAX, refused whole.
    dp_wire_done_t *dones = calloc (DP_WIRE_DONES_MAX + 1, sizeof *dones);
    for (size_t i = 0; dones && i <= DP_WIRE_DONES_MAX; i++) {
        snprintf (dones [i].deal_id, sizeof dones [i].deal_id, "never-%zu", i);
        snprintf (dones [i].status, sizeof dones [i].status, "agreed");
    }
    dp_wire_msg_init (&msg, DP_WIRE_DONES, 7);
    msg.dones = dones;
    msg.count = 2;
    s_msg_case ("results for unknown deals", &msg, DP_WIRE_DONE_ACKS, DP_NOTFOUND);
    msg.count = DP_WIRE_DONES_MAX + 1;
    s_msg_case ("results over the limits", &msg, DP_WIRE_ERROR, DP_LIMIT);
    snprintf (dones [1].deal_id, sizeof dones [1].deal_id, "not an id");
    msg.count = 2;
    s_msg_case ("results, bad deal id", &msg, DP_WIRE_ERROR, DP_PROTO);
    free (dones);
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 8);
    snprintf (msg.role, sizeof msg.role, "admin");
    s_msg_case ("unknown role", &msg, DP_WIRE_ERROR, DP_INVALID);

    s_submit_case ("body sha mismatch", 1, BAD_SHA, 100, DP_WIRE_SUBMIT_ACK, DP_INVALID);
    s_submit_case ("body size mismatch", 1, BAD_SIZE, 100, DP_WIRE_SUBMIT_ACK, DP_INVALID);
    s_submit_case ("priority out of range", 1, BAD_PRIORITY, 100, DP_WIRE_ERROR, DP_PROTO);
    s_submit_case ("batch over the limit", max_batch + 1, 0, 10, DP_WIRE_ERROR, DP_LIMIT);
    s_submit_case ("frame over the limit", 1, 0, max_frame + 100, DP_WIRE_ERROR, DP_LIMIT);
    if (max_batch_bytes && max_body) {
        //  One body over its limit is refused in its ack; two bodies each
        //  within it but together over the batch's bytes, refused whole.
        s_submit_case ("body over the limit", 1, 0, max_body + 1, DP_WIRE_SUBMIT_ACK, DP_LIMIT);
        s_submit_case ("batch bytes over the limit", 2, 0, max_body, DP_WIRE_ERROR, DP_LIMIT);
    }
    s_submit_case ("valid submit", 1, 0, 100, DP_WIRE_SUBMIT_ACK, DP_OK);

    //  A frame more than twice the frame limit: ZeroMQ cuts the connection
    //  (its maxmsgsize) before the broker sees the frame, so nothing
    //  answers; the broker serves a new connection as before (below).
    size_t huge_len = 2 * max_frame + 8192;
    uint8_t *huge = calloc (1, huge_len);
    if (huge) {
        huge [0] = 0x94;
        dp_wire_msg_t none;
        s_exchange (huge, huge_len, 0, &none, &frame_keep);
        int ok = frame_keep == NULL;
        printf ("%-28s %s (%s)\n", "far over the frame limit", ok? "ok": "FAILED",
                ok? "no reply: the connection was cut": "a reply came");
        s_failures += !ok;
        zframe_destroy (&frame_keep);
        dp_wire_msg_clear (&none);
        free (huge);
        zsock_destroy (&s_dealer);
        s_dealer = zsock_new_dealer (broker);
        zsock_set_linger (s_dealer, 0);
    }
    dp_wire_msg_init (&msg, DP_WIRE_HELLO, 10);
    snprintf (msg.role, sizeof msg.role, "client");
    s_msg_case ("still serving (hello)", &msg, DP_WIRE_WELCOME, DP_OK);
    zsock_destroy (&s_dealer);
    printf ("%s: %d failed\n", s_failures? "FAILED": "ok", s_failures);
    return s_failures? 1: 0;
}
