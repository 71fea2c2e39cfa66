/*  dp_quote.h — Intel DCAP quotes: parse versions 3 (SGX), 4 (TDX 1.0) and
    5 (TDX 1.0/1.5 or SGX body), from binary or hex text.

    The parser checks every length before use and keeps a private copy of
    the bytes; every pointer in dp_quote_t points into that copy and lives
    as long as the quote. Bytes after the declared signature data are
    tolerated (real quotes carry zero padding or text trailers) and ignored.
    Parsing proves nothing about authenticity: see dp_quote_verify.h.

    Layout references: shared/notes/tdx.md §1 (Intel's sgx_quote_{3,4,5}.h).
    Thread-safety: a parsed quote is immutable; share it freely. */

#ifndef DP_QUOTE_H_INCLUDED
#define DP_QUOTE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

#define DP_QUOTE_TEE_SGX 0x00000000u
#define DP_QUOTE_TEE_TDX 0x00000081u

//  Body kinds (the v5 body type values; v3 is SGX, v4 is TD 1.0).
typedef enum {
    DP_QUOTE_BODY_SGX  = 1,     //  384-byte SGX enclave report
    DP_QUOTE_BODY_TD10 = 2,     //  584-byte TD report (TDX 1.0)
    DP_QUOTE_BODY_TD15 = 3      //  648-byte TD report (TDX 1.5)
} dp_quote_body_type;

//  An SGX enclave report body (384 bytes): a v3 quote's body and the QE
//  report of every quote. Pointers into the quote.
typedef struct {
    const uint8_t *raw;          //  the 384 bytes
    const uint8_t *cpusvn;       //  16
    uint32_t miscselect;
    const uint8_t *attributes;   //  16 (flags u64 LE, xfrm u64 LE)
    const uint8_t *mrenclave;    //  32
    const uint8_t *mrsigner;     //  32
    uint16_t isvprodid;
    uint16_t isvsvn;
    const uint8_t *report_data;  //  64
} dp_quote_enclave_t;

//  A TD report body. td15 fields are NULL for TD 1.0.
typedef struct {
    const uint8_t *tee_tcb_svn;      //  16
    const uint8_t *mrseam;           //  48
    const uint8_t *mrsignerseam;     //  48
    const uint8_t *seam_attributes;  //  8
    const uint8_t *td_attributes;    //  8 (u64 LE bit flags)
    const uint8_t *xfam;             //  8
    const uint8_t *mrtd;             //  48
    const uint8_t *mrconfigid;       //  48
    const uint8_t *mrowner;          //  48
    const uint8_t *mrownerconfig;    //  48
    const uint8_t *rtmr [4];         //  48 each
    const uint8_t *report_data;      //  64
    const uint8_t *tee_tcb_svn2;     //  16, TD 1.5 only
    const uint8_t *mrservicetd;      //  48, TD 1.5 only
} dp_quote_td_t;

//  A parsed quote: public and read-only for users.
typedef struct {
    uint8_t *data;                   //  owned copy, size bytes (trailer dropped)
    size_t size;                     //  header + body + sig_data_len + signature data
    size_t trailing;                 //  bytes ignored after the signature data

    //  Header
    uint16_t version;                //  3, 4 or 5
    uint16_t key_type;               //  2 = ECDSA P-256 (checked by the verifier)
    uint32_t tee_type;               //  DP_QUOTE_TEE_SGX or DP_QUOTE_TEE_TDX
    const uint8_t *qe_vendor_id;     //  16
    const uint8_t *user_data;        //  20 (first 16 = QE-ID)

    //  Body
    dp_quote_body_type body_type;
    size_t body_offset, body_size;
    size_t signed_size;              //  the quote signature covers data[0..signed_size)
    dp_quote_enclave_t sgx;          //  when body_type == DP_QUOTE_BODY_SGX
    dp_quote_td_t td;                //  when body_type is TD10 or TD15
    const uint8_t *report_data;      //  64, whichever body

    //  Signature data
    const uint8_t *signature;        //  64, r‖s big-endian
    const uint8_t *attestation_key;  //  64, x‖y big-endian
    dp_quote_enclave_t qe_report;    //  the quoting enclave's report
    const uint8_t *qe_report_signature;  //  64, by the PCK leaf key
    const uint8_t *qe_auth_data;
    uint16_t qe_auth_size;
    uint16_t cert_type;              //  innermost certification data type (5 = PEM chain)
    const uint8_t *cert_data;        //  the certification data (PEM chain for type 5)
    uint32_t cert_size;
} dp_quote_t;

//  Maximum quote input accepted (binary bytes). Real quotes are ~5 KB; a
//  PCK chain is ~4 KB. The bound keeps hostile input from costing memory.
#define DP_QUOTE_MAX_SIZE (64 * 1024)

//  Parses a quote from input[0..size): binary, or hex text (optional "0x",
//  optional surrounding whitespace / trailing newline). On success *out is a
//  new quote the caller destroys. DP_INVALID with err naming the field and
//  offset ("quote: sig_data_len 4300 at offset 632 exceeds the 4000 bytes
//  left") for malformed input; DP_LIMIT if larger than DP_QUOTE_MAX_SIZE;
//  DP_NOMEM. *out is NULL on error.
dp_status dp_quote_parse (const uint8_t *input, size_t size, dp_quote_t **out,
                          dp_error_t *err) DP_MUST_CHECK;

//  Reads a file (binary or hex) and parses it as above; DP_IO if unreadable.
dp_status dp_quote_load (const char *path, dp_quote_t **out, dp_error_t *err) DP_MUST_CHECK;

//  Destroys a quote and sets *self_p to NULL; NULL-safe.
void dp_quote_destroy (dp_quote_t **self_p);

//  "TDX" or "SGX" (or "unknown").
const char *dp_quote_tee_name (const dp_quote_t *self);

//  Decodes an SGX enclave report body (384 bytes at raw) into out.
void dp_quote_enclave_decode (const uint8_t *raw, dp_quote_enclave_t *out);

#endif
