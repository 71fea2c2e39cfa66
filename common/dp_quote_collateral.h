/*  dp_quote_collateral.h — DCAP collateral in dcap-qvl's QuoteCollateralV3
    JSON shape, read from a file or text, offline.

    {"pck_crl_issuer_chain": PEM, "root_ca_crl": hex DER, "pck_crl": hex DER,
     "tcb_info_issuer_chain": PEM, "tcb_info": "<exact signed JSON text>",
     "tcb_info_signature": hex r‖s, "qe_identity_issuer_chain": PEM,
     "qe_identity": "<exact signed JSON text>", "qe_identity_signature": hex}

    Binary fields may also be JSON arrays of byte values (how dcap-qvl's
    JavaScript build serialises them). tcb_info and qe_identity are kept as
    the exact bytes received, because their signatures cover those bytes.
    Loading parses everything but verifies nothing: dp_quote_verify does.

    A collateral object can remember that it verified (see
    dp_quote_collateral_set_cache): later verifications with the same root
    and a "now" inside every validity window then skip the collateral's
    signature and chain checks, and PCK chains it has already verified are
    not verified again. The cache is guarded by a mutex, so one collateral
    object may be used from several threads. */

#ifndef DP_QUOTE_COLLATERAL_H_INCLUDED
#define DP_QUOTE_COLLATERAL_H_INCLUDED

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_quote.h"
#include "dp_quote_pki.h"
#include "dp_quote_tcb.h"
#include "dp_status.h"

#define DP_QUOTE_COLLATERAL_MAX_SIZE (1024 * 1024)
#define DP_QUOTE_PCK_CACHE_SIZE 16

//  One PCK chain this collateral has verified.
typedef struct {
    uint8_t chain_sha256 [32];   //  of the quote's certification data
    uint8_t root_sha256 [32];
    int64_t from, until;         //  window in which the result holds
    EVP_PKEY *leaf_key;          //  owned (a reference)
    dp_quote_pck_t pck;
    int used;
} dp_quote_pck_cache_t;

//  Public for the verifier; read-only for everyone else.
typedef struct {
    char *tcb_info_text;
    size_t tcb_info_len;
    char *qe_identity_text;
    size_t qe_identity_len;
    uint8_t tcb_info_signature [64];
    uint8_t qe_identity_signature [64];
    STACK_OF (X509) *tcb_info_chain;
    STACK_OF (X509) *qe_identity_chain;
    STACK_OF (X509) *pck_crl_chain;
    int same_signing_chain;      //  QE identity chain is the TCB info chain
    X509_CRL *root_crl;
    X509_CRL *pck_crl;
    dp_quote_tcb_info_t *tcb_info;
    dp_quote_qe_identity_t *qe_identity;

    //  Verification cache (under lock)
    pthread_mutex_t lock;
    int cache_enabled;
    int verified;                //  collateral verified for verified_root
    uint8_t verified_root [32];
    int64_t verified_from, verified_until;
    dp_quote_pck_cache_t pck_cache [DP_QUOTE_PCK_CACHE_SIZE];
    size_t pck_cache_next;
} dp_quote_collateral_t;

//  Parses collateral JSON text. DP_INVALID names the field
//  ("collateral.pck_crl: not a DER CRL (hex or binary)"); DP_LIMIT past
//  DP_QUOTE_COLLATERAL_MAX_SIZE; DP_NOMEM.
dp_status dp_quote_collateral_from_json (const char *text, size_t len, dp_quote_collateral_t **out,
                                         dp_error_t *err) DP_MUST_CHECK;

//  Reads and parses a collateral file; DP_IO if unreadable.
dp_status dp_quote_collateral_load (const char *path, dp_quote_collateral_t **out,
                                    dp_error_t *err) DP_MUST_CHECK;

//  Collateral for this quote from path: a file is loaded as above; in a
//  folder, the *.json files are tried in name order and the first whose TCB
//  info has the quote's FMSPC (read, unverified, from its PCK certificate)
//  and fits its TEE type is returned. DP_NOTFOUND if none fits; DP_INVALID
//  if the quote carries no readable PCK certificate.
dp_status dp_quote_collateral_load_for (const char *path, const dp_quote_t *quote,
                                        dp_quote_collateral_t **out, dp_error_t *err) DP_MUST_CHECK;

//  Turns the verification cache on (1) or off (0, the default, which also
//  forgets what was cached).
void dp_quote_collateral_set_cache (dp_quote_collateral_t *self, int enabled);

void dp_quote_collateral_destroy (dp_quote_collateral_t **self_p);

#endif
