/*  dp_quote_pki.h — trust anchors, certificate chains, CRLs, raw ECDSA and
    the Intel SGX PCK certificate extension, for DCAP quote verification.

    A dp_quote_root_t is the trust anchor a quote is verified against: the
    pinned Intel SGX Root CA (pinned by its public key; a certificate with
    Intel's name but another key is not Intel's), or any other self-signed
    root given as PEM (e.g. the SPEC §8 simulation root). Roots are
    immutable after creation and may be shared between threads.

    Chains are walked by hand over OpenSSL primitives rather than with
    X509_verify_cert: DCAP verification checks three chains against the same
    two CRLs, and doing it here verifies each CRL signature once per run
    instead of once per chain, and names the failed link in the error. */

#ifndef DP_QUOTE_PKI_H_INCLUDED
#define DP_QUOTE_PKI_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dp_status.h"

typedef struct dp_quote_root_t dp_quote_root_t;

//  The Intel SGX Root CA from the certificate compiled into the library,
//  checked against the pinned key. NULL only when out of memory.
dp_quote_root_t *dp_quote_root_intel (dp_error_t *err);

//  A root from PEM text (first certificate) or a PEM file. The certificate
//  must be self-signed, a CA and carry an EC P-256 key. If its key is
//  Intel's pinned key it counts as the Intel root. DP_INVALID / DP_IO.
dp_status dp_quote_root_from_pem (const char *pem, size_t len, dp_quote_root_t **out,
                                  dp_error_t *err) DP_MUST_CHECK;
dp_status dp_quote_root_load (const char *path, dp_quote_root_t **out,
                              dp_error_t *err) DP_MUST_CHECK;
void dp_quote_root_destroy (dp_quote_root_t **self_p);

//  True if this root holds Intel's pinned key.
int dp_quote_root_is_intel (const dp_quote_root_t *self);
//  SHA-256 of the root certificate's DER.
void dp_quote_root_sha256 (const dp_quote_root_t *self, uint8_t out [32]);
//  The root certificate (borrowed).
X509 *dp_quote_root_cert (const dp_quote_root_t *self);

//  CRLs already checked (signature by their issuer, validity at "now").
//  Both NULL means "no revocation data" (verification without collateral).
typedef struct {
    X509_CRL *root_crl;          //  issued by the root
    X509_CRL *pck_crl;           //  issued by pck_crl_issuer
    X509 *pck_crl_issuer;        //  the PCK Platform or Processor CA
} dp_quote_crls_t;

//  Parses every PEM certificate in pem[0..len) (a NUL byte ends the text,
//  as in some quotes). DP_INVALID names `what` if none or one is bad.
dp_status dp_quote_pki_chain_from_pem (const uint8_t *pem, size_t len, const char *what,
                                       STACK_OF (X509) **out, dp_error_t *err) DP_MUST_CHECK;

//  Decoded certificates and CRLs are memoised process-wide (64 entries,
//  keyed by the SHA-256 of their DER, thread-safe); 0 turns this off and
//  empties it, 1 (the default) turns it on. Verification is never skipped.
void dp_quote_pki_set_decode_cache (int enabled);

//  A DER CRL from hex text (a PCCS sends the root CRL as hex) or raw DER.
dp_status dp_quote_pki_crl_parse (const uint8_t *data, size_t len, const char *what,
                                  X509_CRL **out, dp_error_t *err) DP_MUST_CHECK;

//  Verifies chain[0] (the leaf) up to the root: each link's signature,
//  names, CA flags and path lengths, validity at now, no unknown critical
//  extension, and revocation against crls unless crls is NULL. A copy of
//  the root in the chain is allowed (it is ignored; the pinned root is
//  used). When crls names a PCK CRL issuer (already verified up to the root
//  by dp_quote_pki_check_crls), the walk stops at that same certificate.
//  Errors are DP_CRYPTO "<what>: <reason>".
dp_status dp_quote_pki_verify_chain (STACK_OF (X509) *chain, const dp_quote_root_t *root,
                                     const dp_quote_crls_t *crls, int64_t now,
                                     const char *what, dp_error_t *err) DP_MUST_CHECK;

//  What a certificate is for in DCAP. A chain that reaches the root proves
//  only that Intel issued every link; which link may sign what is in the
//  names and the shape (Intel's PCK and TCB signing profiles, and the
//  built-in simulation PKI, which uses the same name endings):
//    DP_QUOTE_ROLE_TCB_SIGNER  chain[0] signs TCB info and QE identity:
//      CN ends "SGX TCB Signing", not a CA, issued by the root itself;
//    DP_QUOTE_ROLE_PCK_CA      chain[0] issues PCK certificates and signs
//      the PCK CRL: CN ends "SGX PCK Platform CA" or "SGX PCK Processor
//      CA", a CA, issued by the root itself;
//    DP_QUOTE_ROLE_PCK         chain[0] certifies a platform's key (it
//      signs the QE report): CN ends "SGX PCK Certificate", not a CA,
//      issued by chain[1], which has the PCK CA role.
//  Without these a PCK leaf, whose key lives on a platform and leaks with
//  it, could sign TCB info saying its own platform is UpToDate. Call after
//  dp_quote_pki_verify_chain. DP_CRYPTO "<what>: <reason>".
typedef enum {
    DP_QUOTE_ROLE_TCB_SIGNER,
    DP_QUOTE_ROLE_PCK_CA,
    DP_QUOTE_ROLE_PCK
} dp_quote_role_t;

dp_status dp_quote_pki_check_role (STACK_OF (X509) *chain, dp_quote_role_t role,
                                   const dp_quote_root_t *root, const char *what,
                                   dp_error_t *err) DP_MUST_CHECK;

//  Checks the two CRLs: root_crl signed by the root, pck_crl signed by the
//  first certificate of issuer_chain (which must chain to the root), both
//  valid at now, and the root itself not revoked. Fills crls (borrowed
//  pointers). DP_CRYPTO "crl: ..." on failure.
dp_status dp_quote_pki_check_crls (X509_CRL *root_crl, X509_CRL *pck_crl,
                                   STACK_OF (X509) *issuer_chain, const dp_quote_root_t *root,
                                   int64_t now, dp_quote_crls_t *crls, dp_error_t *err) DP_MUST_CHECK;

//  Fills crls from CRLs a previous dp_quote_pki_check_crls accepted (the
//  verification cache); performs no check.
dp_status dp_quote_pki_check_crls_cached (X509_CRL *root_crl, X509_CRL *pck_crl,
                                          STACK_OF (X509) *issuer_chain, dp_quote_crls_t *crls);

//  An EC P-256 public key from raw x‖y (64 bytes); NULL if not on the curve.
EVP_PKEY *dp_quote_pki_key_from_xy (const uint8_t xy [64]);

//  ECDSA P-256 / SHA-256 over data with a raw r‖s signature: DP_OK or
//  DP_CRYPTO (no message; the caller names the step).
dp_status dp_quote_pki_verify_raw (EVP_PKEY *key, const uint8_t *data, size_t len,
                                   const uint8_t sig [64]);

//  The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1).
typedef struct {
    uint8_t ppid [16];
    uint8_t cpusvn [16];         //  the 16 SGX TCB component SVNs
    uint16_t pcesvn;
    uint8_t pceid [2];
    uint8_t fmspc [6];
    int sgx_type;                //  0 standard, 1 scalable, ...; -1 if absent
} dp_quote_pck_t;

//  Extracts the fields above; DP_INVALID "pck_extension: ..." if missing
//  or malformed.
dp_status dp_quote_pki_pck_info (X509 *leaf, dp_quote_pck_t *out, dp_error_t *err) DP_MUST_CHECK;

//  Unix time of an ASN1_TIME (certificate or CRL date); 0 on error.
int64_t dp_quote_pki_time (const ASN1_TIME *time);

#endif
