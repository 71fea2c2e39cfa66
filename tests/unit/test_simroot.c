/*  test_simroot.c — the simulation root (SPEC §8): layout, modes, the
    collateral's signatures and chains, the PCK SGX extension, concurrent
    creation, verifier copies, bad folders, and the seed's sim_quote form. */

#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_simroot.h"
#include "tee_check.h"

static char s_base [256];

static void
s_setup (void)
{
    snprintf (s_base, sizeof s_base, "/tmp/dp-test-simroot.XXXXXX");
    cr_assert_not_null (mkdtemp (s_base));
}

static void
s_teardown (void)
{
    char command [512];
    snprintf (command, sizeof command, "rm -rf '%s'", s_base);
    cr_assert_eq (system (command), 0);
}

static char *
s_dir (const char *name)
{
    static char path [512];
    snprintf (path, sizeof path, "%s/%s", s_base, name);
    return path;
}

static mode_t
s_mode (const char *dir, const char *name)
{
    char path [600];
    struct stat st;
    snprintf (path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq (stat (path, &st), 0, "missing %s", path);
    return st.st_mode & 0777;
}

static json_object *
s_collateral (dp_simroot_t *root)
{
    size_t len = 0;
    const char *text = dp_simroot_collateral (root, &len);
    json_object *doc = json_tokener_parse (text);
    cr_assert_not_null (doc);
    return doc;
}

static const char *
s_field (json_object *doc, const char *name)
{
    json_object *value = NULL;
    cr_assert (json_object_object_get_ex (doc, name, &value), "collateral lacks %s", name);
    return json_object_get_string (value);
}

TestSuite (simroot, .init = s_setup, .fini = s_teardown);

Test (simroot, creates_layout_with_modes)
{
    dp_error_t err;
    char *dir = s_dir ("nested/dealproof/sim-root");
    dp_simroot_t *root = dp_simroot_open (dir, 1, &err);
    cr_assert_not_null (root, "%s", err.text);
    cr_assert_str_eq (dp_simroot_dir (root), dir);
    cr_assert_eq (s_mode (s_base, "nested/dealproof/sim-root"), 0700);
    cr_assert_eq (s_mode (dir, "private"), 0700);
    const char *keys [] = { "root.key.pem", "pck-ca.key.pem", "tcb-signing.key.pem", "pck.key.pem",
                            "attestation.key.pem" };
    for (size_t i = 0; i < 5; i++) {
        char name [64];
        snprintf (name, sizeof name, "private/%s", keys [i]);
        cr_assert_eq (s_mode (dir, name), 0600, "%s", name);
    }
    s_mode (dir, "root.pem");
    s_mode (dir, "collateral.json");
    s_mode (dir, "VERSION");
    cr_assert (dp_simroot_has_private (root));
    cr_assert_not_null (dp_simroot_pck_key (root));
    cr_assert_not_null (dp_simroot_attestation_key (root));
    dp_simroot_destroy (&root);
    cr_assert_null (root);
    dp_simroot_destroy (&root);     //  idempotent
}

Test (simroot, root_certificate_and_digest)
{
    dp_error_t err;
    dp_simroot_t *root = dp_simroot_open (s_dir ("r"), 1, &err);
    cr_assert_not_null (root, "%s", err.text);
    X509 *cert = dp_simroot_root_cert (root);
    char cn [128];
    X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, cn, sizeof cn);
    cr_assert_str_eq (cn, "DealProof Simulation Root CA");
    cr_assert_eq (X509_check_issued (cert, cert), X509_V_OK);
    EVP_PKEY *key = X509_get0_pubkey (cert);
    char group [32];
    cr_assert (EVP_PKEY_get_utf8_string_param (key, "group", group, sizeof group, NULL));
    cr_assert_str_eq (group, "prime256v1");
    cr_assert_eq (X509_check_ca (cert), 1);
    size_t der_len = 0;
    const uint8_t *der = dp_simroot_root_der (root, &der_len);
    uint8_t digest [32];
    char hex [65];
    dp_sha256 (der, der_len, digest);
    cr_assert_arr_eq (digest, dp_simroot_root_sha256 (root), 32);
    for (int i = 0; i < 32; i++)
        sprintf (hex + 2 * i, "%02x", digest [i]);
    cr_assert_str_eq (dp_simroot_root_sha256_hex (root), hex);
    //  Reopening (without create) loads the same root.
    dp_simroot_t *again = dp_simroot_open (s_dir ("r"), 0, &err);
    cr_assert_not_null (again, "%s", err.text);
    cr_assert_str_eq (dp_simroot_root_sha256_hex (again), hex);
    cr_assert_str_eq (dp_simroot_root_pem (again), dp_simroot_root_pem (root));
    dp_simroot_destroy (&again);
    dp_simroot_destroy (&root);
}

Test (simroot, collateral_is_signed_and_chains_to_root)
{
    dp_error_t err;
    dp_simroot_t *root = dp_simroot_open (s_dir ("c"), 1, &err);
    cr_assert_not_null (root, "%s", err.text);
    json_object *doc = s_collateral (root);
    X509_CRL *root_crl = tc_crl_from_hex (s_field (doc, "root_ca_crl"));
    X509_CRL *pck_crl = tc_crl_from_hex (s_field (doc, "pck_crl"));
    cr_assert_not_null (root_crl);
    cr_assert_not_null (pck_crl);
    cr_assert_eq (X509_CRL_verify (root_crl, X509_get0_pubkey (dp_simroot_root_cert (root))), 1);
    const char *names [] = { "tcb_info", "qe_identity" };
    for (int i = 0; i < 2; i++) {
        char chain_name [64], sig_name [64];
        snprintf (chain_name, sizeof chain_name, "%s_issuer_chain", names [i]);
        snprintf (sig_name, sizeof sig_name, "%s_signature", names [i]);
        const char *pem = s_field (doc, chain_name);
        STACK_OF (X509) *chain = tc_pem_chain (pem, strlen (pem));
        cr_assert_eq (sk_X509_num (chain), 2);
        X509 *signer = sk_X509_value (chain, 0);
        cr_assert (tc_verify_chain (signer, chain, dp_simroot_root_cert (root), root_crl, pck_crl));
        const char *body = s_field (doc, names [i]);
        const char *sig_hex = s_field (doc, sig_name);
        uint8_t sig [64];
        cr_assert_eq (strlen (sig_hex), 128);
        for (int k = 0; k < 64; k++)
            sscanf (sig_hex + 2 * k, "%2hhx", &sig [k]);
        cr_assert (tc_verify_raw (X509_get0_pubkey (signer), body, strlen (body), sig), "%s", names [i]);
        sk_X509_pop_free (chain, X509_free);
    }
    //  The TCB info describes FMSPC 000000000000 at UpToDate.
    json_object *tcb = json_tokener_parse (s_field (doc, "tcb_info"));
    cr_assert_str_eq (s_field (tcb, "fmspc"), "000000000000");
    cr_assert_str_eq (s_field (tcb, "id"), "TDX");
    json_object *levels = NULL, *level0 = NULL;
    json_object_object_get_ex (tcb, "tcbLevels", &levels);
    level0 = json_object_array_get_idx (levels, 0);
    cr_assert_str_eq (s_field (level0, "tcbStatus"), "UpToDate");
    json_object *qe = json_tokener_parse (s_field (doc, "qe_identity"));
    cr_assert_str_eq (s_field (qe, "id"), "TD_QE");
    json_object_put (qe);
    json_object_put (tcb);
    X509_CRL_free (root_crl);
    X509_CRL_free (pck_crl);
    json_object_put (doc);
    dp_simroot_destroy (&root);
}

Test (simroot, pck_chain_and_sgx_extension)
{
    dp_error_t err;
    dp_simroot_t *root = dp_simroot_open (s_dir ("p"), 1, &err);
    cr_assert_not_null (root, "%s", err.text);
    size_t len = 0;
    const char *pem = dp_simroot_pck_chain_pem (root, &len);
    cr_assert_eq (strlen (pem), len);
    STACK_OF (X509) *chain = tc_pem_chain (pem, len);
    cr_assert_eq (sk_X509_num (chain), 3);
    X509 *leaf = sk_X509_value (chain, 0);
    json_object *doc = s_collateral (root);
    X509_CRL *root_crl = tc_crl_from_hex (s_field (doc, "root_ca_crl"));
    X509_CRL *pck_crl = tc_crl_from_hex (s_field (doc, "pck_crl"));
    cr_assert (tc_verify_chain (leaf, chain, dp_simroot_root_cert (root), root_crl, pck_crl));
    cr_assert_eq (X509_check_private_key (leaf, dp_simroot_pck_key (root)), 1);
    char cn [128];
    X509_NAME_get_text_by_NID (X509_get_subject_name (leaf), NID_commonName, cn, sizeof cn);
    cr_assert (strstr (cn, "SGX PCK Certificate"), "%s", cn);
    //  Intel's SGX extension with FMSPC 000000000000, PCE-ID 0000, PCESVN.
    ASN1_OBJECT *oid = OBJ_txt2obj ("1.2.840.113741.1.13.1", 1);
    int at = X509_get_ext_by_OBJ (leaf, oid, -1);
    cr_assert_geq (at, 0);
    ASN1_OCTET_STRING *value = X509_EXTENSION_get_data (X509_get_ext (leaf, at));
    const uint8_t *der = ASN1_STRING_get0_data (value);
    int der_len = ASN1_STRING_length (value);
    //  OID ...13.1.4 (FMSPC) followed by OCTET STRING of 6 zero bytes.
    static const uint8_t fmspc [] = { 0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d,
                                      0x01, 0x04, 0x04, 0x06, 0, 0, 0, 0, 0, 0 };
    static const uint8_t pcesvn [] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d,
                                       0x01, 0x02, 0x11, 0x02, 0x01, DP_SIMROOT_PCESVN };
    cr_assert_not_null (memmem (der, (size_t) der_len, fmspc, sizeof fmspc));
    cr_assert_not_null (memmem (der, (size_t) der_len, pcesvn, sizeof pcesvn));
    //  Sixteen component SVNs: the 8th (index 7, OID .2.8) is 5.
    static const uint8_t comp8 [] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d,
                                      0x01, 0x02, 0x08, 0x02, 0x01, 0x05 };
    cr_assert_not_null (memmem (der, (size_t) der_len, comp8, sizeof comp8));
    ASN1_OBJECT_free (oid);
    X509_CRL_free (root_crl);
    X509_CRL_free (pck_crl);
    json_object_put (doc);
    sk_X509_pop_free (chain, X509_free);
    dp_simroot_destroy (&root);
}

Test (simroot, concurrent_creation_agrees)
{
    char *dir = s_dir ("race/sim-root");
    int fds [2];
    cr_assert_eq (pipe (fds), 0);
    enum { N = 6 };
    for (int i = 0; i < N; i++) {
        pid_t pid = fork ();
        cr_assert_geq (pid, 0);
        if (pid == 0) {
            dp_error_t err;
            dp_simroot_t *root = dp_simroot_open (dir, 1, &err);
            char line [66];
            snprintf (line, sizeof line, "%s\n", root ? dp_simroot_root_sha256_hex (root) : "error");
            if (write (fds [1], line, 65) != 65)
                _exit (2);
            _exit (root ? 0 : 1);
        }
    }
    close (fds [1]);
    for (int i = 0; i < N; i++) {
        int status = 0;
        wait (&status);
        cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
    char all [N * 65 + 1];
    size_t got = 0;
    ssize_t n;
    while ((n = read (fds [0], all + got, sizeof all - 1 - got)) > 0)
        got += (size_t) n;
    close (fds [0]);
    cr_assert_eq (got, N * 65);
    for (int i = 1; i < N; i++)
        cr_assert_eq (memcmp (all, all + 65 * i, 65), 0, "process %d saw another root", i);
    //  No temporary folders are left behind.
    char command [600];
    snprintf (command, sizeof command, "test $(ls -A '%s/race' | wc -l) -eq 1", s_base);
    cr_assert_eq (system (command), 0);
}

Test (simroot, verifier_copy_without_private)
{
    dp_error_t err;
    dp_simroot_t *root = dp_simroot_open (s_dir ("full"), 1, &err);
    cr_assert_not_null (root);
    char command [2048];
    snprintf (command, sizeof command, "mkdir '%s/copy' && cp '%s/full/root.pem' "
              "'%s/full/collateral.json' '%s/copy/'", s_base, s_base, s_base, s_base);
    cr_assert_eq (system (command), 0);
    dp_simroot_t *copy = dp_simroot_open (s_dir ("copy"), 0, &err);
    cr_assert_not_null (copy, "%s", err.text);
    cr_assert_not (dp_simroot_has_private (copy));
    cr_assert_null (dp_simroot_pck_key (copy));
    cr_assert_null (dp_simroot_pck_chain_pem (copy, NULL));
    cr_assert_str_eq (dp_simroot_root_sha256_hex (copy), dp_simroot_root_sha256_hex (root));
    dp_simroot_destroy (&copy);
    dp_simroot_destroy (&root);
}

Test (simroot, refuses_missing_and_bad_folders)
{
    dp_error_t err;
    cr_assert_null (dp_simroot_open (s_dir ("absent"), 0, &err));
    cr_assert_eq (err.code, DP_NOTFOUND);
    cr_assert (strstr (err.text, "root.pem"), "%s", err.text);
    //  A foreign root.pem.
    char command [2048];
    snprintf (command, sizeof command, "mkdir '%s/bad' && echo 'not a cert' > '%s/bad/root.pem'",
              s_base, s_base);
    cr_assert_eq (system (command), 0);
    cr_assert_null (dp_simroot_open (s_dir ("bad"), 1, &err));
    cr_assert_eq (err.code, DP_INVALID);
    cr_assert (strstr (err.text, "root.pem"), "%s", err.text);
    //  A folder that holds something else.
    snprintf (command, sizeof command, "mkdir '%s/other' && touch '%s/other/notes.txt'", s_base, s_base);
    cr_assert_eq (system (command), 0);
    cr_assert_null (dp_simroot_open (s_dir ("other"), 1, &err));
    cr_assert_eq (err.code, DP_INVALID);
    cr_assert (strstr (err.text, "not a simulation root"), "%s", err.text);
    //  An empty folder is fine: the root is created in it.
    snprintf (command, sizeof command, "mkdir '%s/empty'", s_base);
    cr_assert_eq (system (command), 0);
    dp_simroot_t *made = dp_simroot_open (s_dir ("empty"), 1, &err);
    cr_assert_not_null (made, "%s", err.text);
    dp_simroot_destroy (&made);
    //  A good root with a broken collateral.json.
    dp_simroot_t *root = dp_simroot_open (s_dir ("good"), 1, &err);
    cr_assert_not_null (root);
    dp_simroot_destroy (&root);
    snprintf (command, sizeof command, "echo '{\"tcb_info\": 1}' > '%s/good/collateral.json'", s_base);
    cr_assert_eq (system (command), 0);
    cr_assert_null (dp_simroot_open (s_dir ("good"), 0, &err));
    cr_assert_eq (err.code, DP_INVALID);
    cr_assert (strstr (err.text, "collateral.json"), "%s", err.text);
    //  A PCK key that does not belong to the PCK certificate.
    root = dp_simroot_open (s_dir ("swap"), 1, &err);
    cr_assert_not_null (root);
    dp_simroot_destroy (&root);
    snprintf (command, sizeof command, "cp '%s/swap/private/attestation.key.pem' "
              "'%s/swap/private/pck.key.pem'", s_base, s_base);
    cr_assert_eq (system (command), 0);
    cr_assert_null (dp_simroot_open (s_dir ("swap"), 0, &err));
    cr_assert_eq (err.code, DP_INVALID);
}

Test (simroot, default_dir_order)
{
    char out [DP_SIMROOT_PATH_MAX];
    dp_error_t err;
    unsetenv ("DP_SIM_ROOT");
    setenv ("HOME", "/home/alice", 1);
    unsetenv ("XDG_DATA_HOME");
    cr_assert_eq (dp_simroot_default_dir (NULL, out, sizeof out, &err), DP_OK);
    cr_assert_str_eq (out, "/home/alice/.local/share/dealproof/sim-root");
    setenv ("XDG_DATA_HOME", "relative/ignored", 1);
    cr_assert_eq (dp_simroot_default_dir (NULL, out, sizeof out, &err), DP_OK);
    cr_assert_str_eq (out, "/home/alice/.local/share/dealproof/sim-root");
    setenv ("XDG_DATA_HOME", "/data", 1);
    cr_assert_eq (dp_simroot_default_dir ("", out, sizeof out, &err), DP_OK);
    cr_assert_str_eq (out, "/data/dealproof/sim-root");
    setenv ("DP_SIM_ROOT", "/srv/sim/", 1);
    cr_assert_eq (dp_simroot_default_dir (NULL, out, sizeof out, &err), DP_OK);
    cr_assert_str_eq (out, "/srv/sim");
    cr_assert_eq (dp_simroot_default_dir ("/flag/dir", out, sizeof out, &err), DP_OK);
    cr_assert_str_eq (out, "/flag/dir");
    cr_assert_eq (dp_simroot_default_dir ("/flag/dir", out, 5, &err), DP_LIMIT);
    unsetenv ("DP_SIM_ROOT");
    unsetenv ("XDG_DATA_HOME");
    unsetenv ("HOME");
    cr_assert_eq (dp_simroot_default_dir (NULL, out, sizeof out, &err), DP_INVALID);
}

Test (simroot, seed_sim_quote_strings)
{
    uint8_t hash [64];
    size_t len = 0;
    dp_error_t err;
    const char *good = "sim_quote:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    cr_assert_eq (dp_simroot_parse_seed_quote (good, strlen (good), hash, &len, &err), DP_OK);
    cr_assert_eq (len, 32);
    cr_assert_eq (hash [0], 0x9f);
    cr_assert_eq (hash [31], 0x08);
    const char *real = "0x04000200";
    cr_assert_eq (dp_simroot_parse_seed_quote (real, strlen (real), hash, &len, &err), DP_NOTFOUND);
    const char *bad [] = { "sim_quote:", "sim_quote:abc", "sim_quote:zz", "sim_quote: 00" };
    for (int i = 0; i < 4; i++)
        cr_assert_eq (dp_simroot_parse_seed_quote (bad [i], strlen (bad [i]), hash, &len, &err),
                      DP_INVALID, "%s", bad [i]);
    char longer [200] = "sim_quote:";
    memset (longer + 10, 'a', 130);
    cr_assert_eq (dp_simroot_parse_seed_quote (longer, 140, hash, &len, &err), DP_INVALID);
}
