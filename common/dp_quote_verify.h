/*  dp_quote_verify.h — full Intel DCAP verification of a TDX or SGX quote,
    offline, with Phala dcap-qvl's semantics, and its report as JSON.

    Steps (each failure names its step in the error, "<step>: <reason>"):
      header              version 3/4/5, key type 2 (P-256), Intel QE vendor ID
      tcb_info            issueDate ≤ now ≤ nextUpdate, issuer chain, signature
                          over the exact JSON bytes
      crl                 root CA CRL and PCK CRL: signatures, windows, root
                          not revoked
      qe_identity         window, issuer chain, signature, id/version
      pck_chain           PEM chain in the quote → root, validity, revocation
      pck_extension       FMSPC, PCE-ID, PCESVN, CPUSVN components
      qe_report_signature QE report signed by the PCK leaf key
      qe_report_data      QE REPORTDATA[0..32) = SHA-256(attestation key ‖ auth data)
      qe_identity_policy  MRSIGNER, ISVPRODID, masks, QE TCB level
      quote_signature     header + body signed by the attestation key
      tcb_level           FMSPC / PCE-ID, platform level, TDX module (tdx_module)
      td_attributes       dcap-qvl's attribute policy (no DEBUG, no reserved
                          bits, SEPT_VE_DISABLE set, MRSERVICETD zero; SGX: no
                          debug)
      policy              the caller's allow-lists (statuses, measurements,
                          report data)

    verification_status: "verified" (Intel root, collateral checked),
    "simulation_only" (same checks against another root, e.g. the SPEC §8
    simulation root), "no_collateral" (signatures, chain and attribute
    policy checked without revocation or TCB data), "invalid_quote" (any
    failed step). Thread-safety: all arguments are only read, except the
    collateral's cache, which has its own lock. */

#ifndef DP_QUOTE_VERIFY_H_INCLUDED
#define DP_QUOTE_VERIFY_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_pki.h"
#include "dp_quote_tcb.h"
#include "dp_status.h"

//  One acceptable TD measurement set; a NULL rtmr entry accepts any value.
typedef struct {
    const uint8_t *mrtd;             //  48 bytes, required
    const uint8_t *rtmr [4];         //  48 bytes each, or NULL
} dp_quote_measurement_t;

//  What the caller accepts beyond DCAP itself. A zeroed policy (or NULL)
//  is dcap-qvl's default: every non-revoked TCB status, any measurement.
typedef struct {
    int allow_debug;                 //  accept TD DEBUG / SGX debug enclaves
    int allow_service_td;            //  accept a non-zero MRSERVICETD (TD 1.5)
    const char *const *tcb_statuses; //  accepted tcb_status words, or NULL = any
    size_t tcb_status_count;
    const dp_quote_measurement_t *measurements;  //  allow-list, or NULL = any
    size_t measurement_count;
    const uint8_t *report_data;      //  expected 64 bytes, or NULL
} dp_quote_policy_t;

typedef enum {
    DP_QUOTE_INVALID = 0,            //  "invalid_quote"
    DP_QUOTE_VERIFIED,               //  "verified"
    DP_QUOTE_SIMULATION_ONLY,        //  "simulation_only"
    DP_QUOTE_NO_COLLATERAL           //  "no_collateral"
} dp_quote_status;

//  Everything the verifier learned, filled as far as it got.
typedef struct {
    dp_quote_status status;
    char step [32];                  //  failed step, "" if none
    char error [DP_ERROR_TEXT_MAX];  //  "" if none
    int parsed;                      //  quote fields below are valid
    int simulation;                  //  root is not Intel's
    uint8_t root_sha256 [32];

    uint16_t version;
    uint32_t tee_type;
    dp_quote_body_type body_type;
    uint8_t qe_vendor_id [16];
    uint8_t report_data [64];
    //  TD body
    uint8_t tee_tcb_svn [16], mrseam [48], mrsignerseam [48], seam_attributes [8];
    uint8_t td_attributes [8], xfam [8], mrtd [48], mrconfigid [48], mrowner [48];
    uint8_t mrownerconfig [48], rtmr [4][48], mrservicetd [48], tee_tcb_svn2 [16];  //  last two: TD 1.5
    //  SGX body
    uint8_t mrenclave [32], mrsigner [32], attributes [16];
    uint16_t isvprodid, isvsvn;

    //  Platform (from the PCK certificate), valid if has_pck
    int has_pck;
    dp_quote_pck_t pck;
    //  TCB, valid if tcb.status != DP_QUOTE_TCB_UNKNOWN
    dp_quote_tcb_result_t tcb;
    dp_quote_tcb_status platform_status, qe_status;
    //  Collateral dates (Unix seconds), valid if has_collateral
    int has_collateral;
    int64_t tcb_info_issue_date, tcb_info_next_update;
    int64_t qe_identity_issue_date, qe_identity_next_update;
    int64_t earliest_expiration;     //  min of every nextUpdate / notAfter
    int tcb_evaluation_number;
} dp_quote_report_t;

//  "verified", "simulation_only", "no_collateral", "invalid_quote".
const char *dp_quote_status_name (dp_quote_status status);

//  Checks collateral on its own, without a quote: both CRLs, the TCB info
//  and QE identity signatures over their exact bytes by the TCB signing
//  certificate, every chain to root (NULL = Intel's) and every date at
//  now. What dp_quote_verify's `tcb_info`, `qe_identity` and `crl` steps
//  check; used before fetched collateral is cached, so that a forged or
//  corrupted answer is never kept. DP_CRYPTO "<step>: <reason>".
dp_status dp_quote_collateral_check (dp_quote_collateral_t *collateral, const dp_quote_root_t *root,
                                     int64_t now, dp_error_t *err) DP_MUST_CHECK;

//  Verifies quote against root (NULL = the pinned Intel root) with
//  collateral (NULL = no collateral) at now (Unix seconds) under policy
//  (NULL = default). report is always filled (memset first).
//  Returns DP_OK for verified, simulation_only and no_collateral; DP_CRYPTO
//  when a step failed (report->status = DP_QUOTE_INVALID, err and
//  report->error = "<step>: <reason>"); DP_INVALID for a NULL quote;
//  DP_NOMEM.
dp_status dp_quote_verify (const dp_quote_t *quote, dp_quote_collateral_t *collateral,
                           const dp_quote_root_t *root, int64_t now,
                           const dp_quote_policy_t *policy, dp_quote_report_t *report,
                           dp_error_t *err) DP_MUST_CHECK;

//  Parses input (binary or hex, as dp_quote_parse) and verifies it as
//  above. A quote that does not parse gives report->status
//  DP_QUOTE_INVALID with step "parse" and error "parse: quote: <reason>"
//  (the seed's invalid_quote for unparseable bytes) and returns DP_INVALID
//  (or DP_LIMIT / DP_NOMEM).
dp_status dp_quote_verify_bytes (const uint8_t *input, size_t size, dp_quote_collateral_t *collateral,
                                 const dp_quote_root_t *root, int64_t now,
                                 const dp_quote_policy_t *policy, dp_quote_report_t *report,
                                 dp_error_t *err) DP_MUST_CHECK;

//  The report as a new JSON object (caller puts it): the seed's DCAP fields
//  (mode, version, tee_type, qe_vendor_id, report_data_hex, deal_terms_hash,
//  verification_status, error, simulation_only) plus failed_step, the
//  measurements, td_attributes, xfam, tcb_status, advisory_ids, platform
//  and collateral dates. NULL only when out of memory.
json_object *dp_quote_report_to_json (const dp_quote_report_t *report);

//  The Intel root shared by every verification that passes root = NULL
//  (created once, never freed). NULL only when out of memory.
const dp_quote_root_t *dp_quote_intel_root (void);

#endif
