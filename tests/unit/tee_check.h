/*  tee_check.h — test-only helpers: check a TDX v4 quote's structure, every
    signature and hash, and its PCK chain with OpenSSL directly (the quote
    verifier module is someone else's; these tests must not depend on it).
    Included by the tee/simroot unit tests; header-only on purpose. */

#ifndef TEE_CHECK_H_INCLUDED
#define TEE_CHECK_H_INCLUDED

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sha256.h"

static inline uint32_t
tc_u32 (const uint8_t *at)
{
    return at [0] | (uint32_t) at [1] << 8 | (uint32_t) at [2] << 16 | (uint32_t) at [3] << 24;
}

static inline uint16_t
tc_u16 (const uint8_t *at)
{
    return (uint16_t) (at [0] | at [1] << 8);
}

//  1 if sig (raw r ‖ s) is key's ECDSA/SHA-256 signature of data.
static inline int
tc_verify_raw (EVP_PKEY *key, const void *data, size_t len, const uint8_t sig [64])
{
    ECDSA_SIG *parsed = ECDSA_SIG_new ();
    BIGNUM *r = BN_bin2bn (sig, 32, NULL), *s = BN_bin2bn (sig + 32, 32, NULL);
    ECDSA_SIG_set0 (parsed, r, s);
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG (parsed, &der);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    int ok = der_len > 0 && EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, key) == 1
          && EVP_DigestVerify (ctx, der, (size_t) der_len, data, len) == 1;
    EVP_MD_CTX_free (ctx);
    OPENSSL_free (der);
    ECDSA_SIG_free (parsed);
    return ok;
}

//  P-256 public key from raw x ‖ y.
static inline EVP_PKEY *
tc_key_from_xy (const uint8_t xy [64])
{
    uint8_t point [65] = { 0x04 };
    memcpy (point + 1, xy, 64);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new ();
    OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, 65);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param (bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    if (EVP_PKEY_fromdata_init (ctx) != 1
        || EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free (ctx);
    OSSL_PARAM_free (params);
    OSSL_PARAM_BLD_free (bld);
    return key;
}

//  All certificates in a PEM blob of exactly len bytes.
static inline STACK_OF (X509) *
tc_pem_chain (const char *pem, size_t len)
{
    STACK_OF (X509) *chain = sk_X509_new_null ();
    BIO *bio = BIO_new_mem_buf (pem, (int) len);
    X509 *cert;
    while ((cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)))
        sk_X509_push (chain, cert);
    BIO_free (bio);
    return chain;
}

//  Verifies leaf with the chain's other certificates as intermediates,
//  root as the only trust anchor, and CRLs (may be NULL) checked.
static inline int
tc_verify_chain (X509 *leaf, STACK_OF (X509) *untrusted, X509 *root, X509_CRL *crl1, X509_CRL *crl2)
{
    X509_STORE *store = X509_STORE_new ();
    X509_STORE_add_cert (store, root);
    if (crl1 && crl2) {
        X509_STORE_add_crl (store, crl1);
        X509_STORE_add_crl (store, crl2);
        X509_STORE_set_flags (store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    X509_STORE_CTX *ctx = X509_STORE_CTX_new ();
    X509_STORE_CTX_init (ctx, store, leaf, untrusted);
    int ok = X509_verify_cert (ctx) == 1;
    if (!ok)
        fprintf (stderr, "chain: %s\n", X509_verify_cert_error_string (X509_STORE_CTX_get_error (ctx)));
    X509_STORE_CTX_free (ctx);
    X509_STORE_free (store);
    return ok;
}

static inline X509_CRL *
tc_crl_from_hex (const char *hex)
{
    size_t len = strlen (hex) / 2;
    uint8_t *der = malloc (len);
    for (size_t i = 0; i < len; i++)
        sscanf (hex + 2 * i, "%2hhx", &der [i]);
    const uint8_t *cursor = der;
    X509_CRL *crl = d2i_X509_CRL (NULL, &cursor, (long) len);
    free (der);
    return crl;
}

//  What a checked quote revealed.
typedef struct {
    int ok;
    char why [160];
    uint8_t report_data [64];
    X509 *pck;              //  owned: X509_free
} tc_quote_t;

static inline int
tc_fail (tc_quote_t *out, const char *why)
{
    snprintf (out->why, sizeof out->why, "%s", why);
    out->ok = 0;
    return 0;
}

//  Checks a v4 TDX quote: header, the quote signature with the embedded
//  attestation key, QE report data = SHA-256(key ‖ auth) ‖ zeros, the QE
//  report signature with the PCK leaf, and the PCK chain up to root.
static inline int
tc_check_quote (const uint8_t *q, size_t len, X509 *root, tc_quote_t *out)
{
    static const uint8_t intel [16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                        0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };
    memset (out, 0, sizeof *out);
    if (len < 636 + 134 + 384 + 64 + 2)
        return tc_fail (out, "too short");
    if (tc_u16 (q) != 4 || tc_u16 (q + 2) != 2 || tc_u32 (q + 4) != 0x81 || memcmp (q + 12, intel, 16))
        return tc_fail (out, "header");
    memcpy (out->report_data, q + 568, 64);
    uint32_t sig_len = tc_u32 (q + 632);
    if (636 + (size_t) sig_len > len)
        return tc_fail (out, "sig_data_len");
    const uint8_t *sd = q + 636;
    EVP_PKEY *att = tc_key_from_xy (sd + 64);
    int quote_sig = att && tc_verify_raw (att, q, 632, sd);
    EVP_PKEY_free (att);
    if (!quote_sig)
        return tc_fail (out, "quote signature");
    if (tc_u16 (sd + 128) != 6 || 134 + (size_t) tc_u32 (sd + 130) != sig_len)
        return tc_fail (out, "certification type 6 / size");
    const uint8_t *qe = sd + 134;
    uint16_t auth_len = tc_u16 (qe + 384 + 64);
    const uint8_t *auth = qe + 384 + 64 + 2;
    uint8_t bound [64 + 256], digest [32], zeros [32] = { 0 };
    if (auth_len > 256)
        return tc_fail (out, "auth size");
    memcpy (bound, sd + 64, 64);
    memcpy (bound + 64, auth, auth_len);
    dp_sha256 (bound, 64 + (size_t) auth_len, digest);
    if (memcmp (qe + 320, digest, 32) || memcmp (qe + 352, zeros, 32))
        return tc_fail (out, "QE report data binding");
    const uint8_t *inner = auth + auth_len;
    uint32_t pem_len = tc_u32 (inner + 2);
    if (tc_u16 (inner) != 5 || inner + 6 + pem_len > q + 636 + sig_len)
        return tc_fail (out, "certification type 5 / size");
    STACK_OF (X509) *chain = tc_pem_chain ((const char *) inner + 6, pem_len);
    if (sk_X509_num (chain) != 3) {
        sk_X509_pop_free (chain, X509_free);
        return tc_fail (out, "PEM chain is not 3 certificates");
    }
    X509 *leaf = sk_X509_value (chain, 0);
    int qe_sig = tc_verify_raw (X509_get0_pubkey (leaf), qe, 384, qe + 384);
    int chain_ok = tc_verify_chain (leaf, chain, root, NULL, NULL);
    X509_up_ref (leaf);
    out->pck = leaf;
    sk_X509_pop_free (chain, X509_free);
    if (!qe_sig)
        return tc_fail (out, "QE report signature");
    if (!chain_ok)
        return tc_fail (out, "PCK chain");
    out->ok = 1;
    return 1;
}

#endif
