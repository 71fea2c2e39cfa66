/*  test_quote.c — DCAP quote parsing and verification against the shared
    vectors: every row of SPEC §9's table, every quote without collateral,
    tamper cases, hex/binary input forms, collateral errors, the cache. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_verify.h"

#define VEC DP_SHARED_DIR "/vectors/tdx/"
//  Inside every PCK certificate's validity in the vectors (2026-05-28).
#define NOW_NO_COLLATERAL 1780000000

static uint8_t *
s_read (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    cr_assert (file, "cannot open %s", path);
    fseek (file, 0, SEEK_END);
    long len = ftell (file);
    fseek (file, 0, SEEK_SET);
    uint8_t *data = malloc ((size_t) len + 1);
    cr_assert (fread (data, 1, (size_t) len, file) == (size_t) len);
    fclose (file);
    data [len] = 0;
    *size = (size_t) len;
    return data;
}

static dp_quote_t *
s_quote (const char *name)
{
    dp_quote_t *quote = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_load (name, &quote, &err), DP_OK, "%s: %s", name, err.text);
    return quote;
}

static dp_quote_collateral_t *
s_collateral (const char *name)
{
    dp_quote_collateral_t *collateral = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_collateral_load (name, &collateral, &err), DP_OK, "%s: %s", name, err.text);
    return collateral;
}

//  Verifies and returns the status; report filled.
static dp_status
s_verify (const char *quote_name, const char *collateral_name, int64_t now, dp_quote_report_t *report)
{
    dp_quote_t *quote = s_quote (quote_name);
    dp_quote_collateral_t *collateral = collateral_name? s_collateral (collateral_name): NULL;
    dp_error_t err;
    dp_status rc = dp_quote_verify (quote, collateral, NULL, now, NULL, report, &err);
    if (rc != DP_OK)
        cr_assert_str_eq (err.text, report->error);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
    return rc;
}

//  --- SPEC §9 table -------------------------------------------------------

Test (quote_spec9, tdx_v4_up_to_date)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v4.collateral.json",
                            1752919234, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_VERIFIED);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "UpToDate");
    cr_assert_eq (r.tcb.advisory_count, 0);
}

Test (quote_spec9, sgx_v3_configuration_and_sw_hardening)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/sgx_quote_v3.bin", VEC "dcap-qvl/sgx_quote_v3.collateral.json",
                            1752919277, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_VERIFIED);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "ConfigurationAndSWHardeningNeeded");
    cr_assert_eq (r.tcb.advisory_count, 2);
    cr_assert_str_eq (r.tcb.advisories [0], "INTEL-SA-00289");
    cr_assert_str_eq (r.tcb.advisories [1], "INTEL-SA-00615");
}

Test (quote_spec9, tdx_v4_near_up_to_date)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4_near.hex", VEC "dcap-qvl/tdx_quote_v4_near.collateral.json",
                            1759388630, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_VERIFIED);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "UpToDate");
}

Test (quote_spec9, tdx_v5_td15_not_supported)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v5_td15.bin", VEC "dcap-qvl/tdx_quote_v5_td15.collateral.json",
                            1774003274, &r), DP_CRYPTO);
    cr_assert_eq (r.status, DP_QUOTE_INVALID);
    cr_assert_str_eq (r.step, "tcb_level");
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "NotSupported");
    cr_assert (strstr (r.error, "no matching TCB level"));
}

Test (quote_spec9, gtg_v5_sample_up_to_date)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "go-tdx-guest/quote_v5_sample.dat", VEC "dcap-qvl/tdx_quote_v5_td15.collateral.json",
                            1774003274, &r), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_VERIFIED);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "UpToDate");
}

Test (quote_spec9, fmspc_mismatch)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v5_td15.collateral.json",
                            1774003274, &r), DP_CRYPTO);
    cr_assert_eq (r.status, DP_QUOTE_INVALID);
    cr_assert_str_eq (r.step, "tcb_level");
    cr_assert (strstr (r.error, "FMSPC mismatch"), "%s", r.error);
}

Test (quote_spec9, collateral_expired)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v4.collateral.json",
                            2000000000, &r), DP_CRYPTO);
    cr_assert_eq (r.status, DP_QUOTE_INVALID);
    cr_assert_str_eq (r.step, "tcb_info");
    cr_assert (strstr (r.error, "expired"), "%s", r.error);
}

Test (quote_spec9, same_outcome_without_decode_memo)
{
    dp_quote_pki_set_decode_cache (0);
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/sgx_quote_v3.bin", VEC "dcap-qvl/sgx_quote_v3.collateral.json",
                            1752919277, &r), DP_OK, "%s", r.error);
    cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "ConfigurationAndSWHardeningNeeded");
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v5_td15.collateral.json",
                            1774003274, &r), DP_CRYPTO);
    dp_quote_pki_set_decode_cache (1);
}

//  --- Quotes without collateral -------------------------------------------

static const char *s_no_collateral [] = {
    "dcap-qvl/tdx_quote_v4_0xprefixed.hex", "dcap-qvl/tdx_quote_v4_from_tappd.hex",
    "dstack/simulator_quote.hex", "dstack/guest_agent_fixture_attestation.quote.bin",
    "dstack/ra_tls_assets_tdx_quote.bin", "go-tdx-guest/cos-113-tdx-quote.dat",
    "go-tdx-guest/quote_v5_sample.dat", "dcap-qvl/tdx_quote_v4.bin", "dcap-qvl/sgx_quote_v3.bin",
    "dcap-qvl/tdx_quote_v5_td15.bin", "dcap-qvl/tdx_quote_v4_near.hex"
};

Test (quote_no_collateral, every_vector)
{
    for (size_t i = 0; i < sizeof s_no_collateral / sizeof s_no_collateral [0]; i++) {
        char path [512];
        snprintf (path, sizeof path, VEC "%s", s_no_collateral [i]);
        dp_quote_report_t r;
        cr_assert_eq (s_verify (path, NULL, NOW_NO_COLLATERAL, &r), DP_OK, "%s: %s", path, r.error);
        cr_assert_eq (r.status, DP_QUOTE_NO_COLLATERAL, "%s", path);
        cr_assert_eq (r.tcb.status, DP_QUOTE_TCB_UNKNOWN);
        cr_assert (r.has_pck);
    }
}

Test (quote_no_collateral, spr_e4_refused_by_attribute_policy)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "go-tdx-guest/tdx_prod_quote_SPR_E4.dat", NULL, 1688169600, &r), DP_CRYPTO);
    cr_assert_eq (r.status, DP_QUOTE_INVALID);
    cr_assert_str_eq (r.step, "td_attributes");
    cr_assert (strstr (r.error, "SEPT_VE_DISABLE"));
}

Test (quote_no_collateral, outside_pck_validity)
{
    dp_quote_report_t r;
    //  tdx_quote_v4.bin's PCK leaf is valid from 2025-02-06.
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", NULL, 1735689600, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "pck_chain");
    cr_assert (strstr (r.error, "not yet valid"), "%s", r.error);
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", NULL, 1990000000, &r), DP_CRYPTO);
    cr_assert (strstr (r.error, "expired"), "%s", r.error);
}

//  --- Parsing ----------------------------------------------------------------

Test (quote_parse, layouts)
{
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    cr_assert_eq (q->version, 4);
    cr_assert_eq (q->body_type, DP_QUOTE_BODY_TD10);
    cr_assert_eq (q->signed_size, 632);
    cr_assert_eq (q->size, 4936);
    cr_assert_eq (q->trailing, 70);
    cr_assert_eq (q->report_data - q->data, 568);
    cr_assert_eq (q->cert_type, 5);
    cr_assert_eq (q->qe_auth_size, 32);
    cr_assert_str_eq (dp_quote_tee_name (q), "TDX");
    dp_quote_destroy (&q);
    cr_assert_null (q);

    q = s_quote (VEC "dcap-qvl/tdx_quote_v5_td15.bin");
    cr_assert_eq (q->version, 5);
    cr_assert_eq (q->body_type, DP_QUOTE_BODY_TD15);
    cr_assert_eq (q->signed_size, 702);
    cr_assert_eq (q->report_data - q->data, 574);
    cr_assert_not_null (q->td.mrservicetd);
    dp_quote_destroy (&q);

    q = s_quote (VEC "dcap-qvl/sgx_quote_v3.bin");
    cr_assert_eq (q->body_type, DP_QUOTE_BODY_SGX);
    cr_assert_eq (q->signed_size, 432);
    cr_assert_str_eq ((const char *) q->report_data, "Hello, world!");
    cr_assert_str_eq (dp_quote_tee_name (q), "SGX");
    dp_quote_destroy (&q);

    q = s_quote (VEC "go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
    cr_assert_gt (q->trailing, 0, "text trailer tolerated");
    dp_quote_destroy (&q);
}

Test (quote_parse, hex_forms_match_binary)
{
    size_t size;
    uint8_t *bin = s_read (VEC "dcap-qvl/tdx_quote_v4.bin", &size);
    char *hex = malloc (2 * size + 8);
    dp_hex_encode (bin, size, hex + 2);
    hex [0] = '0';
    hex [1] = 'x';
    const char *forms [] = { hex, hex + 2 };
    for (int i = 0; i < 2; i++) {
        char *text = strdup (forms [i]);
        size_t len = strlen (text);
        text = realloc (text, len + 2);
        strcpy (text + len, "\n");
        dp_quote_t *q = NULL;
        cr_assert_eq (dp_quote_parse ((uint8_t *) text, len + 1, &q, NULL), DP_OK);
        cr_assert_eq (q->size, 4936);
        cr_assert_arr_eq (q->data, bin, q->size);
        dp_quote_destroy (&q);
        free (text);
    }
    //  Upper-case digits are hex too.
    for (char *c = hex; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char) (*c - 32);
    dp_quote_t *q = NULL;
    cr_assert_eq (dp_quote_parse ((uint8_t *) hex + 2, strlen (hex + 2), &q, NULL), DP_OK);
    dp_quote_destroy (&q);
    //  Odd number of digits: not hex, and not a quote either.
    dp_error_t err;
    cr_assert_eq (dp_quote_parse ((uint8_t *) hex + 3, strlen (hex + 3), &q, &err), DP_INVALID);
    cr_assert_null (q);
    free (hex);
    free (bin);
}

Test (quote_parse, every_truncation_refused)
{
    size_t size;
    uint8_t *bin = s_read (VEC "dcap-qvl/tdx_quote_v4.bin", &size);
    for (size_t len = 0; len < 4936; len++) {
        dp_quote_t *q = NULL;
        dp_error_t err;
        cr_assert_eq (dp_quote_parse (bin, len, &q, &err), DP_INVALID, "length %zu", len);
        cr_assert_null (q);
        cr_assert (strncmp (err.text, "quote: ", 7) == 0, "%s", err.text);
    }
    free (bin);
}

static void
s_put32 (uint8_t *p, uint32_t v)
{
    p [0] = (uint8_t) v;
    p [1] = (uint8_t) (v >> 8);
    p [2] = (uint8_t) (v >> 16);
    p [3] = (uint8_t) (v >> 24);
}

Test (quote_parse, bad_lengths_and_kinds)
{
    size_t size;
    uint8_t *bin = s_read (VEC "dcap-qvl/tdx_quote_v4.bin", &size);
    dp_quote_t *q = NULL;
    dp_error_t err;
    uint8_t *copy = malloc (size);

    memcpy (copy, bin, size);
    s_put32 (copy + 632, 0xfffffff0u);
    cr_assert_eq (dp_quote_parse (copy, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "sig_data_len"), "%s", err.text);

    memcpy (copy, bin, size);
    s_put32 (copy + 766, 5000);     //  type-6 block larger than the signature data
    cr_assert_eq (dp_quote_parse (copy, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "QE report certification data"), "%s", err.text);

    memcpy (copy, bin, size);
    s_put32 (copy + 1254, 4000);    //  PEM block larger than the type-6 block
    cr_assert_eq (dp_quote_parse (copy, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "certification data"), "%s", err.text);

    memcpy (copy, bin, size);
    copy [764] = 5;                 //  outer certification type must be 6
    cr_assert_eq (dp_quote_parse (copy, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "is not 6"), "%s", err.text);

    memcpy (copy, bin, size);
    copy [0] = 9;
    cr_assert_eq (dp_quote_parse (copy, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "version 9"), "%s", err.text);

    memcpy (copy, bin, size);
    copy [4] = 0x42;
    cr_assert_eq (dp_quote_parse (copy, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "tee_type"), "%s", err.text);
    free (copy);
    free (bin);

    bin = s_read (VEC "dcap-qvl/tdx_quote_v5_td15.bin", &size);
    bin [50] = 0x49;                //  body size 584 + 1 for type 3
    cr_assert_eq (dp_quote_parse (bin, size, &q, &err), DP_INVALID);
    cr_assert (strstr (err.text, "body size"), "%s", err.text);
    bin [50] = 0x88;
    bin [48] = 1;                   //  SGX body in a TDX quote
    cr_assert_eq (dp_quote_parse (bin, size, &q, &err), DP_INVALID);
    free (bin);

    uint8_t *huge = calloc (1, DP_QUOTE_MAX_SIZE + 1);
    huge [0] = 4;
    cr_assert_eq (dp_quote_parse (huge, DP_QUOTE_MAX_SIZE + 1, &q, &err), DP_LIMIT);
    free (huge);
    cr_assert_eq (dp_quote_load ("/nonexistent/quote", &q, &err), DP_IO);
}

//  --- Tamper cases -------------------------------------------------------------

//  Verifies bytes as a quote (no collateral); returns the failed step or
//  "parse" if it does not even parse, "" if it verified.
static const char *
s_step_of (const uint8_t *bytes, size_t size, dp_quote_report_t *r)
{
    dp_quote_t *q = NULL;
    if (dp_quote_parse (bytes, size, &q, NULL) != DP_OK)
        return "parse";
    dp_status rc = dp_quote_verify (q, NULL, NULL, NOW_NO_COLLATERAL, NULL, r, NULL);
    dp_quote_destroy (&q);
    return rc == DP_OK? "": r->step;
}

static void
s_flip_range (const char *name, size_t from, size_t to, const char *want)
{
    size_t size;
    uint8_t *bin = s_read (name, &size);
    dp_quote_report_t r;
    cr_assert_str_eq (s_step_of (bin, size, &r), "", "untouched %s verifies", name);
    for (size_t i = from; i < to; i++) {
        bin [i] ^= 0x01;
        const char *step = s_step_of (bin, size, &r);
        bin [i] ^= 0x01;
        if (want)
            cr_assert_str_eq (step, want, "%s byte %zu: %s", name, i, r.error);
        else
            cr_assert_str_neq (step, "", "%s byte %zu accepted", name, i);
    }
    free (bin);
}

Test (quote_tamper, every_signed_byte_v4)
{
    //  Header bytes may fail earlier (parse, header); body bytes fail the
    //  quote signature.
    s_flip_range (VEC "dcap-qvl/tdx_quote_v4.bin", 0, 48, NULL);
    s_flip_range (VEC "dcap-qvl/tdx_quote_v4.bin", 48, 632, "quote_signature");
}

Test (quote_tamper, every_signed_byte_v5_and_sgx)
{
    s_flip_range (VEC "dcap-qvl/tdx_quote_v5_td15.bin", 0, 54, NULL);
    s_flip_range (VEC "dcap-qvl/tdx_quote_v5_td15.bin", 54, 702, "quote_signature");
    s_flip_range (VEC "dcap-qvl/sgx_quote_v3.bin", 48, 432, "quote_signature");
}

Test (quote_tamper, signature_data_regions)
{
    const char *q = VEC "dcap-qvl/tdx_quote_v4.bin";
    s_flip_range (q, 636, 700, "quote_signature");          //  r‖s
    s_flip_range (q, 700, 764, "qe_report_data");           //  attestation key
    s_flip_range (q, 770, 1154, "qe_report_signature");     //  QE report
    s_flip_range (q, 1154, 1218, "qe_report_signature");    //  its signature
    s_flip_range (q, 1220, 1252, "qe_report_data");         //  QE auth data
    //  PEM chain: base64 bit flips break parsing or a signature.
    s_flip_range (q, 1300, 1310, "pck_chain");
}

//  Replaces the PEM chain of a v4 quote (lengths fixed up).
static uint8_t *
s_splice_chain (const dp_quote_t *q, const uint8_t *pem, size_t pem_len, size_t *size)
{
    size_t head = (size_t) (q->cert_data - q->data);
    *size = head + pem_len;
    uint8_t *out = malloc (*size);
    memcpy (out, q->data, head);
    memcpy (out + head, pem, pem_len);
    size_t sig_start = q->signed_size + 4;
    s_put32 (out + q->signed_size, (uint32_t) (*size - sig_start));
    s_put32 (out + sig_start + 130, (uint32_t) (*size - (sig_start + 134)));
    s_put32 (out + head - 4, (uint32_t) pem_len);
    return out;
}

Test (quote_tamper, swapped_pck_chain)
{
    dp_quote_t *victim = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    dp_quote_t *donor = s_quote (VEC "dcap-qvl/tdx_quote_v4_from_tappd.hex");
    size_t size;
    uint8_t *spliced = s_splice_chain (victim, donor->cert_data, donor->cert_size, &size);
    dp_quote_report_t r;
    cr_assert_str_eq (s_step_of (spliced, size, &r), "qe_report_signature", "%s", r.error);
    free (spliced);
    //  The same chain spliced back verifies: the splice itself is sound.
    spliced = s_splice_chain (victim, victim->cert_data, victim->cert_size, &size);
    cr_assert_str_eq (s_step_of (spliced, size, &r), "", "%s", r.error);
    //  A chain without the intermediate does not reach the root.
    const char *second = strstr ((const char *) victim->cert_data + 10, "-----BEGIN");
    const char *third = strstr (second + 10, "-----BEGIN");
    size_t leaf_len = (size_t) (second - (const char *) victim->cert_data);
    size_t root_len = victim->cert_size - (size_t) (third - (const char *) victim->cert_data);
    uint8_t *pem = malloc (leaf_len + root_len);
    memcpy (pem, victim->cert_data, leaf_len);
    memcpy (pem + leaf_len, third, root_len);
    free (spliced);
    spliced = s_splice_chain (victim, pem, leaf_len + root_len, &size);
    cr_assert_str_eq (s_step_of (spliced, size, &r), "pck_chain", "%s", r.error);
    cr_assert (strstr (r.error, "does not chain to the trusted root"), "%s", r.error);
    free (pem);
    free (spliced);
    dp_quote_destroy (&victim);
    dp_quote_destroy (&donor);
}

Test (quote_tamper, header_fields)
{
    size_t size;
    uint8_t *bin = s_read (VEC "dcap-qvl/tdx_quote_v4.bin", &size);
    dp_quote_report_t r;
    bin [2] = 3;                    //  P-384 key type
    cr_assert_str_eq (s_step_of (bin, size, &r), "header");
    bin [2] = 2;
    bin [12] ^= 1;                  //  vendor ID
    cr_assert_str_eq (s_step_of (bin, size, &r), "header");
    free (bin);
}

//  --- Collateral tampering ---------------------------------------------------

//  The v4 collateral with one field replaced by value (a string).
static dp_status
s_tampered_collateral (const char *field, const char *value, dp_quote_report_t *r, dp_error_t *err)
{
    size_t size;
    char *text = (char *) s_read (VEC "dcap-qvl/tdx_quote_v4.collateral.json", &size);
    json_object *obj = json_tokener_parse (text);
    free (text);
    if (value)
        json_object_object_add (obj, field, json_object_new_string (value));
    else
        json_object_object_del (obj, field);
    const char *json = json_object_to_json_string (obj);
    dp_quote_collateral_t *collateral = NULL;
    dp_status rc = dp_quote_collateral_from_json (json, strlen (json), &collateral, err);
    json_object_put (obj);
    if (rc != DP_OK)
        return rc;
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    rc = dp_quote_verify (q, collateral, NULL, 1752919234, NULL, r, err);
    dp_quote_destroy (&q);
    dp_quote_collateral_destroy (&collateral);
    return rc;
}

//  A field of the v4 collateral (malloc'd copy).
static char *
s_field_of (const char *field)
{
    size_t size;
    char *text = (char *) s_read (VEC "dcap-qvl/tdx_quote_v4.collateral.json", &size);
    json_object *obj = json_tokener_parse (text);
    free (text);
    json_object *value = NULL;
    json_object_object_get_ex (obj, field, &value);
    char *copy = strdup (json_object_get_string (value));
    json_object_put (obj);
    return copy;
}

Test (quote_collateral, broken_signatures)
{
    dp_quote_report_t r;
    dp_error_t err;
    char *tcb = s_field_of ("tcb_info");
    char *at = strstr (tcb, "\"tcbEvaluationDataNumber\":17");
    cr_assert (at);
    at [strlen ("\"tcbEvaluationDataNumber\":1")] = '8';
    cr_assert_eq (s_tampered_collateral ("tcb_info", tcb, &r, &err), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_info");
    cr_assert (strstr (r.error, "signature"), "%s", r.error);
    free (tcb);

    char *sig = s_field_of ("qe_identity_signature");
    sig [10] = sig [10] == '0'? '1': '0';
    cr_assert_eq (s_tampered_collateral ("qe_identity_signature", sig, &r, &err), DP_CRYPTO);
    cr_assert_str_eq (r.step, "qe_identity");
    free (sig);

    //  TCB info signed by the PCK CA instead of the TCB signing key.
    char *chain = s_field_of ("pck_crl_issuer_chain");
    cr_assert_eq (s_tampered_collateral ("tcb_info_issuer_chain", chain, &r, &err), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_info");
    free (chain);

    //  Root CA CRL swapped for the PCK CRL: wrong issuer.
    char *crl = s_field_of ("pck_crl");
    cr_assert_eq (s_tampered_collateral ("root_ca_crl", crl, &r, &err), DP_CRYPTO);
    cr_assert_str_eq (r.step, "crl");
    free (crl);
}

Test (quote_collateral, malformed_fields_named)
{
    dp_quote_report_t r;
    dp_error_t err;
    cr_assert_eq (s_tampered_collateral ("pck_crl", NULL, &r, &err), DP_INVALID);
    cr_assert (strstr (err.text, "collateral.pck_crl: missing"), "%s", err.text);
    cr_assert_eq (s_tampered_collateral ("tcb_info_signature", "abcd", &r, &err), DP_INVALID);
    cr_assert (strstr (err.text, "tcb_info_signature"), "%s", err.text);
    cr_assert_eq (s_tampered_collateral ("tcb_info", "{\"id\":\"TDX\"}", &r, &err), DP_INVALID);
    cr_assert (strstr (err.text, "tcb_info."), "%s", err.text);
    cr_assert_eq (s_tampered_collateral ("qe_identity", "[1,2]", &r, &err), DP_INVALID);
    cr_assert_eq (s_tampered_collateral ("tcb_info_issuer_chain", "no pem here", &r, &err), DP_INVALID);
    cr_assert (strstr (err.text, "no PEM certificate"), "%s", err.text);
    cr_assert_eq (s_tampered_collateral ("root_ca_crl", "3030", &r, &err), DP_INVALID);
    cr_assert (strstr (err.text, "root_ca_crl"), "%s", err.text);
    dp_quote_collateral_t *c = NULL;
    cr_assert_eq (dp_quote_collateral_from_json ("[]", 2, &c, &err), DP_INVALID);
    cr_assert_eq (dp_quote_collateral_load ("/nonexistent", &c, &err), DP_IO);
}

Test (quote_collateral, windows)
{
    dp_quote_report_t r;
    //  Before the TCB info was issued.
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v4.collateral.json",
                            1750000000, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_info");
    cr_assert (strstr (r.error, "future"), "%s", r.error);
    //  After the PCK CRL's nextUpdate but inside the TCB info's window:
    //  the CRL window closes 10:00:35, the TCB info's 10:16:03.
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v4.collateral.json",
                            1752919300, &r), DP_CRYPTO);
    cr_assert_str_eq (r.step, "crl", "%s", r.error);
}

Test (quote_collateral, cache_respects_window_and_root)
{
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    dp_quote_collateral_t *c = s_collateral (VEC "dcap-qvl/tdx_quote_v4.collateral.json");
    dp_quote_collateral_set_cache (c, 1);
    dp_quote_report_t r;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919234, NULL, &r, NULL), DP_OK, "%s", r.error);
        cr_assert_eq (r.status, DP_QUOTE_VERIFIED);
        cr_assert_str_eq (dp_quote_tcb_status_name (r.tcb.status), "UpToDate");
    }
    cr_assert_eq (dp_quote_verify (q, c, NULL, 2000000000, NULL, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "tcb_info");
    //  A cached PCK chain does not rescue a tampered quote.
    dp_quote_t *bad = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    bad->data [100] ^= 1;
    cr_assert_eq (dp_quote_verify (bad, c, NULL, 1752919234, NULL, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "quote_signature");
    dp_quote_collateral_set_cache (c, 0);
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919234, NULL, &r, NULL), DP_OK);
    dp_quote_destroy (&bad);
    dp_quote_destroy (&q);
    dp_quote_collateral_destroy (&c);
}

//  --- Roots --------------------------------------------------------------------

#include <openssl/pem.h>
#include <openssl/x509v3.h>

//  A self-signed P-256 CA carrying the Intel root's subject but another key
//  (what Intel's own sample data ships). PEM text, malloc'd.
static char *
s_fake_intel_root (void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
    X509 *cert = X509_new ();
    X509_set_version (cert, 2);
    ASN1_INTEGER_set (X509_get_serialNumber (cert), 7);
    X509_gmtime_adj (X509_getm_notBefore (cert), -86400L * 365 * 10);
    X509_gmtime_adj (X509_getm_notAfter (cert), 86400L * 365 * 20);
    X509_NAME *name = X509_get_subject_name (cert);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *) "Intel SGX Root CA", -1, -1, 0);
    X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC, (const unsigned char *) "Intel Corporation", -1, -1, 0);
    X509_NAME_add_entry_by_txt (name, "L", MBSTRING_ASC, (const unsigned char *) "Santa Clara", -1, -1, 0);
    X509_NAME_add_entry_by_txt (name, "ST", MBSTRING_ASC, (const unsigned char *) "CA", -1, -1, 0);
    X509_NAME_add_entry_by_txt (name, "C", MBSTRING_ASC, (const unsigned char *) "US", -1, -1, 0);
    X509_set_issuer_name (cert, name);
    X509_set_pubkey (cert, key);
    X509V3_CTX ctx;
    X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
    X509_add_ext (cert, ext, -1);
    X509_EXTENSION_free (ext);
    X509_sign (cert, key, EVP_sha256 ());
    BIO *bio = BIO_new (BIO_s_mem ());
    PEM_write_bio_X509 (bio, cert);
    char *data;
    long len = BIO_get_mem_data (bio, &data);
    char *pem = strndup (data, (size_t) len);
    BIO_free (bio);
    X509_free (cert);
    EVP_PKEY_free (key);
    return pem;
}

Test (quote_root, pinned_by_key_not_name)
{
    dp_quote_root_t *root = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_root_load (VEC "intel-root/Intel_SGX_Root_CA.pem", &root, &err), DP_OK, "%s", err.text);
    cr_assert (dp_quote_root_is_intel (root));
    uint8_t digest [32];
    char hex [65];
    dp_quote_root_sha256 (root, digest);
    cr_assert_str_eq (dp_hex_encode (digest, 32, hex),
                      "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
    dp_quote_root_destroy (&root);
    cr_assert_null (root);

    char *fake = s_fake_intel_root ();
    cr_assert_eq (dp_quote_root_from_pem (fake, strlen (fake), &root, &err), DP_OK, "%s", err.text);
    cr_assert_not (dp_quote_root_is_intel (root));
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    dp_quote_collateral_t *c = s_collateral (VEC "dcap-qvl/tdx_quote_v4.collateral.json");
    dp_quote_report_t r;
    cr_assert_eq (dp_quote_verify (q, NULL, root, NOW_NO_COLLATERAL, NULL, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "pck_chain", "%s", r.error);
    cr_assert_eq (dp_quote_verify (q, c, root, 1752919234, NULL, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "crl", "%s", r.error);
    cr_assert (r.simulation);
    dp_quote_collateral_destroy (&c);
    dp_quote_destroy (&q);
    dp_quote_root_destroy (&root);
    free (fake);
}

Test (quote_root, refuses_non_roots)
{
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    dp_quote_root_t *root = NULL;
    dp_error_t err;
    //  The PCK leaf is not self-signed.
    cr_assert_eq (dp_quote_root_from_pem ((const char *) q->cert_data, q->cert_size, &root, &err), DP_INVALID);
    cr_assert (strstr (err.text, "not self-signed"), "%s", err.text);
    cr_assert_eq (dp_quote_root_from_pem ("junk", 4, &root, &err), DP_INVALID);
    cr_assert_eq (dp_quote_root_load ("/nonexistent.pem", &root, &err), DP_IO);
    cr_assert_null (root);
    dp_quote_destroy (&q);
}

//  --- Policy -----------------------------------------------------------------

Test (quote_policy, statuses_measurements_report_data)
{
    dp_quote_t *q = s_quote (VEC "dcap-qvl/sgx_quote_v3.bin");
    dp_quote_collateral_t *c = s_collateral (VEC "dcap-qvl/sgx_quote_v3.collateral.json");
    dp_quote_report_t r;
    const char *only_up_to_date [] = { "UpToDate" };
    dp_quote_policy_t policy = { .tcb_statuses = only_up_to_date, .tcb_status_count = 1 };
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919277, &policy, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "policy");
    cr_assert (strstr (r.error, "ConfigurationAndSWHardeningNeeded"), "%s", r.error);
    const char *both [] = { "UpToDate", "ConfigurationAndSWHardeningNeeded" };
    policy.tcb_statuses = both;
    policy.tcb_status_count = 2;
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919277, &policy, &r, NULL), DP_OK, "%s", r.error);
    dp_quote_collateral_destroy (&c);
    dp_quote_destroy (&q);

    q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    uint8_t mrtd [48], other [48];
    memcpy (mrtd, q->td.mrtd, 48);
    memset (other, 0x5a, 48);
    dp_quote_measurement_t allowed [2] = { { other, { NULL } }, { mrtd, { NULL, NULL, NULL, q->td.rtmr [3] } } };
    dp_quote_policy_t measure = { .measurements = allowed, .measurement_count = 2,
                                  .report_data = q->report_data };
    cr_assert_eq (dp_quote_verify (q, NULL, NULL, NOW_NO_COLLATERAL, &measure, &r, NULL), DP_OK, "%s", r.error);
    measure.measurement_count = 1;
    cr_assert_eq (dp_quote_verify (q, NULL, NULL, NOW_NO_COLLATERAL, &measure, &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "policy");
    measure.measurement_count = 2;
    uint8_t expected [64];
    memset (expected, 0, 64);
    measure.report_data = expected;
    cr_assert_eq (dp_quote_verify (q, NULL, NULL, NOW_NO_COLLATERAL, &measure, &r, NULL), DP_CRYPTO);
    cr_assert (strstr (r.error, "report data"), "%s", r.error);
    dp_quote_destroy (&q);
}

//  --- JSON ---------------------------------------------------------------------

Test (quote_json, seed_fields_and_measurements)
{
    dp_quote_report_t r;
    cr_assert_eq (s_verify (VEC "dcap-qvl/tdx_quote_v4.bin", VEC "dcap-qvl/tdx_quote_v4.collateral.json",
                            1752919234, &r), DP_OK);
    json_object *j = dp_quote_report_to_json (&r);
    json_object *v;
    const char *expect [][2] = {
        { "mode", "hardware" }, { "verification_status", "verified" }, { "tee_type", "TDX" },
        { "qe_vendor_id", "939a7233f79c4ca9940a0db3957f0607" },
        { "mrtd", "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7" },
        { "deal_terms_hash", "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9" },
        { "td_attributes", "0000001000000000" }, { "xfam", "e702060000000000" }, { "tcb_status", "UpToDate" },
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect [0]; i++) {
        cr_assert (json_object_object_get_ex (j, expect [i][0], &v), "%s", expect [i][0]);
        cr_assert_str_eq (json_object_get_string (v), expect [i][1]);
    }
    const char *present [] = { "version", "report_data_hex", "error", "simulation_only", "rtmr0", "rtmr1",
                               "rtmr2", "rtmr3", "mrconfigid", "mrowner", "mrownerconfig", "advisory_ids",
                               "collateral", "platform", "failed_step" };
    for (size_t i = 0; i < sizeof present / sizeof present [0]; i++)
        cr_assert (json_object_object_get_ex (j, present [i], &v), "%s", present [i]);
    json_object_object_get_ex (j, "simulation_only", &v);
    cr_assert_not (json_object_get_boolean (v));
    cr_assert (json_object_object_get_ex (j, "td_attributes_flags", &v));
    cr_assert_eq (json_object_array_length (v), 1);
    cr_assert_str_eq (json_object_get_string (json_object_array_get_idx (v, 0)), "SEPT_VE_DISABLE");
    json_object_object_get_ex (j, "collateral", &v);
    json_object *date;
    cr_assert (json_object_object_get_ex (v, "tcb_info_next_update", &date));
    cr_assert_str_eq (json_object_get_string (date), "2025-07-19T10:16:03Z");
    json_object_put (j);

    cr_assert_eq (s_verify (VEC "go-tdx-guest/tdx_prod_quote_SPR_E4.dat", NULL, 1688169600, &r), DP_CRYPTO);
    j = dp_quote_report_to_json (&r);
    json_object_object_get_ex (j, "verification_status", &v);
    cr_assert_str_eq (json_object_get_string (v), "invalid_quote");
    json_object_object_get_ex (j, "error", &v);
    cr_assert (strstr (json_object_get_string (v), "SEPT_VE_DISABLE"));
    json_object_object_get_ex (j, "tcb_status", &v);
    cr_assert_null (v);
    json_object_put (j);
}

Test (quote_collateral, byte_arrays_as_dcap_qvl_js_writes_them)
{
    size_t size;
    char *text = (char *) s_read (VEC "dcap-qvl/tdx_quote_v4.collateral.json", &size);
    json_object *obj = json_tokener_parse (text);
    free (text);
    const char *fields [] = { "root_ca_crl", "pck_crl", "tcb_info_signature", "qe_identity_signature" };
    for (size_t f = 0; f < 4; f++) {
        json_object *hex = NULL;
        json_object_object_get_ex (obj, fields [f], &hex);
        size_t n = (size_t) json_object_get_string_len (hex) / 2;
        uint8_t *bytes = malloc (n);
        cr_assert_eq (dp_hex_decode (json_object_get_string (hex), 2 * n, bytes, n, NULL), DP_OK);
        json_object *array = json_object_new_array ();
        for (size_t i = 0; i < n; i++)
            json_object_array_add (array, json_object_new_int (bytes [i]));
        json_object_object_add (obj, fields [f], array);
        free (bytes);
    }
    json_object_object_add (obj, "pck_certificate_chain", NULL);
    const char *json = json_object_to_json_string (obj);
    dp_quote_collateral_t *c = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_collateral_from_json (json, strlen (json), &c, &err), DP_OK, "%s", err.text);
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    dp_quote_report_t r;
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919234, NULL, &r, NULL), DP_OK, "%s", r.error);
    cr_assert_eq (r.status, DP_QUOTE_VERIFIED);
    json_object_put (obj);
    dp_quote_destroy (&q);
    dp_quote_collateral_destroy (&c);
}

//  --- Policy documents ------------------------------------------------------------

#include "dp_quote_policy.h"

Test (quote_policy, from_json)
{
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    char mrtd [97], rtmr3 [97], text [1024];
    dp_hex_encode (q->td.mrtd, 48, mrtd);
    dp_hex_encode (q->td.rtmr [3], 48, rtmr3);
    snprintf (text, sizeof text,
              "{\"tcb_statuses\":[\"UpToDate\"],\"allow_debug\":false,"
              "\"measurements\":[{\"mrtd\":\"%s\",\"rtmr3\":\"%s\"}]}", mrtd, rtmr3);
    dp_quote_policy_doc_t *doc = NULL;
    dp_error_t err;
    cr_assert_eq (dp_quote_policy_parse (text, strlen (text), &doc, &err), DP_OK, "%s", err.text);
    dp_quote_collateral_t *c = s_collateral (VEC "dcap-qvl/tdx_quote_v4.collateral.json");
    dp_quote_report_t r;
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919234, dp_quote_policy_get (doc), &r, NULL), DP_OK, "%s", r.error);
    dp_quote_policy_destroy (&doc);
    cr_assert_null (doc);

    rtmr3 [0] = rtmr3 [0] == '0'? '1': '0';
    snprintf (text, sizeof text, "{\"measurements\":[{\"mrtd\":\"%s\",\"rtmr3\":\"%s\"}]}", mrtd, rtmr3);
    cr_assert_eq (dp_quote_policy_parse (text, strlen (text), &doc, &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1752919234, dp_quote_policy_get (doc), &r, NULL), DP_CRYPTO);
    cr_assert_str_eq (r.step, "policy");
    dp_quote_policy_destroy (&doc);

    const char *bad [][2] = {
        { "{\"tcb_status\":[]}", "policy.tcb_status: unknown key" },
        { "{\"tcb_statuses\":[\"Revoked\"]}", "is not an acceptable TCB status" },
        { "{\"measurements\":[{\"rtmr0\":\"00\"}]}", "rtmr0: expected 96 hex digits" },
        { "{\"measurements\":[{\"rtmr1\":\"" "\"}]}", "rtmr1" },
        { "{\"measurements\":[{}]}", "mrtd: missing" },
        { "{\"allow_debug\":1}", "policy.allow_debug: not true or false" },
        { "[]", "policy: not a JSON object" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        cr_assert_eq (dp_quote_policy_parse (bad [i][0], strlen (bad [i][0]), &doc, &err), DP_INVALID, "%s", bad [i][0]);
        cr_assert (strstr (err.text, bad [i][1]), "%s: %s", bad [i][0], err.text);
    }
    cr_assert_eq (dp_quote_policy_load ("/nonexistent.json", &doc, &err), DP_IO);
    dp_quote_collateral_destroy (&c);
    dp_quote_destroy (&q);
}

Test (quote_collateral, folder_lookup_by_fmspc)
{
    dp_quote_collateral_t *c = NULL;
    dp_error_t err;
    dp_quote_t *q = s_quote (VEC "go-tdx-guest/quote_v5_sample.dat");
    cr_assert_eq (dp_quote_collateral_load_for (VEC "dcap-qvl", q, &c, &err), DP_OK, "%s", err.text);
    dp_quote_report_t r;
    cr_assert_eq (dp_quote_verify (q, c, NULL, 1774003274, NULL, &r, NULL), DP_OK, "%s", r.error);
    dp_quote_collateral_destroy (&c);
    dp_quote_destroy (&q);

    q = s_quote (VEC "dcap-qvl/sgx_quote_v3.bin");
    cr_assert_eq (dp_quote_collateral_load_for (VEC "dcap-qvl", q, &c, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (c->tcb_info->id, "SGX");
    dp_quote_collateral_destroy (&c);
    dp_quote_destroy (&q);

    q = s_quote (VEC "go-tdx-guest/cos-113-tdx-quote.dat");    //  FMSPC 00806f050000: none stored
    cr_assert_eq (dp_quote_collateral_load_for (VEC "dcap-qvl", q, &c, &err), DP_NOTFOUND);
    cr_assert (strstr (err.text, "00806f050000"), "%s", err.text);
    //  A file is loaded whatever it holds.
    cr_assert_eq (dp_quote_collateral_load_for (VEC "dcap-qvl/tdx_quote_v4.collateral.json", q, &c, &err), DP_OK);
    dp_quote_collateral_destroy (&c);
    cr_assert_eq (dp_quote_collateral_load_for ("/nonexistent", q, &c, &err), DP_IO);
    dp_quote_destroy (&q);
}

//  --- Threads -------------------------------------------------------------------

#include <pthread.h>

typedef struct {
    dp_quote_t *quote;
    dp_quote_collateral_t *collateral;
    int verified;
} s_worker_t;

static void *
s_worker (void *arg)
{
    s_worker_t *w = arg;
    for (int i = 0; i < 15; i++) {
        dp_quote_report_t r;
        if (dp_quote_verify (w->quote, w->collateral, NULL, 1752919234, NULL, &r, NULL) == DP_OK
        &&  r.status == DP_QUOTE_VERIFIED && r.tcb.status == DP_QUOTE_TCB_UP_TO_DATE)
            w->verified++;
    }
    return NULL;
}

Test (quote_threads, shared_quote_collateral_and_caches)
{
    dp_quote_t *q = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    dp_quote_collateral_t *c = s_collateral (VEC "dcap-qvl/tdx_quote_v4.collateral.json");
    dp_quote_collateral_set_cache (c, 1);
    pthread_t threads [4];
    s_worker_t workers [4];
    for (int i = 0; i < 4; i++) {
        workers [i] = (s_worker_t) { q, c, 0 };
        cr_assert_eq (pthread_create (&threads [i], NULL, s_worker, &workers [i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join (threads [i], NULL);
        cr_assert_eq (workers [i].verified, 15, "thread %d", i);
    }
    dp_quote_collateral_destroy (&c);
    dp_quote_destroy (&q);
}

Test (quote_json, unparseable_bytes_are_invalid_quote)
{
    dp_quote_report_t r;
    dp_error_t err;
    const uint8_t junk [] = "0x0400020081";
    cr_assert_eq (dp_quote_verify_bytes (junk, sizeof junk - 1, NULL, NULL, NOW_NO_COLLATERAL, NULL, &r, &err),
                  DP_INVALID);
    cr_assert_eq (r.status, DP_QUOTE_INVALID);
    cr_assert_str_eq (r.step, "parse");
    cr_assert (strncmp (r.error, "parse: quote: ", 14) == 0, "%s", r.error);
    json_object *j = dp_quote_report_to_json (&r);
    json_object *v;
    json_object_object_get_ex (j, "verification_status", &v);
    cr_assert_str_eq (json_object_get_string (v), "invalid_quote");
    cr_assert_not (json_object_object_get_ex (j, "mrtd", &v), "no quote fields when nothing parsed");
    json_object_put (j);

    size_t size;
    uint8_t *bin = s_read (VEC "dcap-qvl/tdx_quote_v4_0xprefixed.hex", &size);
    cr_assert_eq (dp_quote_verify_bytes (bin, size, NULL, NULL, NOW_NO_COLLATERAL, NULL, &r, &err), DP_OK, "%s", err.text);
    cr_assert_eq (r.status, DP_QUOTE_NO_COLLATERAL);
    free (bin);
}

//  PEM for DER bytes that may not even parse (so not PEM_write_X509).
static size_t
s_pem_of (const uint8_t *der, size_t len, char *out)
{
    size_t at = (size_t) sprintf (out, "-----BEGIN CERTIFICATE-----\n");
    for (size_t i = 0; i < len; i += 48) {
        size_t n = len - i < 48? len - i: 48;
        at += (size_t) EVP_EncodeBlock ((unsigned char *) out + at, der + i, (int) n);
        out [at++] = '\n';
    }
    return at + (size_t) sprintf (out + at, "-----END CERTIFICATE-----\n");
}

//  Every byte of the DER of the PCK leaf and of the PCK CA, flipped one at
//  a time, is refused (the chain carried in the quote is not covered by the
//  quote's signature: only the certificates' own signatures protect it).
//  The root's copy in the chain is ignored (the pinned root is used), so
//  it is not flipped.
Test (quote_tamper, every_der_byte_of_the_pck_chain, .timeout = 120)
{
    dp_quote_t *victim = s_quote (VEC "dcap-qvl/tdx_quote_v4.bin");
    STACK_OF (X509) *chain = NULL;
    cr_assert_eq (dp_quote_pki_chain_from_pem (victim->cert_data, victim->cert_size, "t", &chain, NULL), DP_OK);
    int count = sk_X509_num (chain);
    uint8_t *der [8];
    int der_len [8];
    cr_assert (count >= 2 && count <= 8);
    for (int i = 0; i < count; i++) {
        der [i] = NULL;
        der_len [i] = i2d_X509 (sk_X509_value (chain, i), &der [i]);
        cr_assert_gt (der_len [i], 0);
    }
    char *pem = malloc (64 * 1024);
    size_t flipped = 0;
    for (int target = 0; target < 2; target++) {
        for (int at = 0; at < der_len [target]; at++) {
            der [target] [at] ^= 0x01;
            size_t len = 0;
            for (int i = 0; i < count; i++)
                len += s_pem_of (der [i], (size_t) der_len [i], pem + len);
            der [target] [at] ^= 0x01;
            size_t size;
            uint8_t *spliced = s_splice_chain (victim, (const uint8_t *) pem, len, &size);
            dp_quote_report_t r;
            const char *step = s_step_of (spliced, size, &r);
            cr_assert_str_neq (step, "", "certificate %d, DER byte %d flipped: accepted", target, at);
            free (spliced);
            flipped++;
        }
    }
    cr_assert_gt (flipped, 1000);
    free (pem);
    for (int i = 0; i < count; i++)
        OPENSSL_free (der [i]);
    sk_X509_pop_free (chain, X509_free);
    dp_quote_destroy (&victim);
}
