/*  dp_broker.h — the durable DealProof job broker, embeddable.

    A broker owns an LMDB environment in options.data_dir, a ROUTER socket
    for clients and workers (options.listen) and a PUB socket for events
    (options.events, default: the listen port + 1; for inproc:// endpoints
    the listen name + "-events"). It runs on two threads of its own: the
    reactor (sockets, in-memory queue, leases) and the committer (LMDB
    group commits, so the reactor never waits for fsync). The protocol is
    docs/protocol.md; guarantees and operations are docs/operations.md.

    Threading: dp_broker_new, the accessors and dp_broker_destroy are called
    from one thread (the owner's); the broker's own threads do the rest. */

#ifndef DP_BROKER_H_INCLUDED
#define DP_BROKER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef struct {
    const char *data_dir;           //  required; created (0700) if missing
    const char *listen;             //  default "tcp://127.0.0.1:5570"; "tcp://127.0.0.1:*" picks a port
    const char *events;             //  default: derived from listen (see above)
    uint32_t lease_ms;              //  default 30000 (SPEC §2)
    uint32_t heartbeat_ms;          //  default 1000: both directions
    uint32_t liveness;              //  missed heartbeats before a worker is gone; default 3
    uint32_t max_attempts;          //  default 3: then poison (SPEC §3)
    uint64_t map_size;              //  initial LMDB map, default 1 GiB
    uint64_t map_max;               //  growth limit, default 64 GiB; then "queue full"
    uint64_t frame_max;             //  default DP_WIRE_FRAME_MAX (64 MiB)
    uint32_t batch_max;             //  default DP_WIRE_BATCH_MAX (10,000 deals)
    uint64_t batch_bytes_max;       //  a submit's bodies together, default 32 MiB (SPEC §1)
    uint64_t body_max;              //  one deal body, default 16 MiB (SPEC §1)
    uint64_t event_window;          //  durable events kept for replay, default 1,000,000
    uint32_t release_delay_ms;      //  a released deal waits this long before redelivery, default 1000
    uint32_t events_hwm;            //  PUB queue per subscriber (messages), default 1000; then drops
    const char *curve_secret;       //  CURVE: the broker's secret certificate (dp_curve.h); NULL: off
    const char *curve_allow;        //  and the folder of accepted public certificates (both or neither)
} dp_broker_options_t;

typedef struct dp_broker_t dp_broker_t;

//  Fills options with the defaults above (data_dir NULL).
void dp_broker_options_default (dp_broker_options_t *options);

//  Opens (or creates) the store, recovers pending and leased deals, binds
//  both sockets and starts serving. Returns NULL with err set: DP_INVALID
//  (bad option), DP_IO (data dir or LMDB), DP_UNREACHABLE (cannot bind),
//  DP_NOMEM. The options are copied.
dp_broker_t *dp_broker_new (const dp_broker_options_t *options, dp_error_t *err);

//  The bound endpoints (wildcard ports resolved). Owned by the broker.
const char *dp_broker_endpoint (dp_broker_t *self);
const char *dp_broker_events_endpoint (dp_broker_t *self);

//  Number of deals recovered from the store at start (pending + leased).
uint64_t dp_broker_recovered (dp_broker_t *self);

//  The zsock a caller may poll: it becomes readable (one message, "FAILED")
//  if the broker stops on its own after a fatal store error. Borrowed.
void *dp_broker_socket (dp_broker_t *self);

//  Drains and stops: refuses new submits, finishes the commit in flight
//  and the queued ones, acknowledges what they held, closes the store.
//  Idempotent; sets *self_p to NULL.
void dp_broker_destroy (dp_broker_t **self_p);

#endif
