/*  dp_dkim_key.c — key record parsing into an OpenSSL public key. */

#include "dp_dkim_key.h"
#include "dp_dkim_tags.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct dp_dkim_key_t {
    atomic_int refs;
    dp_dkim_key_type_t type;
    int allows_sha256;
    int strict;
    int testing;
    int bits;
    EVP_PKEY *pkey;
};

static dp_status
s_rsa_key (const uint8_t *der, size_t len, EVP_PKEY **pkey, dp_error_t *err)
{
    const unsigned char *p = der;
    *pkey = d2i_PUBKEY (NULL, &p, (long) len);
    if (*pkey && p != der + len) {
        EVP_PKEY_free (*pkey);
        *pkey = NULL;
        return dp_error_set (err, DP_INVALID, "p=: trailing bytes after the key");
    }
    if (!*pkey) {
        //  RFC 6376 s3.6.1 literally names RSAPublicKey (PKCS#1).
        p = der;
        *pkey = d2i_PublicKey (EVP_PKEY_RSA, NULL, &p, (long) len);
        if (*pkey && p != der + len) {
            EVP_PKEY_free (*pkey);
            *pkey = NULL;
        }
    }
    if (!*pkey)
        return dp_error_set (err, DP_INVALID, "p=: not an RSA public key");
    if (EVP_PKEY_get_base_id (*pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free (*pkey);
        *pkey = NULL;
        return dp_error_set (err, DP_INVALID, "p=: k=rsa but the key is not RSA");
    }
    return DP_OK;
}

static dp_status
s_public_key (dp_dkim_key_t *key, const dp_dkim_tag_t *p, dp_error_t *err)
{
    uint8_t der [2048];
    size_t len = 0;
    if (dp_dkim_base64_decode (p->value, p->value_len, der, sizeof der, &len, err) != DP_OK)
        return dp_error_prefix (err, "p=");
    if (len == 0)
        return dp_error_set (err, DP_INVALID, "p=: key revoked (empty)");
    if (key->type == DP_DKIM_KEY_ED25519) {
        if (len != 32)      //  RFC 8463 s4: the raw 32-byte key, not an SPKI
            return dp_error_set (err, DP_INVALID, "p=: Ed25519 key is %zu bytes, not 32", len);
        key->pkey = EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, der, len);
        key->bits = 256;
        return key->pkey? DP_OK: dp_error_set (err, DP_INVALID, "p=: bad Ed25519 key");
    }
    dp_status rc = s_rsa_key (der, len, &key->pkey, err);
    if (rc != DP_OK)
        return rc;
    key->bits = EVP_PKEY_get_bits (key->pkey);
    if (key->bits < DP_DKIM_RSA_MIN_BITS || key->bits > DP_DKIM_RSA_MAX_BITS)
        return dp_error_set (err, DP_INVALID, "p=: RSA key of %d bits (allowed %d to %d)",
                             key->bits, DP_DKIM_RSA_MIN_BITS, DP_DKIM_RSA_MAX_BITS);
    return DP_OK;
}

static dp_status
s_tags (dp_dkim_key_t *key, const dp_dkim_tags_t *tags, dp_error_t *err)
{
    const dp_dkim_tag_t *v = dp_dkim_tags_find (tags, "v");
    if (v && (v != &tags->tags [0] || !dp_dkim_tag_is (v, "DKIM1")))
        return dp_error_set (err, DP_INVALID, "v=: must be the first tag and 'DKIM1'");
    const dp_dkim_tag_t *k = dp_dkim_tags_find (tags, "k");
    if (!k || dp_dkim_tag_is (k, "rsa"))
        key->type = DP_DKIM_KEY_RSA;
    else
    if (dp_dkim_tag_is (k, "ed25519"))
        key->type = DP_DKIM_KEY_ED25519;
    else
        return dp_error_set (err, DP_INVALID, "k=: unknown key type '%.*s'",
                             (int) k->value_len, k->value);
    const dp_dkim_tag_t *h = dp_dkim_tags_find (tags, "h");
    key->allows_sha256 = !h || dp_dkim_tag_list_has (h, "sha256");
    const dp_dkim_tag_t *s = dp_dkim_tags_find (tags, "s");
    if (s && !dp_dkim_tag_list_has (s, "*") && !dp_dkim_tag_list_has (s, "email"))
        return dp_error_set (err, DP_INVALID, "s=: key is not for e-mail");
    const dp_dkim_tag_t *t = dp_dkim_tags_find (tags, "t");
    key->strict = t && dp_dkim_tag_list_has (t, "s");
    key->testing = t && dp_dkim_tag_list_has (t, "y");
    const dp_dkim_tag_t *p = dp_dkim_tags_find (tags, "p");
    if (!p)
        return dp_error_set (err, DP_INVALID, "p=: missing");
    return s_public_key (key, p, err);
}

dp_status
dp_dkim_key_parse (const char *txt, size_t len, dp_dkim_key_t **out, dp_error_t *err)
{
    *out = NULL;
    dp_dkim_tags_t *tags = malloc (sizeof *tags);
    dp_dkim_key_t *key = calloc (1, sizeof *key);
    if (!tags || !key) {
        free (tags);
        free (key);
        return dp_error_set (err, DP_NOMEM, "key record: out of memory");
    }
    dp_status rc = dp_dkim_tags_parse (txt, len, tags, err);
    if (rc == DP_OK)
        rc = s_tags (key, tags, err);
    else
        rc = dp_error_prefix (err, "key record syntax");
    free (tags);
    if (rc != DP_OK) {
        EVP_PKEY_free (key->pkey);
        free (key);
        return rc;
    }
    atomic_init (&key->refs, 1);
    *out = key;
    return DP_OK;
}

dp_dkim_key_t *
dp_dkim_key_ref (dp_dkim_key_t *key)
{
    atomic_fetch_add (&key->refs, 1);
    return key;
}

void
dp_dkim_key_destroy (dp_dkim_key_t **key_p)
{
    if (!key_p || !*key_p)
        return;
    dp_dkim_key_t *key = *key_p;
    *key_p = NULL;
    if (atomic_fetch_sub (&key->refs, 1) == 1) {
        EVP_PKEY_free (key->pkey);
        free (key);
    }
}

dp_dkim_key_type_t dp_dkim_key_type (const dp_dkim_key_t *key) { return key->type; }
int dp_dkim_key_allows_sha256 (const dp_dkim_key_t *key) { return key->allows_sha256; }
int dp_dkim_key_is_strict (const dp_dkim_key_t *key) { return key->strict; }
int dp_dkim_key_is_testing (const dp_dkim_key_t *key) { return key->testing; }
int dp_dkim_key_bits (const dp_dkim_key_t *key) { return key->bits; }
void *dp_dkim_key_pkey (const dp_dkim_key_t *key) { return key->pkey; }
