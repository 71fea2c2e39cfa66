/*  test_dkim_verify.c — verifier behaviour beyond the corpus verdicts:
    the injectable clock, per-signature outcomes, the SPEC §4 JSON, limits,
    DNS outages and concurrent use of one lookup. */

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_dkim.h"

#define S_VEC DP_SHARED_DIR "/vectors/dkim"
#define S_NOW 1700086400

static dp_dkim_lookup_t *s_lookup;

static void
s_setup (void)
{
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_FILE, .zone_file = S_VEC "/zone.txt" };
    dp_error_t err;
    s_lookup = dp_dkim_lookup_new (&lo, &err);
    cr_assert (s_lookup, "%s", err.text);
}

static void
s_teardown (void)
{
    dp_dkim_lookup_destroy (&s_lookup);
}

static uint8_t *
s_slurp (const char *name, size_t *len)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", S_VEC, name);
    FILE *file = fopen (path, "rb");
    cr_assert (file, "cannot open %s", path);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    uint8_t *data = malloc ((size_t) size + 1);
    cr_assert (fread (data, 1, (size_t) size, file) == (size_t) size);
    fclose (file);
    *len = (size_t) size;
    return data;
}

static void
s_verify_at (const char *name, int64_t now, dp_dkim_result_t *result)
{
    size_t len;
    uint8_t *eml = s_slurp (name, &len);
    dp_dkim_options_t o = { .lookup = s_lookup, .now = now, .clock_skew = -1 };
    cr_assert_eq (dp_dkim_verify (eml, len, &o, result, NULL), DP_OK);
    free (eml);
}

TestSuite (dkim_verify, .init = s_setup, .fini = s_teardown);

Test (dkim_verify, injectable_clock)
{
    dp_dkim_result_t r;
    s_verify_at ("x-expired.eml", S_NOW, &r);
    cr_assert (!r.verified && strstr (r.error, "expired"));
    s_verify_at ("x-expired.eml", 1700000100, &r);
    cr_assert (r.verified, "before x= the signature is good: %s", r.error);
    s_verify_at ("t-future.eml", S_NOW, &r);
    cr_assert (!r.verified && strstr (r.error, "future"));
    s_verify_at ("t-future.eml", 4102444800LL, &r);
    cr_assert (r.verified, "from t= on the signature is good: %s", r.error);
    s_verify_at ("t-future.eml", 4102444800LL - DP_DKIM_CLOCK_SKEW, &r);
    cr_assert (r.verified, "within the clock skew");
    s_verify_at ("t-future.eml", 4102444800LL - DP_DKIM_CLOCK_SKEW - 1, &r);
    cr_assert (!r.verified);
}

Test (dkim_verify, every_signature_reported)
{
    dp_dkim_result_t r;
    s_verify_at ("multi-bad-then-good.eml", S_NOW, &r);
    cr_assert (r.verified);
    cr_assert_eq (r.count, 2);
    cr_assert_neq (r.signatures [0].status, DP_DKIM_SIG_PASS);
    cr_assert_eq (r.signatures [1].status, DP_DKIM_SIG_PASS);
    cr_assert_str_eq (r.error, "");
    s_verify_at ("multi-malformed-then-good-other-domain.eml", S_NOW, &r);
    cr_assert (r.verified);
    cr_assert_str_eq (r.domain, "list.example.net", "the passing signature's d=");
    cr_assert_eq (r.signatures [0].status, DP_DKIM_SIG_INVALID);
    s_verify_at ("multi-both-bad.eml", S_NOW, &r);
    cr_assert (!r.verified);
    cr_assert_eq (r.signatures [0].status, DP_DKIM_SIG_INVALID);
    cr_assert_eq (r.signatures [1].status, DP_DKIM_SIG_FAIL);
    cr_assert (strstr (r.error, "signature 1: ") && strstr (r.error, "signature 2: body hash"),
               "%s", r.error);
    cr_assert_str_eq (r.domain, "example.com", "the first signature's d= when none passed");
    cr_assert (!r.dns_unavailable);
    s_verify_at ("sig-d-uppercase.eml", S_NOW, &r);
    cr_assert (r.verified);
    cr_assert_str_eq (r.domain, "example.com", "domain reported in lower case");
}

Test (dkim_verify, json_shape)
{
    dp_dkim_result_t r;
    s_verify_at ("ed25519-relaxed-relaxed.eml", S_NOW, &r);
    json_object *obj = dp_dkim_result_to_json (&r, 0);
    cr_assert_str_eq (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN),
        "{\"domain\":\"example.com\",\"verified\":true,\"dns_unavailable\":false,\"error\":null,"
        "\"selector\":\"ed\",\"algorithm\":\"ed25519-sha256\",\"key_path\":\"file\","
        "\"authenticated\":false}");
    json_object_put (obj);
    s_verify_at ("tampered-body-rsa.eml", S_NOW, &r);
    obj = dp_dkim_result_to_json (&r, 1);
    json_object *value;
    cr_assert (json_object_object_get_ex (obj, "error", &value));
    cr_assert_str_eq (json_object_get_string (value), "body hash mismatch");
    cr_assert (json_object_object_get_ex (obj, "signatures", &value));
    cr_assert_eq (json_object_array_length (value), 1);
    json_object *first = json_object_array_get_idx (value, 0);
    cr_assert (json_object_object_get_ex (first, "status", &value));
    cr_assert_str_eq (json_object_get_string (value), "fail");
    json_object_put (obj);
}

Test (dkim_verify, no_signature_and_malformed)
{
    dp_dkim_options_t o = { .lookup = s_lookup, .now = S_NOW, .clock_skew = -1 };
    dp_dkim_result_t r;
    const char *plain = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
    cr_assert_eq (dp_dkim_verify ((const uint8_t *) plain, strlen (plain), &o, &r, NULL), DP_OK);
    cr_assert (!r.verified && strstr (r.error, "no DKIM-Signature"));
    json_object *obj = dp_dkim_result_to_json (&r, 0);
    json_object *domain;
    cr_assert (json_object_object_get_ex (obj, "domain", &domain) && domain == NULL);
    json_object_put (obj);
    s_verify_at ("garbage-header-line.eml", S_NOW, &r);
    cr_assert (!r.verified);
    cr_assert (strstr (r.error, "malformed message: line 17"), "%s", r.error);
    cr_assert_eq (dp_dkim_verify (NULL, 0, &o, &r, NULL), DP_OK, "empty input is judged");
    cr_assert (!r.verified);
    const char *cont = " leading continuation\r\n\r\n";
    cr_assert_eq (dp_dkim_verify ((const uint8_t *) cont, strlen (cont), &o, &r, NULL), DP_OK);
    cr_assert (strstr (r.error, "line 1"));
}

Test (dkim_verify, limits_and_options)
{
    dp_dkim_result_t r;
    dp_error_t err;
    size_t len;
    uint8_t *eml = s_slurp ("large-body-200k.eml", &len);
    dp_dkim_options_t o = { .lookup = s_lookup, .now = S_NOW, .clock_skew = -1,
                            .max_size = 100000 };
    cr_assert_eq (dp_dkim_verify (eml, len, &o, &r, &err), DP_LIMIT);
    cr_assert (!r.verified && strstr (r.error, "larger than 100000"));
    o.max_size = 0;
    cr_assert_eq (dp_dkim_verify (eml, len, &o, &r, &err), DP_OK);
    cr_assert (r.verified);
    cr_assert_eq (dp_dkim_verify (eml, len, NULL, &r, &err), DP_INVALID);
    dp_dkim_options_t none = { 0 };
    cr_assert_eq (dp_dkim_verify (eml, len, &none, &r, &err), DP_INVALID);
    free (eml);
}

Test (dkim_verify, lookup_configuration)
{
    dp_error_t err;
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_FILE };
    cr_assert_null (dp_dkim_lookup_new (&lo, &err));
    lo = (dp_dkim_lookup_options_t) { .path = DP_DKIM_PATH_DOH, .doh_url = "http://x/dns-query" };
    cr_assert_null (dp_dkim_lookup_new (&lo, &err));
    cr_assert (strstr (err.text, "https://"));
    lo.doh_url = "https://127.0.0.1/dns-query";
    lo.ca_file = "/nonexistent/ca.pem";
    cr_assert_null (dp_dkim_lookup_new (&lo, &err));
    lo = (dp_dkim_lookup_options_t) { .path = DP_DKIM_PATH_DNSSEC,
                                      .trust_anchor_file = "/nonexistent/root.key" };
    cr_assert_null (dp_dkim_lookup_new (&lo, &err));
    cr_assert_str_eq (dp_dkim_path_name (DP_DKIM_PATH_DNSSEC), "dnssec");
    cr_assert_str_eq (dp_dkim_path_name (DP_DKIM_PATH_DNS), "dns");
}

//  A resolver that cannot be reached (nothing listens on loopback port 1):
//  dns_unavailable, and the domain is still reported, as in the seed.
Test (dkim_verify, dns_unavailable)
{
    dp_error_t err;
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_DOH,
                                    .doh_url = "https://127.0.0.1:1/dns-query",
                                    .timeout_ms = 2000 };
    dp_dkim_lookup_t *doh = dp_dkim_lookup_new (&lo, &err);
    cr_assert (doh, "%s", err.text);
    cr_assert (dp_dkim_lookup_authenticated (doh));
    size_t len;
    uint8_t *eml = s_slurp ("rsa2048-relaxed-relaxed.eml", &len);
    dp_dkim_options_t o = { .lookup = doh, .now = S_NOW, .clock_skew = -1 };
    dp_dkim_result_t r;
    cr_assert_eq (dp_dkim_verify (eml, len, &o, &r, &err), DP_OK);
    cr_assert (!r.verified && r.dns_unavailable && !r.authenticated);
    cr_assert_eq (r.signatures [0].status, DP_DKIM_SIG_TEMPERROR);
    cr_assert_str_eq (r.domain, "example.com");
    cr_assert_eq (r.key_path, DP_DKIM_PATH_DOH);
    free (eml);
    dp_dkim_lookup_destroy (&doh);
}

//  No key at the selector (NXDOMAIN in DNS, no such name in a key file) is
//  dns_unavailable with the reason (issue #8); a key record that is there
//  but malformed is the domain's fault: invalid, not an outage.
Test (dkim_verify, missing_key_is_unavailable_bad_key_is_not)
{
    dp_dkim_result_t r;
    s_verify_at ("no-key-wrong-selector.eml", S_NOW, &r);
    cr_assert (!r.verified && r.dns_unavailable);
    cr_assert_eq (r.signatures [0].status, DP_DKIM_SIG_TEMPERROR);
    cr_assert (strstr (r.error, "nosuchselector._domainkey.example.com"), "%s", r.error);
    s_verify_at ("key-bad-version.eml", S_NOW, &r);
    cr_assert (!r.verified && !r.dns_unavailable);
    cr_assert_eq (r.signatures [0].status, DP_DKIM_SIG_INVALID);
}

static void
s_verify_fixture (const char *name, dp_dkim_result_t *r)
{
    char path [512];
    snprintf (path, sizeof path, "%s/tests/fixtures/dkim/%s", DP_SOURCE_DIR, name);
    FILE *file = fopen (path, "rb");
    cr_assert (file, "cannot open %s", path);
    static uint8_t eml [16384];
    size_t len = fread (eml, 1, sizeof eml, file);
    fclose (file);
    dp_dkim_options_t o = { .lookup = s_lookup, .now = S_NOW, .clock_skew = -1 };
    cr_assert_eq (dp_dkim_verify (eml, len, &o, r, NULL), DP_OK);
}

//  The seller credential: only a verified, authenticated result whose key is
//  not in testing mode grants its domain (RFC 6376 s3.6.1: a t=y signature
//  is treated as unsigned). The file path is never authenticated; the
//  authenticated cases set the flag as the doh/dnssec paths would.
Test (dkim_verify, credential_needs_authenticated_non_testing_key)
{
    dp_dkim_result_t r;
    const char *why = NULL;
    s_verify_at ("rsa2048-relaxed-relaxed.eml", S_NOW, &r);
    cr_assert_null (dp_dkim_result_credential (&r, &why));
    cr_assert (strstr (why, "authenticated"), "%s", why);
    r.authenticated = 1;
    cr_assert_str_eq (dp_dkim_result_credential (&r, &why), "example.com");
    cr_assert_null (why);

    s_verify_fixture ("testing-mode.eml", &r);
    cr_assert (r.verified && r.testing, "t=y still verifies (the corpus's rfc8301 column)");
    r.authenticated = 1;
    cr_assert_null (dp_dkim_result_credential (&r, &why));
    cr_assert (strstr (why, "t=y"), "%s", why);

    //  A t=y signature above a normal one: the result names the normal one.
    s_verify_fixture ("testing-then-normal.eml", &r);
    cr_assert (r.verified && !r.testing);
    cr_assert_str_eq (r.selector, "rsa2048");
    cr_assert (r.signatures [0].testing && r.signatures [0].status == DP_DKIM_SIG_PASS);
    r.authenticated = 1;
    cr_assert_str_eq (dp_dkim_result_credential (&r, &why), "example.com");

    s_verify_at ("no-key-wrong-selector.eml", S_NOW, &r);
    r.authenticated = 1;
    cr_assert_null (dp_dkim_result_credential (&r, &why));
    cr_assert_str_eq (why, "not verified");
}

typedef struct {
    int passes;
} s_thread_t;

static void *
s_worker (void *arg)
{
    static const char *names [] = { "rsa2048-relaxed-relaxed.eml", "ed25519-simple-simple.eml",
                                    "tampered-body-rsa.eml", "multi-bad-then-good.eml",
                                    "key-pkcs1-rsapublickey.eml" };
    s_thread_t *t = arg;
    dp_dkim_options_t o = { .lookup = s_lookup, .now = S_NOW, .clock_skew = -1 };
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < 5; i++) {
            size_t len;
            uint8_t *eml = s_slurp (names [i], &len);
            dp_dkim_result_t r;
            if (dp_dkim_verify (eml, len, &o, &r, NULL) == DP_OK)
                t->passes += r.verified;
            free (eml);
        }
    return NULL;
}

Test (dkim_verify, threads_share_one_lookup)
{
    pthread_t threads [4];
    s_thread_t state [4] = { { 0 } };
    for (int i = 0; i < 4; i++)
        pthread_create (&threads [i], NULL, s_worker, &state [i]);
    for (int i = 0; i < 4; i++) {
        pthread_join (threads [i], NULL);
        cr_assert_eq (state [i].passes, 20 * 4, "thread %d: %d passes", i, state [i].passes);
    }
}
