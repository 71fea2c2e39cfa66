/*  dp_enclave_key.h — the worker's secp256k1 key (SPEC §5–§7).

    The key signs every result (SPEC §6) and the escrow release (SPEC §7);
    its Ethereum address is the result's `signer` and goes into
    report_data[32:64] (SPEC §5). It never leaves the worker.

    Where it comes from depends on the TEE mode:
    - dstack / tappd (a CVM): derived through the TEE's key derivation
      (dstack GetKey with algorithm secp256k1, tappd DeriveK256Key) at a
      fixed path, DP_ENCLAVE_KEY_DERIVE_PATH unless told otherwise. The
      same app (same compose/app id) gets the same key after a restart,
      and nothing is written to disk.
    - simulation, or an agent without secp256k1 derivation (the legacy
      tappd simulator only has a P-256 DeriveKey): generated once (OpenSSL RAND_bytes, accepted by
      libsecp256k1's seckey_verify) and stored as 64 hex digits and a
      newline in a file of mode 0600. The file is, in order: options
      key_file; data_dir/worker-key; ${XDG_DATA_HOME:-$HOME/.local/share}/
      dealproof/worker-key. Several workers sharing the default file share
      one key (as workers of one app in a CVM do); the first creates it
      atomically (write a temporary file, then link() it into place, which
      never overwrites), the others load it. A file readable by group or
      others is refused (as ssh does), never silently used.

    Threading: after dp_enclave_key_new the object is read-only; the
    accessors and dp_enclave_key_sign are thread-safe. */

#ifndef DP_ENCLAVE_KEY_H_INCLUDED
#define DP_ENCLAVE_KEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"
#include "dp_tee.h"

#define DP_ENCLAVE_KEY_DERIVE_PATH "dealproof/worker/enclave-key/v1"
#define DP_ENCLAVE_KEY_FILE_NAME   "worker-key"

typedef struct dp_enclave_key_t dp_enclave_key_t;

typedef struct {
    const char *key_file;       //  simulation: the key file (wins over data_dir)
    const char *data_dir;       //  simulation: key in data_dir/worker-key
    const char *derive_path;    //  CVM: derivation path; NULL: the default above
    int allow_stored;           //  a stored key even from a guest agent's socket that
                                //  cannot derive one (see dp_enclave_key_new)
} dp_enclave_key_options_t;

//  Gets the key for tee's mode (tee borrowed, only used during the call;
//  options may be NULL). Returns NULL with err set: the TEE's error after
//  its retries (CVM), DP_INVALID for a malformed or too-open key file
//  (naming the file and the reason), DP_IO when the file cannot be
//  written, DP_CRYPTO when the random generator fails.
dp_enclave_key_t *dp_enclave_key_new (dp_tee_t *tee, const dp_enclave_key_options_t *options,
                                      dp_error_t *err);

//  Wipes the secret and frees; sets *self_p to NULL. Idempotent.
void dp_enclave_key_destroy (dp_enclave_key_t **self_p);

//  The 32-byte secret (borrowed; valid until destroy). For dp_eth_sign and
//  the like; never log or copy it elsewhere.
const uint8_t *dp_enclave_key_secret (const dp_enclave_key_t *self);

//  The 20-byte Ethereum address and its EIP-55 text ("0x…", 42 chars).
const uint8_t *dp_enclave_key_address (const dp_enclave_key_t *self);
const char *dp_enclave_key_address_text (const dp_enclave_key_t *self);

//  "derived" (CVM), "generated" (simulation, created now) or "stored"
//  (simulation, loaded from the file).
const char *dp_enclave_key_source (const dp_enclave_key_t *self);

//  The key file in simulation; NULL when derived.
const char *dp_enclave_key_file (const dp_enclave_key_t *self);

//  Signs a 32-byte digest: r ‖ s (low) ‖ v (27/28), recoverable to the
//  address (dp_eth_sign). DP_CRYPTO on failure.
dp_status dp_enclave_key_sign (const dp_enclave_key_t *self, const uint8_t digest [32],
                               uint8_t sig [65], dp_error_t *err) DP_MUST_CHECK;

//  The key file that would be used for options (see above) in out[size].
//  DP_INVALID when no option is set and neither XDG_DATA_HOME (absolute)
//  nor HOME is; DP_LIMIT when it does not fit.
dp_status dp_enclave_key_default_file (const dp_enclave_key_options_t *options, char *out,
                                       size_t size, dp_error_t *err) DP_MUST_CHECK;

#endif
