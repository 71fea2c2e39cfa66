/*  dp_quote_fetch.h — DCAP collateral fetched with libcurl from a
    PCCS-style service (Intel's PCS, Phala's PCCS or any PCCS), in the same
    QuoteCollateralV3 form as collateral files, optionally cached on disk.

    Requests (notes/tdx.md §2.1): {base}/sgx/certification/v4/pckcrl?ca=
    platform|processor&encoding=der (issuer chain in SGX-PCK-CRL-Issuer-
    Chain), {base}/{sgx|tdx}/certification/v4/tcb?fmspc=HEX (TCB-Info-
    Issuer-Chain or SGX-TCB-Info-Issuer-Chain), {base}/{sgx|tdx}/
    certification/v4/qe/identity?update=standard (SGX-Enclave-Identity-
    Issuer-Chain), and the root CA CRL: {base}/sgx/certification/v4/
    rootcacrl from a PCCS (hex text), Intel's published DER from the PCS.
    The TCB info and QE identity are kept as the exact bytes received, since
    their signatures cover those bytes. Nothing fetched is trusted:
    dp_quote_verify checks it all.

    The disk cache holds one file per TEE type, FMSPC and PCK CA
    (`<tdx|sgx>-<FMSPC>-<platform|processor>.json`, mode 0600, in a 0700
    folder); a cached file is used while now is before its earliest
    nextUpdate (TCB info, QE identity, both CRLs). Writes are atomic
    (temporary file + rename), so concurrent fetchers are safe.
    Thread-safe: no shared state (libcurl must have been initialised, which
    curl_easy_init does on first use). */

#ifndef DP_QUOTE_FETCH_H_INCLUDED
#define DP_QUOTE_FETCH_H_INCLUDED

#include <stdint.h>

#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_pki.h"
#include "dp_status.h"

#define DP_QUOTE_PCS_URL  "https://api.trustedservices.intel.com"
#define DP_QUOTE_PCCS_URL "https://pccs.phala.network"

typedef struct {
    const char *base_url;        //  PCS or PCCS base URL, e.g. DP_QUOTE_PCCS_URL (required);
                                 //  https, or http to a loopback address (tests, a local PCCS)
    const char *cache_dir;       //  disk cache folder, or NULL for none
    int timeout_ms;              //  per request; 0 = 15000
    int64_t now;                 //  Unix seconds, for cache expiry and the check below
    const dp_quote_root_t *root; //  fetched collateral must pass dp_quote_collateral_check
                                 //  under this root (NULL = Intel's) before it is returned
                                 //  or cached: a forged answer is never kept on disk
} dp_quote_fetch_options_t;

//  Collateral for quote: from the cache when fresh, else fetched, checked
//  and cached. DP_UNREACHABLE if the service cannot be reached or answers
//  with an HTTP error (the URL and status named); DP_PROTO if an answer
//  lacks a header or is malformed; DP_CRYPTO if what it sent does not
//  verify (not cached); DP_INVALID for a quote without a readable PCK
//  certificate, or a plain-http URL to a host that is not loopback;
//  DP_IO if the cache cannot be written.
dp_status dp_quote_collateral_fetch (const dp_quote_fetch_options_t *options, const dp_quote_t *quote,
                                     dp_quote_collateral_t **out, dp_error_t *err) DP_MUST_CHECK;

#endif
