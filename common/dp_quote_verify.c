/*  dp_quote_verify.c — the DCAP verification steps in dcap-qvl's order,
    the verification cache, and the report as JSON. */

#include "dp_quote_verify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_sha256.h"

static const uint8_t s_intel_vendor [16] = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07
};

//  One verification in progress.
typedef struct {
    const dp_quote_t *quote;
    dp_quote_collateral_t *collateral;
    const dp_quote_root_t *root;
    int64_t now;
    const dp_quote_policy_t *policy;
    dp_quote_report_t *report;
    dp_error_t *err;
    dp_quote_crls_t crls;            //  valid if collateral
    EVP_PKEY *pck_key;               //  owned reference
    int64_t from, until;             //  collateral validity window
    uint8_t root_sha256 [32];
} s_run_t;

static pthread_once_t s_intel_once = PTHREAD_ONCE_INIT;
static dp_quote_root_t *s_intel_root;

static void
s_intel_init (void)
{
    s_intel_root = dp_quote_root_intel (NULL);
}

const dp_quote_root_t *
dp_quote_intel_root (void)
{
    pthread_once (&s_intel_once, s_intel_init);
    return s_intel_root;
}

const char *
dp_quote_status_name (dp_quote_status status)
{
    switch (status) {
        case DP_QUOTE_VERIFIED:        return "verified";
        case DP_QUOTE_SIMULATION_ONLY: return "simulation_only";
        case DP_QUOTE_NO_COLLATERAL:   return "no_collateral";
        default:                       return "invalid_quote";
    }
}

static void
s_window (s_run_t *run, int64_t from, int64_t until)
{
    if (from > run->from)
        run->from = from;
    if (until < run->until)
        run->until = until;
}

static void
s_chain_window (s_run_t *run, STACK_OF (X509) *chain)
{
    for (int i = 0; i < sk_X509_num (chain); i++) {
        X509 *cert = sk_X509_value (chain, i);
        s_window (run, dp_quote_pki_time (X509_get0_notBefore (cert)),
                  dp_quote_pki_time (X509_get0_notAfter (cert)));
    }
}

//  --- Steps ----------------------------------------------------------------

static dp_status
s_step_header (s_run_t *run)
{
    const dp_quote_t *quote = run->quote;
    if (quote->key_type != 2)
        return dp_error_set (run->err, DP_CRYPTO, "header: attestation key type %u is not 2 (ECDSA P-256)",
                             quote->key_type);
    if (memcmp (quote->qe_vendor_id, s_intel_vendor, 16) != 0)
        return dp_error_set (run->err, DP_CRYPTO, "header: QE vendor ID is not Intel's");
    //  dcap-qvl: SGX quotes are version 3 only (TDX ones 4 or 5, which the
    //  parser already enforces).
    if (quote->tee_type == DP_QUOTE_TEE_SGX && quote->version != 3)
        return dp_error_set (run->err, DP_CRYPTO, "header: SGX quote of version %u (must be 3)", quote->version);
    return DP_OK;
}

static dp_status
s_check_dates (const char *step, int64_t issue, int64_t next, int64_t now, dp_error_t *err)
{
    if (now < issue)
        return dp_error_set (err, DP_CRYPTO, "%s: issued in the future (issueDate %lld, now %lld)",
                             step, (long long) issue, (long long) now);
    if (now > next)
        return dp_error_set (err, DP_CRYPTO, "%s: expired (nextUpdate %lld, now %lld)",
                             step, (long long) next, (long long) now);
    return DP_OK;
}

//  Chain + signature over the exact JSON bytes.
static dp_status
s_check_signed_json (s_run_t *run, const char *step, STACK_OF (X509) *chain, const char *text,
                     size_t len, const uint8_t sig [64], int chain_checked)
{
    dp_status rc = chain_checked? DP_OK
                 : dp_quote_pki_verify_chain (chain, run->root, &run->crls, run->now, step, run->err);
    if (rc == DP_OK && !chain_checked)
        rc = dp_quote_pki_check_role (chain, DP_QUOTE_ROLE_TCB_SIGNER, run->root, step, run->err);
    if (rc != DP_OK)
        return rc;
    EVP_PKEY *key = X509_get0_pubkey (sk_X509_value (chain, 0));
    if (dp_quote_pki_verify_raw (key, (const uint8_t *) text, len, sig) != DP_OK)
        return dp_error_set (run->err, DP_CRYPTO, "%s: signature over the JSON does not verify", step);
    return DP_OK;
}

static dp_status
s_check_qe_identity_kind (s_run_t *run)
{
    const dp_quote_qe_identity_t *id = run->collateral->qe_identity;
    int tdx = run->quote->tee_type == DP_QUOTE_TEE_TDX;
    int ok = tdx? strcmp (id->id, "TD_QE") == 0 && (id->version == 2 || id->version == 3)
                : strcmp (id->id, "QE") == 0 && id->version == 2;
    if (!ok)
        return dp_error_set (run->err, DP_CRYPTO, "qe_identity: %s version %d does not fit a%s quote",
                             id->id, id->version, tdx? " TDX": "n SGX");
    return DP_OK;
}

//  Collateral window for the cache and the report.
static void
s_collateral_window (s_run_t *run)
{
    dp_quote_collateral_t *c = run->collateral;
    run->from = INT64_MIN;
    run->until = INT64_MAX;
    s_window (run, c->tcb_info->issue_date, c->tcb_info->next_update);
    s_window (run, c->qe_identity->issue_date, c->qe_identity->next_update);
    s_window (run, dp_quote_pki_time (X509_CRL_get0_lastUpdate (c->root_crl)),
              dp_quote_pki_time (X509_CRL_get0_nextUpdate (c->root_crl)));
    s_window (run, dp_quote_pki_time (X509_CRL_get0_lastUpdate (c->pck_crl)),
              dp_quote_pki_time (X509_CRL_get0_nextUpdate (c->pck_crl)));
    s_chain_window (run, c->tcb_info_chain);
    s_chain_window (run, c->qe_identity_chain);
    s_chain_window (run, c->pck_crl_chain);
    s_window (run, dp_quote_pki_time (X509_get0_notBefore (dp_quote_root_cert (run->root))),
              dp_quote_pki_time (X509_get0_notAfter (dp_quote_root_cert (run->root))));
}

static int
s_cache_hit (s_run_t *run)
{
    dp_quote_collateral_t *c = run->collateral;
    pthread_mutex_lock (&c->lock);
    int hit = c->cache_enabled && c->verified && memcmp (c->verified_root, run->root_sha256, 32) == 0
           && run->now >= c->verified_from && run->now <= c->verified_until;
    pthread_mutex_unlock (&c->lock);
    return hit;
}

static dp_status
s_step_collateral (s_run_t *run)
{
    dp_quote_collateral_t *c = run->collateral;
    s_collateral_window (run);
    if (s_cache_hit (run))
        return dp_quote_pki_check_crls_cached (c->root_crl, c->pck_crl, c->pck_crl_chain, &run->crls);
    dp_status rc = s_check_dates ("tcb_info", c->tcb_info->issue_date, c->tcb_info->next_update, run->now, run->err);
    if (!rc) rc = s_check_dates ("qe_identity", c->qe_identity->issue_date, c->qe_identity->next_update, run->now, run->err);
    if (!rc) rc = dp_quote_pki_check_crls (c->root_crl, c->pck_crl, c->pck_crl_chain, run->root, run->now, &run->crls, run->err);
    if (!rc) rc = s_check_signed_json (run, "tcb_info", c->tcb_info_chain, c->tcb_info_text,
                                       c->tcb_info_len, c->tcb_info_signature, 0);
    if (!rc) rc = s_check_signed_json (run, "qe_identity", c->qe_identity_chain, c->qe_identity_text,
                                       c->qe_identity_len, c->qe_identity_signature, c->same_signing_chain);
    if (rc)
        return rc;
    pthread_mutex_lock (&c->lock);
    if (c->cache_enabled) {
        c->verified = 1;
        memcpy (c->verified_root, run->root_sha256, 32);
        c->verified_from = run->from;
        c->verified_until = run->until;
    }
    pthread_mutex_unlock (&c->lock);
    return DP_OK;
}

//  A cached PCK chain result, if one holds now.
static int
s_pck_cached (s_run_t *run, const uint8_t digest [32])
{
    dp_quote_collateral_t *c = run->collateral;
    if (!c)
        return 0;
    int hit = 0;
    pthread_mutex_lock (&c->lock);
    for (size_t i = 0; c->cache_enabled && i < DP_QUOTE_PCK_CACHE_SIZE && !hit; i++) {
        dp_quote_pck_cache_t *entry = &c->pck_cache [i];
        if (entry->used && memcmp (entry->chain_sha256, digest, 32) == 0
        &&  memcmp (entry->root_sha256, run->root_sha256, 32) == 0
        &&  run->now >= entry->from && run->now <= entry->until
        &&  EVP_PKEY_up_ref (entry->leaf_key) == 1) {
            run->pck_key = entry->leaf_key;
            run->report->pck = entry->pck;
            hit = 1;
        }
    }
    pthread_mutex_unlock (&c->lock);
    return hit;
}

static void
s_pck_remember (s_run_t *run, const uint8_t digest [32], STACK_OF (X509) *chain)
{
    dp_quote_collateral_t *c = run->collateral;
    if (!c)
        return;
    int64_t from = run->from, until = run->until;
    s_chain_window (run, chain);
    pthread_mutex_lock (&c->lock);
    if (c->cache_enabled && EVP_PKEY_up_ref (run->pck_key) == 1) {
        dp_quote_pck_cache_t *entry = &c->pck_cache [c->pck_cache_next];
        c->pck_cache_next = (c->pck_cache_next + 1) % DP_QUOTE_PCK_CACHE_SIZE;
        EVP_PKEY_free (entry->leaf_key);
        memcpy (entry->chain_sha256, digest, 32);
        memcpy (entry->root_sha256, run->root_sha256, 32);
        entry->from = run->from;
        entry->until = run->until;
        entry->leaf_key = run->pck_key;
        entry->pck = run->report->pck;
        entry->used = 1;
    }
    pthread_mutex_unlock (&c->lock);
    run->from = from;
    run->until = until;
}

static dp_status
s_step_pck_chain (s_run_t *run)
{
    const dp_quote_t *quote = run->quote;
    if (quote->cert_type != 5)
        return dp_error_set (run->err, DP_CRYPTO, "pck_chain: certification data type %u is not 5 (PEM PCK chain)",
                             quote->cert_type);
    uint8_t digest [32];
    dp_sha256 (quote->cert_data, quote->cert_size, digest);
    if (s_pck_cached (run, digest)) {
        run->report->has_pck = 1;
        return DP_OK;
    }
    STACK_OF (X509) *chain = NULL;
    dp_status rc = dp_quote_pki_chain_from_pem (quote->cert_data, quote->cert_size, "pck_chain", &chain, run->err);
    if (rc == DP_OK)
        rc = dp_quote_pki_verify_chain (chain, run->root, run->collateral? &run->crls: NULL, run->now,
                                        "pck_chain", run->err);
    if (rc == DP_OK)
        rc = dp_quote_pki_check_role (chain, DP_QUOTE_ROLE_PCK, run->root, "pck_chain", run->err);
    if (rc == DP_OK)
        rc = dp_quote_pki_pck_info (sk_X509_value (chain, 0), &run->report->pck, run->err);
    if (rc == DP_OK) {
        run->report->has_pck = 1;
        run->pck_key = X509_get_pubkey (sk_X509_value (chain, 0));
        if (run->pck_key)
            s_pck_remember (run, digest, chain);
        else
            rc = dp_error_set (run->err, DP_CRYPTO, "pck_chain: leaf key unreadable");
    }
    sk_X509_pop_free (chain, X509_free);
    return rc == DP_INVALID? DP_CRYPTO: rc;
}

static dp_status
s_step_qe_report (s_run_t *run)
{
    const dp_quote_t *quote = run->quote;
    if (dp_quote_pki_verify_raw (run->pck_key, quote->qe_report.raw, 384, quote->qe_report_signature) != DP_OK)
        return dp_error_set (run->err, DP_CRYPTO, "qe_report_signature: QE report is not signed by the PCK key");
    //  dcap-qvl insists on 32 bytes of auth data; every real quote has 32.
    if (quote->qe_auth_size != 32)
        return dp_error_set (run->err, DP_CRYPTO, "qe_report_data: QE auth data is %u bytes, expected 32",
                             quote->qe_auth_size);
    uint8_t material [64 + 32], digest [32];
    memcpy (material, quote->attestation_key, 64);
    memcpy (material + 64, quote->qe_auth_data, 32);
    dp_sha256 (material, sizeof material, digest);
    if (memcmp (digest, quote->qe_report.report_data, 32) != 0)
        return dp_error_set (run->err, DP_CRYPTO,
                             "qe_report_data: QE report data does not bind the attestation key");
    //  Intel's QVL compares all 64 bytes: the hash, then 32 zero bytes.
    static const uint8_t zeros [32] = { 0 };
    if (memcmp (quote->qe_report.report_data + 32, zeros, 32) != 0)
        return dp_error_set (run->err, DP_CRYPTO,
                             "qe_report_data: bytes 32-63 of the QE report data are not zero");
    return DP_OK;
}

static dp_status
s_step_quote_signature (s_run_t *run)
{
    const dp_quote_t *quote = run->quote;
    EVP_PKEY *key = dp_quote_pki_key_from_xy (quote->attestation_key);
    if (!key)
        return dp_error_set (run->err, DP_CRYPTO, "quote_signature: attestation key is not a P-256 point");
    dp_status rc = dp_quote_pki_verify_raw (key, quote->data, quote->signed_size, quote->signature);
    EVP_PKEY_free (key);
    if (rc != DP_OK)
        return dp_error_set (run->err, DP_CRYPTO, "quote_signature: header and body are not signed by the attestation key");
    return DP_OK;
}

static dp_status
s_step_tcb (s_run_t *run, const dp_quote_tcb_result_t *qe)
{
    dp_quote_report_t *report = run->report;
    dp_status rc = dp_quote_tcb_match_platform (run->collateral->tcb_info, run->quote, &report->pck,
                                                &report->tcb, run->err);
    report->platform_status = report->tcb.status;
    if (rc != DP_OK)
        return rc == DP_LIMIT? rc: DP_CRYPTO;
    rc = dp_quote_tcb_merge (&report->tcb, qe, run->err);
    if (rc == DP_OK && report->tcb.status == DP_QUOTE_TCB_REVOKED)
        rc = dp_error_set (run->err, DP_CRYPTO, "tcb_level: TCB status is Revoked");
    return rc;
}

static dp_status
s_step_attributes (s_run_t *run)
{
    const dp_quote_t *quote = run->quote;
    int allow_debug = run->policy && run->policy->allow_debug;
    if (quote->body_type == DP_QUOTE_BODY_SGX) {
        if ((quote->sgx.attributes [0] & 0x02) && !allow_debug)
            return dp_error_set (run->err, DP_CRYPTO, "td_attributes: SGX enclave in debug mode");
        return DP_OK;
    }
    if (quote->td.mrservicetd && !(run->policy && run->policy->allow_service_td)) {
        static const uint8_t zero [48];
        if (memcmp (quote->td.mrservicetd, zero, 48) != 0)
            return dp_error_set (run->err, DP_CRYPTO, "td_attributes: MRSERVICETD is not zero");
    }
    const uint8_t *a = quote->td.td_attributes;
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--)
        bits = bits << 8 | a [i];
    //  TDX module spec A.3.4 as dcap-qvl reads it: bits 1-7 (TUD), 8-27
    //  and 29 (SEC) and 32-62 (OTHER) are reserved.
    if (bits & 0x7fffffff2ffffffeull)
        return dp_error_set (run->err, DP_CRYPTO, "td_attributes: reserved bits set (0x%016llx)",
                             (unsigned long long) bits);
    if ((bits & 1) && !allow_debug)
        return dp_error_set (run->err, DP_CRYPTO, "td_attributes: TD DEBUG is set");
    if (!(bits & (1ull << 28)))
        return dp_error_set (run->err, DP_CRYPTO, "td_attributes: SEPT_VE_DISABLE is not set");
    return DP_OK;
}

static int
s_measurement_ok (const dp_quote_measurement_t *m, const dp_quote_t *quote)
{
    if (!m->mrtd || memcmp (m->mrtd, quote->td.mrtd, 48) != 0)
        return 0;
    for (int i = 0; i < 4; i++)
        if (m->rtmr [i] && memcmp (m->rtmr [i], quote->td.rtmr [i], 48) != 0)
            return 0;
    return 1;
}

static dp_status
s_step_policy (s_run_t *run)
{
    const dp_quote_policy_t *policy = run->policy;
    const dp_quote_report_t *report = run->report;
    if (!policy)
        return DP_OK;
    if (policy->tcb_statuses && report->tcb.status != DP_QUOTE_TCB_UNKNOWN) {
        const char *name = dp_quote_tcb_status_name (report->tcb.status);
        size_t i = 0;
        while (i < policy->tcb_status_count && strcmp (policy->tcb_statuses [i], name) != 0)
            i++;
        if (i == policy->tcb_status_count)
            return dp_error_set (run->err, DP_CRYPTO, "policy: TCB status %s is not accepted", name);
    }
    if (policy->measurements) {
        size_t i = 0;
        while (run->quote->body_type != DP_QUOTE_BODY_SGX && i < policy->measurement_count
           && !s_measurement_ok (&policy->measurements [i], run->quote))
            i++;
        if (run->quote->body_type == DP_QUOTE_BODY_SGX || i == policy->measurement_count)
            return dp_error_set (run->err, DP_CRYPTO, "policy: MRTD/RTMRs are not in the allow-list");
    }
    if (policy->report_data && memcmp (policy->report_data, run->quote->report_data, 64) != 0)
        return dp_error_set (run->err, DP_CRYPTO, "policy: report data is not the expected value");
    return DP_OK;
}

//  --- Driver -------------------------------------------------------------

static void
s_report_quote (dp_quote_report_t *report, const dp_quote_t *quote)
{
    report->parsed = 1;
    report->version = quote->version;
    report->tee_type = quote->tee_type;
    report->body_type = quote->body_type;
    memcpy (report->qe_vendor_id, quote->qe_vendor_id, 16);
    memcpy (report->report_data, quote->report_data, 64);
    if (quote->body_type == DP_QUOTE_BODY_SGX) {
        memcpy (report->mrenclave, quote->sgx.mrenclave, 32);
        memcpy (report->mrsigner, quote->sgx.mrsigner, 32);
        memcpy (report->attributes, quote->sgx.attributes, 16);
        report->isvprodid = quote->sgx.isvprodid;
        report->isvsvn = quote->sgx.isvsvn;
        return;
    }
    const dp_quote_td_t *td = &quote->td;
    memcpy (report->tee_tcb_svn, td->tee_tcb_svn, 16);
    memcpy (report->mrseam, td->mrseam, 48);
    memcpy (report->mrsignerseam, td->mrsignerseam, 48);
    memcpy (report->seam_attributes, td->seam_attributes, 8);
    memcpy (report->td_attributes, td->td_attributes, 8);
    memcpy (report->xfam, td->xfam, 8);
    memcpy (report->mrtd, td->mrtd, 48);
    memcpy (report->mrconfigid, td->mrconfigid, 48);
    memcpy (report->mrowner, td->mrowner, 48);
    memcpy (report->mrownerconfig, td->mrownerconfig, 48);
    for (int i = 0; i < 4; i++)
        memcpy (report->rtmr [i], td->rtmr [i], 48);
    if (td->mrservicetd)
        memcpy (report->mrservicetd, td->mrservicetd, 48);
    if (td->tee_tcb_svn2)
        memcpy (report->tee_tcb_svn2, td->tee_tcb_svn2, 16);
}

static void
s_report_collateral (s_run_t *run)
{
    const dp_quote_collateral_t *c = run->collateral;
    dp_quote_report_t *report = run->report;
    report->has_collateral = 1;
    report->tcb_info_issue_date = c->tcb_info->issue_date;
    report->tcb_info_next_update = c->tcb_info->next_update;
    report->qe_identity_issue_date = c->qe_identity->issue_date;
    report->qe_identity_next_update = c->qe_identity->next_update;
    report->earliest_expiration = run->until;
    report->tcb_evaluation_number = c->tcb_info->evaluation_number < c->qe_identity->evaluation_number
                                  ? c->tcb_info->evaluation_number: c->qe_identity->evaluation_number;
}

static dp_status
s_run_steps (s_run_t *run)
{
    dp_quote_tcb_result_t qe;
    memset (&qe, 0, sizeof qe);
    qe.status = DP_QUOTE_TCB_UNKNOWN;
    dp_quote_report_t *report = run->report;
    dp_status rc = s_step_header (run);
    if (!rc && run->collateral) {
        rc = s_step_collateral (run);
        s_report_collateral (run);
    }
    if (!rc) rc = s_step_pck_chain (run);
    if (!rc) rc = s_step_qe_report (run);
    if (!rc && run->collateral) {
        rc = s_check_qe_identity_kind (run);
        if (!rc) rc = dp_quote_tcb_match_qe (run->collateral->qe_identity, run->quote, &qe, run->err);
        report->qe_status = qe.status;
    }
    if (!rc) rc = s_step_quote_signature (run);
    if (!rc && run->collateral) rc = s_step_tcb (run, &qe);
    if (!rc) rc = s_step_attributes (run);
    if (!rc) rc = s_step_policy (run);
    return rc;
}

static void
s_report_failure (dp_quote_report_t *report, const dp_error_t *err)
{
    report->status = DP_QUOTE_INVALID;
    snprintf (report->error, sizeof report->error, "%s", err->text);
    size_t step = strcspn (err->text, ":");
    if (step >= sizeof report->step)
        step = sizeof report->step - 1;
    memcpy (report->step, err->text, step);
    report->step [step] = '\0';
}

dp_status
dp_quote_collateral_check (dp_quote_collateral_t *collateral, const dp_quote_root_t *root,
                           int64_t now, dp_error_t *err)
{
    if (!root)
        root = dp_quote_intel_root ();
    if (!collateral || !root)
        return dp_error_set (err, DP_INVALID, "collateral: %s", collateral? "no root": "none given");
    s_run_t run = { .collateral = collateral, .root = root, .now = now, .err = err,
                    .from = INT64_MIN, .until = INT64_MAX };
    dp_quote_root_sha256 (root, run.root_sha256);
    dp_status rc = s_step_collateral (&run);
    return rc == DP_OK || rc == DP_NOMEM? rc: DP_CRYPTO;
}

dp_status
dp_quote_verify (const dp_quote_t *quote, dp_quote_collateral_t *collateral,
                 const dp_quote_root_t *root, int64_t now, const dp_quote_policy_t *policy,
                 dp_quote_report_t *report, dp_error_t *err)
{
    dp_error_t local;
    if (!err)
        err = &local;
    dp_error_clear (err);
    memset (report, 0, sizeof *report);
    report->tcb.status = report->platform_status = report->qe_status = DP_QUOTE_TCB_UNKNOWN;
    if (!root)
        root = dp_quote_intel_root ();
    if (!quote || !root) {
        dp_status rc = dp_error_set (err, quote? DP_NOMEM: DP_INVALID, "verify: %s",
                                     quote? "out of memory": "no quote");
        s_report_failure (report, err);
        return rc;
    }
    s_run_t run = { .quote = quote, .collateral = collateral, .root = root, .now = now,
                    .policy = policy, .report = report, .err = err,
                    .from = INT64_MIN, .until = INT64_MAX };
    dp_quote_root_sha256 (root, run.root_sha256);
    memcpy (report->root_sha256, run.root_sha256, 32);
    report->simulation = !dp_quote_root_is_intel (root);
    s_report_quote (report, quote);
    dp_status rc = s_run_steps (&run);
    EVP_PKEY_free (run.pck_key);
    if (rc != DP_OK) {
        s_report_failure (report, err);
        return rc == DP_NOMEM? rc: DP_CRYPTO;
    }
    report->status = !collateral? DP_QUOTE_NO_COLLATERAL
                   : report->simulation? DP_QUOTE_SIMULATION_ONLY: DP_QUOTE_VERIFIED;
    return DP_OK;
}

dp_status
dp_quote_verify_bytes (const uint8_t *input, size_t size, dp_quote_collateral_t *collateral,
                       const dp_quote_root_t *root, int64_t now, const dp_quote_policy_t *policy,
                       dp_quote_report_t *report, dp_error_t *err)
{
    dp_error_t local;
    if (!err)
        err = &local;
    dp_quote_t *quote = NULL;
    dp_status rc = dp_quote_parse (input, size, &quote, err);
    if (rc != DP_OK) {
        memset (report, 0, sizeof *report);
        report->tcb.status = report->platform_status = report->qe_status = DP_QUOTE_TCB_UNKNOWN;
        dp_error_prefix (err, "parse");
        s_report_failure (report, err);
        if (!root)
            root = dp_quote_intel_root ();
        if (root) {
            dp_quote_root_sha256 (root, report->root_sha256);
            report->simulation = !dp_quote_root_is_intel (root);
        }
        return rc;
    }
    rc = dp_quote_verify (quote, collateral, root, now, policy, report, err);
    dp_quote_destroy (&quote);
    return rc;
}

//  --- JSON ---------------------------------------------------------------------

static void
s_add_hex (json_object *obj, const char *key, const uint8_t *data, size_t size)
{
    char text [2 * 64 + 1];
    json_object_object_add (obj, key, json_object_new_string (dp_hex_encode (data, size, text)));
}

static void
s_add_time (json_object *obj, const char *key, int64_t when)
{
    char text [32];
    time_t t = (time_t) when;
    struct tm tm;
    if (when == INT64_MAX || when == INT64_MIN || !gmtime_r (&t, &tm)) {
        json_object_object_add (obj, key, NULL);
        return;
    }
    strftime (text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_object_add (obj, key, json_object_new_string (text));
}

//  The named TD attribute bits that are set (TDX module spec A.3.4).
static json_object *
s_td_flags (const uint8_t attributes [8])
{
    static const struct { int bit; const char *name; } names [] = {
        { 0, "DEBUG" }, { 28, "SEPT_VE_DISABLE" }, { 29, "MIGRATABLE" }, { 30, "PKS" }, { 31, "KL" },
        { 63, "PERFMON" }
    };
    json_object *list = json_object_new_array ();
    for (size_t i = 0; list && i < sizeof names / sizeof names [0]; i++)
        if (attributes [names [i].bit / 8] & (1 << (names [i].bit % 8)))
            json_object_array_add (list, json_object_new_string (names [i].name));
    return list;
}

static void
s_json_td (json_object *obj, const dp_quote_report_t *r)
{
    s_add_hex (obj, "mrtd", r->mrtd, 48);
    for (int i = 0; i < 4; i++) {
        char key [8];
        snprintf (key, sizeof key, "rtmr%d", i);
        s_add_hex (obj, key, r->rtmr [i], 48);
    }
    s_add_hex (obj, "mrconfigid", r->mrconfigid, 48);
    s_add_hex (obj, "mrowner", r->mrowner, 48);
    s_add_hex (obj, "mrownerconfig", r->mrownerconfig, 48);
    s_add_hex (obj, "td_attributes", r->td_attributes, 8);
    json_object_object_add (obj, "td_attributes_flags", s_td_flags (r->td_attributes));
    s_add_hex (obj, "xfam", r->xfam, 8);
    s_add_hex (obj, "tee_tcb_svn", r->tee_tcb_svn, 16);
    s_add_hex (obj, "mrseam", r->mrseam, 48);
    if (r->body_type == DP_QUOTE_BODY_TD15) {
        s_add_hex (obj, "tee_tcb_svn2", r->tee_tcb_svn2, 16);
        s_add_hex (obj, "mrservicetd", r->mrservicetd, 48);
    }
}

static void
s_json_sgx (json_object *obj, const dp_quote_report_t *r)
{
    s_add_hex (obj, "mrenclave", r->mrenclave, 32);
    s_add_hex (obj, "mrsigner", r->mrsigner, 32);
    s_add_hex (obj, "attributes", r->attributes, 16);
    json_object_object_add (obj, "isv_prod_id", json_object_new_int (r->isvprodid));
    json_object_object_add (obj, "isv_svn", json_object_new_int (r->isvsvn));
}

static void
s_json_tcb (json_object *obj, const dp_quote_report_t *r)
{
    const char *status = dp_quote_tcb_status_name (r->tcb.status);
    json_object_object_add (obj, "tcb_status", status? json_object_new_string (status): NULL);
    json_object *ids = json_object_new_array ();
    for (size_t i = 0; ids && i < r->tcb.advisory_count; i++)
        json_object_array_add (ids, json_object_new_string (r->tcb.advisories [i]));
    json_object_object_add (obj, "advisory_ids", ids);
    if (r->has_pck) {
        json_object *platform = json_object_new_object ();
        s_add_hex (platform, "fmspc", r->pck.fmspc, 6);
        s_add_hex (platform, "pce_id", r->pck.pceid, 2);
        s_add_hex (platform, "cpu_svn", r->pck.cpusvn, 16);
        json_object_object_add (platform, "pce_svn", json_object_new_int (r->pck.pcesvn));
        json_object_object_add (obj, "platform", platform);
    }
    if (!r->has_collateral) {
        json_object_object_add (obj, "collateral", NULL);
        return;
    }
    json_object *dates = json_object_new_object ();
    s_add_time (dates, "tcb_info_issue_date", r->tcb_info_issue_date);
    s_add_time (dates, "tcb_info_next_update", r->tcb_info_next_update);
    s_add_time (dates, "qe_identity_issue_date", r->qe_identity_issue_date);
    s_add_time (dates, "qe_identity_next_update", r->qe_identity_next_update);
    s_add_time (dates, "earliest_expiration", r->earliest_expiration);
    json_object_object_add (dates, "tcb_evaluation_data_number", json_object_new_int (r->tcb_evaluation_number));
    json_object_object_add (obj, "collateral", dates);
}

json_object *
dp_quote_report_to_json (const dp_quote_report_t *r)
{
    json_object *obj = json_object_new_object ();
    if (!obj)
        return NULL;
    json_object_object_add (obj, "mode", json_object_new_string (r->simulation? "simulation": "hardware"));
    json_object_object_add (obj, "verification_status", json_object_new_string (dp_quote_status_name (r->status)));
    json_object_object_add (obj, "simulation_only", json_object_new_boolean (r->status == DP_QUOTE_SIMULATION_ONLY));
    json_object_object_add (obj, "error", r->error [0]? json_object_new_string (r->error): NULL);
    json_object_object_add (obj, "failed_step", r->step [0]? json_object_new_string (r->step): NULL);
    s_add_hex (obj, "root_sha256", r->root_sha256, 32);
    if (r->parsed) {
        json_object_object_add (obj, "version", json_object_new_int (r->version));
        json_object_object_add (obj, "tee_type", json_object_new_string (r->tee_type == DP_QUOTE_TEE_TDX? "TDX": "SGX"));
        s_add_hex (obj, "qe_vendor_id", r->qe_vendor_id, 16);
        s_add_hex (obj, "report_data_hex", r->report_data, 64);
        s_add_hex (obj, "deal_terms_hash", r->report_data, 32);
        if (r->body_type == DP_QUOTE_BODY_SGX)
            s_json_sgx (obj, r);
        else
            s_json_td (obj, r);
    }
    s_json_tcb (obj, r);
    return obj;
}
