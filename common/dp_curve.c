/*  dp_curve.c — ZeroMQ CURVE on the broker's sockets, through CZMQ's
    certificates (zcert) and authenticator (zauth). */

#include "dp_curve.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct dp_curve_server_t {
    zcert_t *cert;
    zactor_t *auth;
};

//  A certificate file without a secret loads with a secret of zeros.
static int
s_has_secret (zcert_t *cert)
{
    static const char zeros [] = "0000000000000000000000000000000000000000";
    return strcmp (zcert_secret_txt (cert), zeros) != 0;
}

//  The certificate in path, which must hold a secret key when need_secret.
static zcert_t *
s_load (const char *path, int need_secret, const char *what, dp_error_t *err)
{
    zcert_t *cert = path && *path? zcert_load (path): NULL;
    if (!cert) {
        dp_error_set (err, DP_INVALID, "%s: %s is not a readable CZMQ certificate", what,
                      path && *path? path: "(empty)");
        return NULL;
    }
    if (need_secret && !s_has_secret (cert)) {
        dp_error_set (err, DP_INVALID, "%s: %s holds no secret key (give the _secret file)",
                      what, path);
        zcert_destroy (&cert);
    }
    return cert;
}

dp_status
dp_curve_keygen (const char *path, dp_error_t *err)
{
    zcert_t *cert = zcert_new ();
    if (!cert)
        return dp_error_set (err, DP_NOMEM, "cannot make a key pair");
    char secret [4096];
    snprintf (secret, sizeof secret, "%s_secret", path);
    //  The secret file is created 0600 from the start (umask), not
    //  narrowed after it was written.
    mode_t old = umask (077);
    int rc = zcert_save (cert, path);
    umask (old);
    zcert_destroy (&cert);
    if (rc != 0)
        return dp_error_set (err, DP_IO, "cannot write %s and %s", path, secret);
    chmod (path, 0644);         //  the public half is meant to be shared
    return DP_OK;
}

dp_curve_server_t *
dp_curve_server_new (const char *secret_cert, const char *allow_dir, dp_error_t *err)
{
    DIR *dir = allow_dir && *allow_dir? opendir (allow_dir): NULL;
    if (!dir) {
        dp_error_set (err, DP_INVALID, "curve-allow: %s is not a readable folder",
                      allow_dir && *allow_dir? allow_dir: "(empty)");
        return NULL;
    }
    closedir (dir);
    dp_curve_server_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->cert = s_load (secret_cert, 1, "curve-secret", err);
    if (!self->cert) {
        dp_curve_server_destroy (&self);
        return NULL;
    }
    //  zauth answers the ZAP requests of every socket in the process: CURVE
    //  clients whose public key is in a certificate in allow_dir pass.
    self->auth = zactor_new (zauth, NULL);
    if (!self->auth || zstr_sendx (self->auth, "CURVE", allow_dir, NULL) != 0
        || zsock_wait (self->auth) != 0) {
        dp_error_set (err, DP_IO, "cannot start the ZeroMQ authenticator");
        dp_curve_server_destroy (&self);
        return NULL;
    }
    return self;
}

void
dp_curve_server_apply (dp_curve_server_t *self, zsock_t *sock)
{
    zcert_apply (self->cert, sock);
    zsock_set_curve_server (sock, 1);
}

const char *
dp_curve_server_public (dp_curve_server_t *self)
{
    return zcert_public_txt (self->cert);
}

void
dp_curve_server_destroy (dp_curve_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_curve_server_t *self = *self_p;
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

struct dp_curve_client_t {
    zcert_t *cert;
    char broker [41];               //  the broker's public key, Z85
};

dp_status
dp_curve_client_from_env (dp_curve_client_t **out, dp_error_t *err)
{
    *out = NULL;
    const char *mine = getenv ("DP_CURVE_CERT");
    const char *broker = getenv ("DP_CURVE_BROKER");
    int have_mine = mine && *mine, have_broker = broker && *broker;
    if (!have_mine && !have_broker)
        return DP_OK;
    if (!have_mine || !have_broker)
        return dp_error_set (err, DP_INVALID, "%s is set but %s is not: CURVE needs both",
                             have_mine? "DP_CURVE_CERT": "DP_CURVE_BROKER",
                             have_mine? "DP_CURVE_BROKER": "DP_CURVE_CERT");
    dp_error_t why;
    zcert_t *server = s_load (broker, 0, "DP_CURVE_BROKER", &why);
    zcert_t *cert = server? s_load (mine, 1, "DP_CURVE_CERT", &why): NULL;
    if (!cert) {
        zcert_destroy (&server);
        return dp_error_set (err, why.code, "%s", why.text);
    }
    dp_curve_client_t *self = calloc (1, sizeof *self);
    if (!self) {
        zcert_destroy (&server);
        zcert_destroy (&cert);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    self->cert = cert;
    snprintf (self->broker, sizeof self->broker, "%s", zcert_public_txt (server));
    zcert_destroy (&server);
    *out = self;
    return DP_OK;
}

void
dp_curve_client_apply (dp_curve_client_t *self, zsock_t *sock)
{
    if (!self)
        return;
    zcert_apply (self->cert, sock);
    zsock_set_curve_serverkey (sock, self->broker);
}

void
dp_curve_client_destroy (dp_curve_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zcert_destroy (&(*self_p)->cert);
    free (*self_p);
    *self_p = NULL;
}
