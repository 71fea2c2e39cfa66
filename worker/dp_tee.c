/*  dp_tee.c — TEE mode selection, retries, and dispatch to the guest-agent
    client (dp_tee_api) or the built-in simulator (dp_tee_sim). */

#include "dp_tee.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dp_log.h"
#include "dp_simroot.h"
#include "dp_tee_api.h"
#include "dp_tee_sim.h"

#define S_DEFAULT_TIMEOUT_MS    10000
#define S_DEFAULT_ATTEMPTS      4
#define S_DEFAULT_BACKOFF_MS    200
#define S_MAX_BACKOFF_MS        5000

typedef enum { S_MODE_AUTO, S_MODE_PRODUCTION, S_MODE_DSTACK, S_MODE_TAPPD, S_MODE_SIMULATION } s_mode_t;

struct dp_tee_t {
    const char *mode_name;      //  "dstack" | "tappd" | "simulation"
    dp_tee_api_t *api;          //  dstack / tappd
    dp_simroot_t *own_root;     //  simulation, when we opened it
    dp_simroot_t *root;         //  simulation (own_root or the caller's)
    dp_tee_sim_t *sim;
    int attempts;
    int backoff_ms;
    int configured;             //  the endpoint was given (a *_SIMULATOR_ENDPOINT), not found
};

static const char *s_dstack_sockets [] = {
    "/var/run/dstack.sock", "/run/dstack.sock", "/var/run/dstack/dstack.sock", "/run/dstack/dstack.sock"
};
static const char *s_tappd_sockets [] = {
    "/var/run/tappd.sock", "/run/tappd.sock", "/var/run/dstack/tappd.sock", "/run/dstack/tappd.sock"
};

static int
s_parse_mode (const char *text, s_mode_t *mode)
{
    static const struct { const char *name; s_mode_t mode; } table [] = {
        { "auto", S_MODE_AUTO }, { "production", S_MODE_PRODUCTION }, { "dstack", S_MODE_DSTACK },
        { "tappd", S_MODE_TAPPD }, { "simulation", S_MODE_SIMULATION }
    };
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++)
        if (strcmp (text, table [i].name) == 0) {
            *mode = table [i].mode;
            return 0;
        }
    return -1;
}

static const char *
s_option_or_env (const char *value, const char *env)
{
    if (value && *value)
        return value;
    const char *from_env = getenv (env);
    return from_env && *from_env ? from_env : NULL;
}

static int
s_is_socket (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISSOCK (st.st_mode);
}

//  The first existing socket for kind, from socket_dir or the system paths.
static const char *
s_find_socket (const dp_tee_options_t *options, dp_tee_api_kind kind, char *buffer, size_t size)
{
    if (options && options->socket_dir) {
        snprintf (buffer, size, "%s/%s", options->socket_dir,
                  kind == DP_TEE_API_DSTACK ? "dstack.sock" : "tappd.sock");
        return s_is_socket (buffer) ? buffer : NULL;
    }
    const char **paths = kind == DP_TEE_API_DSTACK ? s_dstack_sockets : s_tappd_sockets;
    for (size_t i = 0; i < 4; i++)
        if (s_is_socket (paths [i]))
            return paths [i];
    return NULL;
}

static void
s_sleep_ms (int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * 1000000L };
    while (nanosleep (&delay, &delay) != 0 && errno == EINTR)
        ;
}

//  --------------------------------------------------------------------------
//  Construction

static dp_status
s_open_simulation (dp_tee_t *self, const dp_tee_options_t *options, dp_error_t *err)
{
    self->mode_name = "simulation";
    self->root = options ? options->simroot : NULL;
    if (!self->root) {
        self->own_root = dp_simroot_open (options ? options->sim_root : NULL, 1, err);
        if (!self->own_root)
            return err ? err->code : DP_INTERNAL;
        self->root = self->own_root;
    }
    self->sim = dp_tee_sim_new (self->root, err);
    if (!self->sim)
        return err ? err->code : DP_INTERNAL;
    dp_log_info ("tee mode=simulation sim_root=%s root_sha256=%s", dp_simroot_dir (self->root),
                 dp_simroot_root_sha256_hex (self->root));
    return DP_OK;
}

//  Probes endpoint (retrying while it is unreachable) and keeps it when it
//  speaks a wanted API (want 0: either).
static dp_status
s_use_endpoint (dp_tee_t *self, const char *endpoint, dp_tee_api_kind want, int timeout_ms,
                dp_error_t *err)
{
    dp_tee_api_kind kind = 0;
    dp_status rc = DP_OK;
    int delay = self->backoff_ms;
    for (int attempt = 1; attempt <= self->attempts; attempt++) {
        rc = dp_tee_api_probe (endpoint, timeout_ms, &kind, err);
        if (rc == DP_OK || rc == DP_UNSUPPORTED || attempt == self->attempts)
            break;
        s_sleep_ms (delay);
        delay = delay * 2 > S_MAX_BACKOFF_MS ? S_MAX_BACKOFF_MS : delay * 2;
    }
    if (rc != DP_OK)
        return dp_error_prefix (err, "tee: after %d attempts", self->attempts);
    if (want && kind != want)
        return dp_error_set (err, DP_PROTO, "tee: %s speaks the %s API, not %s (use TEE_MODE=auto)",
                             endpoint, kind == DP_TEE_API_DSTACK ? "dstack" : "tappd",
                             want == DP_TEE_API_DSTACK ? "dstack" : "tappd");
    self->api = dp_tee_api_new (endpoint, kind, timeout_ms, err);
    if (!self->api)
        return DP_NOMEM;
    self->mode_name = kind == DP_TEE_API_DSTACK ? "dstack" : "tappd";
    dp_log_info ("tee mode=%s endpoint=%s", self->mode_name, endpoint);
    return DP_OK;
}

//  The endpoint for a mode other than simulation, in SPEC §10's order.
static dp_status
s_select_endpoint (dp_tee_t *self, s_mode_t mode, const dp_tee_options_t *options, int timeout_ms,
                   dp_error_t *err)
{
    const char *dstack = s_option_or_env (options ? options->dstack_endpoint : NULL,
                                          "DSTACK_SIMULATOR_ENDPOINT");
    const char *tappd = s_option_or_env (options ? options->tappd_endpoint : NULL,
                                         "TAPPD_SIMULATOR_ENDPOINT");
    char dstack_buf [4096], tappd_buf [4096];
    self->configured = 1;
    if (mode != S_MODE_TAPPD && dstack)
        return s_use_endpoint (self, dstack, mode == S_MODE_DSTACK ? DP_TEE_API_DSTACK : 0,
                               timeout_ms, err);
    if (mode != S_MODE_DSTACK && tappd)
        return s_use_endpoint (self, tappd, DP_TEE_API_TAPPD, timeout_ms, err);
    //  Seed compatibility: its DSTACK_SIMULATOR_ENDPOINT named a tappd simulator.
    if (mode == S_MODE_TAPPD && dstack)
        return s_use_endpoint (self, dstack, DP_TEE_API_TAPPD, timeout_ms, err);
    self->configured = 0;
    const char *socket = mode == S_MODE_TAPPD ? NULL
                       : s_find_socket (options, DP_TEE_API_DSTACK, dstack_buf, sizeof dstack_buf);
    if (socket)
        return s_use_endpoint (self, socket, DP_TEE_API_DSTACK, timeout_ms, err);
    socket = mode == S_MODE_DSTACK ? NULL
           : s_find_socket (options, DP_TEE_API_TAPPD, tappd_buf, sizeof tappd_buf);
    if (socket)
        return s_use_endpoint (self, socket, DP_TEE_API_TAPPD, timeout_ms, err);
    return DP_NOTFOUND;     //  nothing configured and no socket: the caller decides
}

static void
s_apply_limits (dp_tee_t *self, const dp_tee_options_t *options)
{
    self->attempts = options && options->attempts > 0 ? options->attempts : S_DEFAULT_ATTEMPTS;
    self->backoff_ms = options && options->backoff_ms > 0 ? options->backoff_ms : S_DEFAULT_BACKOFF_MS;
}

dp_tee_t *
dp_tee_new (const dp_tee_options_t *options, dp_error_t *err)
{
    const char *mode_text = s_option_or_env (options ? options->mode : NULL, "TEE_MODE");
    s_mode_t mode = S_MODE_AUTO;
    if (mode_text && s_parse_mode (mode_text, &mode) != 0) {
        dp_error_set (err, DP_INVALID, "TEE_MODE: \"%.64s\" is not auto, production, dstack, "
                      "tappd or simulation", mode_text);
        return NULL;
    }
    dp_tee_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "tee: out of memory");
        return NULL;
    }
    s_apply_limits (self, options);
    int timeout_ms = options && options->timeout_ms > 0 ? options->timeout_ms : S_DEFAULT_TIMEOUT_MS;
    dp_status rc = mode == S_MODE_SIMULATION ? DP_NOTFOUND
                 : s_select_endpoint (self, mode, options, timeout_ms, err);
    if (rc == DP_NOTFOUND) {
        if (mode == S_MODE_AUTO || mode == S_MODE_SIMULATION)
            rc = s_open_simulation (self, options, err);
        else
            rc = dp_error_set (err, DP_UNREACHABLE, "tee: TEE_MODE=%s but no %s endpoint is "
                               "configured and no socket exists (looked for %s)", mode_text,
                               mode == S_MODE_TAPPD ? "tappd" : "dstack or tappd",
                               options && options->socket_dir ? options->socket_dir
                               : mode == S_MODE_TAPPD ? "/var/run/tappd.sock and 3 more"
                               : "/var/run/dstack.sock, /var/run/tappd.sock and 6 more");
    }
    if (rc != DP_OK)
        dp_tee_destroy (&self);
    return self;
}

void
dp_tee_destroy (dp_tee_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_tee_t *self = *self_p;
    dp_tee_api_destroy (&self->api);
    dp_tee_sim_destroy (&self->sim);
    dp_simroot_destroy (&self->own_root);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Accessors

const char *
dp_tee_mode_name (const dp_tee_t *self)
{
    return self->mode_name;
}

const char *
dp_tee_endpoint (const dp_tee_t *self)
{
    return self->api ? dp_tee_api_endpoint (self->api) : dp_simroot_dir (self->root);
}

int
dp_tee_endpoint_configured (const dp_tee_t *self)
{
    return self->api && self->configured;
}

dp_simroot_t *
dp_tee_simroot (const dp_tee_t *self)
{
    return self->sim ? self->root : NULL;
}

const char *
dp_tee_sim_root_hex (const dp_tee_t *self)
{
    return self->sim ? dp_simroot_root_sha256_hex (self->root) : NULL;
}

//  --------------------------------------------------------------------------
//  Requests with retries

//  Errors worth another attempt: the agent is down, slow, or answered
//  garbage. Our own mistakes (DP_INVALID) and DP_NOMEM are not.
static int
s_retryable (dp_status rc)
{
    return rc == DP_UNREACHABLE || rc == DP_TIMEOUT || rc == DP_PROTO || rc == DP_LIMIT;
}

typedef struct {
    const uint8_t *report_data;
    uint8_t **quote;
    size_t *len;
    char **event_log;
    const char *path;
    uint8_t *key;
} s_request_t;

static dp_status
s_attempt (dp_tee_t *self, int is_key, s_request_t *request, dp_error_t *err)
{
    if (is_key)
        return dp_tee_api_derive_key (self->api, request->path, request->key, err);
    return dp_tee_api_quote (self->api, request->report_data, request->quote, request->len,
                             request->event_log, err);
}

static dp_status
s_with_retries (dp_tee_t *self, int is_key, s_request_t *request, dp_error_t *err)
{
    dp_status rc = DP_OK;
    int delay = self->backoff_ms;
    for (int attempt = 1; attempt <= self->attempts; attempt++) {
        rc = s_attempt (self, is_key, request, err);
        if (rc == DP_OK || !s_retryable (rc))
            return rc;
        if (attempt < self->attempts) {
            dp_log_warn ("tee mode=%s endpoint=%s attempt=%d/%d failed: %s", self->mode_name,
                         dp_tee_api_endpoint (self->api), attempt, self->attempts,
                         err ? err->text : dp_status_name (rc));
            s_sleep_ms (delay);
            delay = delay * 2 > S_MAX_BACKOFF_MS ? S_MAX_BACKOFF_MS : delay * 2;
        }
    }
    return dp_error_prefix (err, "tee %s %s: %s failed after %d attempts", self->mode_name,
                            dp_tee_api_endpoint (self->api), is_key ? "key derivation" : "quote",
                            self->attempts);
}

dp_status
dp_tee_quote_ex (dp_tee_t *self, const uint8_t report_data [DP_TEE_REPORT_DATA_SIZE],
                 uint8_t **quote, size_t *len, char **event_log, dp_error_t *err)
{
    if (self->sim) {
        dp_status rc = dp_tee_sim_quote (self->sim, report_data, quote, len, err);
        if (rc == DP_OK && event_log && !(*event_log = strdup ("[]"))) {
            free (*quote);
            *quote = NULL;
            rc = dp_error_set (err, DP_NOMEM, "tee: out of memory");
        }
        return rc;
    }
    s_request_t request = { .report_data = report_data, .quote = quote, .len = len,
                            .event_log = event_log };
    return s_with_retries (self, 0, &request, err);
}

dp_status
dp_tee_quote (dp_tee_t *self, const uint8_t report_data [DP_TEE_REPORT_DATA_SIZE],
              uint8_t **quote, size_t *len, dp_error_t *err)
{
    return dp_tee_quote_ex (self, report_data, quote, len, NULL, err);
}

dp_status
dp_tee_derive_key (dp_tee_t *self, const char *path, uint8_t key [32], dp_error_t *err)
{
    if (!path || !*path)
        return dp_error_set (err, DP_INVALID, "tee: key derivation path is empty");
    if (self->sim)
        return dp_error_set (err, DP_UNSUPPORTED, "tee: simulation has no key derivation");
    s_request_t request = { .path = path, .key = key };
    return s_with_retries (self, 1, &request, err);
}

dp_status
dp_tee_info (dp_tee_t *self, json_object **info, dp_error_t *err)
{
    if (self->api)
        return dp_tee_api_info (self->api, info, err);
    json_object *out = json_object_new_object ();
    if (!out)
        return dp_error_set (err, DP_NOMEM, "tee: out of memory");
    json_object_object_add (out, "tee_mode", json_object_new_string ("simulation"));
    json_object_object_add (out, "sim_root", json_object_new_string (dp_tee_sim_root_hex (self)));
    json_object_object_add (out, "sim_root_dir", json_object_new_string (dp_simroot_dir (self->root)));
    *info = out;
    return DP_OK;
}
