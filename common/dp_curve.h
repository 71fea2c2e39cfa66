/*  dp_curve.h — ZeroMQ CURVE on the broker's sockets: who may connect, and
    encryption of everything between them (docs/operations.md,
    "Authentication").

    Keys are CZMQ certificate files (zcert): PATH holds a public key,
    PATH_secret the same public key and its secret. The broker has one
    key pair and a folder of the public certificates it accepts; each
    client and worker has its own key pair and the broker's public
    certificate. Off by default: without keys the sockets are plain TCP,
    as before.

    The client side is configured from the environment, so every program
    built on dp_client or dp_worker takes it without flags of its own:
      DP_CURVE_CERT    this peer's secret certificate file (PATH_secret)
      DP_CURVE_BROKER  the broker's public certificate file (PATH)
    Both or neither. */

#ifndef DP_CURVE_H_INCLUDED
#define DP_CURVE_H_INCLUDED

#include <czmq.h>

#include "dp_status.h"

//  Writes a new key pair: path (public) and path_secret (both), mode 0600
//  for the secret. DP_IO naming the file on failure.
dp_status dp_curve_keygen (const char *path, dp_error_t *err) DP_MUST_CHECK;

typedef struct dp_curve_server_t dp_curve_server_t;

//  The broker side: its secret certificate and the folder of accepted
//  public certificates. Starts CZMQ's authenticator (zauth) for the
//  process; NULL connections to other sockets stay allowed. NULL with err
//  set (DP_INVALID naming the file or folder) on failure.
dp_curve_server_t *dp_curve_server_new (const char *secret_cert, const char *allow_dir,
                                        dp_error_t *err);
//  Makes sock a CURVE server with the broker's key; call before binding.
void dp_curve_server_apply (dp_curve_server_t *self, zsock_t *sock);
//  The broker's public key (Z85, 40 characters), for the log.
const char *dp_curve_server_public (dp_curve_server_t *self);
void dp_curve_server_destroy (dp_curve_server_t **self_p);

typedef struct dp_curve_client_t dp_curve_client_t;

//  The client side, from DP_CURVE_CERT and DP_CURVE_BROKER: *out is the
//  loaded keys, or NULL when neither is set (plain TCP). DP_INVALID naming
//  the variable when only one is set or a file cannot be read.
dp_status dp_curve_client_from_env (dp_curve_client_t **out, dp_error_t *err) DP_MUST_CHECK;
//  Makes sock a CURVE client of the broker with this peer's key; call
//  before connecting. Does nothing when self is NULL.
void dp_curve_client_apply (dp_curve_client_t *self, zsock_t *sock);
void dp_curve_client_destroy (dp_curve_client_t **self_p);

#endif
