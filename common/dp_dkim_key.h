/*  dp_dkim_key.h — a DKIM key record (RFC 6376 s3.6.1, RFC 8463 s4).

    Parses the TXT text of `selector._domainkey.domain` into the facts a
    verifier needs and an OpenSSL public key. Strict: `v=` if present must
    be first and be `DKIM1`; `p=` is required (empty = revoked); RSA keys
    are a SubjectPublicKeyInfo or a bare RSAPublicKey (the RFC names the
    latter, practice publishes the former: both are accepted) of 1024 to
    8192 bits; Ed25519 keys are exactly 32 raw bytes. `h=`, `s=` and `t=`
    are colon-separated lists whose unknown members are ignored.

    A parsed key is immutable and reference counted, so a key cache can
    hand the same key to several threads at once. */

#ifndef DP_DKIM_KEY_H_INCLUDED
#define DP_DKIM_KEY_H_INCLUDED

#include <stddef.h>

#include "dp_status.h"

typedef enum {
    DP_DKIM_KEY_RSA = 0,
    DP_DKIM_KEY_ED25519 = 1
} dp_dkim_key_type_t;

//  RFC 8301 s3.2: verifiers MUST NOT accept RSA keys under 1024 bits. The
//  upper bound only limits the work a hostile record can cause.
#define DP_DKIM_RSA_MIN_BITS 1024
#define DP_DKIM_RSA_MAX_BITS 8192

typedef struct dp_dkim_key_t dp_dkim_key_t;

//  Parses txt[0..len). DP_OK and a new key in *out (one reference);
//  DP_INVALID with the tag and the reason in err otherwise (including a
//  revoked key: "p=: key revoked", and RSA keys outside the size bounds).
dp_status dp_dkim_key_parse (const char *txt, size_t len, dp_dkim_key_t **out,
                             dp_error_t *err) DP_MUST_CHECK;

//  Adds a reference; returns key.
dp_dkim_key_t *dp_dkim_key_ref (dp_dkim_key_t *key);

//  Drops a reference (frees at zero); sets *key_p to NULL. NULL-safe.
void dp_dkim_key_destroy (dp_dkim_key_t **key_p);

dp_dkim_key_type_t dp_dkim_key_type (const dp_dkim_key_t *key);
//  True if the record's h= allows sha256 (or it has no h=).
int dp_dkim_key_allows_sha256 (const dp_dkim_key_t *key);
//  True if t= has the flag 's' (the i= domain must equal d= exactly).
int dp_dkim_key_is_strict (const dp_dkim_key_t *key);
//  True if t= has the flag 'y' (the domain is testing DKIM).
int dp_dkim_key_is_testing (const dp_dkim_key_t *key);
//  Size of the public key in bits (256 for Ed25519).
int dp_dkim_key_bits (const dp_dkim_key_t *key);
//  The OpenSSL key (EVP_PKEY *), borrowed: valid while the reference is.
void *dp_dkim_key_pkey (const dp_dkim_key_t *key);

#endif
