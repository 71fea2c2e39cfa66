/*  dp_simroot.h — the simulation root of SPEC §8.

    Outside a TDX confidential VM the worker signs complete TDX quotes
    with a private PKI instead of Intel's. That PKI lives in one folder per
    host and user, shared by every worker, the embedded mode and
    `dp-submit verify/inspect`:

        DIR/VERSION           "1": the folder's format (bump when it changes)
        DIR/root.pem          "DealProof Simulation Root CA", ECDSA P-256,
                              self-signed: all a verifier needs
        DIR/collateral.json   QuoteCollateralV3 JSON (the shape of the
                              vectors' *.collateral.json) for FMSPC
                              000000000000: TCB info, QE identity, root and
                              PCK CRLs with their issuer chains, signed
                              under the root; every level UpToDate
        DIR/private/          0700: the keys (PKCS#8 PEM, 0600) and the
                              intermediate certificates the simulator
                              signs with: root.key.pem, pck-ca.pem,
                              pck-ca.key.pem, tcb-signing.pem,
                              tcb-signing.key.pem, pck.pem, pck.key.pem,
                              attestation.key.pem

    DIR is `--sim-root DIR`, else $DP_SIM_ROOT, else
    ${XDG_DATA_HOME:-$HOME/.local/share}/dealproof/sim-root. It is created
    on first use with mode 0700. Several processes may create it at once:
    each builds a complete folder under a temporary name beside DIR and
    renames it into place; the losers of the race discard theirs and load
    the winner's, so everyone ends up with the same root.

    Certificates are valid 30 years (root, CAs) / 20 years (PCK, TCB
    signing); the collateral's nextUpdate and the CRLs run 20 years from
    creation, so a sim root never needs refreshing.

    Threading: an opened dp_simroot_t is read-only and may be shared by
    any number of threads (OpenSSL 3 allows concurrent signing with one
    EVP_PKEY). */

#ifndef DP_SIMROOT_H_INCLUDED
#define DP_SIMROOT_H_INCLUDED

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

#define DP_SIMROOT_SUBJECT      "DealProof Simulation Root CA"
#define DP_SIMROOT_FORMAT       1
#define DP_SIMROOT_PATH_MAX     4096

//  The simulated platform. The quote simulator puts these values in its
//  quotes and the collateral's TCB level and QE identity describe exactly
//  them, so a simulated quote matches level 0 (UpToDate).
#define DP_SIMROOT_FMSPC        "000000000000"
#define DP_SIMROOT_PCE_ID       0x0000
#define DP_SIMROOT_PCESVN       11
#define DP_SIMROOT_QE_ISVPRODID 2
#define DP_SIMROOT_QE_ISVSVN    4
#define DP_SIMROOT_TDX_MODULE_ISVSVN 6
//  SGX TCB component SVNs (the PCK certificate's CPUSVN).
extern const uint8_t dp_simroot_cpusvn [16];
//  TEE_TCB_SVN of the simulated TD report: module SVN 6, major 1, late
//  microcode SVN 3 (the same shape as the real b0c06f platform).
extern const uint8_t dp_simroot_tee_tcb_svn [16];
//  MRSIGNER of the simulated TD quoting enclave (SHA-256 of a label).
extern const uint8_t dp_simroot_qe_mrsigner [32];

typedef struct dp_simroot_t dp_simroot_t;

//  Writes the folder to use into out[size]: dir when non-NULL and
//  non-empty, else $DP_SIM_ROOT, else the XDG default above. DP_INVALID
//  when neither HOME nor XDG_DATA_HOME is set (and no dir given) or the
//  path is relative for XDG_DATA_HOME (ignored as the XDG spec says, then
//  HOME is used); DP_LIMIT when it does not fit.
dp_status dp_simroot_default_dir (const char *dir, char *out, size_t size, dp_error_t *err)
    DP_MUST_CHECK;

//  Opens the simulation root in dir (NULL: dp_simroot_default_dir). With
//  create, a missing (or empty) folder is created as described above;
//  without it, DP_NOTFOUND is reported in err. Loads root.pem and
//  collateral.json (both required: DP_INVALID naming the file if one is
//  missing or malformed) and private/ when present (required to sign:
//  see dp_simroot_has_private). Returns NULL on error with err set.
dp_simroot_t *dp_simroot_open (const char *dir, int create, dp_error_t *err);

//  Frees everything, wiping private keys; sets *self_p to NULL.
void dp_simroot_destroy (dp_simroot_t **self_p);

//  The folder (borrowed).
const char *dp_simroot_dir (const dp_simroot_t *self);

//  The root certificate as PEM text (NUL-terminated) and as DER.
const char *dp_simroot_root_pem (const dp_simroot_t *self);
const uint8_t *dp_simroot_root_der (const dp_simroot_t *self, size_t *len);
//  The parsed root certificate (borrowed; X509_up_ref to keep it).
X509 *dp_simroot_root_cert (const dp_simroot_t *self);

//  SHA-256 of the root's DER (32 bytes) and its lower-case hex (64
//  digits): the result's `sim_root` field.
const uint8_t *dp_simroot_root_sha256 (const dp_simroot_t *self);
const char *dp_simroot_root_sha256_hex (const dp_simroot_t *self);

//  collateral.json's text (NUL-terminated, borrowed).
const char *dp_simroot_collateral (const dp_simroot_t *self, size_t *len);

//  True when private/ was loaded, so the simulator can sign.
int dp_simroot_has_private (const dp_simroot_t *self);

//  Signing material for the quote simulator; NULL without private/.
//  Borrowed: valid until dp_simroot_destroy.
//  - the PCK leaf key (signs the QE report)
//  - the attestation key (signs quotes; its public half is in the quote)
//  - the PEM chain PCK leaf → PCK CA → root, as it goes into certification
//    data type 5 (len without a terminating NUL)
EVP_PKEY *dp_simroot_pck_key (const dp_simroot_t *self);
EVP_PKEY *dp_simroot_attestation_key (const dp_simroot_t *self);
const char *dp_simroot_pck_chain_pem (const dp_simroot_t *self, size_t *len);

//  ECDSA P-256 / SHA-256 signature of data in the raw form quotes use:
//  r ‖ s, each 32 bytes big-endian. DP_CRYPTO if OpenSSL fails.
//  Thread-safe for a shared key.
dp_status dp_simroot_sign_raw (EVP_PKEY *key, const void *data, size_t len,
                               uint8_t sig [64], dp_error_t *err) DP_MUST_CHECK;

//  A reusable signer for one key, for hot paths (the quote simulator): it
//  keeps an initialised signing context and copies it per signature, since
//  in OpenSSL 3 setting a context up costs about as much as the signature.
//  Same output form as dp_simroot_sign_raw. Thread-safe (the copy is taken
//  under a mutex; signing runs in parallel). key is borrowed: keep it alive.
typedef struct dp_simroot_signer_t dp_simroot_signer_t;
dp_simroot_signer_t *dp_simroot_signer_new (EVP_PKEY *key, dp_error_t *err);
dp_status dp_simroot_signer_sign (dp_simroot_signer_t *self, const void *data, size_t len,
                                  uint8_t sig [64], dp_error_t *err) DP_MUST_CHECK;
void dp_simroot_signer_destroy (dp_simroot_signer_t **self_p);

//  The public key of an EC P-256 key as raw x ‖ y (64 bytes, big-endian),
//  the form of a quote's attestation key. DP_CRYPTO if it is not P-256.
dp_status dp_simroot_public_raw (EVP_PKEY *key, uint8_t xy [64], dp_error_t *err)
    DP_MUST_CHECK;

//  Recognises the seed's simulated attestation strings ("sim_quote:"
//  followed by hex). They are accepted on input only (old results) and
//  never produced. On DP_OK writes the decoded bytes (at most 64) to
//  hash[64] and their count to *hash_len. DP_NOTFOUND when text does not
//  start with "sim_quote:" (not this format: try a real quote);
//  DP_INVALID when it does but the rest is not 2..128 hex digits of even
//  length.
dp_status dp_simroot_parse_seed_quote (const char *text, size_t len, uint8_t hash [64],
                                       size_t *hash_len, dp_error_t *err) DP_MUST_CHECK;

#endif
