/*  dp-broker — the durable DealProof job broker (docs/operations.md).

    Exit codes (SPEC §10): 0 stopped cleanly by SIGTERM/SIGINT after
    draining; 1 the store failed while running; 2 bad flags or arguments,
    an endpoint that is not one, an unusable data directory or store; 3
    the endpoints cannot be bound (in use, no such address). */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <czmq.h>

#include "dp_broker.h"
#include "dp_config.h"
#include "dp_curve.h"
#include "dp_log.h"

static const dp_config_option_t s_options [] = {
    { "data", "DP_DATA", "dealproof-data", "data directory (LMDB files; created if missing)", 0, 0 },
    { "listen", "DP_LISTEN", "tcp://127.0.0.1:5570", "ROUTER endpoint for clients and workers", 0, 0 },
    { "events", "DP_EVENTS", NULL, "PUB endpoint for events (default: listen port + 1)", 0, 0 },
    { "lease-ms", "DP_LEASE_MS", "30000", "lease length; renewed by worker heartbeats", 0, 0 },
    { "heartbeat-ms", "DP_HEARTBEAT_MS", "1000", "heartbeat interval, both directions", 0, 0 },
    { "liveness", "DP_LIVENESS", "3", "missed heartbeats before a worker is gone", 0, 0 },
    { "max-attempts", "DP_MAX_ATTEMPTS", "3", "deliveries lost before a deal is poison", 0, 0 },
    { "map-size", "DP_MAP_SIZE", "1073741824", "initial LMDB map size in bytes", 0, 0 },
    { "map-max", "DP_MAP_MAX", "68719476736", "LMDB map growth limit in bytes (then: queue full)", 0, 0 },
    { "max-frame", "DP_MAX_FRAME", "67108864", "largest protocol frame in bytes", 0, 0 },
    { "max-batch", "DP_MAX_BATCH", "10000", "most deals in one submit", 0, 0 },
    { "max-batch-bytes", "DP_MAX_BATCH_BYTES", "33554432", "largest submit: its deal bodies together, in bytes", 0, 0 },
    { "max-body", "DP_MAX_BODY", "16777216", "largest deal body in bytes", 0, 0 },
    { "event-window", "DP_EVENT_WINDOW", "1000000", "durable events kept for replay", 0, 0 },
    { "release-delay-ms", "DP_RELEASE_DELAY_MS", "1000", "wait before redelivering a released deal", 0, 0 },
    { "events-hwm", "DP_EVENTS_HWM", "1000", "event messages (each up to 256 events) queued per subscriber before PUB drops", 0, 0 },
    { "log-level", "DP_LOG_LEVEL", "info", "error, warn, info or debug", 0, 0 },
    { "curve-secret", "DP_CURVE_SECRET", NULL, "CURVE: the broker's secret certificate (with --curve-allow)", 0, 0 },
    { "curve-allow", "DP_CURVE_ALLOW", NULL, "CURVE: folder of the public certificates of accepted clients and workers", 0, 0 },
    { "curve-keygen", NULL, NULL, "write a new key pair to PATH and PATH_secret, then exit", 0, 0 },
};

typedef struct {
    const char *name;
    long long min, max;
    size_t offset;
    int is64;
} s_int_option_t;

#define OPT32(n, f, lo, hi) { n, lo, hi, offsetof (dp_broker_options_t, f), 0 }
#define OPT64(n, f, lo, hi) { n, lo, hi, offsetof (dp_broker_options_t, f), 1 }
static const s_int_option_t s_ints [] = {
    OPT32 ("lease-ms", lease_ms, 100, 86400000),
    OPT32 ("heartbeat-ms", heartbeat_ms, 10, 600000),
    OPT32 ("liveness", liveness, 1, 1000),
    OPT32 ("max-attempts", max_attempts, 1, 1000),
    OPT64 ("map-size", map_size, 1 << 20, 1ll << 50),
    OPT64 ("map-max", map_max, 1 << 20, 1ll << 50),
    OPT64 ("max-frame", frame_max, 1024, 1ll << 31),
    OPT32 ("max-batch", batch_max, 1, 1000000),
    OPT64 ("max-batch-bytes", batch_bytes_max, 1, 1ll << 40),
    OPT64 ("max-body", body_max, 1, 1ll << 40),
    OPT64 ("event-window", event_window, 1, 1ll << 40),
    OPT32 ("release-delay-ms", release_delay_ms, 0, 3600000),
    OPT32 ("events-hwm", events_hwm, 1, 10000000),
};

static int
s_read_options (dp_config_t *config, dp_broker_options_t *options, dp_error_t *err)
{
    dp_broker_options_default (options);
    options->data_dir = dp_config_get (config, "data");
    options->listen = dp_config_get (config, "listen");
    options->events = dp_config_get (config, "events");
    options->curve_secret = dp_config_get (config, "curve-secret");
    options->curve_allow = dp_config_get (config, "curve-allow");
    for (size_t i = 0; i < sizeof s_ints / sizeof s_ints [0]; i++) {
        long long value;
        if (dp_config_get_int (config, s_ints [i].name, s_ints [i].min, s_ints [i].max,
                               &value, err) != DP_OK)
            return -1;
        char *field = (char *) options + s_ints [i].offset;
        if (s_ints [i].is64)
            *(uint64_t *) field = (uint64_t) value;
        else
            *(uint32_t *) field = (uint32_t) value;
    }
    int level = dp_log_level_parse (dp_config_get (config, "log-level"));
    if (level < 0) {
        dp_error_set (err, DP_INVALID, "--log-level: must be error, warn, info or debug");
        return -1;
    }
    //  Unset, the level read from DP_LOG_LEVEL or LOG_LEVEL at start stands
    //  (the option's own variable is only the first of them).
    if (dp_config_is_set (config, "log-level"))
        dp_log_set_level ((dp_log_level) level);
    return 0;
}

//  Waits for SIGTERM/SIGINT (blocked in every thread, taken here with
//  sigtimedwait) or for the broker to report a fatal store error.
static int
s_run (dp_broker_t *broker, sigset_t *signals)
{
    zpoller_t *poller = zpoller_new (dp_broker_socket (broker), NULL);
    int code = 0;
    while (true) {
        struct timespec wait = { 0, 0 };
        int sig = sigtimedwait (signals, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            dp_log_info ("broker: signal %d: draining", sig);
            break;
        }
        if (zpoller_wait (poller, 100)) {
            char *message = zstr_recv (dp_broker_socket (broker));
            int failed = message && strcmp (message, "FAILED") == 0;
            zstr_free (&message);
            if (failed) {
                code = 1;
                break;
            }
        }
    }
    zpoller_destroy (&poller);
    return code;
}

int
main (int argc, char **argv)
{
    dp_log_set_program ("dp-broker");
    dp_log_init_from_env ();
    dp_config_t *config = dp_config_new ("dp-broker", "dp-broker [--data DIR] [--listen ENDPOINT] "
                                         "[--events ENDPOINT] [flags]",
                                         s_options, sizeof s_options / sizeof s_options [0]);
    if (!config)
        return 2;
    dp_error_t err;
    dp_status rc = dp_config_parse (config, argc, argv, &err);
    dp_broker_options_t options;
    if (rc == DP_UNSUPPORTED) {
        dp_config_destroy (&config);
        return 0;
    }
    const char *keygen = rc == DP_OK? dp_config_get (config, "curve-keygen"): NULL;
    if (keygen) {
        rc = dp_curve_keygen (keygen, &err);
        if (rc == DP_OK)
            printf ("wrote %s (public: give it to the other side) and %s_secret (keep it)\n",
                    keygen, keygen);
        else
            fprintf (stderr, "dp-broker: %s\n", err.text);
        dp_config_destroy (&config);
        return rc == DP_OK? 0: 2;
    }
    if (rc == DP_OK && dp_config_positional_count (config) > 0) {
        //  dp-broker takes flags only: a stray word is most likely a flag
        //  typed with one dash, which would otherwise be ignored.
        rc = dp_error_set (&err, DP_INVALID, "unexpected argument '%s' (dp-broker takes flags only)",
                           dp_config_positional (config, 0));
    }
    if (rc != DP_OK || s_read_options (config, &options, &err) != 0) {
        fprintf (stderr, "dp-broker: %s\n", err.text);
        dp_config_destroy (&config);
        return 2;
    }
    //  Block the stop signals before any thread starts, so every thread
    //  inherits the mask and only s_run ever sees them.
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    zsys_handler_set (NULL);
    dp_broker_t *broker = dp_broker_new (&options, &err);
    if (!broker) {
        fprintf (stderr, "dp-broker: %s\n", err.text);
        dp_config_destroy (&config);
        return err.code == DP_UNREACHABLE? 3: 2;   //  flags, data dir or store format
    }
    printf ("dp-broker listening on %s, events on %s\n", dp_broker_endpoint (broker),
            dp_broker_events_endpoint (broker));
    fflush (stdout);
    int code = s_run (broker, &signals);
    dp_broker_destroy (&broker);
    dp_config_destroy (&config);
    return code;
}
