/*  dp_tee_sim.h — the built-in TDX quote simulator.

    Emits complete TDX v4 quotes (layout: ../shared/notes/tdx.md §1):
    - header: version 4, attestation key type 2 (ECDSA P-256), TEE type
      0x81, Intel's QE vendor id, QE-ID = first 16 bytes of SHA-256 of the
      attestation public key;
    - TD report (TDX 1.0, 584 bytes): the simulated platform's TEE_TCB_SVN
      (dp_simroot.h), MRSEAM/MRTD/RTMR0-2 = SHA-384 of fixed labels (see
      dp_tee_sim_measurements), RTMR3 zero, TDATTRIBUTES SEPT_VE_DISABLE
      only, XFAM e702060000000000, REPORTDATA as requested;
    - the ECDSA P-256 quote signature over bytes [0, 632) by the sim root's
      attestation key, then that key (x ‖ y);
    - certification data type 6: the QE report (REPORTDATA = SHA-256
      (attestation key ‖ QE auth data) ‖ 32 zero bytes), its signature by
      the PCK key, 32 bytes of QE auth data (00 01 .. 1f, as real QEs), and
      nested type 5: the PEM chain PCK → PCK CA → sim root.
    Everything except REPORTDATA and the quote signature is computed once in
    dp_tee_sim_new, so a quote costs one P-256 signature.

    A simulated quote verifies against the simulation root (and its
    collateral, as UpToDate) and never against Intel's root.

    Threading: dp_tee_sim_quote is thread-safe on a shared simulator. */

#ifndef DP_TEE_SIM_H_INCLUDED
#define DP_TEE_SIM_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_simroot.h"
#include "dp_status.h"

typedef struct dp_tee_sim_t dp_tee_sim_t;

//  Byte layout of the quotes produced (v4, TDX 1.0).
#define DP_TEE_SIM_HEADER_SIZE      48
#define DP_TEE_SIM_BODY_SIZE        584
#define DP_TEE_SIM_REPORT_DATA_AT   568
#define DP_TEE_SIM_SIGNED_SIZE      632
#define DP_TEE_SIM_SIG_DATA_AT      636
#define DP_TEE_SIM_QE_AUTH_SIZE     32

//  Simulator over an opened root with private/ (borrowed: keep it alive
//  while the simulator lives). NULL with err: DP_INVALID when the root has
//  no private material, DP_CRYPTO/DP_NOMEM otherwise.
dp_tee_sim_t *dp_tee_sim_new (dp_simroot_t *root, dp_error_t *err);

void dp_tee_sim_destroy (dp_tee_sim_t **self_p);

//  A new quote carrying report_data. *quote is malloc'd (caller frees),
//  *len its size. DP_CRYPTO if signing fails, DP_NOMEM.
dp_status dp_tee_sim_quote (dp_tee_sim_t *self, const uint8_t report_data [64], uint8_t **quote,
                            size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  The simulated measurements (48 bytes each), so a verifier or a buyer
//  can pin them like real ones: which = "mrseam", "mrtd", "rtmr0",
//  "rtmr1", "rtmr2", "rtmr3". Returns 0 on success, -1 for an unknown name.
//  Each is SHA-384 of "DealProof simulated TD: <name>", except rtmr3,
//  which is 48 zero bytes.
int dp_tee_sim_measurement (const char *which, uint8_t out [48]);

#endif
