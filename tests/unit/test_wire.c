/*  test_wire.c — protocol frames: round trips and strict refusals. */

#include <criterion/criterion.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sha256.h"
#include "dp_wire.h"

static dp_wire_item_t
s_item (const char *deal_id, const char *body)
{
    dp_wire_item_t item;
    memset (&item, 0, sizeof item);
    snprintf (item.envelope.deal_id, sizeof item.envelope.deal_id, "%s", deal_id);
    snprintf (item.envelope.batch, sizeof item.envelope.batch, "batch-1");
    snprintf (item.envelope.data_hash, sizeof item.envelope.data_hash, "%064d", 7);
    snprintf (item.envelope.seller_address, sizeof item.envelope.seller_address,
              "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    snprintf (item.envelope.escrow_amount_eth, sizeof item.envelope.escrow_amount_eth, "0.25");
    snprintf (item.envelope.buyer_engine, sizeof item.envelope.buyer_engine, "claude");
    item.envelope.priority = 9;
    item.envelope.submitted_at_ms = -5;
    item.body = (const uint8_t *) body;
    item.body_len = strlen (body);
    item.envelope.body_size = item.body_len;
    dp_sha256 (body, item.body_len, item.envelope.body_sha256);
    return item;
}

static void
s_round_trip (dp_wire_msg_t *in, dp_wire_msg_t *out, uint8_t **frame)
{
    size_t len;
    cr_assert_eq (dp_wire_encode (in, frame, &len, NULL), DP_OK);
    dp_error_t err;
    dp_status rc = dp_wire_decode (*frame, len, 0, 0, out, &err);
    cr_assert_eq (rc, DP_OK, "decode: %s", err.text);
    cr_assert_eq (out->kind, in->kind);
    cr_assert_eq (out->request_id, in->request_id);
}

Test (wire, submit_round_trip)
{
    dp_wire_item_t items [2] = { s_item ("a-1", "{\"deal_id\":\"a-1\"}"), s_item ("b.2:x_y", "{}") };
    dp_wire_msg_t msg, back;
    dp_wire_msg_init (&msg, DP_WIRE_SUBMIT, 1ull << 40);
    msg.items = items;
    msg.count = 2;
    uint8_t *frame;
    s_round_trip (&msg, &back, &frame);
    cr_assert_eq (back.count, 2);
    cr_assert_eq (memcmp (&back.items [0].envelope, &items [0].envelope, sizeof items [0].envelope), 0);
    cr_assert_eq (back.items [1].body_len, 2);
    cr_assert_eq (memcmp (back.items [1].body, "{}", 2), 0);
    cr_assert_eq (back.items [0].envelope.submitted_at_ms, -5);
    dp_wire_msg_clear (&back);
    free (frame);
}

Test (wire, every_kind_round_trips)
{
    for (int kind = 1; kind < DP_WIRE_KIND_COUNT; kind++) {
        dp_wire_msg_t msg, back;
        dp_wire_msg_init (&msg, kind, (uint64_t) kind);
        snprintf (msg.deal_id, sizeof msg.deal_id, "deal-%d", kind);
        snprintf (msg.envelope.deal_id, sizeof msg.envelope.deal_id, "deal-%d", kind);
        snprintf (msg.event.deal_id, sizeof msg.event.deal_id, "deal-%d", kind);
        snprintf (msg.status, sizeof msg.status, "agreed");
        msg.token = UINT64_MAX;
        msg.code = DP_STALE;
        msg.stats.commit_avg_ms = 2.5;
        uint8_t *frame;
        s_round_trip (&msg, &back, &frame);
        if (kind == DP_WIRE_DONE || kind == DP_WIRE_JOB)
            cr_assert_eq (back.token, UINT64_MAX, "%s", dp_wire_kind_name (kind));
        if (kind == DP_WIRE_ERROR)
            cr_assert_eq (back.code, DP_STALE);
        if (kind == DP_WIRE_STATS_REPLY)
            cr_assert_float_eq (back.stats.commit_avg_ms, 2.5, 1e-9);
        dp_wire_msg_clear (&back);
        free (frame);
    }
}

static dp_status
s_decode (const void *data, size_t len, char *text)
{
    dp_wire_msg_t msg;
    dp_error_t err;
    dp_status rc = dp_wire_decode (data, len, 1000, 2, &msg, &err);
    if (rc != DP_OK && text)
        snprintf (text, DP_ERROR_TEXT_MAX, "%s", err.text);
    dp_wire_msg_clear (&msg);
    return rc;
}

Test (wire, refuses_malformed_frames)
{
    char text [DP_ERROR_TEXT_MAX];
    cr_assert_eq (s_decode ("", 0, text), DP_PROTO);
    cr_assert_eq (s_decode ("\x93\x02\x07\x00", 4, text), DP_UNSUPPORTED);
    cr_assert (strstr (text, "version"), "%s", text);
    cr_assert_eq (s_decode ("\x93\x01\x7f\x00", 4, text), DP_UNSUPPORTED);
    cr_assert_eq (s_decode ("\x93\x01\x0d\x00", 4, text), DP_OK);                //  stats
    cr_assert_eq (s_decode ("\x93\x01\x0d\x00\x00", 5, text), DP_PROTO);         //  trailing
    cr_assert (strstr (text, "trailing"), "%s", text);
    cr_assert_eq (s_decode ("\x94\x01\x07\x00\xa3\x61\x00\x62", 8, text), DP_PROTO);  //  NUL in id
    cr_assert_eq (s_decode ("\x94\x01\x07\x00\xa3\x61/b", 8, text), DP_PROTO);   //  bad id charset
    cr_assert_eq (s_decode ("\x94\x01\x07\x00\x05", 5, text), DP_PROTO);         //  int for a string
    cr_assert (strstr (text, "deal_id"), "%s", text);
    cr_assert_eq (s_decode ("\x94\x01\x07\x00\xdb\xff\xff\xff\xff", 9, text), DP_PROTO);
    cr_assert_eq (s_decode ("\x94\x01\x05\x00\xdd\x7f\xff\xff\xff", 9, text), DP_PROTO);
    cr_assert (strstr (text, "exceeds"), "%s", text);
    char big [1001] = { 0 };
    cr_assert_eq (s_decode (big, sizeof big, text), DP_LIMIT);
}

Test (wire, refuses_batches_over_the_limit_and_bad_envelopes)
{
    dp_wire_item_t items [3] = { s_item ("a", "x"), s_item ("b", "y"), s_item ("c", "z") };
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_SUBMIT, 1);
    msg.items = items;
    msg.count = 3;
    uint8_t *frame;
    size_t len;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    char text [DP_ERROR_TEXT_MAX];
    cr_assert_eq (s_decode (frame, len, text), DP_LIMIT);
    free (frame);
    items [0].envelope.priority = 10;
    msg.count = 1;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    cr_assert_eq (s_decode (frame, len, text), DP_PROTO);
    cr_assert (strstr (text, "priority"), "%s", text);
    free (frame);
    dp_error_t err;
    items [0].envelope.priority = 0;
    snprintf (items [0].envelope.data_hash, sizeof items [0].envelope.data_hash, "ABC");
    cr_assert_eq (dp_wire_check_envelope (&items [0].envelope, &err), DP_INVALID);
    cr_assert (strstr (err.text, "data_hash"));
    items [0].envelope.data_hash [0] = '\0';
    //  escrow_amount_eth: dp_money's rules (what the deal parser took), or empty.
    static const char *const bad_amounts [] = { "abc", "0", "-1", "0.0000000000000000001", "1e80" };
    for (size_t i = 0; i < sizeof bad_amounts / sizeof *bad_amounts; i++) {
        snprintf (items [0].envelope.escrow_amount_eth, sizeof items [0].envelope.escrow_amount_eth,
                  "%s", bad_amounts [i]);
        cr_assert_eq (dp_wire_check_envelope (&items [0].envelope, &err), DP_INVALID, "%s", bad_amounts [i]);
        cr_assert (strstr (err.text, "escrow_amount_eth: "), "%s", err.text);
    }
    static const char *const good_amounts [] = { "", "0.25", "1", "1e-18", "1000000" };
    for (size_t i = 0; i < sizeof good_amounts / sizeof *good_amounts; i++) {
        snprintf (items [0].envelope.escrow_amount_eth, sizeof items [0].envelope.escrow_amount_eth,
                  "%s", good_amounts [i]);
        cr_assert_eq (dp_wire_check_envelope (&items [0].envelope, &err), DP_OK, "%s: %s",
                      good_amounts [i], err.text);
    }
}

Test (wire, every_truncation_is_refused)
{
    dp_wire_item_t items [1] = { s_item ("t-1", "{\"deal_id\":\"t-1\"}") };
    dp_wire_msg_t msg;
    dp_wire_msg_init (&msg, DP_WIRE_SUBMIT, 77);
    msg.items = items;
    msg.count = 1;
    uint8_t *frame;
    size_t len;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    for (size_t cut = 0; cut < len; cut++)
        cr_assert_neq (s_decode (frame, cut, NULL), DP_OK, "cut at %zu accepted", cut);
    free (frame);
}

Test (wire, deal_id_rules)
{
    cr_assert (dp_wire_deal_id_valid ("A-z.0_9:x"));
    cr_assert (!dp_wire_deal_id_valid (""));
    cr_assert (!dp_wire_deal_id_valid ("a b"));
    char id [130];
    memset (id, 'a', 129);
    id [129] = '\0';
    cr_assert (!dp_wire_deal_id_valid (id));
    id [128] = '\0';
    cr_assert (dp_wire_deal_id_valid (id));
    cr_assert_eq (dp_wire_status_from_name ("exists"), DP_EXISTS);
}

//  A worker's batch of results and the broker's batch of answers: every
//  member survives the round trip, a bad deal id inside refuses the frame
//  by name, and more than DP_WIRE_DONES_MAX members are refused.
Test (wire, dones_and_done_acks)
{
    dp_wire_done_t dones [2];
    memset (dones, 0, sizeof dones);
    snprintf (dones [0].deal_id, sizeof dones [0].deal_id, "d-1");
    dones [0].token = UINT64_MAX;
    snprintf (dones [0].status, sizeof dones [0].status, "agreed");
    dones [0].data = (const uint8_t *) "{\"a\": 1}";
    dones [0].data_len = 8;
    snprintf (dones [1].deal_id, sizeof dones [1].deal_id, "d-2");
    dones [1].token = 7;
    snprintf (dones [1].status, sizeof dones [1].status, "failed");
    snprintf (dones [1].reason, sizeof dones [1].reason, "no deal");
    dp_wire_msg_t msg, back;
    dp_wire_msg_init (&msg, DP_WIRE_DONES, 3);
    msg.dones = dones;
    msg.count = 2;
    uint8_t *frame;
    s_round_trip (&msg, &back, &frame);
    cr_assert_eq (back.count, 2);
    cr_assert_str_eq (back.dones [0].deal_id, "d-1");
    cr_assert_eq (back.dones [0].token, UINT64_MAX);
    cr_assert_eq (back.dones [0].data_len, 8);
    cr_assert_eq (memcmp (back.dones [0].data, "{\"a\": 1}", 8), 0);
    cr_assert_str_eq (back.dones [1].status, "failed");
    cr_assert_str_eq (back.dones [1].reason, "no deal");
    cr_assert_eq (back.dones [1].data_len, 0);
    dp_wire_msg_clear (&back);
    free (frame);

    snprintf (dones [1].deal_id, sizeof dones [1].deal_id, "bad id");
    size_t len;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    char text [DP_ERROR_TEXT_MAX];
    cr_assert_eq (s_decode (frame, len, text), DP_PROTO);
    cr_assert (strstr (text, "deal_id"), "%s", text);
    free (frame);

    dp_wire_done_ack_t *acks = calloc (DP_WIRE_DONES_MAX + 1, sizeof *acks);
    for (size_t i = 0; i <= DP_WIRE_DONES_MAX; i++) {
        snprintf (acks [i].deal_id, sizeof acks [i].deal_id, "a-%zu", i);
        acks [i].token = i;
        acks [i].code = i % 2? DP_STALE: DP_OK;
    }
    snprintf (acks [1].text, sizeof acks [1].text, "stale lease");
    dp_wire_msg_init (&msg, DP_WIRE_DONE_ACKS, 4);
    msg.done_acks = acks;
    msg.count = 2;
    s_round_trip (&msg, &back, &frame);
    cr_assert_eq (back.count, 2);
    cr_assert_eq (back.done_acks [0].code, DP_OK);
    cr_assert_eq (back.done_acks [1].code, DP_STALE);
    cr_assert_eq (back.done_acks [1].token, 1);
    cr_assert_str_eq (back.done_acks [1].text, "stale lease");
    dp_wire_msg_clear (&back);
    free (frame);
    msg.count = DP_WIRE_DONES_MAX + 1;
    cr_assert_eq (dp_wire_encode (&msg, &frame, &len, NULL), DP_OK);
    dp_error_t err;
    cr_assert_eq (dp_wire_decode (frame, len, 0, 0, &back, &err), DP_LIMIT);
    cr_assert (strstr (err.text, "done_acks"), "%s", err.text);
    dp_wire_msg_clear (&back);
    free (frame);
    free (acks);
}

//  A stored record's envelope copied into a job as it is: the job decodes
//  to the same envelope; decoding from the second field leaves the first
//  alone; spans tile the fields; malformed msgpack is refused by name.
Test (wire, field_spans_and_raw_envelopes)
{
    dp_wire_item_t item = s_item ("span-1", "{\"x\": 1}");
    dp_wire_msg_t record, job, back;
    dp_wire_msg_init (&record, DP_WIRE_STATUS_REPLY, 0);
    record.envelope = item.envelope;
    snprintf (record.status, sizeof record.status, "pending");
    snprintf (record.escrow_tx, sizeof record.escrow_tx, "0xfeed");
    record.attempts = 2;
    uint8_t *frame, *job_frame;
    size_t len, job_len, offset, span, at = 0;
    cr_assert_eq (dp_wire_encode (&record, &frame, &len, NULL), DP_OK);
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq (dp_wire_field_span (frame, len, i, &offset, &span, NULL), DP_OK);
        cr_assert (i == 0 || offset == at, "field %zu at %zu, expected %zu", i, offset, at);
        at = offset + span;
    }
    cr_assert_eq (at, len);
    dp_error_t err;
    cr_assert_eq (dp_wire_field_span (frame, len, 7, &offset, &span, &err), DP_PROTO);

    cr_assert_eq (dp_wire_field_span (frame, len, 0, &offset, &span, NULL), DP_OK);
    dp_wire_msg_init (&job, DP_WIRE_JOB, 9);
    job.envelope_raw = frame + offset;
    job.envelope_raw_len = span;
    job.body = item.body;
    job.body_len = item.body_len;
    job.token = 77;
    cr_assert_eq (dp_wire_encode (&job, &job_frame, &job_len, NULL), DP_OK);
    cr_assert_eq (dp_wire_decode (job_frame, job_len, 0, 0, &back, &err), DP_OK, "%s", err.text);
    cr_assert_eq (memcmp (&back.envelope, &item.envelope, sizeof item.envelope), 0);
    cr_assert_eq (back.token, 77);
    cr_assert_eq (back.body_len, item.body_len);
    dp_wire_msg_clear (&back);
    free (job_frame);

    cr_assert_eq (dp_wire_decode_from (frame, len, 1, &back, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (back.envelope.deal_id, "");
    cr_assert_str_eq (back.status, "pending");
    cr_assert_str_eq (back.escrow_tx, "0xfeed");
    cr_assert_eq (back.attempts, 2);
    dp_wire_msg_clear (&back);

    //  The envelope's bytes broken: the walk says so, and so does decoding.
    frame [offset] = 0xc1;                      //  a msgpack type byte never used
    cr_assert_eq (dp_wire_field_span (frame, len, 1, &offset, &span, &err), DP_PROTO);
    cr_assert (strstr (err.text, "field 0"), "%s", err.text);
    cr_assert_eq (dp_wire_decode_from (frame, len, 1, &back, &err), DP_PROTO);
    cr_assert (strstr (err.text, "envelope"), "%s", err.text);
    for (size_t cut = 0; cut < len; cut++)
        cr_assert_neq (dp_wire_field_span (frame, cut, 6, &offset, &span, NULL), DP_OK);
    free (frame);
}

//  A batch frame built from single frames must be byte for byte what
//  dp_wire_encode makes of msg, and decode to msg's kind and count (into back).
static void
s_expect_encoded (const dp_wire_msg_t *msg, const uint8_t *joined, size_t joined_len,
                  dp_wire_msg_t *back)
{
    uint8_t *direct;
    size_t direct_len;
    cr_assert_eq (dp_wire_encode (msg, &direct, &direct_len, NULL), DP_OK);
    cr_assert_eq (joined_len, direct_len);
    cr_assert_eq (memcmp (joined, direct, direct_len), 0);
    free (direct);
    cr_assert_eq (dp_wire_decode (joined, joined_len, 0, 0, back, NULL), DP_OK);
    cr_assert_eq (back->kind, msg->kind);
    cr_assert_eq (back->count, msg->count);
}

//  The broker publishes the events it stored as one `events` message made
//  by copying each stored frame's event array: the bytes must be exactly
//  those of encoding the same events, and anything but `event` frames is
//  refused.
Test (wire, events_from_event_frames)
{
    enum { N = 3 };
    dp_wire_event_t events [N];
    uint8_t *frames [N];
    size_t lens [N];
    const char *types [N] = { "status", "result", "annotation" };
    for (int i = 0; i < N; i++) {
        dp_wire_msg_t msg;
        dp_wire_msg_init (&msg, DP_WIRE_EVENT, 0);
        msg.event.epoch = 7;
        msg.event.seq = 1000 + (uint64_t) i * 70000;    //  fixint, uint16, uint32 encodings
        snprintf (msg.event.type, sizeof msg.event.type, "%s", types [i]);
        snprintf (msg.event.deal_id, sizeof msg.event.deal_id, "deal-%d", i);
        snprintf (msg.event.status, sizeof msg.event.status, i == 1? "agreed": "pending");
        snprintf (msg.event.batch, sizeof msg.event.batch, "b");
        msg.event.time_ms = -1;
        msg.event.attempt = (uint32_t) i;
        msg.event.data = (const uint8_t *) "{\"agreed\":true}";
        msg.event.data_len = i == 1? 15: 0;
        events [i] = msg.event;
        cr_assert_eq (dp_wire_encode (&msg, &frames [i], &lens [i], NULL), DP_OK);
    }
    uint8_t *joined;
    size_t joined_len;
    dp_error_t err;
    cr_assert_eq (dp_wire_encode_events ((const uint8_t *const *) frames, lens, N, &joined,
                                         &joined_len, &err), DP_OK, "%s", err.text);
    dp_wire_msg_t msg, back;
    dp_wire_msg_init (&msg, DP_WIRE_EVENTS, 0);
    msg.events = events;
    msg.count = N;
    s_expect_encoded (&msg, joined, joined_len, &back);
    cr_assert_eq (back.events [2].seq, 141000);
    cr_assert_str_eq (back.events [1].status, "agreed");
    cr_assert_eq (back.events [1].data_len, 15);
    dp_wire_msg_clear (&back);
    free (joined);

    //  Empty is a valid message; a non-event frame, a truncated or padded
    //  event, and too many events are refused.
    cr_assert_eq (dp_wire_encode_events (NULL, NULL, 0, &joined, &joined_len, NULL), DP_OK);
    cr_assert_eq (dp_wire_decode (joined, joined_len, 0, 0, &back, NULL), DP_OK);
    cr_assert_eq (back.count, 0);
    dp_wire_msg_clear (&back);
    free (joined);
    dp_wire_msg_t tick;
    dp_wire_msg_init (&tick, DP_WIRE_TICK, 0);
    uint8_t *tick_frame;
    size_t tick_len;
    cr_assert_eq (dp_wire_encode (&tick, &tick_frame, &tick_len, NULL), DP_OK);
    const uint8_t *bad [1] = { tick_frame };
    size_t bad_len [1] = { tick_len };
    cr_assert_eq (dp_wire_encode_events (bad, bad_len, 1, &joined, &joined_len, &err), DP_INVALID);
    cr_assert_null (joined);
    cr_assert (strstr (err.text, "frame 0"), "%s", err.text);
    bad [0] = frames [1];
    bad_len [0] = lens [1] - 1;
    cr_assert_eq (dp_wire_encode_events (bad, bad_len, 1, &joined, &joined_len, NULL), DP_INVALID);
    uint8_t padded [512];
    cr_assert_lt (lens [1] + 1, sizeof padded);
    memcpy (padded, frames [1], lens [1]);
    padded [lens [1]] = 0xc0;
    bad [0] = padded;
    bad_len [0] = lens [1] + 1;
    cr_assert_eq (dp_wire_encode_events (bad, bad_len, 1, &joined, &joined_len, NULL), DP_INVALID);
    cr_assert_eq (dp_wire_encode_events ((const uint8_t *const *) frames, lens,
                                         DP_WIRE_EVENTS_MAX + 1, &joined, &joined_len, NULL),
                  DP_INVALID);
    free (tick_frame);
    for (int i = 0; i < N; i++)
        free (frames [i]);
}

//  The broker's `jobs` from its `job` frames (each with its envelope as
//  stored, copied as it is): the bytes dp_wire_encode makes of the same
//  jobs; `features` round trips; a frame of another kind is refused.
Test (wire, jobs_from_job_frames_and_features)
{
    enum { N = 3 };
    dp_wire_item_t items [N] = { s_item ("j-1", "{}"), s_item ("j-2", "{\"x\":1}"),
                                 s_item ("j-3", "") };
    dp_wire_job_t jobs [N];
    uint8_t *frames [N];
    size_t lens [N];
    for (int i = 0; i < N; i++) {
        dp_wire_msg_t msg;
        dp_wire_msg_init (&msg, DP_WIRE_JOB, 0);
        msg.envelope = items [i].envelope;
        msg.body = items [i].body;
        msg.body_len = items [i].body_len;
        msg.token = UINT64_MAX - (uint64_t) i;
        msg.attempt = (uint32_t) i + 1;
        msg.lease_ms = 30000;
        jobs [i] = dp_wire_msg_job (&msg);
        cr_assert_eq (dp_wire_encode (&msg, &frames [i], &lens [i], NULL), DP_OK);
    }
    uint8_t *joined;
    size_t joined_len;
    dp_error_t err;
    cr_assert_eq (dp_wire_encode_jobs ((const uint8_t *const *) frames, lens, N, &joined,
                                       &joined_len, &err), DP_OK, "%s", err.text);
    dp_wire_msg_t msg, back;
    dp_wire_msg_init (&msg, DP_WIRE_JOBS, 0);
    msg.jobs = jobs;
    msg.count = N;
    s_expect_encoded (&msg, joined, joined_len, &back);
    cr_assert_str_eq (back.jobs [1].envelope.deal_id, "j-2");
    cr_assert_eq (back.jobs [1].body_len, 7);
    cr_assert_eq (memcmp (back.jobs [1].body, "{\"x\":1}", 7), 0);
    cr_assert_eq (back.jobs [2].token, UINT64_MAX - 2);
    cr_assert_eq (back.jobs [2].attempt, 3);
    cr_assert_eq (memcmp (back.jobs [0].envelope.body_sha256, items [0].envelope.body_sha256, 32), 0);
    dp_wire_msg_clear (&back);
    free (joined);
    //  An `event` frame is not a job.
    dp_wire_msg_t event;
    dp_wire_msg_init (&event, DP_WIRE_EVENT, 0);
    uint8_t *event_frame;
    size_t event_len;
    cr_assert_eq (dp_wire_encode (&event, &event_frame, &event_len, NULL), DP_OK);
    const uint8_t *bad [2] = { frames [0], event_frame };
    size_t bad_len [2] = { lens [0], event_len };
    cr_assert_eq (dp_wire_encode_jobs (bad, bad_len, 2, &joined, &joined_len, &err), DP_INVALID);
    cr_assert (strstr (err.text, "frame 1 is not an encoded job"), "%s", err.text);
    free (event_frame);
    for (int i = 0; i < N; i++)
        free (frames [i]);

    dp_wire_msg_init (&msg, DP_WIRE_FEATURES, 9);
    snprintf (msg.features, sizeof msg.features, "jobs");
    uint8_t *frame;
    s_round_trip (&msg, &back, &frame);
    cr_assert_str_eq (back.features, "jobs");
    dp_wire_msg_clear (&back);
    free (frame);
}
