/*  dp_quote_pki.c — trust anchors, chains, CRLs, raw ECDSA, PCK extension. */

#include "dp_quote_pki.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_sha256.h"

//  The Intel SGX Root CA (DER, 659 bytes, SHA-256 44a0196b…74d3), the
//  certificate Intel publishes and dcap-qvl ships. It is trusted because
//  its key equals s_intel_root_key below, not because of its name: Intel's
//  own sample data carries a test root with the very same subject.
static const uint8_t s_intel_root_der [] = {
    0x30, 0x82, 0x02, 0x8f, 0x30, 0x82, 0x02, 0x34, 0xa0, 0x03, 0x02, 0x01,
    0x02, 0x02, 0x14, 0x22, 0x65, 0x0c, 0xd6, 0x5a, 0x9d, 0x34, 0x89, 0xf3,
    0x83, 0xb4, 0x95, 0x52, 0xbf, 0x50, 0x1b, 0x39, 0x27, 0x06, 0xac, 0x30,
    0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x68, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x11,
    0x49, 0x6e, 0x74, 0x65, 0x6c, 0x20, 0x53, 0x47, 0x58, 0x20, 0x52, 0x6f,
    0x6f, 0x74, 0x20, 0x43, 0x41, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55,
    0x04, 0x0a, 0x0c, 0x11, 0x49, 0x6e, 0x74, 0x65, 0x6c, 0x20, 0x43, 0x6f,
    0x72, 0x70, 0x6f, 0x72, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x31, 0x14, 0x30,
    0x12, 0x06, 0x03, 0x55, 0x04, 0x07, 0x0c, 0x0b, 0x53, 0x61, 0x6e, 0x74,
    0x61, 0x20, 0x43, 0x6c, 0x61, 0x72, 0x61, 0x31, 0x0b, 0x30, 0x09, 0x06,
    0x03, 0x55, 0x04, 0x08, 0x0c, 0x02, 0x43, 0x41, 0x31, 0x0b, 0x30, 0x09,
    0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x30, 0x1e, 0x17,
    0x0d, 0x31, 0x38, 0x30, 0x35, 0x32, 0x31, 0x31, 0x30, 0x34, 0x35, 0x31,
    0x30, 0x5a, 0x17, 0x0d, 0x34, 0x39, 0x31, 0x32, 0x33, 0x31, 0x32, 0x33,
    0x35, 0x39, 0x35, 0x39, 0x5a, 0x30, 0x68, 0x31, 0x1a, 0x30, 0x18, 0x06,
    0x03, 0x55, 0x04, 0x03, 0x0c, 0x11, 0x49, 0x6e, 0x74, 0x65, 0x6c, 0x20,
    0x53, 0x47, 0x58, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x31,
    0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x11, 0x49, 0x6e,
    0x74, 0x65, 0x6c, 0x20, 0x43, 0x6f, 0x72, 0x70, 0x6f, 0x72, 0x61, 0x74,
    0x69, 0x6f, 0x6e, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x07,
    0x0c, 0x0b, 0x53, 0x61, 0x6e, 0x74, 0x61, 0x20, 0x43, 0x6c, 0x61, 0x72,
    0x61, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x08, 0x0c, 0x02,
    0x43, 0x41, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
    0x02, 0x55, 0x53, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
    0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x0b, 0xa9, 0xc4, 0xc0, 0xc0, 0xc8,
    0x61, 0x93, 0xa3, 0xfe, 0x23, 0xd6, 0xb0, 0x2c, 0xda, 0x10, 0xa8, 0xbb,
    0xd4, 0xe8, 0x8e, 0x48, 0xb4, 0x45, 0x85, 0x61, 0xa3, 0x6e, 0x70, 0x55,
    0x25, 0xf5, 0x67, 0x91, 0x8e, 0x2e, 0xdc, 0x88, 0xe4, 0x0d, 0x86, 0x0b,
    0xd0, 0xcc, 0x4e, 0xe2, 0x6a, 0xac, 0xc9, 0x88, 0xe5, 0x05, 0xa9, 0x53,
    0x55, 0x8c, 0x45, 0x3f, 0x6b, 0x09, 0x04, 0xae, 0x73, 0x94, 0xa3, 0x81,
    0xbb, 0x30, 0x81, 0xb8, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04,
    0x18, 0x30, 0x16, 0x80, 0x14, 0x22, 0x65, 0x0c, 0xd6, 0x5a, 0x9d, 0x34,
    0x89, 0xf3, 0x83, 0xb4, 0x95, 0x52, 0xbf, 0x50, 0x1b, 0x39, 0x27, 0x06,
    0xac, 0x30, 0x52, 0x06, 0x03, 0x55, 0x1d, 0x1f, 0x04, 0x4b, 0x30, 0x49,
    0x30, 0x47, 0xa0, 0x45, 0xa0, 0x43, 0x86, 0x41, 0x68, 0x74, 0x74, 0x70,
    0x73, 0x3a, 0x2f, 0x2f, 0x63, 0x65, 0x72, 0x74, 0x69, 0x66, 0x69, 0x63,
    0x61, 0x74, 0x65, 0x73, 0x2e, 0x74, 0x72, 0x75, 0x73, 0x74, 0x65, 0x64,
    0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x2e, 0x69, 0x6e, 0x74,
    0x65, 0x6c, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x49, 0x6e, 0x74, 0x65, 0x6c,
    0x53, 0x47, 0x58, 0x52, 0x6f, 0x6f, 0x74, 0x43, 0x41, 0x2e, 0x64, 0x65,
    0x72, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14,
    0x22, 0x65, 0x0c, 0xd6, 0x5a, 0x9d, 0x34, 0x89, 0xf3, 0x83, 0xb4, 0x95,
    0x52, 0xbf, 0x50, 0x1b, 0x39, 0x27, 0x06, 0xac, 0x30, 0x0e, 0x06, 0x03,
    0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x06,
    0x30, 0x12, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x08,
    0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x01, 0x30, 0x0a, 0x06, 0x08,
    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x49, 0x00, 0x30,
    0x46, 0x02, 0x21, 0x00, 0xe5, 0xbf, 0xe5, 0x09, 0x11, 0xf9, 0x2f, 0x42,
    0x89, 0x20, 0xdc, 0x36, 0x8a, 0x30, 0x2e, 0xe3, 0xd1, 0x2e, 0xc5, 0x86,
    0x7f, 0xf6, 0x22, 0xec, 0x64, 0x97, 0xf7, 0x80, 0x60, 0xc1, 0x3c, 0x20,
    0x02, 0x21, 0x00, 0xe0, 0x9d, 0x25, 0xac, 0x7a, 0x0c, 0xb3, 0xe5, 0xe8,
    0xe6, 0x8f, 0xec, 0x5f, 0xa3, 0xbd, 0x41, 0x6c, 0x47, 0x44, 0x0b, 0xd9,
    0x50, 0x63, 0x9d, 0x45, 0x0e, 0xdc, 0xbe, 0xa4, 0x57, 0x6a, 0xa2,
};

//  The pinned key: uncompressed P-256 point of the Intel SGX Root CA.
static const uint8_t s_intel_root_key [65] = {
    0x04, 0x0b, 0xa9, 0xc4, 0xc0, 0xc0, 0xc8, 0x61, 0x93, 0xa3, 0xfe, 0x23, 0xd6,
    0xb0, 0x2c, 0xda, 0x10, 0xa8, 0xbb, 0xd4, 0xe8, 0x8e, 0x48, 0xb4, 0x45, 0x85,
    0x61, 0xa3, 0x6e, 0x70, 0x55, 0x25, 0xf5, 0x67, 0x91, 0x8e, 0x2e, 0xdc, 0x88,
    0xe4, 0x0d, 0x86, 0x0b, 0xd0, 0xcc, 0x4e, 0xe2, 0x6a, 0xac, 0xc9, 0x88, 0xe5,
    0x05, 0xa9, 0x53, 0x55, 0x8c, 0x45, 0x3f, 0x6b, 0x09, 0x04, 0xae, 0x73, 0x94
};

//  DER SubjectPublicKeyInfo header for an uncompressed EC P-256 key
//  (id-ecPublicKey, prime256v1, BIT STRING of 66 bytes); the 65-byte point
//  follows. Building the SPKI and decoding it is the cheapest way to get an
//  EVP_PKEY from raw x‖y in OpenSSL 3 without deprecated EC_KEY calls.
static const uint8_t s_p256_spki_prefix [26] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00
};

//  OID 1.2.840.113741.1.13.1 (Intel SGX extensions), content bytes.
static const uint8_t s_sgx_oid [9] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

struct dp_quote_root_t {
    X509 *cert;
    EVP_PKEY *key;              //  borrowed from cert
    int intel;
    uint8_t sha256 [32];
};

int64_t
dp_quote_pki_time (const ASN1_TIME *time)
{
    struct tm tm;
    if (!time || ASN1_TIME_to_tm (time, &tm) != 1)
        return 0;
    return (int64_t) timegm (&tm);
}

EVP_PKEY *
dp_quote_pki_key_from_xy (const uint8_t xy [64])
{
    //  Key import through EVP_PKEY_fromdata: OpenSSL 3.0's DER decoders
    //  (d2i_PUBKEY) cost several times more than the ECDSA check itself.
    uint8_t point [65];
    point [0] = 0x04;
    memcpy (point + 1, xy, 64);
    OSSL_PARAM params [] = {
        OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_GROUP_NAME, (char *) "prime256v1", 0),
        OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
        OSSL_PARAM_END
    };
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init (ctx) != 1
    ||  EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free (ctx);
    ERR_clear_error ();
    return key;
}

//  True if key is the pinned Intel root key.
static int
s_is_intel_key (EVP_PKEY *key)
{
    uint8_t spki [sizeof s_p256_spki_prefix + 65];
    memcpy (spki, s_p256_spki_prefix, sizeof s_p256_spki_prefix);
    memcpy (spki + sizeof s_p256_spki_prefix, s_intel_root_key, 65);
    uint8_t *der = NULL;
    int len = i2d_PUBKEY (key, &der);
    int same = len == (int) sizeof spki && memcmp (der, spki, sizeof spki) == 0;
    OPENSSL_free (der);
    return same;
}

static int
s_is_p256 (EVP_PKEY *key)
{
    char group [32] = "";
    size_t len = 0;
    return key && EVP_PKEY_is_a (key, "EC")
        && EVP_PKEY_get_group_name (key, group, sizeof group, &len) == 1
        && strcmp (group, "prime256v1") == 0;
}

dp_status
dp_quote_pki_verify_raw (EVP_PKEY *key, const uint8_t *data, size_t len, const uint8_t sig [64])
{
    uint8_t der [80];
    uint8_t *cursor = der;
    int der_len = 0;
    ECDSA_SIG *ecdsa = ECDSA_SIG_new ();
    BIGNUM *r = BN_bin2bn (sig, 32, NULL);
    BIGNUM *s = BN_bin2bn (sig + 32, 32, NULL);
    if (ecdsa && r && s && ECDSA_SIG_set0 (ecdsa, r, s) == 1) {
        r = s = NULL;           //  owned by ecdsa now
        der_len = i2d_ECDSA_SIG (ecdsa, &cursor);
    }
    BN_free (r);
    BN_free (s);
    ECDSA_SIG_free (ecdsa);
    int ok = 0;
    EVP_MD_CTX *ctx = der_len > 0? EVP_MD_CTX_new (): NULL;
    if (ctx && EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, key) == 1)
        ok = EVP_DigestVerify (ctx, der, (size_t) der_len, data, len) == 1;
    EVP_MD_CTX_free (ctx);
    ERR_clear_error ();
    return ok? DP_OK: DP_CRYPTO;
}

//  --- Roots ----------------------------------------------------------------

static dp_status
s_root_new (X509 *cert, dp_quote_root_t **out, dp_error_t *err)
{
    EVP_PKEY *key = X509_get0_pubkey (cert);
    if (!s_is_p256 (key))
        return dp_error_set (err, DP_INVALID, "root: key is not EC P-256");
    if (X509_check_issued (cert, cert) != X509_V_OK || X509_verify (cert, key) != 1) {
        ERR_clear_error ();
        return dp_error_set (err, DP_INVALID, "root: certificate is not self-signed");
    }
    if (X509_check_ca (cert) < 1)
        return dp_error_set (err, DP_INVALID, "root: certificate is not a CA");
    dp_quote_root_t *self = calloc (1, sizeof *self);
    if (!self)
        return dp_error_set (err, DP_NOMEM, "root: out of memory");
    uint8_t *der = NULL;
    int len = i2d_X509 (cert, &der);
    if (len <= 0) {
        free (self);
        return dp_error_set (err, DP_INVALID, "root: cannot encode certificate");
    }
    dp_sha256 (der, (size_t) len, self->sha256);
    OPENSSL_free (der);
    self->cert = cert;
    self->key = key;
    self->intel = s_is_intel_key (key);
    *out = self;
    return DP_OK;
}

dp_quote_root_t *
dp_quote_root_intel (dp_error_t *err)
{
    const uint8_t *p = s_intel_root_der;
    X509 *cert = d2i_X509 (NULL, &p, sizeof s_intel_root_der);
    dp_quote_root_t *self = NULL;
    if (!cert) {
        dp_error_set (err, DP_NOMEM, "root: cannot decode the Intel root");
        return NULL;
    }
    if (s_root_new (cert, &self, err) != DP_OK || !self->intel) {
        //  Only a corrupted build gets here: the DER and the pin disagree.
        dp_error_set (err, DP_INTERNAL, "root: compiled-in Intel root does not match the pinned key");
        if (self)
            self->cert = NULL;
        free (self);
        X509_free (cert);
        return NULL;
    }
    return self;
}

dp_status
dp_quote_root_from_pem (const char *pem, size_t len, dp_quote_root_t **out, dp_error_t *err)
{
    *out = NULL;
    STACK_OF (X509) *chain = NULL;
    dp_status rc = dp_quote_pki_chain_from_pem ((const uint8_t *) pem, len, "root", &chain, err);
    if (rc != DP_OK)
        return rc;
    X509 *cert = sk_X509_shift (chain);
    sk_X509_pop_free (chain, X509_free);
    rc = s_root_new (cert, out, err);
    if (rc != DP_OK)
        X509_free (cert);
    return rc;
}

dp_status
dp_quote_root_load (const char *path, dp_quote_root_t **out, dp_error_t *err)
{
    *out = NULL;
    FILE *file = fopen (path, "rb");
    if (!file)
        return dp_error_set (err, DP_IO, "root: cannot open %s", path);
    char buffer [16384];
    size_t len = fread (buffer, 1, sizeof buffer, file);
    int too_big = !feof (file);
    fclose (file);
    if (too_big)
        return dp_error_set (err, DP_LIMIT, "root: %s is larger than %zu bytes", path, sizeof buffer);
    dp_status rc = dp_quote_root_from_pem (buffer, len, out, err);
    if (rc != DP_OK)
        dp_error_prefix (err, "%s", path);
    return rc;
}

void
dp_quote_root_destroy (dp_quote_root_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    X509_free ((*self_p)->cert);
    free (*self_p);
    *self_p = NULL;
}

int
dp_quote_root_is_intel (const dp_quote_root_t *self)
{
    return self && self->intel;
}

void
dp_quote_root_sha256 (const dp_quote_root_t *self, uint8_t out [32])
{
    memcpy (out, self->sha256, 32);
}

X509 *
dp_quote_root_cert (const dp_quote_root_t *self)
{
    return self->cert;
}

//  --- Parsing --------------------------------------------------------------

//  Decoded certificates and CRLs, shared process-wide and keyed by the
//  SHA-256 of their DER. Decoding a certificate in OpenSSL 3.0 costs more
//  than verifying its signature (the provider decoders run for its key),
//  and DCAP collateral repeats the same few certificates for every quote.
//  Only decoding is memoised: every signature, date and revocation check
//  still runs on every verification.
#define S_DECODED_SIZE 64

typedef struct {
    uint8_t sha256 [32];
    X509 *cert;
    X509_CRL *crl;
    uint64_t used;
} s_decoded_t;

static s_decoded_t s_decoded [S_DECODED_SIZE];
static uint64_t s_decoded_tick;
static int s_decoded_enabled = 1;
static pthread_mutex_t s_decoded_lock = PTHREAD_MUTEX_INITIALIZER;

void
dp_quote_pki_set_decode_cache (int enabled)
{
    pthread_mutex_lock (&s_decoded_lock);
    s_decoded_enabled = enabled;
    for (size_t i = 0; !enabled && i < S_DECODED_SIZE; i++) {
        X509_free (s_decoded [i].cert);
        X509_CRL_free (s_decoded [i].crl);
        memset (&s_decoded [i], 0, sizeof s_decoded [i]);
    }
    pthread_mutex_unlock (&s_decoded_lock);
}

//  Looks up (want_crl selects the kind) and takes a reference; 0 if absent.
static int
s_decoded_find (const uint8_t sha [32], int want_crl, X509 **cert, X509_CRL **crl)
{
    int found = 0;
    pthread_mutex_lock (&s_decoded_lock);
    for (size_t i = 0; s_decoded_enabled && i < S_DECODED_SIZE && !found; i++) {
        s_decoded_t *entry = &s_decoded [i];
        if (!entry->used || memcmp (entry->sha256, sha, 32) != 0 || (entry->crl != NULL) != want_crl)
            continue;
        found = want_crl? X509_CRL_up_ref (entry->crl): X509_up_ref (entry->cert);
        if (found) {
            *cert = entry->cert;
            *crl = entry->crl;
            entry->used = ++s_decoded_tick;
        }
    }
    pthread_mutex_unlock (&s_decoded_lock);
    return found;
}

//  Stores a new decode (the cache takes its own reference).
static void
s_decoded_add (const uint8_t sha [32], X509 *cert, X509_CRL *crl)
{
    pthread_mutex_lock (&s_decoded_lock);
    if (s_decoded_enabled && (cert? X509_up_ref (cert): X509_CRL_up_ref (crl))) {
        s_decoded_t *victim = &s_decoded [0];
        for (size_t i = 1; i < S_DECODED_SIZE; i++)
            if (s_decoded [i].used < victim->used)
                victim = &s_decoded [i];
        X509_free (victim->cert);
        X509_CRL_free (victim->crl);
        memcpy (victim->sha256, sha, 32);
        victim->cert = cert;
        victim->crl = crl;
        victim->used = ++s_decoded_tick;
    }
    pthread_mutex_unlock (&s_decoded_lock);
}

//  A certificate from exactly len bytes of DER; NULL if malformed.
static X509 *
s_cert_from_der (const uint8_t *der, size_t len)
{
    uint8_t sha [32];
    X509 *cert = NULL;
    X509_CRL *crl = NULL;
    dp_sha256 (der, len, sha);
    if (s_decoded_find (sha, 0, &cert, &crl))
        return cert;
    const uint8_t *p = der;
    cert = len <= INT32_MAX? d2i_X509 (NULL, &p, (long) len): NULL;
    if (cert && p != der + len) {
        X509_free (cert);
        cert = NULL;
    }
    //  OpenSSL fills a certificate's extension cache on first use; do it
    //  now, before the object is shared between threads.
    if (cert)
        X509_get_extension_flags (cert);
    ERR_clear_error ();
    if (cert)
        s_decoded_add (sha, cert, NULL);
    return cert;
}

static X509_CRL *
s_crl_from_der (const uint8_t *der, size_t len)
{
    uint8_t sha [32];
    X509 *cert = NULL;
    X509_CRL *crl = NULL;
    dp_sha256 (der, len, sha);
    if (s_decoded_find (sha, 1, &cert, &crl))
        return crl;
    const uint8_t *p = der;
    crl = len <= INT32_MAX? d2i_X509_CRL (NULL, &p, (long) len): NULL;
    if (crl && p != der + len) {
        X509_CRL_free (crl);
        crl = NULL;
    }
    ERR_clear_error ();
    if (crl)
        s_decoded_add (sha, NULL, crl);
    return crl;
}

//  Reads the PEM blocks of bio into chain; 0 on a broken or foreign block.
static int
s_read_pem_blocks (BIO *bio, STACK_OF (X509) *chain)
{
    char *name = NULL, *header = NULL;
    uint8_t *der = NULL;
    long len = 0;
    while (PEM_read_bio (bio, &name, &header, &der, &len) == 1) {
        X509 *cert = strcmp (name, PEM_STRING_X509) == 0? s_cert_from_der (der, (size_t) len): NULL;
        OPENSSL_free (name);
        OPENSSL_free (header);
        OPENSSL_free (der);
        if (!cert || !sk_X509_push (chain, cert)) {
            X509_free (cert);
            return 0;
        }
    }
    //  The loop ends at the end of the text ("no start line") or at a
    //  broken block, which must not be skipped silently.
    unsigned long reason = ERR_peek_last_error ();
    ERR_clear_error ();
    return ERR_GET_LIB (reason) == ERR_LIB_PEM && ERR_GET_REASON (reason) == PEM_R_NO_START_LINE;
}

dp_status
dp_quote_pki_chain_from_pem (const uint8_t *pem, size_t len, const char *what,
                             STACK_OF (X509) **out, dp_error_t *err)
{
    *out = NULL;
    const uint8_t *nul = memchr (pem, 0, len);
    if (nul)
        len = (size_t) (nul - pem);
    if (len > INT32_MAX)
        return dp_error_set (err, DP_LIMIT, "%s: PEM text too large", what);
    BIO *bio = BIO_new_mem_buf (pem, (int) len);
    STACK_OF (X509) *chain = sk_X509_new_null ();
    if (!bio || !chain) {
        BIO_free (bio);
        sk_X509_free (chain);
        return dp_error_set (err, DP_NOMEM, "%s: out of memory", what);
    }
    int clean = s_read_pem_blocks (bio, chain);
    BIO_free (bio);
    int count = sk_X509_num (chain);
    if (!clean || count == 0) {
        sk_X509_pop_free (chain, X509_free);
        return clean? dp_error_set (err, DP_INVALID, "%s: no PEM certificate found", what)
                    : dp_error_set (err, DP_INVALID, "%s: PEM certificate %d does not parse", what, count + 1);
    }
    *out = chain;
    return DP_OK;
}

dp_status
dp_quote_pki_crl_parse (const uint8_t *data, size_t len, const char *what, X509_CRL **out,
                        dp_error_t *err)
{
    *out = NULL;
    uint8_t *der = NULL;
    int hex = len > 0 && len % 2 == 0;
    for (size_t i = 0; hex && i < len; i++)
        hex = strchr ("0123456789abcdefABCDEF", data [i]) && data [i];
    if (hex) {
        der = calloc (1, len / 2);
        if (!der)
            return dp_error_set (err, DP_NOMEM, "%s: out of memory", what);
        for (size_t i = 0; i < len / 2; i++) {
            char pair [3] = { (char) data [2 * i], (char) data [2 * i + 1], 0 };
            der [i] = (uint8_t) strtoul (pair, NULL, 16);
        }
    }
    X509_CRL *crl = s_crl_from_der (hex? der: data, hex? len / 2: len);
    free (der);
    if (!crl)
        return dp_error_set (err, DP_INVALID, "%s: not a DER CRL (hex or binary)", what);
    *out = crl;
    return DP_OK;
}

//  --- Chains and CRLs -------------------------------------------------------

//  The certificate's CN for messages ("?" if none).
static const char *
s_cn (X509 *cert, char *buffer, size_t size)
{
    buffer [0] = '\0';
    if (X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, buffer, (int) size) < 0)
        snprintf (buffer, size, "?");
    return buffer;
}

static dp_status
s_check_validity (X509 *cert, int index, int64_t now, const char *what, dp_error_t *err)
{
    char cn [96];
    int64_t not_before = dp_quote_pki_time (X509_get0_notBefore (cert));
    int64_t not_after = dp_quote_pki_time (X509_get0_notAfter (cert));
    if (!not_before || !not_after)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) has unreadable dates",
                             what, index, s_cn (cert, cn, sizeof cn));
    if (now < not_before)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) is not yet valid (notBefore %lld, now %lld)",
                             what, index, s_cn (cert, cn, sizeof cn), (long long) not_before, (long long) now);
    if (now > not_after)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) expired (notAfter %lld, now %lld)",
                             what, index, s_cn (cert, cn, sizeof cn), (long long) not_after, (long long) now);
    if (X509_get_extension_flags (cert) & EXFLAG_CRITICAL)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) has an unsupported critical extension",
                             what, index, s_cn (cert, cn, sizeof cn));
    return DP_OK;
}

//  Revocation of cert (issued by issuer) against the checked CRLs.
static dp_status
s_check_revoked (X509 *cert, X509 *issuer, int index, const dp_quote_root_t *root,
                 const dp_quote_crls_t *crls, const char *what, dp_error_t *err)
{
    if (!crls)
        return DP_OK;
    X509_CRL *crl = NULL;
    if (issuer == root->cert)
        crl = crls->root_crl;
    else
    if (crls->pck_crl_issuer
    &&  X509_NAME_cmp (X509_get_subject_name (issuer), X509_get_subject_name (crls->pck_crl_issuer)) == 0
    &&  EVP_PKEY_eq (X509_get0_pubkey (issuer), X509_get0_pubkey (crls->pck_crl_issuer)) == 1)
        crl = crls->pck_crl;
    char cn [96];
    if (!crl)
        return dp_error_set (err, DP_CRYPTO, "%s: no CRL from the issuer of certificate %d (%s)",
                             what, index, s_cn (cert, cn, sizeof cn));
    X509_REVOKED *revoked = NULL;
    if (X509_CRL_get0_by_cert (crl, &revoked, cert) == 1)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) is revoked",
                             what, index, s_cn (cert, cn, sizeof cn));
    return DP_OK;
}

//  A CA's path length allows `below` intermediate CAs under it.
static int
s_pathlen_ok (X509 *ca, int below)
{
    long pathlen = X509_get_pathlen (ca);
    return pathlen < 0 || below <= pathlen;
}

//  One link: cert (at index) signed by issuer.
static dp_status
s_check_link (X509 *cert, X509 *issuer, int index, const dp_quote_root_t *root,
              const dp_quote_crls_t *crls, const char *what, dp_error_t *err)
{
    char cn [96];
    if (X509_check_ca (issuer) < 1 || !s_pathlen_ok (issuer, index))
        return dp_error_set (err, DP_CRYPTO, "%s: issuer of certificate %d (%s) may not issue it (CA flag or path length)",
                             what, index, s_cn (cert, cn, sizeof cn));
    if (X509_verify (cert, X509_get0_pubkey (issuer)) != 1) {
        ERR_clear_error ();
        return dp_error_set (err, DP_CRYPTO, "%s: signature of certificate %d (%s) does not verify%s",
                             what, index, s_cn (cert, cn, sizeof cn),
                             issuer == root->cert? " under the trusted root": "");
    }
    return s_check_revoked (cert, issuer, index, root, crls, what, err);
}

dp_status
dp_quote_pki_verify_chain (STACK_OF (X509) *chain, const dp_quote_root_t *root,
                           const dp_quote_crls_t *crls, int64_t now, const char *what,
                           dp_error_t *err)
{
    int count = sk_X509_num (chain);
    if (count < 1)
        return dp_error_set (err, DP_CRYPTO, "%s: empty certificate chain", what);
    dp_status rc = s_check_validity (root->cert, -1, now, what, err);
    X509 *cert = sk_X509_value (chain, 0);
    //  Depth 4 is well past DCAP's leaf → CA → root; it bounds the walk.
    for (int index = 0; rc == DP_OK && index < 4; index++) {
        rc = s_check_validity (cert, index, now, what, err);
        if (rc != DP_OK)
            break;
        //  The PCK CA that issued the PCK CRL was verified up to the root,
        //  at this time and against these CRLs, by dp_quote_pki_check_crls:
        //  the same certificate in a quote's chain needs no second check.
        if (index > 0 && crls && crls->pck_crl_issuer && X509_cmp (cert, crls->pck_crl_issuer) == 0
        &&  s_pathlen_ok (root->cert, index))
            return DP_OK;
        if (X509_check_issued (root->cert, cert) == X509_V_OK)
            return s_check_link (cert, root->cert, index, root, crls, what, err);
        char cn [96];
        X509 *issuer = index + 1 < count? sk_X509_value (chain, index + 1): NULL;
        if (!issuer || X509_check_issued (issuer, cert) != X509_V_OK)
            return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) does not chain to the trusted root",
                                 what, index, s_cn (cert, cn, sizeof cn));
        rc = s_check_link (cert, issuer, index, root, crls, what, err);
        cert = issuer;
    }
    if (rc == DP_OK)
        rc = dp_error_set (err, DP_CRYPTO, "%s: chain longer than 4 certificates", what);
    return rc;
}

static int
s_cn_ends (X509 *cert, const char *suffix)
{
    char cn [128];
    int len = X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, cn, (int) sizeof cn);
    size_t n = strlen (suffix);
    return len >= 0 && (size_t) len >= n && strcmp (cn + len - n, suffix) == 0;
}

//  cert is a CA (is_ca) or not, with a CN ending in one of the suffixes
//  (NULL-terminated).
static dp_status
s_check_one_role (X509 *cert, int index, int is_ca, const char *const *suffixes, const char *role,
                  const char *what, dp_error_t *err)
{
    char cn [96];
    int named = 0;
    for (int i = 0; suffixes [i] && !named; i++)
        named = s_cn_ends (cert, suffixes [i]);
    if (!named)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) is not %s",
                             what, index, s_cn (cert, cn, sizeof cn), role);
    if ((X509_check_ca (cert) >= 1) != is_ca)
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) is %s CA, which %s never is",
                             what, index, s_cn (cert, cn, sizeof cn), is_ca? "not a": "a",
                             is_ca? "an issuing CA": role);
    return DP_OK;
}

dp_status
dp_quote_pki_check_role (STACK_OF (X509) *chain, dp_quote_role_t role, const dp_quote_root_t *root,
                         const char *what, dp_error_t *err)
{
    static const char *const signer [] = { "SGX TCB Signing", NULL };
    static const char *const pck_ca [] = { "SGX PCK Platform CA", "SGX PCK Processor CA", NULL };
    static const char *const pck [] = { "SGX PCK Certificate", NULL };
    X509 *cert = sk_X509_num (chain) > 0? sk_X509_value (chain, 0): NULL;
    if (!cert)
        return dp_error_set (err, DP_CRYPTO, "%s: empty certificate chain", what);
    X509 *ca = cert;
    int ca_index = 0;
    dp_status rc;
    if (role == DP_QUOTE_ROLE_TCB_SIGNER)
        rc = s_check_one_role (cert, 0, 0, signer, "a TCB signing certificate", what, err);
    else
    if (role == DP_QUOTE_ROLE_PCK_CA)
        rc = s_check_one_role (cert, 0, 1, pck_ca, "a PCK platform or processor CA", what, err);
    else {
        rc = s_check_one_role (cert, 0, 0, pck, "a PCK certificate", what, err);
        ca = sk_X509_num (chain) > 1? sk_X509_value (chain, 1): NULL;
        ca_index = 1;
        if (rc == DP_OK && (!ca || X509_check_issued (ca, cert) != X509_V_OK))
            return dp_error_set (err, DP_CRYPTO, "%s: the PCK certificate is not issued by a PCK CA in the chain", what);
        if (rc == DP_OK)
            rc = s_check_one_role (ca, 1, 1, pck_ca, "a PCK platform or processor CA", what, err);
    }
    if (rc != DP_OK)
        return rc;
    //  The signer and the PCK CA hang from the root directly: a longer
    //  path would put a CA of someone else's between Intel and them.
    if (X509_check_issued (root->cert, ca) != X509_V_OK || X509_cmp (ca, root->cert) == 0) {
        char cn [96];
        return dp_error_set (err, DP_CRYPTO, "%s: certificate %d (%s) is not issued by the root itself",
                             what, ca_index, s_cn (ca, cn, sizeof cn));
    }
    return DP_OK;
}

static dp_status
s_check_crl (X509_CRL *crl, X509 *issuer, int64_t now, const char *name, dp_error_t *err)
{
    char cn [96];
    if (X509_NAME_cmp (X509_CRL_get_issuer (crl), X509_get_subject_name (issuer)) != 0)
        return dp_error_set (err, DP_CRYPTO, "crl: %s is not issued by %s", name, s_cn (issuer, cn, sizeof cn));
    if (X509_CRL_verify (crl, X509_get0_pubkey (issuer)) != 1) {
        ERR_clear_error ();
        return dp_error_set (err, DP_CRYPTO, "crl: signature of the %s does not verify", name);
    }
    int64_t this_update = dp_quote_pki_time (X509_CRL_get0_lastUpdate (crl));
    int64_t next_update = dp_quote_pki_time (X509_CRL_get0_nextUpdate (crl));
    if (!this_update || now < this_update)
        return dp_error_set (err, DP_CRYPTO, "crl: %s is not yet valid (thisUpdate %lld, now %lld)",
                             name, (long long) this_update, (long long) now);
    if (!next_update || now > next_update)
        return dp_error_set (err, DP_CRYPTO, "crl: %s expired (nextUpdate %lld, now %lld)",
                             name, (long long) next_update, (long long) now);
    return DP_OK;
}

dp_status
dp_quote_pki_check_crls (X509_CRL *root_crl, X509_CRL *pck_crl, STACK_OF (X509) *issuer_chain,
                         const dp_quote_root_t *root, int64_t now, dp_quote_crls_t *crls,
                         dp_error_t *err)
{
    memset (crls, 0, sizeof *crls);
    dp_status rc = s_check_crl (root_crl, root->cert, now, "root CA CRL", err);
    X509_REVOKED *revoked = NULL;
    if (rc == DP_OK && X509_CRL_get0_by_cert (root_crl, &revoked, root->cert) == 1)
        rc = dp_error_set (err, DP_CRYPTO, "crl: the root CA is revoked by its own CRL");
    crls->root_crl = root_crl;
    if (rc == DP_OK)
        rc = dp_quote_pki_verify_chain (issuer_chain, root, crls, now, "crl: pck_crl_issuer_chain", err);
    if (rc == DP_OK)
        rc = dp_quote_pki_check_role (issuer_chain, DP_QUOTE_ROLE_PCK_CA, root,
                                      "crl: pck_crl_issuer_chain", err);
    X509 *issuer = rc == DP_OK? sk_X509_value (issuer_chain, 0): NULL;
    if (rc == DP_OK)
        rc = s_check_crl (pck_crl, issuer, now, "PCK CRL", err);
    if (rc != DP_OK) {
        memset (crls, 0, sizeof *crls);
        return rc;
    }
    crls->pck_crl = pck_crl;
    crls->pck_crl_issuer = issuer;
    return DP_OK;
}

dp_status
dp_quote_pki_check_crls_cached (X509_CRL *root_crl, X509_CRL *pck_crl, STACK_OF (X509) *issuer_chain,
                                dp_quote_crls_t *crls)
{
    crls->root_crl = root_crl;
    crls->pck_crl = pck_crl;
    crls->pck_crl_issuer = sk_X509_value (issuer_chain, 0);
    return DP_OK;
}

//  --- PCK extension ------------------------------------------------------------

//  Reads one DER element at *p (< end): tag, content pointer and length.
//  Definite lengths only (DER); 0 on malformed input.
static int
s_der_next (const uint8_t **p, const uint8_t *end, int *tag, const uint8_t **content, size_t *len)
{
    const uint8_t *q = *p;
    if (end - q < 2)
        return 0;
    *tag = *q++;
    size_t length = *q++;
    if (length & 0x80) {
        int bytes = (int) (length & 0x7f);
        if (bytes < 1 || bytes > 3 || end - q < bytes)
            return 0;
        length = 0;
        while (bytes--)
            length = length << 8 | *q++;
    }
    if ((size_t) (end - q) < length)
        return 0;
    *content = q;
    *len = length;
    *p = q + length;
    return 1;
}

//  A small non-negative DER INTEGER/ENUMERATED value, or -1.
static long
s_der_small_int (const uint8_t *content, size_t len)
{
    if (len < 1 || len > 3 || content [0] & 0x80)
        return -1;
    long value = 0;
    for (size_t i = 0; i < len; i++)
        value = value << 8 | content [i];
    return value;
}

//  Matches an OID content against the SGX prefix plus suffix arcs.
static int
s_oid_is (const uint8_t *oid, size_t len, const uint8_t *suffix, size_t suffix_len)
{
    return len == sizeof s_sgx_oid + suffix_len && memcmp (oid, s_sgx_oid, sizeof s_sgx_oid) == 0
        && memcmp (oid + sizeof s_sgx_oid, suffix, suffix_len) == 0;
}

//  The TCB sequence (.2): 16 component SVNs (.2.1-.2.16) and PCESVN (.2.17).
static int
s_parse_tcb (const uint8_t *p, const uint8_t *end, dp_quote_pck_t *out)
{
    int found = 0;
    while (p < end) {
        int tag, t1, t2;
        const uint8_t *pair, *oid, *value;
        size_t pair_len, oid_len, value_len;
        if (!s_der_next (&p, end, &tag, &pair, &pair_len) || tag != 0x30)
            return 0;
        const uint8_t *q = pair, *q_end = pair + pair_len;
        if (!s_der_next (&q, q_end, &t1, &oid, &oid_len) || t1 != 0x06
        ||  !s_der_next (&q, q_end, &t2, &value, &value_len))
            return 0;
        for (uint8_t arc = 1; arc <= 17; arc++) {
            uint8_t suffix [2] = { 2, arc };
            if (!s_oid_is (oid, oid_len, suffix, 2))
                continue;
            long svn = t2 == 0x02? s_der_small_int (value, value_len): -1;
            if (svn < 0 || svn > (arc == 17? 65535: 255))
                return 0;
            if (arc == 17)
                out->pcesvn = (uint16_t) svn;
            else
                out->cpusvn [arc - 1] = (uint8_t) svn;
            found |= 1 << arc;
        }
    }
    return found == 0x3fffe;        //  arcs 1..17 all present
}

//  One top-level (OID, value) pair of the SGX extension.
static int
s_parse_field (const uint8_t *oid, size_t oid_len, int tag, const uint8_t *value,
               size_t value_len, dp_quote_pck_t *out, int *found)
{
    static const struct { uint8_t arc; int tag; size_t size; int bit; } fields [] = {
        { 1, 0x04, 16, 1 }, { 2, 0x30, 0, 2 }, { 3, 0x04, 2, 4 }, { 4, 0x04, 6, 8 }, { 5, 0x0a, 0, 16 }
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++) {
        if (!s_oid_is (oid, oid_len, &fields [i].arc, 1))
            continue;
        if (tag != fields [i].tag || (fields [i].size && value_len != fields [i].size))
            return 0;
        if (fields [i].arc == 1)
            memcpy (out->ppid, value, 16);
        else
        if (fields [i].arc == 2 && !s_parse_tcb (value, value + value_len, out))
            return 0;
        else
        if (fields [i].arc == 3)
            memcpy (out->pceid, value, 2);
        else
        if (fields [i].arc == 4)
            memcpy (out->fmspc, value, 6);
        else
        if (fields [i].arc == 5)
            out->sgx_type = (int) s_der_small_int (value, value_len);
        *found |= fields [i].bit;
    }
    return 1;
}

dp_status
dp_quote_pki_pck_info (X509 *leaf, dp_quote_pck_t *out, dp_error_t *err)
{
    memset (out, 0, sizeof *out);
    out->sgx_type = -1;
    const ASN1_OCTET_STRING *data = NULL;
    for (int i = 0; i < X509_get_ext_count (leaf); i++) {
        X509_EXTENSION *ext = X509_get_ext (leaf, i);
        const ASN1_OBJECT *obj = X509_EXTENSION_get_object (ext);
        if ((size_t) OBJ_length (obj) == sizeof s_sgx_oid
        &&  memcmp (OBJ_get0_data (obj), s_sgx_oid, sizeof s_sgx_oid) == 0)
            data = X509_EXTENSION_get_data (ext);
    }
    if (!data)
        return dp_error_set (err, DP_INVALID, "pck_extension: the PCK certificate has no SGX extension");
    const uint8_t *p = ASN1_STRING_get0_data (data);
    const uint8_t *end = p + ASN1_STRING_length (data);
    int tag, found = 0;
    const uint8_t *seq;
    size_t seq_len;
    if (!s_der_next (&p, end, &tag, &seq, &seq_len) || tag != 0x30)
        return dp_error_set (err, DP_INVALID, "pck_extension: SGX extension is not a SEQUENCE");
    for (const uint8_t *q = seq; q < seq + seq_len; ) {
        int t1, t2, t3;
        const uint8_t *pair, *oid, *value;
        size_t pair_len, oid_len, value_len;
        if (!s_der_next (&q, seq + seq_len, &t1, &pair, &pair_len) || t1 != 0x30)
            return dp_error_set (err, DP_INVALID, "pck_extension: malformed entry");
        const uint8_t *r = pair, *r_end = pair + pair_len;
        if (!s_der_next (&r, r_end, &t2, &oid, &oid_len) || t2 != 0x06
        ||  !s_der_next (&r, r_end, &t3, &value, &value_len)
        ||  !s_parse_field (oid, oid_len, t3, value, value_len, out, &found))
            return dp_error_set (err, DP_INVALID, "pck_extension: malformed entry");
    }
    if ((found & 14) != 14)
        return dp_error_set (err, DP_INVALID, "pck_extension: missing %s",
                             !(found & 2)? "TCB (CPUSVN components, PCESVN)": !(found & 4)? "PCE-ID": "FMSPC");
    return DP_OK;
}
