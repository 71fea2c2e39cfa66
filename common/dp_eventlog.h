/*  dp_eventlog.h — a dstack TDX event log: parsed, checked and replayed
    against a quote's RTMRs (docs/quote-verification.md, "Event log").

    The log is what the guest agent returns beside a quote (`event_log`):
    a JSON array of {imr, event_type, digest, event, event_payload}, or
    that array encoded once more as a JSON string, as dstack sends it.
    Replay: each RTMR starts at 48 zero bytes and becomes
    SHA-384(RTMR ‖ digest) for each of its events in order. The IMR 3
    events that dstack itself writes (event_type 0x08000001: app-id,
    compose-hash, instance-id, key-provider, ...) carry their payload, and
    their digest is checked against it (dstack's v1 form,
    SHA-384(u32le(type) ‖ ":" ‖ name ‖ ":" ‖ payload), or v2, SHA-384 of
    {"name","payload","type"} as canonical JSON); boot events (IMR 0-2)
    carry a digest only, which the replay alone vouches for.

    Ownership: dp_eventlog_parse returns a new log the caller destroys. */

#ifndef DP_EVENTLOG_H_INCLUDED
#define DP_EVENTLOG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_quote.h"
#include "dp_status.h"

#define DP_EVENTLOG_DIGEST_SIZE 48
#define DP_EVENTLOG_EVENTS_MAX  4096        //  a real log has a few dozen
#define DP_EVENTLOG_RUNTIME_TYPE 0x08000001u //  dstack's own IMR 3 events

typedef struct {
    uint32_t imr;                           //  0..3
    uint32_t event_type;
    uint8_t digest [DP_EVENTLOG_DIGEST_SIZE];
    const char *name;                       //  "" for boot events
    const uint8_t *payload;                 //  decoded event_payload
    size_t payload_len;
    int payload_checked;                    //  the digest was checked against name and payload
} dp_eventlog_event_t;

typedef struct dp_eventlog_t dp_eventlog_t;

//  Parses text[0..len). DP_INVALID naming the entry and the field for
//  anything malformed ("event_log[7]: digest: expected 96 hex digits"),
//  and for a dstack runtime event whose digest does not match its name
//  and payload; DP_LIMIT past DP_EVENTLOG_EVENTS_MAX entries; DP_NOMEM.
dp_status dp_eventlog_parse (const char *text, size_t len, dp_eventlog_t **out,
                             dp_error_t *err) DP_MUST_CHECK;
void dp_eventlog_destroy (dp_eventlog_t **self_p);

size_t dp_eventlog_count (const dp_eventlog_t *self);
//  The index-th event (in log order), borrowed.
const dp_eventlog_event_t *dp_eventlog_event (const dp_eventlog_t *self, size_t index);

//  The four RTMRs the log replays to.
void dp_eventlog_replay (const dp_eventlog_t *self, uint8_t rtmr [4][DP_EVENTLOG_DIGEST_SIZE]);

//  Compares the replay with a TD quote's RTMR0-3. DP_OK when all four
//  match; DP_INVALID naming the first that differs with both values; also
//  for a quote without a TD body.
dp_status dp_eventlog_check_quote (const dp_eventlog_t *self, const dp_quote_t *quote,
                                   dp_error_t *err) DP_MUST_CHECK;

//  The payload of the last dstack runtime event called name (e.g.
//  "compose-hash"), or NULL; *len set when found.
const uint8_t *dp_eventlog_runtime (const dp_eventlog_t *self, const char *name, size_t *len);

#endif
