/*  dp_tee_sim.c — complete TDX v4 quotes signed under the simulation root. */

#include "dp_tee_sim.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sha256.h"

//  Offsets inside the TD report body (notes/tdx.md §1.3), plus the header.
#define S_BODY              DP_TEE_SIM_HEADER_SIZE
#define S_TEE_TCB_SVN       (S_BODY + 0)
#define S_MRSEAM            (S_BODY + 16)
#define S_TDATTRIBUTES      (S_BODY + 120)
#define S_XFAM              (S_BODY + 128)
#define S_MRTD              (S_BODY + 136)
#define S_RTMR0             (S_BODY + 328)
//  Inside the QE report (an SGX report body, §1.4).
#define S_QE_REPORT_SIZE    384
#define S_QE_CPUSVN         0
#define S_QE_ATTRIBUTES     48
#define S_QE_MRENCLAVE      64
#define S_QE_MRSIGNER       128
#define S_QE_ISVPRODID      256
#define S_QE_ISVSVN         258
#define S_QE_REPORT_DATA    320

static const uint8_t s_intel_qe_vendor [16] = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07
};

struct dp_tee_sim_t {
    dp_simroot_signer_t *signer;    //  the root's attestation key
    uint8_t *template;          //  a whole quote with zero REPORTDATA and signature
    size_t size;
};

static void
s_put16 (uint8_t *at, uint16_t value)
{
    at [0] = (uint8_t) value;
    at [1] = (uint8_t) (value >> 8);
}

static void
s_put32 (uint8_t *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at [i] = (uint8_t) (value >> (8 * i));
}

int
dp_tee_sim_measurement (const char *which, uint8_t out [48])
{
    static const char *names [] = { "mrseam", "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3" };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++) {
        if (strcmp (which, names [i]) != 0)
            continue;
        if (strcmp (which, "rtmr3") == 0) {
            memset (out, 0, 48);    //  no runtime events extended in simulation
            return 0;
        }
        char label [64];
        int n = snprintf (label, sizeof label, "DealProof simulated TD: %s", which);
        unsigned int len = 0;
        return EVP_Digest (label, (size_t) n, out, &len, EVP_sha384 (), NULL) == 1 ? 0 : -1;
    }
    return -1;
}

static void
s_fill_header (uint8_t *quote, const uint8_t att_pub [64])
{
    s_put16 (quote + 0, 4);             //  version
    s_put16 (quote + 2, 2);             //  ECDSA-256-with-P-256
    s_put32 (quote + 4, 0x81);          //  TDX
    memcpy (quote + 12, s_intel_qe_vendor, 16);
    uint8_t qe_id [32];
    dp_sha256 (att_pub, 64, qe_id);
    memcpy (quote + 28, qe_id, 16);
}

static void
s_fill_body (uint8_t *quote)
{
    memcpy (quote + S_TEE_TCB_SVN, dp_simroot_tee_tcb_svn, 16);
    dp_tee_sim_measurement ("mrseam", quote + S_MRSEAM);
    quote [S_TDATTRIBUTES + 3] = 0x10;  //  SEPT_VE_DISABLE (bit 28), required by dcap-qvl
    static const uint8_t xfam [8] = { 0xe7, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00 };
    memcpy (quote + S_XFAM, xfam, 8);
    dp_tee_sim_measurement ("mrtd", quote + S_MRTD);
    dp_tee_sim_measurement ("rtmr0", quote + S_RTMR0);
    dp_tee_sim_measurement ("rtmr1", quote + S_RTMR0 + 48);
    dp_tee_sim_measurement ("rtmr2", quote + S_RTMR0 + 96);
    dp_tee_sim_measurement ("rtmr3", quote + S_RTMR0 + 144);
}

//  The TD quoting enclave's report, as the collateral's QE identity expects.
static void
s_fill_qe_report (uint8_t *report, const uint8_t att_pub [64], const uint8_t *auth)
{
    memcpy (report + S_QE_CPUSVN, dp_simroot_cpusvn, 16);
    report [S_QE_ATTRIBUTES] = 0x11;    //  INIT | MODE64BIT, not DEBUG
    dp_sha256 ("DealProof simulated TD quoting enclave", 38, report + S_QE_MRENCLAVE);
    memcpy (report + S_QE_MRSIGNER, dp_simroot_qe_mrsigner, 32);
    s_put16 (report + S_QE_ISVPRODID, DP_SIMROOT_QE_ISVPRODID);
    s_put16 (report + S_QE_ISVSVN, DP_SIMROOT_QE_ISVSVN);
    uint8_t bound [64 + DP_TEE_SIM_QE_AUTH_SIZE];
    memcpy (bound, att_pub, 64);
    memcpy (bound + 64, auth, DP_TEE_SIM_QE_AUTH_SIZE);
    dp_sha256 (bound, sizeof bound, report + S_QE_REPORT_DATA);
}

//  Signature data from rel. offset 64: attestation key, type 6 with the
//  QE report, its PCK signature, auth data and type 5 with the PEM chain.
static dp_status
s_fill_sig_data (uint8_t *sig_data, const uint8_t att_pub [64], EVP_PKEY *pck_key,
                 const char *chain, size_t chain_len, dp_error_t *err)
{
    uint8_t auth [DP_TEE_SIM_QE_AUTH_SIZE];
    for (int i = 0; i < DP_TEE_SIM_QE_AUTH_SIZE; i++)
        auth [i] = (uint8_t) i;
    memcpy (sig_data + 64, att_pub, 64);
    size_t type6_size = S_QE_REPORT_SIZE + 64 + 2 + DP_TEE_SIM_QE_AUTH_SIZE + 2 + 4 + chain_len;
    s_put16 (sig_data + 128, 6);
    s_put32 (sig_data + 130, (uint32_t) type6_size);
    uint8_t *report = sig_data + 134;
    s_fill_qe_report (report, att_pub, auth);
    dp_status rc = dp_simroot_sign_raw (pck_key, report, S_QE_REPORT_SIZE,
                                        report + S_QE_REPORT_SIZE, err);
    uint8_t *cursor = report + S_QE_REPORT_SIZE + 64;
    s_put16 (cursor, DP_TEE_SIM_QE_AUTH_SIZE);
    memcpy (cursor + 2, auth, DP_TEE_SIM_QE_AUTH_SIZE);
    cursor += 2 + DP_TEE_SIM_QE_AUTH_SIZE;
    s_put16 (cursor, 5);
    s_put32 (cursor + 2, (uint32_t) chain_len);
    memcpy (cursor + 6, chain, chain_len);
    return rc;
}

dp_tee_sim_t *
dp_tee_sim_new (dp_simroot_t *root, dp_error_t *err)
{
    size_t chain_len = 0;
    const char *chain = root ? dp_simroot_pck_chain_pem (root, &chain_len) : NULL;
    if (!chain) {
        dp_error_set (err, DP_INVALID, "simulation: the sim root %s has no private/ signing "
                      "material", root ? dp_simroot_dir (root) : "(none)");
        return NULL;
    }
    dp_tee_sim_t *self = calloc (1, sizeof *self);
    size_t type6_size = S_QE_REPORT_SIZE + 64 + 2 + DP_TEE_SIM_QE_AUTH_SIZE + 2 + 4 + chain_len;
    size_t sig_data_len = 64 + 64 + 2 + 4 + type6_size;
    if (self) {
        self->size = DP_TEE_SIM_SIG_DATA_AT + sig_data_len;
        self->template = calloc (1, self->size);
    }
    if (!self || !self->template) {
        dp_tee_sim_destroy (&self);
        dp_error_set (err, DP_NOMEM, "simulation: out of memory");
        return NULL;
    }
    uint8_t att_pub [64];
    dp_status rc = dp_simroot_public_raw (dp_simroot_attestation_key (root), att_pub, err);
    if (rc == DP_OK && !(self->signer = dp_simroot_signer_new (dp_simroot_attestation_key (root), err)))
        rc = err ? err->code : DP_CRYPTO;
    if (rc == DP_OK) {
        s_fill_header (self->template, att_pub);
        s_fill_body (self->template);
        s_put32 (self->template + DP_TEE_SIM_SIGNED_SIZE, (uint32_t) sig_data_len);
        rc = s_fill_sig_data (self->template + DP_TEE_SIM_SIG_DATA_AT, att_pub,
                              dp_simroot_pck_key (root), chain, chain_len, err);
    }
    if (rc != DP_OK)
        dp_tee_sim_destroy (&self);
    return self;
}

void
dp_tee_sim_destroy (dp_tee_sim_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_tee_sim_t *self = *self_p;
    dp_simroot_signer_destroy (&self->signer);
    free (self->template);
    free (self);
    *self_p = NULL;
}

dp_status
dp_tee_sim_quote (dp_tee_sim_t *self, const uint8_t report_data [64], uint8_t **quote,
                  size_t *len, dp_error_t *err)
{
    uint8_t *out = malloc (self->size);
    if (!out)
        return dp_error_set (err, DP_NOMEM, "simulation: out of memory for a quote");
    memcpy (out, self->template, self->size);
    memcpy (out + DP_TEE_SIM_REPORT_DATA_AT, report_data, 64);
    dp_status rc = dp_simroot_signer_sign (self->signer, out, DP_TEE_SIM_SIGNED_SIZE,
                                           out + DP_TEE_SIM_SIG_DATA_AT, err);
    if (rc != DP_OK) {
        free (out);
        return dp_error_prefix (err, "simulation: quote signature");
    }
    *quote = out;
    *len = self->size;
    return DP_OK;
}
