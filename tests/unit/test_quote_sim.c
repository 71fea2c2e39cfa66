/*  test_quote_sim.c — the verifier against the SPEC §8 simulation root:
    simulated quotes verify as simulation_only and are refused against
    Intel's root; with the simulation PKI's private keys the tests also sign
    the cases real vectors cannot provide: a debug TD, reserved attribute
    bits, a revoked PCK certificate, re-signed TCB info / QE identity
    exercising status merging, Revoked, module identity and QE policy. */

#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_verify.h"
#include "dp_simroot.h"
#include "dp_tee_sim.h"

static char s_base [256];
static dp_simroot_t *s_root;
static dp_tee_sim_t *s_sim;
static dp_quote_root_t *s_anchor;
static int64_t s_now;

static void
s_setup (void)
{
    snprintf (s_base, sizeof s_base, "/tmp/dp-test-quote-sim.XXXXXX");
    cr_assert_not_null (mkdtemp (s_base));
    dp_error_t err;
    s_root = dp_simroot_open (s_base, 1, &err);
    cr_assert_not_null (s_root, "%s", err.text);
    s_sim = dp_tee_sim_new (s_root, &err);
    cr_assert_not_null (s_sim, "%s", err.text);
    const char *pem = dp_simroot_root_pem (s_root);
    cr_assert_eq (dp_quote_root_from_pem (pem, strlen (pem), &s_anchor, &err), DP_OK, "%s", err.text);
    s_now = (int64_t) time (NULL);
}

static void
s_teardown (void)
{
    dp_quote_root_destroy (&s_anchor);
    dp_tee_sim_destroy (&s_sim);
    dp_simroot_destroy (&s_root);
    char command [512];
    snprintf (command, sizeof command, "rm -rf '%s'", s_base);
    cr_assert_eq (system (command), 0);
}

TestSuite (quote_sim, .init = s_setup, .fini = s_teardown);

static EVP_PKEY *
s_private_key (const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/private/%s", s_base, name);
    FILE *file = fopen (path, "r");
    cr_assert (file, "%s", path);
    EVP_PKEY *key = PEM_read_PrivateKey (file, NULL, NULL, NULL);
    fclose (file);
    cr_assert (key);
    return key;
}

//  A simulated quote; mutate (if any) edits bytes, then [0,632) is signed
//  again with the attestation key so only the edit is under test.
static dp_quote_t *
s_sim_quote (void (*mutate) (uint8_t *bytes))
{
    uint8_t report_data [64], *bytes = NULL;
    size_t len = 0;
    dp_error_t err;
    memset (report_data, 0xab, sizeof report_data);
    cr_assert_eq (dp_tee_sim_quote (s_sim, report_data, &bytes, &len, &err), DP_OK, "%s", err.text);
    if (mutate) {
        mutate (bytes);
        cr_assert_eq (dp_simroot_sign_raw (dp_simroot_attestation_key (s_root), bytes, DP_TEE_SIM_SIGNED_SIZE,
                                           bytes + DP_TEE_SIM_SIG_DATA_AT, &err), DP_OK);
    }
    dp_quote_t *quote = NULL;
    cr_assert_eq (dp_quote_parse (bytes, len, &quote, &err), DP_OK, "%s", err.text);
    free (bytes);
    return quote;
}

//  The simulation collateral, with field replaced by value (NULL: as is).
//  For tcb_info / qe_identity the new text is signed with the TCB signing key.
static dp_quote_collateral_t *
s_sim_collateral (const char *field, const char *value)
{
    size_t len = 0;
    json_object *doc = json_tokener_parse (dp_simroot_collateral (s_root, &len));
    cr_assert_not_null (doc);
    if (field) {
        json_object_object_add (doc, field, json_object_new_string (value));
        if (strcmp (field, "tcb_info") == 0 || strcmp (field, "qe_identity") == 0) {
            EVP_PKEY *key = s_private_key ("tcb-signing.key.pem");
            uint8_t sig [64];
            char hex [129], name [64];
            cr_assert_eq (dp_simroot_sign_raw (key, value, strlen (value), sig, NULL), DP_OK);
            snprintf (name, sizeof name, "%s_signature", field);
            json_object_object_add (doc, name, json_object_new_string (dp_hex_encode (sig, 64, hex)));
            EVP_PKEY_free (key);
        }
    }
    const char *text = json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
    dp_quote_collateral_t *collateral = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_collateral_from_json (text, strlen (text), &collateral, &err), DP_OK, "%s", err.text);
    json_object_put (doc);
    return collateral;
}

//  The simulation collateral's field (malloc'd).
static char *
s_sim_field (const char *field)
{
    size_t len = 0;
    json_object *doc = json_tokener_parse (dp_simroot_collateral (s_root, &len));
    json_object *value = NULL;
    cr_assert (json_object_object_get_ex (doc, field, &value));
    char *copy = strdup (json_object_get_string (value));
    json_object_put (doc);
    return copy;
}

//  Replaces the first occurrence of from with to in text (malloc'd result).
static char *
s_replace (const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    cr_assert (at, "'%s' not in the text", from);
    char *out = malloc (strlen (text) + strlen (to) + 1);
    size_t head = (size_t) (at - text);
    memcpy (out, text, head);
    strcpy (out + head, to);
    strcat (out, at + strlen (from));
    return out;
}

static dp_status
s_verify (dp_quote_t *quote, dp_quote_collateral_t *collateral, const dp_quote_root_t *root,
          const dp_quote_policy_t *policy, dp_quote_report_t *report)
{
    dp_error_t err;
    return dp_quote_verify (quote, collateral, root, s_now, policy, report, &err);
}

Test (quote_sim, simulation_only_against_the_sim_root)
{
    dp_quote_t *quote = s_sim_quote (NULL);
    dp_quote_collateral_t *collateral = s_sim_collateral (NULL, NULL);
    dp_quote_report_t r;
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_SIMULATION_ONLY);
    cr_assert (r.simulation);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "UpToDate");
    cr_assert_arr_eq (r.root_sha256, dp_simroot_root_sha256 (s_root), 32);
    json_object *json = dp_quote_report_to_json (&r);
    json_object *v;
    json_object_object_get_ex (json, "verification_status", &v);
    cr_assert_str_eq (json_object_get_string (v), "simulation_only");
    json_object_object_get_ex (json, "simulation_only", &v);
    cr_assert (json_object_get_boolean (v));
    json_object_object_get_ex (json, "mode", &v);
    cr_assert_str_eq (json_object_get_string (v), "simulation");
    json_object_put (json);
    //  Without collateral: checked as far as possible, no TCB status.
    cr_assert_eq (s_verify (quote, NULL, s_anchor, NULL, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_NO_COLLATERAL);
    //  Loaded from root.pem like a user would pass --root.
    char path [512];
    dp_quote_root_t *loaded = NULL;
    snprintf (path, sizeof path, "%s/root.pem", s_base);
    cr_assert_eq (dp_quote_root_load (path, &loaded, NULL), DP_OK);
    cr_assert_eq (s_verify (quote, collateral, loaded, NULL, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_SIMULATION_ONLY);
    dp_quote_root_destroy (&loaded);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
}

Test (quote_sim, refused_against_intel_root)
{
    dp_quote_t *quote = s_sim_quote (NULL);
    dp_quote_collateral_t *collateral = s_sim_collateral (NULL, NULL);
    dp_quote_report_t r;
    cr_assert_eq (s_verify (quote, collateral, NULL, NULL, &r), DP_CRYPTO);
    cr_assert_eq (r.status, DP_QUOTE_INVALID);
    cr_assert_not (r.simulation);
    cr_assert_str_eq (r.step, "crl", "%s", r.error);
    cr_assert_eq (s_verify (quote, NULL, NULL, NULL, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "pck_chain", "%s", r.error);
    //  And a real quote is refused against the simulation root.
    dp_quote_t *real = NULL;
    cr_assert_eq (dp_quote_load (DP_SHARED_DIR "/vectors/tdx/dcap-qvl/tdx_quote_v4.bin", &real, NULL), DP_OK);
    cr_assert_eq (dp_quote_verify (real, NULL, s_anchor, 1780000000, NULL, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "pck_chain", "%s", r.error);
    dp_quote_destroy (&real);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
}

//  TD attribute edits (byte 0 = bits 0-7 ... byte 3 = bits 24-31).
static void s_set_debug (uint8_t *q) { q [168] |= 0x01; }
static void s_set_reserved (uint8_t *q) { q [168 + 1] |= 0x01; }
static void s_clear_sept (uint8_t *q) { q [168 + 3] &= (uint8_t) ~0x10; }
static void s_set_pks (uint8_t *q) { q [168 + 3] |= 0x40; }

Test (quote_sim, td_attribute_policy)
{
    dp_quote_collateral_t *collateral = s_sim_collateral (NULL, NULL);
    dp_quote_report_t r;
    dp_quote_t *quote = s_sim_quote (s_set_debug);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "td_attributes");
    cr_assert (strstr (r.error, "DEBUG"), "%s", r.error);
    dp_quote_policy_t allow = { .allow_debug = 1 };
    cr_assert_eq (s_verify (quote, collateral, s_anchor, &allow, &r), DP_OK, "%s", r.error);
    dp_quote_destroy (&quote);

    quote = s_sim_quote (s_set_reserved);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, &allow, &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "reserved"), "%s", r.error);
    dp_quote_destroy (&quote);

    quote = s_sim_quote (s_clear_sept);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "SEPT_VE_DISABLE"), "%s", r.error);
    dp_quote_destroy (&quote);

    quote = s_sim_quote (s_set_pks);        //  PKS is not reserved
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_OK, "%s", r.error);
    dp_quote_destroy (&quote);
    dp_quote_collateral_destroy (&collateral);
}

//  A PCK CRL from the sim PCK CA that lists serial (hex DER of the CRL).
static char *
s_crl_revoking (const ASN1_INTEGER *serial)
{
    char path [512];
    snprintf (path, sizeof path, "%s/private/pck-ca.pem", s_base);
    FILE *file = fopen (path, "r");
    cr_assert (file);
    X509 *ca = PEM_read_X509 (file, NULL, NULL, NULL);
    fclose (file);
    EVP_PKEY *key = s_private_key ("pck-ca.key.pem");
    X509_CRL *crl = X509_CRL_new ();
    X509_CRL_set_version (crl, 1);
    X509_CRL_set_issuer_name (crl, X509_get_subject_name (ca));
    ASN1_TIME *t = ASN1_TIME_set (NULL, (time_t) s_now - 3600);
    X509_CRL_set1_lastUpdate (crl, t);
    ASN1_TIME_set (t, (time_t) s_now + 86400);
    X509_CRL_set1_nextUpdate (crl, t);
    X509_REVOKED *revoked = X509_REVOKED_new ();
    X509_REVOKED_set_serialNumber (revoked, (ASN1_INTEGER *) serial);
    ASN1_TIME_set (t, (time_t) s_now - 60);
    X509_REVOKED_set_revocationDate (revoked, t);
    X509_CRL_add0_revoked (crl, revoked);
    X509_CRL_sort (crl);
    cr_assert (X509_CRL_sign (crl, key, EVP_sha256 ()) > 0);
    uint8_t *der = NULL;
    int len = i2d_X509_CRL (crl, &der);
    char *hex = malloc (2 * (size_t) len + 1);
    dp_hex_encode (der, (size_t) len, hex);
    OPENSSL_free (der);
    ASN1_TIME_free (t);
    X509_CRL_free (crl);
    EVP_PKEY_free (key);
    X509_free (ca);
    return hex;
}

Test (quote_sim, revoked_pck_certificate)
{
    dp_quote_t *quote = s_sim_quote (NULL);
    STACK_OF (X509) *chain = NULL;
    cr_assert_eq (dp_quote_pki_chain_from_pem (quote->cert_data, quote->cert_size, "t", &chain, NULL), DP_OK);
    char *crl = s_crl_revoking (X509_get0_serialNumber (sk_X509_value (chain, 0)));
    dp_quote_collateral_t *collateral = s_sim_collateral ("pck_crl", crl);
    dp_quote_report_t r;
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "pck_chain");
    cr_assert (strstr (r.error, "revoked"), "%s", r.error);
    dp_quote_collateral_destroy (&collateral);
    //  A CRL revoking another serial leaves the quote valid.
    free (crl);
    ASN1_INTEGER *other = ASN1_INTEGER_new ();
    ASN1_INTEGER_set (other, 12345);
    crl = s_crl_revoking (other);
    collateral = s_sim_collateral ("pck_crl", crl);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_OK, "%s", r.error);
    ASN1_INTEGER_free (other);
    free (crl);
    sk_X509_pop_free (chain, X509_free);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
}

//  Verifies the sim quote with a TCB info / QE identity text edited
//  (from → to) and re-signed; returns the status, report filled.
static dp_status
s_with_edit (const char *field, const char *from, const char *to, dp_quote_report_t *r)
{
    char *text = s_sim_field (field);
    char *edited = s_replace (text, from, to);
    dp_quote_collateral_t *collateral = s_sim_collateral (field, edited);
    dp_quote_t *quote = s_sim_quote (NULL);
    dp_status rc = s_verify (quote, collateral, s_anchor, NULL, r);
    dp_quote_destroy (&quote);
    dp_quote_collateral_destroy (&collateral);
    free (edited);
    free (text);
    return rc;
}

Test (quote_sim, tcb_statuses_merge_as_dcap_qvl)
{
    dp_quote_report_t r;
    //  Platform ConfigurationNeeded with an advisory.
    cr_assert_eq (s_with_edit ("tcb_info", "\"tcbStatus\":\"UpToDate\"",
                               "\"tcbStatus\":\"ConfigurationNeeded\",\"advisoryIDs\":[\"INTEL-SA-00001\"]", &r),
                  DP_OK, "%s", r.error);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "ConfigurationNeeded");
    cr_assert_eq (r.tcb.advisory_count, 1);
    cr_assert_str_eq (r.tcb.advisories [0], "INTEL-SA-00001");
    //  QE OutOfDate: the more severe status wins (dcap-qvl; Intel's QVL
    //  would say OutOfDateConfigurationNeeded only with a platform
    //  ConfigurationNeeded).
    char *qe = s_sim_field ("qe_identity");
    cr_assert (strstr (qe, "\"tcbStatus\":\"UpToDate\""), "%s", qe);
    free (qe);
    cr_assert_eq (s_with_edit ("qe_identity", "\"tcbStatus\":\"UpToDate\"",
                               "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00002\"]", &r),
                  DP_OK, "%s", r.error);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "OutOfDate");
    cr_assert_eq (r.qe_status, DP_QUOTE_TCB_OUT_OF_DATE);
    //  Revoked is refused outright.
    cr_assert_eq (s_with_edit ("tcb_info", "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Revoked\"", &r),
                  DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_level");
    cr_assert (strstr (r.error, "Revoked"), "%s", r.error);
}

Test (quote_sim, tcb_level_and_module_refusals)
{
    dp_quote_report_t r;
    //  PCESVN above the platform's: no level matches.
    char want [32];
    snprintf (want, sizeof want, "\"pcesvn\":%d", DP_SIMROOT_PCESVN);
    cr_assert_eq (s_with_edit ("tcb_info", want, "\"pcesvn\":200", &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_level");
    cr_assert_eq (r.tcb.status, DP_QUOTE_TCB_NOT_SUPPORTED);
    //  Another FMSPC.
    cr_assert_eq (s_with_edit ("tcb_info", "\"fmspc\":\"000000000000\"", "\"fmspc\":\"00000000000A\"", &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "FMSPC mismatch"), "%s", r.error);
    //  TDX module identity renamed: TDX_01 is required for major version 1.
    cr_assert_eq (s_with_edit ("tcb_info", "\"TDX_01\"", "\"TDX_07\"", &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tdx_module", "%s", r.error);
}

Test (quote_sim, qe_identity_policy_refusals)
{
    dp_quote_report_t r;
    cr_assert_eq (s_with_edit ("qe_identity", "\"isvprodid\":2", "\"isvprodid\":3", &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "qe_identity_policy");
    cr_assert (strstr (r.error, "ISVPRODID"), "%s", r.error);
    char want [32];
    snprintf (want, sizeof want, "\"isvsvn\":%d", DP_SIMROOT_QE_ISVSVN);
    cr_assert_eq (s_with_edit ("qe_identity", want, "\"isvsvn\":99", &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "below every"), "%s", r.error);
    cr_assert_eq (s_with_edit ("qe_identity", "\"TD_QE\"", "\"QE\"", &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "qe_identity");
    //  Not evaluated, so not reported (it was read unset).
    cr_assert_eq (r.qe_status, DP_QUOTE_TCB_UNKNOWN);
}

//  The QE report data is SHA-256 (attestation key || QE auth data) and 32
//  zero bytes; a nonzero byte in the second half is refused even when the
//  PCK key signed it.
Test (quote_sim, qe_report_data_second_half_must_be_zero)
{
    dp_quote_t *quote = s_sim_quote (NULL);
    size_t at = (size_t) (quote->qe_report.raw - quote->data);
    uint8_t *bytes = malloc (quote->size);
    memcpy (bytes, quote->data, quote->size);
    size_t size = quote->size;
    dp_quote_destroy (&quote);
    bytes [at + 320 + 63] ^= 0x01;              //  report_data is at 320 in a report body
    EVP_PKEY *pck = s_private_key ("pck.key.pem");
    cr_assert_eq (dp_simroot_sign_raw (pck, bytes + at, 384, bytes + at + 384, NULL), DP_OK);
    EVP_PKEY_free (pck);
    dp_error_t err;
    cr_assert_eq (dp_quote_parse (bytes, size, &quote, &err), DP_OK, "%s", err.text);
    dp_quote_collateral_t *collateral = s_sim_collateral (NULL, NULL);
    dp_quote_report_t r;
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "qe_report_data");
    cr_assert (strstr (r.error, "bytes 32-63 of the QE report data are not zero"), "%s", r.error);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
    free (bytes);
}

//  The sim collateral with field's text signed by key_name's key and its
//  issuer chain (chain_field) replaced by chain_pem.
static dp_quote_collateral_t *
s_collateral_signed_by (const char *field, const char *chain_field, const char *chain_pem,
                        const char *key_name, const char *text)
{
    size_t len = 0;
    json_object *doc = json_tokener_parse (dp_simroot_collateral (s_root, &len));
    cr_assert_not_null (doc);
    json_object_object_add (doc, field, json_object_new_string (text));
    json_object_object_add (doc, chain_field, json_object_new_string (chain_pem));
    if (strcmp (field, "pck_crl") != 0) {
        EVP_PKEY *key = s_private_key (key_name);
        uint8_t sig [64];
        char hex [129], name [64];
        cr_assert_eq (dp_simroot_sign_raw (key, text, strlen (text), sig, NULL), DP_OK);
        snprintf (name, sizeof name, "%s_signature", field);
        json_object_object_add (doc, name, json_object_new_string (dp_hex_encode (sig, 64, hex)));
        EVP_PKEY_free (key);
    }
    const char *json = json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
    dp_quote_collateral_t *collateral = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_collateral_from_json (json, strlen (json), &collateral, &err), DP_OK, "%s", err.text);
    json_object_put (doc);
    return collateral;
}

//  A PEM file of the sim PKI, with the root's PEM after it (malloc'd).
static char *
s_chain_pem (const char *const *names)
{
    char *out = strdup ("");
    for (int i = 0; names [i]; i++) {
        char path [512];
        snprintf (path, sizeof path, "%s/private/%s", s_base, names [i]);
        FILE *file = fopen (path, "r");
        cr_assert (file, "%s", path);
        char buffer [8192];
        size_t n = fread (buffer, 1, sizeof buffer - 1, file);
        fclose (file);
        buffer [n] = '\0';
        out = realloc (out, strlen (out) + n + 1);
        strcat (out, buffer);
    }
    const char *root = dp_simroot_root_pem (s_root);
    out = realloc (out, strlen (out) + strlen (root) + 1);
    strcat (out, root);
    return out;
}

//  Every certificate under the root verifies as a chain; only the TCB
//  signing certificate may sign TCB info and QE identity. A PCK key lives
//  on its platform: if it could sign TCB info, whoever extracted it from an
//  out-of-date platform could declare that platform UpToDate.
Test (quote_sim, tcb_info_and_qe_identity_only_from_the_tcb_signing_certificate)
{
    static const char *const pck_chain [] = { "pck.pem", "pck-ca.pem", NULL };
    static const char *const ca_chain [] = { "pck-ca.pem", NULL };
    static const char *const fields [] = { "tcb_info", "qe_identity" };
    char *pck = s_chain_pem (pck_chain), *ca = s_chain_pem (ca_chain);
    dp_quote_t *quote = s_sim_quote (NULL);
    dp_quote_report_t r;
    for (int i = 0; i < 2; i++) {
        char *text = s_sim_field (fields [i]);
        char chain_field [64];
        snprintf (chain_field, sizeof chain_field, "%s_issuer_chain", fields [i]);
        //  Signed by the platform's PCK key, with its real chain.
        dp_quote_collateral_t *collateral = s_collateral_signed_by (fields [i], chain_field, pck,
                                                                    "pck.key.pem", text);
        cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO, "%s", fields [i]);
        cr_assert (strstr (r.error, "is not a TCB signing certificate"), "%s", r.error);
        cr_assert (strstr (r.error, fields [i]) == r.error, "%s", r.error);
        dp_quote_collateral_destroy (&collateral);
        //  Signed by the PCK CA's key, with its real chain.
        collateral = s_collateral_signed_by (fields [i], chain_field, ca, "pck-ca.key.pem", text);
        cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO, "%s", fields [i]);
        cr_assert (strstr (r.error, "is not a TCB signing certificate"), "%s", r.error);
        dp_quote_collateral_destroy (&collateral);
        free (text);
    }
    //  The same collateral signed by the TCB signing key still verifies
    //  (the helper itself is not what refuses).
    static const char *const signer_chain [] = { "tcb-signing.pem", NULL };
    char *signer = s_chain_pem (signer_chain);
    char *text = s_sim_field ("tcb_info");
    dp_quote_collateral_t *collateral = s_collateral_signed_by ("tcb_info", "tcb_info_issuer_chain", signer,
                                                                "tcb-signing.key.pem", text);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_OK, "%s", r.error);
    dp_quote_collateral_destroy (&collateral);
    free (text);
    free (signer);
    free (pck);
    free (ca);
    dp_quote_destroy (&quote);
}

//  The PCK CRL comes from a PCK CA; a CRL "issued" by the TCB signing
//  certificate (which chains to the root) is refused.
Test (quote_sim, pck_crl_only_from_a_pck_ca)
{
    static const char *const signer_chain [] = { "tcb-signing.pem", NULL };
    char *signer = s_chain_pem (signer_chain);
    char *crl = s_sim_field ("pck_crl");
    dp_quote_collateral_t *collateral = s_collateral_signed_by ("pck_crl", "pck_crl_issuer_chain", signer,
                                                                NULL, crl);
    dp_quote_t *quote = s_sim_quote (NULL);
    dp_quote_report_t r;
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "crl: pck_crl_issuer_chain: certificate 0"), "%s", r.error);
    cr_assert (strstr (r.error, "is not a PCK platform or processor CA"), "%s", r.error);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
    free (crl);
    free (signer);
}

//  The roles one by one, on chains that all verify up to the root.
Test (quote_sim, certificate_roles)
{
    struct {
        const char *const names [3];
        dp_quote_role_t role;
        const char *refusal;            //  NULL: accepted
    } cases [] = {
        { { "tcb-signing.pem", NULL }, DP_QUOTE_ROLE_TCB_SIGNER, NULL },
        { { "pck.pem", "pck-ca.pem", NULL }, DP_QUOTE_ROLE_TCB_SIGNER, "is not a TCB signing certificate" },
        { { "pck-ca.pem", NULL }, DP_QUOTE_ROLE_TCB_SIGNER, "is not a TCB signing certificate" },
        { { "pck-ca.pem", NULL }, DP_QUOTE_ROLE_PCK_CA, NULL },
        { { "tcb-signing.pem", NULL }, DP_QUOTE_ROLE_PCK_CA, "is not a PCK platform or processor CA" },
        { { "pck.pem", "pck-ca.pem", NULL }, DP_QUOTE_ROLE_PCK_CA, "is not a PCK platform or processor CA" },
        { { "pck.pem", "pck-ca.pem", NULL }, DP_QUOTE_ROLE_PCK, NULL },
        { { "tcb-signing.pem", NULL }, DP_QUOTE_ROLE_PCK, "is not a PCK certificate" },
        { { "pck-ca.pem", NULL }, DP_QUOTE_ROLE_PCK, "is not a PCK certificate" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *pem = s_chain_pem (cases [i].names);
        STACK_OF (X509) *chain = NULL;
        dp_error_t err;
        cr_assert_eq (dp_quote_pki_chain_from_pem ((const uint8_t *) pem, strlen (pem), "t", &chain, &err),
                      DP_OK, "%s", err.text);
        cr_assert_eq (dp_quote_pki_verify_chain (chain, s_anchor, NULL, s_now, "t", &err), DP_OK,
                      "case %zu: %s", i, err.text);
        dp_status rc = dp_quote_pki_check_role (chain, cases [i].role, s_anchor, "t", &err);
        if (cases [i].refusal) {
            cr_assert_eq (rc, DP_CRYPTO, "case %zu accepted", i);
            cr_assert (strstr (err.text, cases [i].refusal), "case %zu: %s", i, err.text);
        }
        else
            cr_assert_eq (rc, DP_OK, "case %zu: %s", i, err.text);
        sk_X509_pop_free (chain, X509_free);
        free (pem);
    }
}

//  A root CA CRL (hex DER) from the sim root that lists the serial of the
//  certificate in private/NAME.
static char *
s_root_crl_revoking (const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/private/%s", s_base, name);
    FILE *file = fopen (path, "r");
    cr_assert (file, "%s", path);
    X509 *revoked_cert = PEM_read_X509 (file, NULL, NULL, NULL);
    fclose (file);
    const char *pem = dp_simroot_root_pem (s_root);
    BIO *bio = BIO_new_mem_buf (pem, (int) strlen (pem));
    X509 *root = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
    BIO_free (bio);
    cr_assert (revoked_cert && root);
    EVP_PKEY *key = s_private_key ("root.key.pem");
    X509_CRL *crl = X509_CRL_new ();
    X509_CRL_set_version (crl, 1);
    X509_CRL_set_issuer_name (crl, X509_get_subject_name (root));
    ASN1_TIME *t = ASN1_TIME_set (NULL, (time_t) s_now - 3600);
    X509_CRL_set1_lastUpdate (crl, t);
    ASN1_TIME_set (t, (time_t) s_now + 86400);
    X509_CRL_set1_nextUpdate (crl, t);
    X509_REVOKED *revoked = X509_REVOKED_new ();
    X509_REVOKED_set_serialNumber (revoked, (ASN1_INTEGER *) X509_get0_serialNumber (revoked_cert));
    ASN1_TIME_set (t, (time_t) s_now - 60);
    X509_REVOKED_set_revocationDate (revoked, t);
    X509_CRL_add0_revoked (crl, revoked);
    X509_CRL_sort (crl);
    cr_assert (X509_CRL_sign (crl, key, EVP_sha256 ()) > 0);
    uint8_t *der = NULL;
    int len = i2d_X509_CRL (crl, &der);
    char *hex = malloc (2 * (size_t) len + 1);
    dp_hex_encode (der, (size_t) len, hex);
    OPENSSL_free (der);
    ASN1_TIME_free (t);
    X509_CRL_free (crl);
    EVP_PKEY_free (key);
    X509_free (root);
    X509_free (revoked_cert);
    return hex;
}

//  The root's CRL revokes intermediates: the PCK CA (every PCK under it,
//  and the PCK CRL it signs, fall with it) and the TCB signing certificate
//  (the TCB info and QE identity it signed).
Test (quote_sim, intermediates_revoked_by_the_root_crl)
{
    dp_quote_t *quote = s_sim_quote (NULL);
    dp_quote_report_t r;
    char *crl = s_root_crl_revoking ("pck-ca.pem");
    dp_quote_collateral_t *collateral = s_sim_collateral ("root_ca_crl", crl);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "revoked"), "%s", r.error);
    cr_assert (strstr (r.error, "PCK Platform CA"), "%s", r.error);
    dp_quote_collateral_destroy (&collateral);
    free (crl);
    crl = s_root_crl_revoking ("tcb-signing.pem");
    collateral = s_sim_collateral ("root_ca_crl", crl);
    cr_assert_eq (s_verify (quote, collateral, s_anchor, NULL, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_info");
    cr_assert (strstr (r.error, "TCB Signing") && strstr (r.error, "revoked"), "%s", r.error);
    dp_quote_collateral_destroy (&collateral);
    free (crl);
    dp_quote_destroy (&quote);
}
