/*  dp_simroot.c — the simulation root of SPEC §8: create once (the files
    themselves come from dp_simroot_make), load, sign. */

#define _GNU_SOURCE
#include "dp_simroot.h"

#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_sha256.h"
#include "dp_simroot_make.h"

const uint8_t dp_simroot_cpusvn [16] = { 3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0 };
const uint8_t dp_simroot_tee_tcb_svn [16] = { 6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
const uint8_t dp_simroot_qe_mrsigner [32] = {
    0x47, 0xd6, 0x25, 0x7a, 0x89, 0xf2, 0xf5, 0xe6, 0xa5, 0x9d, 0x2a, 0x50, 0x20, 0x66, 0x96, 0x63,
    0x3f, 0xb4, 0xc6, 0x34, 0x22, 0x49, 0x38, 0xc5, 0x06, 0xb2, 0x02, 0xc1, 0x16, 0x2e, 0xc8, 0xfc
};

#define S_FILE_MAX      (1024 * 1024)   //  every file here is a few KB

struct dp_simroot_t {
    char dir [DP_SIMROOT_PATH_MAX];
    char *root_pem;
    X509 *root;
    uint8_t *root_der;
    size_t root_der_len;
    uint8_t root_sha [32];
    char root_sha_hex [65];
    char *collateral;
    size_t collateral_len;
    int has_private;
    EVP_PKEY *pck_key;
    EVP_PKEY *att_key;
    char *chain_pem;
    size_t chain_len;
};

//  --------------------------------------------------------------------------
//  Small helpers: OpenSSL errors, files


//  Reads a whole file (at most S_FILE_MAX), NUL-terminated. DP_NOTFOUND if
//  it does not exist.
static dp_status
s_read_file (const char *dir, const char *name, char **data, size_t *len, dp_error_t *err)
{
    char path [DP_SIMROOT_PATH_MAX];
    if (dp_simroot_path (path, sizeof path, dir, name, err))
        return err ? err->code : DP_LIMIT;
    FILE *file = fopen (path, "rbe");
    if (!file)
        return dp_error_set (err, errno == ENOENT ? DP_NOTFOUND : DP_IO,
                             "sim root: cannot open %s: %s", path, strerror (errno));
    char *buffer = malloc (S_FILE_MAX + 1);
    if (!buffer) {
        fclose (file);
        return dp_error_set (err, DP_NOMEM, "sim root: out of memory reading %s", path);
    }
    size_t got = fread (buffer, 1, S_FILE_MAX + 1, file);
    int failed = ferror (file);
    fclose (file);
    if (failed || got > S_FILE_MAX) {
        OPENSSL_cleanse (buffer, got);
        free (buffer);
        return dp_error_set (err, failed ? DP_IO : DP_LIMIT, "sim root: %s: %s", path,
                             failed ? "read error" : "larger than 1 MiB");
    }
    buffer [got] = '\0';
    *data = buffer;
    *len = got;
    return DP_OK;
}

static void
s_free_secret (char *data, size_t len)
{
    if (data) {
        OPENSSL_cleanse (data, len);
        free (data);
    }
}

static int
s_unlink_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

static void
s_remove_tree (const char *dir)
{
    nftw (dir, s_unlink_entry, 8, FTW_DEPTH | FTW_PHYS);
}

//  mkdir -p of dir's parents; components we create get 0700.
static dp_status
s_make_parents (const char *dir, dp_error_t *err)
{
    char path [DP_SIMROOT_PATH_MAX];
    snprintf (path, sizeof path, "%s", dir);
    for (char *slash = strchr (path + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = '\0';
        if (mkdir (path, 0700) != 0 && errno != EEXIST) {
            int saved = errno;
            return dp_error_set (err, DP_IO, "sim root: cannot create %s: %s", path, strerror (saved));
        }
        *slash = '/';
    }
    return DP_OK;
}

//  Builds a new root beside dir and renames it into place. Losing the race
//  to another process is success: the winner's root is then loaded.
static dp_status
s_create (const char *dir, dp_error_t *err)
{
    dp_status rc = s_make_parents (dir, err);
    if (rc != DP_OK)
        return rc;
    char temp [DP_SIMROOT_PATH_MAX];
    if (snprintf (temp, sizeof temp, "%s.tmp.XXXXXX", dir) >= (int) sizeof temp)
        return dp_error_set (err, DP_LIMIT, "sim root: path too long: %s", dir);
    if (!mkdtemp (temp))
        return dp_error_set (err, DP_IO, "sim root: cannot create a folder beside %s: %s", dir,
                             strerror (errno));
    rc = dp_simroot_make (temp, err);
    if (rc == DP_OK) {
        if (rename (temp, dir) == 0)
            return DP_OK;
        //  EEXIST/ENOTEMPTY: another process renamed its root first.
        if (errno != EEXIST && errno != ENOTEMPTY)
            rc = dp_error_set (err, DP_IO, "sim root: cannot rename %s to %s: %s", temp, dir,
                               strerror (errno));
    }
    s_remove_tree (temp);
    return rc;
}

//  --------------------------------------------------------------------------
//  Loading

static X509 *
s_parse_cert (const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf (pem, (int) len);
    X509 *cert = bio ? PEM_read_bio_X509 (bio, NULL, NULL, NULL) : NULL;
    BIO_free (bio);
    return cert;
}

static dp_status
s_load_root (dp_simroot_t *self, dp_error_t *err)
{
    size_t len = 0;
    dp_status rc = s_read_file (self->dir, "root.pem", &self->root_pem, &len, err);
    if (rc != DP_OK)
        return rc;
    self->root = s_parse_cert (self->root_pem, len);
    if (!self->root)
        return dp_error_set (err, DP_INVALID, "sim root: %s/root.pem: not a PEM certificate", self->dir);
    char cn [128] = "";
    X509_NAME_get_text_by_NID (X509_get_subject_name (self->root), NID_commonName, cn, sizeof cn);
    EVP_PKEY *key = X509_get0_pubkey (self->root);
    if (strcmp (cn, DP_SIMROOT_SUBJECT) != 0 || !key || !EVP_PKEY_is_a (key, "EC")
        || X509_verify (self->root, key) != 1)
        return dp_error_set (err, DP_INVALID, "sim root: %s/root.pem: not a self-signed EC "
                             "\"%s\" certificate", self->dir, DP_SIMROOT_SUBJECT);
    unsigned char *der = NULL;
    int der_len = i2d_X509 (self->root, &der);
    if (der_len <= 0)
        return dp_simroot_ossl_error (err, "encoding root.pem");
    self->root_der = malloc ((size_t) der_len);
    if (!self->root_der) {
        OPENSSL_free (der);
        return dp_error_set (err, DP_NOMEM, "sim root: out of memory");
    }
    memcpy (self->root_der, der, (size_t) der_len);
    OPENSSL_free (der);
    self->root_der_len = (size_t) der_len;
    dp_sha256 (self->root_der, self->root_der_len, self->root_sha);
    dp_hex_encode (self->root_sha, 32, self->root_sha_hex);
    return DP_OK;
}

static dp_status
s_load_collateral (dp_simroot_t *self, dp_error_t *err)
{
    dp_status rc = s_read_file (self->dir, "collateral.json", &self->collateral,
                                &self->collateral_len, err);
    if (rc != DP_OK)
        return rc;
    static const char *keys [] = { "pck_crl_issuer_chain", "root_ca_crl", "pck_crl",
        "tcb_info_issuer_chain", "tcb_info", "tcb_info_signature", "qe_identity_issuer_chain",
        "qe_identity", "qe_identity_signature" };
    json_object *doc = json_tokener_parse (self->collateral);
    rc = doc && json_object_is_type (doc, json_type_object) ? DP_OK
       : dp_error_set (err, DP_INVALID, "sim root: %s/collateral.json: not a JSON object", self->dir);
    for (size_t i = 0; rc == DP_OK && i < sizeof keys / sizeof keys [0]; i++) {
        json_object *value = NULL;
        if (!json_object_object_get_ex (doc, keys [i], &value)
            || !json_object_is_type (value, json_type_string))
            rc = dp_error_set (err, DP_INVALID, "sim root: %s/collateral.json: %s: missing or "
                               "not a string", self->dir, keys [i]);
    }
    json_object_put (doc);
    return rc;
}

static EVP_PKEY *
s_parse_key (const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf (pem, (int) len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;
    BIO_free (bio);
    return key;
}

static dp_status
s_load_key (const char *dir, const char *name, EVP_PKEY **key, dp_error_t *err)
{
    char *pem = NULL;
    size_t len = 0;
    dp_status rc = s_read_file (dir, name, &pem, &len, err);
    if (rc != DP_OK)
        return rc;
    *key = s_parse_key (pem, len);
    s_free_secret (pem, len);
    ERR_clear_error ();
    if (!*key || !EVP_PKEY_is_a (*key, "EC"))
        return dp_error_set (err, DP_INVALID, "sim root: %s/%s: not an EC private key", dir, name);
    return DP_OK;
}

//  chain = pck.pem ‖ pck-ca.pem ‖ root.pem, checked to link up.
static dp_status
s_load_chain (dp_simroot_t *self, const char *private_dir, dp_error_t *err)
{
    char *leaf = NULL, *ca = NULL;
    size_t leaf_len = 0, ca_len = 0, root_len = strlen (self->root_pem);
    dp_status rc = s_read_file (private_dir, "pck.pem", &leaf, &leaf_len, err);
    if (rc == DP_OK)
        rc = s_read_file (private_dir, "pck-ca.pem", &ca, &ca_len, err);
    X509 *leaf_cert = rc == DP_OK ? s_parse_cert (leaf, leaf_len) : NULL;
    X509 *ca_cert = rc == DP_OK ? s_parse_cert (ca, ca_len) : NULL;
    if (rc == DP_OK && (!leaf_cert || !ca_cert
        || X509_verify (leaf_cert, X509_get0_pubkey (ca_cert)) != 1
        || X509_verify (ca_cert, X509_get0_pubkey (self->root)) != 1
        || X509_check_private_key (leaf_cert, self->pck_key) != 1))
        rc = dp_error_set (err, DP_INVALID, "sim root: %s: pck.pem / pck-ca.pem / pck.key.pem do "
                           "not chain to root.pem", private_dir);
    ERR_clear_error ();
    if (rc == DP_OK) {
        self->chain_len = leaf_len + ca_len + root_len;
        self->chain_pem = malloc (self->chain_len + 1);
        if (!self->chain_pem)
            rc = dp_error_set (err, DP_NOMEM, "sim root: out of memory");
        else
            snprintf (self->chain_pem, self->chain_len + 1, "%s%s%s", leaf, ca, self->root_pem);
    }
    X509_free (leaf_cert);
    X509_free (ca_cert);
    free (leaf);
    free (ca);
    return rc;
}

static dp_status
s_load_private (dp_simroot_t *self, dp_error_t *err)
{
    char private_dir [DP_SIMROOT_PATH_MAX];
    dp_status rc = dp_simroot_path (private_dir, sizeof private_dir, self->dir, "private", err);
    if (rc != DP_OK)
        return rc;
    struct stat st;
    if (stat (private_dir, &st) != 0)
        return DP_OK;   //  a verifier's copy: root.pem and collateral.json only
    rc = s_load_key (private_dir, "pck.key.pem", &self->pck_key, err);
    if (rc == DP_OK)
        rc = s_load_key (private_dir, "attestation.key.pem", &self->att_key, err);
    if (rc == DP_OK)
        rc = s_load_chain (self, private_dir, err);
    self->has_private = rc == DP_OK;
    return rc;
}

//  --------------------------------------------------------------------------
//  Public API

dp_status
dp_simroot_default_dir (const char *dir, char *out, size_t size, dp_error_t *err)
{
    const char *env = getenv ("DP_SIM_ROOT");
    const char *xdg = getenv ("XDG_DATA_HOME");
    const char *home = getenv ("HOME");
    int n;
    if (dir && *dir)
        n = snprintf (out, size, "%s", dir);
    else
    if (env && *env)
        n = snprintf (out, size, "%s", env);
    else
    if (xdg && xdg [0] == '/')
        n = snprintf (out, size, "%s/dealproof/sim-root", xdg);
    else
    if (home && *home)
        n = snprintf (out, size, "%s/.local/share/dealproof/sim-root", home);
    else
        return dp_error_set (err, DP_INVALID, "sim root: neither --sim-root, DP_SIM_ROOT, "
                             "XDG_DATA_HOME nor HOME is set");
    if (n < 0 || (size_t) n >= size)
        return dp_error_set (err, DP_LIMIT, "sim root: path longer than %zu bytes", size - 1);
    //  A trailing slash would make rename() and the temp name awkward.
    while (n > 1 && out [n - 1] == '/')
        out [--n] = '\0';
    return DP_OK;
}

static int
s_root_exists (const char *dir)
{
    char path [DP_SIMROOT_PATH_MAX];
    struct stat st;
    return dp_simroot_path (path, sizeof path, dir, "root.pem", NULL) == DP_OK && stat (path, &st) == 0;
}

dp_simroot_t *
dp_simroot_open (const char *dir, int create, dp_error_t *err)
{
    dp_simroot_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "sim root: out of memory");
        return NULL;
    }
    dp_status rc = dp_simroot_default_dir (dir, self->dir, sizeof self->dir, err);
    if (rc == DP_OK && !s_root_exists (self->dir)) {
        if (!create)
            rc = dp_error_set (err, DP_NOTFOUND, "sim root: %s/root.pem does not exist",
                               self->dir);
        else
            rc = s_create (self->dir, err);
        //  s_create "lost the race" to a folder that is not a sim root.
        if (rc == DP_OK && !s_root_exists (self->dir))
            rc = dp_error_set (err, DP_INVALID, "sim root: %s exists but is not a simulation root "
                               "(no root.pem); remove it or choose another folder", self->dir);
    }
    if (rc == DP_OK)
        rc = s_load_root (self, err);
    if (rc == DP_OK)
        rc = s_load_collateral (self, err);
    if (rc == DP_OK)
        rc = s_load_private (self, err);
    if (rc != DP_OK)
        dp_simroot_destroy (&self);
    return self;
}

void
dp_simroot_destroy (dp_simroot_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_simroot_t *self = *self_p;
    free (self->root_pem);
    X509_free (self->root);
    free (self->root_der);
    free (self->collateral);
    EVP_PKEY_free (self->pck_key);      //  OpenSSL clears EC private keys on free
    EVP_PKEY_free (self->att_key);
    free (self->chain_pem);
    OPENSSL_cleanse (self, sizeof *self);
    free (self);
    *self_p = NULL;
}

const char *
dp_simroot_dir (const dp_simroot_t *self)
{
    return self->dir;
}

const char *
dp_simroot_root_pem (const dp_simroot_t *self)
{
    return self->root_pem;
}

const uint8_t *
dp_simroot_root_der (const dp_simroot_t *self, size_t *len)
{
    if (len)
        *len = self->root_der_len;
    return self->root_der;
}

X509 *
dp_simroot_root_cert (const dp_simroot_t *self)
{
    return self->root;
}

const uint8_t *
dp_simroot_root_sha256 (const dp_simroot_t *self)
{
    return self->root_sha;
}

const char *
dp_simroot_root_sha256_hex (const dp_simroot_t *self)
{
    return self->root_sha_hex;
}

const char *
dp_simroot_collateral (const dp_simroot_t *self, size_t *len)
{
    if (len)
        *len = self->collateral_len;
    return self->collateral;
}

int
dp_simroot_has_private (const dp_simroot_t *self)
{
    return self->has_private;
}

EVP_PKEY *
dp_simroot_pck_key (const dp_simroot_t *self)
{
    return self->has_private ? self->pck_key : NULL;
}

EVP_PKEY *
dp_simroot_attestation_key (const dp_simroot_t *self)
{
    return self->has_private ? self->att_key : NULL;
}

const char *
dp_simroot_pck_chain_pem (const dp_simroot_t *self, size_t *len)
{
    if (len)
        *len = self->has_private ? self->chain_len : 0;
    return self->has_private ? self->chain_pem : NULL;
}

//  Signs with an initialised context (consumed) and converts OpenSSL's DER
//  signature to the raw r ‖ s form quotes use.
static dp_status
s_sign_with (EVP_MD_CTX *ctx, const void *data, size_t len, uint8_t sig [64], dp_error_t *err)
{
    unsigned char der [80];
    size_t der_len = sizeof der;
    int ok = ctx && EVP_DigestSign (ctx, der, &der_len, data, len) == 1;
    EVP_MD_CTX_free (ctx);
    const unsigned char *cursor = der;
    ECDSA_SIG *parsed = ok ? d2i_ECDSA_SIG (NULL, &cursor, (long) der_len) : NULL;
    ok = parsed
      && BN_bn2binpad (ECDSA_SIG_get0_r (parsed), sig, 32) == 32
      && BN_bn2binpad (ECDSA_SIG_get0_s (parsed), sig + 32, 32) == 32;
    ECDSA_SIG_free (parsed);
    return ok ? DP_OK : dp_simroot_ossl_error (err, "ECDSA P-256 signing");
}

dp_status
dp_simroot_sign_raw (EVP_PKEY *key, const void *data, size_t len, uint8_t sig [64],
                     dp_error_t *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    if (ctx && EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key) != 1) {
        EVP_MD_CTX_free (ctx);
        ctx = NULL;
    }
    return s_sign_with (ctx, data, len, sig, err);
}

struct dp_simroot_signer_t {
    EVP_MD_CTX *template;
    pthread_mutex_t lock;
};

dp_simroot_signer_t *
dp_simroot_signer_new (EVP_PKEY *key, dp_error_t *err)
{
    dp_simroot_signer_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "sim root: out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    self->template = EVP_MD_CTX_new ();
    if (!key || !self->template
        || EVP_DigestSignInit (self->template, NULL, EVP_sha256 (), NULL, key) != 1) {
        dp_simroot_ossl_error (err, "preparing an ECDSA P-256 signer");
        dp_simroot_signer_destroy (&self);
    }
    return self;
}

dp_status
dp_simroot_signer_sign (dp_simroot_signer_t *self, const void *data, size_t len, uint8_t sig [64],
                        dp_error_t *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    pthread_mutex_lock (&self->lock);
    int ok = ctx && EVP_MD_CTX_copy_ex (ctx, self->template) == 1;
    pthread_mutex_unlock (&self->lock);
    if (!ok) {
        EVP_MD_CTX_free (ctx);
        ctx = NULL;
    }
    return s_sign_with (ctx, data, len, sig, err);
}

void
dp_simroot_signer_destroy (dp_simroot_signer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    EVP_MD_CTX_free ((*self_p)->template);
    pthread_mutex_destroy (&(*self_p)->lock);
    free (*self_p);
    *self_p = NULL;
}

dp_status
dp_simroot_public_raw (EVP_PKEY *key, uint8_t xy [64], dp_error_t *err)
{
    uint8_t point [65];
    size_t len = 0;
    char group [32] = "";
    if (!key || !EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                 sizeof group, NULL)
        || strcmp (group, "prime256v1") != 0
        || !EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len)
        || len != 65 || point [0] != 0x04) {
        ERR_clear_error ();
        return dp_error_set (err, DP_CRYPTO, "sim root: key is not an uncompressed P-256 key");
    }
    memcpy (xy, point + 1, 64);
    return DP_OK;
}

dp_status
dp_simroot_parse_seed_quote (const char *text, size_t len, uint8_t hash [64], size_t *hash_len,
                             dp_error_t *err)
{
    static const char prefix [] = "sim_quote:";
    const size_t prefix_len = sizeof prefix - 1;
    if (!text || len < prefix_len || memcmp (text, prefix, prefix_len) != 0)
        return dp_error_set (err, DP_NOTFOUND, "attestation: not a seed sim_quote string");
    const char *digits = text + prefix_len;
    size_t count = len - prefix_len;
    if (count < 2 || count > 128 || count % 2 != 0)
        return dp_error_set (err, DP_INVALID, "attestation: sim_quote: expected 2..128 hex digits "
                             "(even count), got %zu characters", count);
    dp_status rc = dp_hex_decode (digits, count, hash, count / 2, err);
    if (rc != DP_OK)
        return dp_error_prefix (err, "attestation: sim_quote");
    *hash_len = count / 2;
    return DP_OK;
}
