/*  dp_enclave_key.c — the worker's secp256k1 key: derived in a CVM,
    generated once and stored 0600 in simulation. */

#define _GNU_SOURCE
#include "dp_enclave_key.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_log.h"

#define S_PATH_MAX 4096

struct dp_enclave_key_t {
    uint8_t secret [32];
    uint8_t address [20];
    char address_text [DP_ETH_ADDRESS_TEXT_SIZE];
    const char *source;
    char file [S_PATH_MAX];
};

dp_status
dp_enclave_key_default_file (const dp_enclave_key_options_t *options, char *out, size_t size,
                             dp_error_t *err)
{
    const char *xdg = getenv ("XDG_DATA_HOME");
    const char *home = getenv ("HOME");
    int n;
    if (options && options->key_file && *options->key_file)
        n = snprintf (out, size, "%s", options->key_file);
    else
    if (options && options->data_dir && *options->data_dir)
        n = snprintf (out, size, "%s/" DP_ENCLAVE_KEY_FILE_NAME, options->data_dir);
    else
    if (xdg && xdg [0] == '/')
        n = snprintf (out, size, "%s/dealproof/" DP_ENCLAVE_KEY_FILE_NAME, xdg);
    else
    if (home && *home)
        n = snprintf (out, size, "%s/.local/share/dealproof/" DP_ENCLAVE_KEY_FILE_NAME, home);
    else
        return dp_error_set (err, DP_INVALID, "worker key: no key file given and neither "
                             "XDG_DATA_HOME nor HOME is set");
    if (n < 0 || (size_t) n >= size)
        return dp_error_set (err, DP_LIMIT, "worker key: path longer than %zu bytes", size - 1);
    return DP_OK;
}

//  --------------------------------------------------------------------------
//  The key file

//  Reads and checks an existing key file. DP_NOTFOUND if there is none.
static dp_status
s_load (const char *path, uint8_t secret [32], dp_error_t *err)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return dp_error_set (err, errno == ENOENT ? DP_NOTFOUND : DP_IO,
                             "worker key: cannot open %s: %s", path, strerror (errno));
    struct stat st;
    char text [80];
    ssize_t got = -1;
    dp_status rc = DP_OK;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
        rc = dp_error_set (err, DP_INVALID, "worker key: %s: not a regular file", path);
    else
    if (st.st_mode & 077)
        rc = dp_error_set (err, DP_INVALID, "worker key: %s: permissions %04o are too open "
                           "(run: chmod 600 %s)", path, (unsigned) (st.st_mode & 07777), path);
    else
    if ((got = read (fd, text, sizeof text)) < 0)
        rc = dp_error_set (err, DP_IO, "worker key: cannot read %s: %s", path, strerror (errno));
    close (fd);
    if (rc == DP_OK) {
        size_t len = (size_t) got;
        if (len == 65 && text [64] == '\n')
            len = 64;
        rc = dp_hex_decode (text, len, secret, 32, err);
        if (rc == DP_OK && !dp_eth_key_is_valid (secret))
            rc = dp_error_set (err, DP_INVALID, "not a valid secp256k1 key");
        if (rc != DP_OK)
            dp_error_prefix (err, "worker key: %s: expected 64 hex digits and a newline", path);
    }
    OPENSSL_cleanse (text, sizeof text);
    return rc;
}

//  mkdir -p of path's parents with 0700 for the ones we create.
static dp_status
s_make_parents (const char *path, dp_error_t *err)
{
    char copy [S_PATH_MAX];
    snprintf (copy, sizeof copy, "%s", path);
    for (char *slash = strchr (copy + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = '\0';
        if (mkdir (copy, 0700) != 0 && errno != EEXIST)
            return dp_error_set (err, DP_IO, "worker key: cannot create %s: %s", copy,
                                 strerror (errno));
        *slash = '/';
    }
    return DP_OK;
}

static dp_status
s_write_all (int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return DP_IO;
        data += n;
        len -= (size_t) n;
    }
    return fsync (fd) == 0 ? DP_OK : DP_IO;
}

//  Writes secret to a temporary file beside path and links it into place;
//  DP_EXISTS when another process created path first.
static dp_status
s_store (const char *path, const uint8_t secret [32], dp_error_t *err)
{
    char temp [S_PATH_MAX + 16], text [66];
    if (snprintf (temp, sizeof temp, "%s.tmp.XXXXXX", path) >= (int) sizeof temp)
        return dp_error_set (err, DP_LIMIT, "worker key: path too long: %s", path);
    int fd = mkstemp (temp);     //  mode 0600
    if (fd < 0)
        return dp_error_set (err, DP_IO, "worker key: cannot create a file beside %s: %s", path,
                             strerror (errno));
    dp_hex_encode (secret, 32, text);
    text [64] = '\n';
    dp_status rc = s_write_all (fd, text, 65);
    OPENSSL_cleanse (text, sizeof text);
    if (close (fd) != 0 || rc != DP_OK)
        rc = dp_error_set (err, DP_IO, "worker key: cannot write %s: %s", temp, strerror (errno));
    else
    if (link (temp, path) != 0)
        rc = errno == EEXIST ? DP_EXISTS
           : dp_error_set (err, DP_IO, "worker key: cannot create %s: %s", path, strerror (errno));
    unlink (temp);
    return rc;
}

//  Simulation: load the stored key, or generate and store one.
static dp_status
s_simulated (dp_enclave_key_t *self, const dp_enclave_key_options_t *options, dp_error_t *err)
{
    dp_status rc = dp_enclave_key_default_file (options, self->file, sizeof self->file, err);
    if (rc == DP_OK)
        rc = s_load (self->file, self->secret, err);
    if (rc != DP_NOTFOUND) {
        self->source = "stored";
        return rc;
    }
    rc = s_make_parents (self->file, err);
    if (rc == DP_OK)
        rc = dp_eth_key_generate (self->secret, err);
    if (rc == DP_OK)
        rc = s_store (self->file, self->secret, err);
    self->source = "generated";
    if (rc == DP_EXISTS) {
        //  Another worker stored its key first: use that one.
        self->source = "stored";
        rc = s_load (self->file, self->secret, err);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Public API

dp_enclave_key_t *
dp_enclave_key_new (dp_tee_t *tee, const dp_enclave_key_options_t *options, dp_error_t *err)
{
    dp_enclave_key_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "worker key: out of memory");
        return NULL;
    }
    const char *path = options && options->derive_path && *options->derive_path
                     ? options->derive_path : DP_ENCLAVE_KEY_DERIVE_PATH;
    self->source = "derived";
    dp_status rc = dp_tee_derive_key (tee, path, self->secret, err);
    int simulation = strcmp (dp_tee_mode_name (tee), "simulation") == 0;
    if (rc == DP_UNSUPPORTED && !simulation && !dp_tee_endpoint_configured (tee)
    &&  !(options && options->allow_stored)) {
        //  A guest agent's socket, so a CVM, that cannot derive the key: a
        //  stored key would live on the container's disk, change with it
        //  and be bound to nothing the quote measures.
        dp_error_set (err, DP_UNSUPPORTED, "worker key: the %s agent at %s has no secp256k1 key "
                      "derivation: a key stored on disk is refused inside a CVM "
                      "(--allow-stored-key accepts it)", dp_tee_mode_name (tee), dp_tee_endpoint (tee));
    }
    else
    if (rc == DP_UNSUPPORTED) {
        //  Simulation, a simulator's endpoint without secp256k1 derivation
        //  (the legacy tappd simulator), or allowed: a generated key, stored.
        if (!simulation)
            dp_log_warn ("worker key: the %s agent has no secp256k1 key derivation (%s); using a "
                         "stored key", dp_tee_mode_name (tee), err ? err->text : "unsupported");
        dp_error_clear (err);
        rc = s_simulated (self, options, err);
    }
    else
    if (rc != DP_OK)
        dp_error_prefix (err, "worker key");
    if (rc == DP_OK)
        rc = dp_eth_address_from_key (self->secret, self->address, err);
    if (rc != DP_OK) {
        dp_enclave_key_destroy (&self);
        return NULL;
    }
    dp_eth_address_eip55 (self->address, self->address_text);
    dp_log_info ("worker key source=%s signer=%s%s%s", self->source, self->address_text,
                 *self->file ? " file=" : "", self->file);
    return self;
}

void
dp_enclave_key_destroy (dp_enclave_key_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    OPENSSL_cleanse (*self_p, sizeof **self_p);
    free (*self_p);
    *self_p = NULL;
}

const uint8_t *
dp_enclave_key_secret (const dp_enclave_key_t *self)
{
    return self->secret;
}

const uint8_t *
dp_enclave_key_address (const dp_enclave_key_t *self)
{
    return self->address;
}

const char *
dp_enclave_key_address_text (const dp_enclave_key_t *self)
{
    return self->address_text;
}

const char *
dp_enclave_key_source (const dp_enclave_key_t *self)
{
    return self->source;
}

const char *
dp_enclave_key_file (const dp_enclave_key_t *self)
{
    return *self->file ? self->file : NULL;
}

dp_status
dp_enclave_key_sign (const dp_enclave_key_t *self, const uint8_t digest [32], uint8_t sig [65],
                     dp_error_t *err)
{
    return dp_eth_sign (self->secret, digest, sig, err);
}
