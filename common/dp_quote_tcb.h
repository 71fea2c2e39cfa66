/*  dp_quote_tcb.h — Intel TCB info and QE identity: parsing their JSON and
    matching a platform, TDX module and quoting enclave against them, with
    Phala dcap-qvl's semantics (shared/notes/tdx.md §2.2–2.5):

    - platform level: levels sorted as Intel QVL sorts them (SGX components,
      then PCESVN, then TDX components, highest first); the first level with
      every PCK component SVN ≥ the level's, PCESVN ≥, and for TDX every
      TEE_TCB_SVN byte ≥ (all 16) wins; none → NotSupported;
    - TDX module identity (TDX_%02X of TEE_TCB_SVN[1] when > 0): MRSIGNERSEAM
      and SEAMATTRIBUTES under the mask, status from its levels by
      TEE_TCB_SVN[0];
    - QE identity: MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under their
      masks, not in debug mode, status from the levels by ISVSVN;
    - the statuses combine to the most severe one, advisory IDs to the union.

    Signatures over the JSON are checked by dp_quote_verify, not here.
    Parsed objects are immutable; share them freely between threads. */

#ifndef DP_QUOTE_TCB_H_INCLUDED
#define DP_QUOTE_TCB_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_quote.h"
#include "dp_quote_pki.h"
#include "dp_status.h"

//  Ordered by severity, as dcap-qvl orders them.
typedef enum {
    DP_QUOTE_TCB_UP_TO_DATE = 0,
    DP_QUOTE_TCB_SW_HARDENING_NEEDED,
    DP_QUOTE_TCB_CONFIGURATION_NEEDED,
    DP_QUOTE_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    DP_QUOTE_TCB_OUT_OF_DATE,
    DP_QUOTE_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    DP_QUOTE_TCB_REVOKED,
    DP_QUOTE_TCB_NOT_SUPPORTED,      //  no level matched (refused by dcap-qvl)
    DP_QUOTE_TCB_UNKNOWN             //  not evaluated (no collateral)
} dp_quote_tcb_status;

//  The SPEC §9 word ("UpToDate", ..., "NotSupported"); NULL for UNKNOWN.
const char *dp_quote_tcb_status_name (dp_quote_tcb_status status);
//  Parses a status word; -1 if unknown.
int dp_quote_tcb_status_parse (const char *name);

typedef struct {
    uint8_t sgx [16];
    uint16_t pcesvn;
    uint8_t tdx [16];
    dp_quote_tcb_status status;
    json_object *advisories;         //  array of strings or NULL (borrowed)
    int64_t tcb_date;
} dp_quote_tcb_level_t;

typedef struct {
    uint16_t isvsvn;
    dp_quote_tcb_status status;
    json_object *advisories;
} dp_quote_isv_level_t;

typedef struct {
    char id [16];
    uint8_t mrsigner [48];
    uint8_t attributes [8];
    uint8_t attributes_mask [8];
    dp_quote_isv_level_t *levels;
    size_t level_count;
} dp_quote_tdx_module_t;

#define DP_QUOTE_MAX_LEVELS 64
#define DP_QUOTE_MAX_MODULES 8

typedef struct {
    json_object *json;               //  owns every borrowed pointer below
    char id [8];                     //  "SGX" or "TDX"
    int version;
    int64_t issue_date, next_update;
    uint8_t fmspc [6];
    uint8_t pceid [2];
    int evaluation_number;
    dp_quote_tcb_level_t levels [DP_QUOTE_MAX_LEVELS];   //  canonical order
    size_t level_count;
    int has_tdx_module;
    dp_quote_tdx_module_t tdx_module;                     //  levels unused
    dp_quote_tdx_module_t modules [DP_QUOTE_MAX_MODULES]; //  tdxModuleIdentities
    size_t module_count;
    dp_quote_isv_level_t isv_storage [DP_QUOTE_MAX_MODULES * 8];
} dp_quote_tcb_info_t;

typedef struct {
    json_object *json;
    char id [8];                     //  "QE" or "TD_QE"
    int version;
    int64_t issue_date, next_update;
    int evaluation_number;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes [16], attributes_mask [16];
    uint8_t mrsigner [32];
    uint16_t isvprodid;
    dp_quote_isv_level_t levels [DP_QUOTE_MAX_LEVELS];
    size_t level_count;
} dp_quote_qe_identity_t;

//  A status with the union of advisory IDs.
#define DP_QUOTE_MAX_ADVISORIES 96
#define DP_QUOTE_ADVISORY_SIZE 48
typedef struct {
    dp_quote_tcb_status status;
    char advisories [DP_QUOTE_MAX_ADVISORIES][DP_QUOTE_ADVISORY_SIZE];
    size_t advisory_count;
    int64_t tcb_date;                //  of the matched platform level (0 if none)
} dp_quote_tcb_result_t;

//  Parses the exact tcbInfo JSON text. DP_INVALID "tcb_info: <field>: ...".
dp_status dp_quote_tcb_info_parse (const char *text, size_t len, dp_quote_tcb_info_t **out,
                                   dp_error_t *err) DP_MUST_CHECK;
void dp_quote_tcb_info_destroy (dp_quote_tcb_info_t **self_p);

//  Parses the exact enclaveIdentity JSON text. DP_INVALID "qe_identity: ...".
dp_status dp_quote_qe_identity_parse (const char *text, size_t len, dp_quote_qe_identity_t **out,
                                      dp_error_t *err) DP_MUST_CHECK;
void dp_quote_qe_identity_destroy (dp_quote_qe_identity_t **self_p);

//  Platform TCB level and TDX module identity for this quote and PCK.
//  Fills out (status may be NotSupported: DP_CRYPTO "tcb_level: no matching
//  TCB level" is returned then, as dcap-qvl refuses it). Other refusals:
//  FMSPC / PCE-ID mismatch, wrong TCB info kind, module mismatch.
dp_status dp_quote_tcb_match_platform (const dp_quote_tcb_info_t *info, const dp_quote_t *quote,
                                       const dp_quote_pck_t *pck, dp_quote_tcb_result_t *out,
                                       dp_error_t *err) DP_MUST_CHECK;

//  QE identity policy and the QE's TCB level. DP_CRYPTO
//  "qe_identity_policy: ..." when the QE does not match.
dp_status dp_quote_tcb_match_qe (const dp_quote_qe_identity_t *identity, const dp_quote_t *quote,
                                 dp_quote_tcb_result_t *out, dp_error_t *err) DP_MUST_CHECK;

//  into = the more severe status of the two, advisories united (order of
//  first appearance, no duplicates). DP_LIMIT past DP_QUOTE_MAX_ADVISORIES.
dp_status dp_quote_tcb_merge (dp_quote_tcb_result_t *into, const dp_quote_tcb_result_t *other,
                              dp_error_t *err) DP_MUST_CHECK;

//  RFC 3339 UTC time ("2025-06-19T10:16:03Z", optional fraction) → Unix
//  seconds; -1 if malformed.
int64_t dp_quote_tcb_parse_time (const char *text);

#endif
