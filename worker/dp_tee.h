/*  dp_tee.h — the worker's TEE client: quotes and key derivation.

    Modes (SPEC §10), chosen once by dp_tee_new:
    - "dstack": the DstackGuest API of current Phala CVMs (POST /GetQuote,
      /GetKey, /Info) on the dstack socket;
    - "tappd": the legacy Tappd API (POST /prpc/Tappd.RawQuote, or
      Tappd.TdxQuote with hash_algorithm "raw" where RawQuote is missing;
      Tappd.DeriveK256Key, Tappd.Info) on the tappd socket;
    - "simulation": the built-in simulator (dp_tee_sim.h): complete TDX v4
      quotes signed under the simulation root of SPEC §8;
    - "auto" (the default): a configured endpoint if any, else the first
      dstack socket found, else the first tappd socket, else simulation;
    - "production" (the seed's word): auto without the simulation fallback.

    Endpoints: dstack_endpoint / $DSTACK_SIMULATOR_ENDPOINT and
    tappd_endpoint / $TAPPD_SIMULATOR_ENDPOINT; a value starting with
    http:// or https:// is a TCP URL, anything else a unix socket path (as
    the dstack SDKs do). The seed pointed DSTACK_SIMULATOR_ENDPOINT at a
    tappd simulator, so a dstack endpoint is probed: POST /Info answering
    means dstack; else /prpc/Tappd.Info or a raw Tappd.TdxQuote answering
    means tappd. Sockets searched, in order:
        /var/run/dstack.sock /run/dstack.sock /var/run/dstack/dstack.sock
        /run/dstack/dstack.sock, then the same four with tappd.sock.
    An endpoint that is configured or a socket that exists but does not
    answer is an error (never a silent fall back to simulation): a worker
    in a CVM must not hand out simulated quotes because its agent was slow.

    Every quote is requested with the 64 report-data bytes as they are
    (never the tappd default of SHA-512 over "app-data:" ‖ data), and the
    quote that comes back is checked to carry exactly those bytes.

    Failures: each request is retried with exponential backoff (attempts
    and delays in the options); then the call fails with the mode, the
    endpoint, the method and the last reason ("tappd /var/run/tappd.sock
    Tappd.RawQuote: HTTP 500: ..."). Nothing here crashes on a bad answer.

    Threading: a dp_tee_t is shared by all job threads; dp_tee_quote and
    dp_tee_derive_key are thread-safe (one curl handle per request; the
    simulator's keys are read-only). */

#ifndef DP_TEE_H_INCLUDED
#define DP_TEE_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef struct dp_tee_t dp_tee_t;
typedef struct dp_simroot_t dp_simroot_t;

#define DP_TEE_REPORT_DATA_SIZE 64
#define DP_TEE_QUOTE_MAX        (64 * 1024)     //  real quotes are ~5 KB

typedef struct {
    //  "auto" | "production" | "dstack" | "tappd" | "simulation"; NULL:
    //  $TEE_MODE, else "auto". Unknown names are DP_INVALID.
    const char *mode;
    //  NULL: $DSTACK_SIMULATOR_ENDPOINT / $TAPPD_SIMULATOR_ENDPOINT, else
    //  the socket search. Ignored in simulation mode.
    const char *dstack_endpoint;
    const char *tappd_endpoint;
    //  Simulation root folder; NULL: dp_simroot_default_dir (DP_SIM_ROOT,
    //  then XDG). Created on first use.
    const char *sim_root;
    //  An already opened simulation root to use instead (borrowed; must
    //  outlive the dp_tee_t). Takes precedence over sim_root.
    dp_simroot_t *simroot;
    //  Per request: total time limit (0: 10000 ms), attempts (0: 4) and the
    //  first backoff delay, doubled after each failure (0: 200 ms; capped
    //  at 5 s).
    int timeout_ms;
    int attempts;
    int backoff_ms;
    //  Search only socket_dir/dstack.sock then socket_dir/tappd.sock
    //  instead of the system paths above (tests); NULL: system paths.
    const char *socket_dir;
} dp_tee_options_t;

//  Selects and checks the mode (probing endpoints as above; in simulation,
//  opening or creating the sim root). options may be NULL (all defaults).
//  Returns NULL with err set: DP_INVALID (unknown mode); DP_UNREACHABLE /
//  DP_TIMEOUT (no endpoint, or it never answered within the attempts);
//  DP_UNSUPPORTED (the endpoint refuses both APIs); DP_PROTO (it speaks the
//  other API than TEE_MODE asks for, or kept answering 5xx / garbage); or
//  the sim root's errors.
dp_tee_t *dp_tee_new (const dp_tee_options_t *options, dp_error_t *err);

//  Destroys; sets *self_p to NULL. Idempotent.
void dp_tee_destroy (dp_tee_t **self_p);

//  "dstack" | "tappd" | "simulation": the result's `tee_mode`. Never NULL.
const char *dp_tee_mode_name (const dp_tee_t *self);

//  The socket path or URL in use, or the sim root folder in simulation.
const char *dp_tee_endpoint (const dp_tee_t *self);

//  1 when the agent's endpoint was given (--dstack-endpoint, --tappd-
//  endpoint or their *_SIMULATOR_ENDPOINT variables: a simulator, as their
//  names say), 0 when the worker found a guest agent's socket (a CVM) or
//  runs in simulation.
int dp_tee_endpoint_configured (const dp_tee_t *self);

//  The simulation root (borrowed) in simulation mode, else NULL.
dp_simroot_t *dp_tee_simroot (const dp_tee_t *self);

//  Hex SHA-256 of the simulation root's DER (the result's `sim_root`) in
//  simulation mode, else NULL.
const char *dp_tee_sim_root_hex (const dp_tee_t *self);

//  A TDX quote whose REPORTDATA is exactly report_data. On DP_OK *quote is
//  a malloc'd binary quote (caller frees) of *len bytes. Errors:
//  DP_TIMEOUT, DP_UNREACHABLE, DP_PROTO (bad answer, wrong report data),
//  DP_CRYPTO (simulator), all after the retries, with the reason in err.
dp_status dp_tee_quote (dp_tee_t *self, const uint8_t report_data [DP_TEE_REPORT_DATA_SIZE],
                        uint8_t **quote, size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  dp_tee_quote that also hands back the event log: when event_log is not
//  NULL it receives the malloc'd JSON text the TEE returned (the caller
//  frees it; "[]" in simulation and when the TEE sent none).
dp_status dp_tee_quote_ex (dp_tee_t *self, const uint8_t report_data [DP_TEE_REPORT_DATA_SIZE],
                           uint8_t **quote, size_t *len, char **event_log, dp_error_t *err)
    DP_MUST_CHECK;

//  Derives the app's secp256k1 private key for path through the TEE's key
//  derivation (dstack GetKey algorithm secp256k1; tappd DeriveK256Key):
//  the same app gets the same key after a restart. DP_UNSUPPORTED in
//  simulation and when the agent has no such method (the legacy tappd
//  simulator): dp_enclave_key stores a generated key instead; DP_PROTO if
//  the answer is not a valid secp256k1 key.
dp_status dp_tee_derive_key (dp_tee_t *self, const char *path, uint8_t key [32],
                             dp_error_t *err) DP_MUST_CHECK;

//  The TEE's Info answer (app_id, measurements, ...) as a new JSON object
//  the caller owns (json_object_put). In simulation: {"tee_mode":
//  "simulation", "sim_root": hex, "sim_root_dir": path}.
dp_status dp_tee_info (dp_tee_t *self, json_object **info, dp_error_t *err) DP_MUST_CHECK;

#endif
