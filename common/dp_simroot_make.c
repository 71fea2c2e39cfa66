/*  dp_simroot_make.c — generating a simulation root (SPEC §8): keys,
    certificates with Intel's SGX extension, CRLs, and the collateral.

    Generation uses OpenSSL 3 only: EVP_PKEY keys, X509 certificates with
    v3 extensions from configuration strings (the Intel SGX extension is an
    "ASN1:SEQUENCE:" generated from an NCONF text, so OpenSSL does the DER),
    X509_CRL for both CRLs, and json-c for the collateral. */

#include "dp_simroot_make.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_sha256.h"
#include "dp_simroot.h"

#define S_SGX_OID       "1.2.840.113741.1.13.1"
#define S_CA_YEARS      30
#define S_LEAF_YEARS    20
#define S_YEAR_SECONDS  (365L * 24 * 3600)

//  Everything generated for a new root, before it is written out.
typedef struct {
    EVP_PKEY *root_key, *ca_key, *tcb_key, *pck_key, *att_key;
    X509 *root, *ca, *tcb, *pck;
    char *collateral;
} s_material_t;

//  --------------------------------------------------------------------------
//  Small helpers: OpenSSL errors, files, PEM

dp_status
dp_simroot_ossl_error (dp_error_t *err, const char *step)
{
    char detail [256] = "no detail";
    unsigned long code = ERR_get_error ();
    if (code)
        ERR_error_string_n (code, detail, sizeof detail);
    ERR_clear_error ();
    return dp_error_set (err, DP_CRYPTO, "sim root: %s: %s", step, detail);
}

dp_status
dp_simroot_path (char *out, size_t size, const char *dir, const char *name, dp_error_t *err)
{
    int n = snprintf (out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t) n >= size)
        return dp_error_set (err, DP_LIMIT, "sim root: path too long: %s/%s", dir, name);
    return DP_OK;
}

static dp_status
s_write_file (const char *dir, const char *name, const void *data, size_t len, mode_t mode,
              dp_error_t *err)
{
    char path [DP_SIMROOT_PATH_MAX];
    if (dp_simroot_path (path, sizeof path, dir, name, err))
        return err ? err->code : DP_LIMIT;
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return dp_error_set (err, DP_IO, "sim root: cannot create %s: %s", path, strerror (errno));
    const uint8_t *cursor = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write (fd, cursor, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = errno;
            close (fd);
            return dp_error_set (err, DP_IO, "sim root: cannot write %s: %s", path, strerror (saved));
        }
        cursor += n;
        left -= (size_t) n;
    }
    //  The folder is renamed into place only once complete: flush first.
    if (fsync (fd) != 0 || close (fd) != 0)
        return dp_error_set (err, DP_IO, "sim root: cannot flush %s: %s", path, strerror (errno));
    return DP_OK;
}

static void
s_free_secret (char *data, size_t len)
{
    if (data) {
        OPENSSL_cleanse (data, len);
        free (data);
    }
}

//  Drains a memory BIO into a malloc'd NUL-terminated string.
static char *
s_bio_string (BIO *bio, size_t *len)
{
    char *mem = NULL;
    long size = BIO_get_mem_data (bio, &mem);
    if (size < 0)
        return NULL;
    char *copy = malloc ((size_t) size + 1);
    if (copy) {
        memcpy (copy, mem, (size_t) size);
        copy [size] = '\0';
        if (len)
            *len = (size_t) size;
    }
    return copy;
}

static char *
s_cert_pem (X509 *cert)
{
    BIO *bio = BIO_new (BIO_s_mem ());
    char *text = NULL;
    if (bio && PEM_write_bio_X509 (bio, cert))
        text = s_bio_string (bio, NULL);
    BIO_free (bio);
    return text;
}

//  PKCS#8 PEM of a private key; the caller wipes and frees it.
static char *
s_key_pem (EVP_PKEY *key, size_t *len)
{
    BIO *bio = BIO_new (BIO_s_secmem ());
    char *text = NULL;
    if (bio && PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL))
        text = s_bio_string (bio, len);
    BIO_free (bio);
    return text;
}

//  --------------------------------------------------------------------------
//  Certificates and CRLs

typedef enum { S_ROLE_ROOT, S_ROLE_CA, S_ROLE_LEAF } s_role_t;

static int
s_add_ext (X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext (cert, ext, -1);
    X509_EXTENSION_free (ext);
    return ok;
}

static int
s_set_name (X509_NAME *name, const char *cn)
{
    return X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0)
        && X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                       (const unsigned char *) "DealProof Simulation", -1, -1, 0);
}

static int
s_set_serial (X509 *cert)
{
    //  Random positive 127-bit serial, as CAs do, so two sim roots never
    //  share serials.
    BIGNUM *bn = BN_new ();
    int ok = bn && BN_rand (bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)
          && BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) != NULL;
    BN_free (bn);
    return ok;
}

static int
s_set_validity (X509 *cert, time_t now, int years)
{
    //  A day of slack before "now" tolerates clocks a little behind ours.
    return X509_time_adj_ex (X509_getm_notBefore (cert), -1, 0, &now) != NULL
        && X509_time_adj_ex (X509_getm_notAfter (cert), years * 365, 0, &now) != NULL;
}

static int
s_add_role_exts (X509 *cert, X509 *issuer, s_role_t role)
{
    const char *basic = role == S_ROLE_ROOT ? "critical,CA:TRUE,pathlen:1"
                      : role == S_ROLE_CA ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE";
    const char *usage = role == S_ROLE_LEAF ? "critical,digitalSignature,nonRepudiation"
                                            : "critical,keyCertSign,cRLSign";
    return s_add_ext (cert, issuer, NID_subject_key_identifier, "hash")
        && s_add_ext (cert, issuer, NID_authority_key_identifier, "keyid:always")
        && s_add_ext (cert, issuer, NID_basic_constraints, basic)
        && s_add_ext (cert, issuer, NID_key_usage, usage);
}

//  A certificate for key, issued by issuer/issuer_key (NULL: self-signed).
static X509 *
s_cert_new (const char *cn, EVP_PKEY *key, s_role_t role, X509 *issuer, EVP_PKEY *issuer_key,
            time_t now, X509_EXTENSION *extra)
{
    X509 *cert = X509_new ();
    if (!cert)
        return NULL;
    int ok = X509_set_version (cert, 2) && s_set_serial (cert)
          && s_set_name (X509_get_subject_name (cert), cn)
          && X509_set_issuer_name (cert, issuer ? X509_get_subject_name (issuer)
                                                : X509_get_subject_name (cert))
          && s_set_validity (cert, now, role == S_ROLE_LEAF ? S_LEAF_YEARS : S_CA_YEARS)
          && X509_set_pubkey (cert, key)
          && s_add_role_exts (cert, issuer ? issuer : cert, role)
          && (!extra || X509_add_ext (cert, extra, -1))
          && X509_sign (cert, issuer_key ? issuer_key : key, EVP_sha256 ()) > 0;
    if (!ok)
        X509_free (cert);
    return ok ? cert : NULL;
}

//  The NCONF text describing Intel's SGX extension for the simulated
//  platform (PPID, TCB with 16 component SVNs + PCESVN + CPUSVN, PCE-ID,
//  FMSPC, SGX type Standard), in the order Intel writes it.
static char *
s_sgx_ext_conf (void)
{
    size_t size = 8192;
    char *text = malloc (size);
    if (!text)
        return NULL;
    char cpusvn [33], ppid [33];
    uint8_t ppid_bytes [32];
    dp_sha256 ("DealProof simulated PPID", 24, ppid_bytes);
    dp_hex_encode (dp_simroot_cpusvn, 16, cpusvn);
    dp_hex_encode (ppid_bytes, 16, ppid);
    size_t n = (size_t) snprintf (text, size,
        "[sgx]\nf1=SEQUENCE:ppid\nf2=SEQUENCE:tcb\nf3=SEQUENCE:pceid\nf4=SEQUENCE:fmspc\n"
        "f5=SEQUENCE:sgxtype\n"
        "[ppid]\no=OID:" S_SGX_OID ".1\nv=FORMAT:HEX,OCTETSTRING:%s\n"
        "[tcb]\no=OID:" S_SGX_OID ".2\nv=SEQUENCE:comps\n"
        "[pceid]\no=OID:" S_SGX_OID ".3\nv=FORMAT:HEX,OCTETSTRING:%04x\n"
        "[fmspc]\no=OID:" S_SGX_OID ".4\nv=FORMAT:HEX,OCTETSTRING:" DP_SIMROOT_FMSPC "\n"
        "[sgxtype]\no=OID:" S_SGX_OID ".5\nv=ENUMERATED:0\n[comps]\n",
        ppid, (unsigned) DP_SIMROOT_PCE_ID);
    for (int i = 1; i <= 18; i++)
        n += (size_t) snprintf (text + n, size - n, "c%d=SEQUENCE:comp%d\n", i, i);
    for (int i = 1; i <= 16; i++)
        n += (size_t) snprintf (text + n, size - n, "[comp%d]\no=OID:" S_SGX_OID ".2.%d\nv=INTEGER:%u\n",
                                i, i, dp_simroot_cpusvn [i - 1]);
    snprintf (text + n, size - n,
        "[comp17]\no=OID:" S_SGX_OID ".2.17\nv=INTEGER:%d\n"
        "[comp18]\no=OID:" S_SGX_OID ".2.18\nv=FORMAT:HEX,OCTETSTRING:%s\n",
        DP_SIMROOT_PCESVN, cpusvn);
    return text;
}

static X509_EXTENSION *
s_sgx_ext_new (void)
{
    char *text = s_sgx_ext_conf ();
    BIO *bio = text ? BIO_new_mem_buf (text, -1) : NULL;
    CONF *conf = NCONF_new (NULL);
    X509_EXTENSION *ext = NULL;
    if (bio && conf && NCONF_load_bio (conf, bio, NULL) > 0) {
        X509V3_CTX ctx;
        X509V3_set_ctx (&ctx, NULL, NULL, NULL, NULL, X509V3_CTX_TEST);
        X509V3_set_nconf (&ctx, conf);
        ext = X509V3_EXT_nconf (conf, &ctx, S_SGX_OID, "ASN1:SEQUENCE:sgx");
    }
    NCONF_free (conf);
    BIO_free (bio);
    free (text);
    return ext;
}

//  An empty CRL (nothing is revoked in simulation) issued by issuer.
static char *
s_crl_hex (X509 *issuer, EVP_PKEY *key, time_t now)
{
    X509_CRL *crl = X509_CRL_new ();
    ASN1_TIME *last = X509_time_adj_ex (NULL, -1, 0, &now);
    ASN1_TIME *next = X509_time_adj_ex (NULL, S_LEAF_YEARS * 365, 0, &now);
    ASN1_INTEGER *number = ASN1_INTEGER_new ();
    char *hex = NULL;
    X509V3_CTX ctx;
    X509V3_set_ctx (&ctx, issuer, NULL, NULL, crl, 0);
    X509_EXTENSION *aki = crl ? X509V3_EXT_conf_nid (NULL, &ctx, NID_authority_key_identifier,
                                                     "keyid:always") : NULL;
    int ok = crl && last && next && number && aki && ASN1_INTEGER_set (number, 1)
          && X509_CRL_set_version (crl, X509_CRL_VERSION_2)
          && X509_CRL_set_issuer_name (crl, X509_get_subject_name (issuer))
          && X509_CRL_set1_lastUpdate (crl, last) && X509_CRL_set1_nextUpdate (crl, next)
          && X509_CRL_add1_ext_i2d (crl, NID_crl_number, number, 0, 0)
          && X509_CRL_add_ext (crl, aki, -1)
          && X509_CRL_sign (crl, key, EVP_sha256 ()) > 0;
    unsigned char *der = NULL;
    int len = ok ? i2d_X509_CRL (crl, &der) : -1;
    if (len > 0 && (hex = malloc ((size_t) len * 2 + 1)))
        dp_hex_encode (der, (size_t) len, hex);
    OPENSSL_free (der);
    X509_EXTENSION_free (aki);
    ASN1_INTEGER_free (number);
    ASN1_TIME_free (last);
    ASN1_TIME_free (next);
    X509_CRL_free (crl);
    return hex;
}

//  --------------------------------------------------------------------------
//  Collateral (QuoteCollateralV3 JSON)

static void
s_iso_time (time_t when, char out [32])
{
    struct tm tm;
    gmtime_r (&when, &tm);
    strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_object *
s_level (const char *key, int isvsvn, const char *date)
{
    json_object *level = json_object_new_object ();
    json_object *tcb = json_object_new_object ();
    json_object_object_add (tcb, key, json_object_new_int (isvsvn));
    json_object_object_add (level, "tcb", tcb);
    json_object_object_add (level, "tcbDate", json_object_new_string (date));
    json_object_object_add (level, "tcbStatus", json_object_new_string ("UpToDate"));
    return level;
}

static json_object *
s_components (const uint8_t svn [16])
{
    json_object *list = json_object_new_array ();
    for (int i = 0; i < 16; i++) {
        json_object *item = json_object_new_object ();
        json_object_object_add (item, "svn", json_object_new_int (svn [i]));
        json_object_array_add (list, item);
    }
    return list;
}

static json_object *
s_module (const char *id, int with_levels, const char *date)
{
    static const char zeros48 [] = "000000000000000000000000000000000000000000000000"
                                   "000000000000000000000000000000000000000000000000";
    json_object *module = json_object_new_object ();
    if (id)
        json_object_object_add (module, "id", json_object_new_string (id));
    json_object_object_add (module, "mrsigner", json_object_new_string (zeros48));
    json_object_object_add (module, "attributes", json_object_new_string ("0000000000000000"));
    json_object_object_add (module, "attributesMask", json_object_new_string ("FFFFFFFFFFFFFFFF"));
    if (with_levels) {
        json_object *levels = json_object_new_array ();
        json_object_array_add (levels, s_level ("isvsvn", DP_SIMROOT_TDX_MODULE_ISVSVN, date));
        json_object_object_add (module, "tcbLevels", levels);
    }
    return module;
}

//  The TDX TCB info: one level, exactly the simulated platform, UpToDate.
static json_object *
s_tcb_info (const char *issue, const char *next)
{
    json_object *info = json_object_new_object ();
    json_object_object_add (info, "id", json_object_new_string ("TDX"));
    json_object_object_add (info, "version", json_object_new_int (3));
    json_object_object_add (info, "issueDate", json_object_new_string (issue));
    json_object_object_add (info, "nextUpdate", json_object_new_string (next));
    json_object_object_add (info, "fmspc", json_object_new_string (DP_SIMROOT_FMSPC));
    json_object_object_add (info, "pceId", json_object_new_string ("0000"));
    json_object_object_add (info, "tcbType", json_object_new_int (0));
    json_object_object_add (info, "tcbEvaluationDataNumber", json_object_new_int (17));
    json_object_object_add (info, "tdxModule", s_module (NULL, 0, issue));
    json_object *identities = json_object_new_array ();
    json_object_array_add (identities, s_module ("TDX_01", 1, issue));
    json_object_object_add (info, "tdxModuleIdentities", identities);
    json_object *tcb = json_object_new_object ();
    json_object_object_add (tcb, "sgxtcbcomponents", s_components (dp_simroot_cpusvn));
    json_object_object_add (tcb, "pcesvn", json_object_new_int (DP_SIMROOT_PCESVN));
    json_object_object_add (tcb, "tdxtcbcomponents", s_components (dp_simroot_tee_tcb_svn));
    json_object *level = json_object_new_object ();
    json_object_object_add (level, "tcb", tcb);
    json_object_object_add (level, "tcbDate", json_object_new_string (issue));
    json_object_object_add (level, "tcbStatus", json_object_new_string ("UpToDate"));
    json_object *levels = json_object_new_array ();
    json_object_array_add (levels, level);
    json_object_object_add (info, "tcbLevels", levels);
    return info;
}

//  The TD quoting enclave identity matching the simulator's QE report.
static json_object *
s_qe_identity (const char *issue, const char *next)
{
    char mrsigner [65];
    dp_hex_encode (dp_simroot_qe_mrsigner, 32, mrsigner);
    for (char *c = mrsigner; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char) (*c - 'a' + 'A');   //  Intel prints upper case
    json_object *qe = json_object_new_object ();
    json_object_object_add (qe, "id", json_object_new_string ("TD_QE"));
    json_object_object_add (qe, "version", json_object_new_int (2));
    json_object_object_add (qe, "issueDate", json_object_new_string (issue));
    json_object_object_add (qe, "nextUpdate", json_object_new_string (next));
    json_object_object_add (qe, "tcbEvaluationDataNumber", json_object_new_int (17));
    json_object_object_add (qe, "miscselect", json_object_new_string ("00000000"));
    json_object_object_add (qe, "miscselectMask", json_object_new_string ("FFFFFFFF"));
    json_object_object_add (qe, "attributes", json_object_new_string ("11000000000000000000000000000000"));
    json_object_object_add (qe, "attributesMask", json_object_new_string ("FBFFFFFFFFFFFFFF0000000000000000"));
    json_object_object_add (qe, "mrsigner", json_object_new_string (mrsigner));
    json_object_object_add (qe, "isvprodid", json_object_new_int (DP_SIMROOT_QE_ISVPRODID));
    json_object *levels = json_object_new_array ();
    json_object_array_add (levels, s_level ("isvsvn", DP_SIMROOT_QE_ISVSVN, issue));
    json_object_object_add (qe, "tcbLevels", levels);
    return qe;
}

//  Serialises inner (taking it), signs the exact bytes with key, and adds
//  both as strings to out under name and name_signature.
static int
s_add_signed (json_object *out, const char *name, json_object *inner, EVP_PKEY *key)
{
    const char *text = json_object_to_json_string_ext (inner, JSON_C_TO_STRING_PLAIN
                                                              | JSON_C_TO_STRING_NOSLASHESCAPE);
    uint8_t sig [64];
    char sig_hex [129], sig_name [64];
    int ok = text && dp_simroot_sign_raw (key, text, strlen (text), sig, NULL) == DP_OK;
    if (ok) {
        dp_hex_encode (sig, 64, sig_hex);
        snprintf (sig_name, sizeof sig_name, "%s_signature", name);
        json_object_object_add (out, name, json_object_new_string (text));
        json_object_object_add (out, sig_name, json_object_new_string (sig_hex));
    }
    json_object_put (inner);
    return ok;
}

static int
s_add_owned_string (json_object *out, const char *name, char *text)
{
    if (!text)
        return 0;
    json_object_object_add (out, name, json_object_new_string (text));
    free (text);
    return 1;
}

static char *
s_two_pem (X509 *first, X509 *second)
{
    char *a = s_cert_pem (first), *b = s_cert_pem (second), *both = NULL;
    if (a && b && (both = malloc (strlen (a) + strlen (b) + 1)))
        strcat (strcpy (both, a), b);
    free (a);
    free (b);
    return both;
}

static char *
s_collateral_new (s_material_t *m, time_t now)
{
    char issue [32], next [32];
    s_iso_time (now - 86400, issue);
    s_iso_time (now + (time_t) S_LEAF_YEARS * S_YEAR_SECONDS, next);
    json_object *out = json_object_new_object ();
    int ok = out
          && s_add_owned_string (out, "pck_crl_issuer_chain", s_two_pem (m->ca, m->root))
          && s_add_owned_string (out, "root_ca_crl", s_crl_hex (m->root, m->root_key, now))
          && s_add_owned_string (out, "pck_crl", s_crl_hex (m->ca, m->ca_key, now))
          && s_add_owned_string (out, "tcb_info_issuer_chain", s_two_pem (m->tcb, m->root))
          && s_add_signed (out, "tcb_info", s_tcb_info (issue, next), m->tcb_key)
          && s_add_owned_string (out, "qe_identity_issuer_chain", s_two_pem (m->tcb, m->root))
          && s_add_signed (out, "qe_identity", s_qe_identity (issue, next), m->tcb_key);
    char *text = NULL;
    if (ok) {
        const char *json = json_object_to_json_string_ext (out, JSON_C_TO_STRING_PRETTY
                                                                | JSON_C_TO_STRING_NOSLASHESCAPE);
        text = json ? strdup (json) : NULL;
    }
    json_object_put (out);
    return text;
}

//  --------------------------------------------------------------------------
//  Generation

static void
s_material_free (s_material_t *m)
{
    EVP_PKEY_free (m->root_key);
    EVP_PKEY_free (m->ca_key);
    EVP_PKEY_free (m->tcb_key);
    EVP_PKEY_free (m->pck_key);
    EVP_PKEY_free (m->att_key);
    X509_free (m->root);
    X509_free (m->ca);
    X509_free (m->tcb);
    X509_free (m->pck);
    free (m->collateral);
    memset (m, 0, sizeof *m);
}

static dp_status
s_material_make (s_material_t *m, dp_error_t *err)
{
    time_t now = time (NULL);
    m->root_key = EVP_EC_gen ("P-256");
    m->ca_key = EVP_EC_gen ("P-256");
    m->tcb_key = EVP_EC_gen ("P-256");
    m->pck_key = EVP_EC_gen ("P-256");
    m->att_key = EVP_EC_gen ("P-256");
    if (!m->root_key || !m->ca_key || !m->tcb_key || !m->pck_key || !m->att_key)
        return dp_simroot_ossl_error (err, "generating P-256 keys");
    m->root = s_cert_new (DP_SIMROOT_SUBJECT, m->root_key, S_ROLE_ROOT, NULL, NULL, now, NULL);
    if (m->root)
        m->ca = s_cert_new ("DealProof Simulation SGX PCK Platform CA", m->ca_key, S_ROLE_CA,
                            m->root, m->root_key, now, NULL);
    if (m->root)
        m->tcb = s_cert_new ("DealProof Simulation SGX TCB Signing", m->tcb_key, S_ROLE_LEAF,
                             m->root, m->root_key, now, NULL);
    X509_EXTENSION *sgx = s_sgx_ext_new ();
    if (m->ca && sgx)
        m->pck = s_cert_new ("DealProof Simulation SGX PCK Certificate", m->pck_key, S_ROLE_LEAF,
                             m->ca, m->ca_key, now, sgx);
    X509_EXTENSION_free (sgx);
    if (!m->root || !m->ca || !m->tcb || !m->pck)
        return dp_simroot_ossl_error (err, "issuing certificates");
    m->collateral = s_collateral_new (m, now);
    if (!m->collateral)
        return dp_simroot_ossl_error (err, "building collateral.json");
    return DP_OK;
}

static dp_status
s_write_cert (const char *dir, const char *name, X509 *cert, dp_error_t *err)
{
    char *pem = s_cert_pem (cert);
    if (!pem)
        return dp_simroot_ossl_error (err, "encoding a certificate");
    dp_status rc = s_write_file (dir, name, pem, strlen (pem), 0644, err);
    free (pem);
    return rc;
}

static dp_status
s_write_key (const char *dir, const char *name, EVP_PKEY *key, dp_error_t *err)
{
    size_t len = 0;
    char *pem = s_key_pem (key, &len);
    if (!pem)
        return dp_simroot_ossl_error (err, "encoding a private key");
    dp_status rc = s_write_file (dir, name, pem, len, 0600, err);
    s_free_secret (pem, len);
    return rc;
}

//  Writes a complete root into the (empty, 0700) folder dir.
static dp_status
s_material_write (s_material_t *m, const char *dir, dp_error_t *err)
{
    char private_dir [DP_SIMROOT_PATH_MAX];
    dp_status rc = dp_simroot_path (private_dir, sizeof private_dir, dir, "private", err);
    if (rc == DP_OK && mkdir (private_dir, 0700) != 0)
        rc = dp_error_set (err, DP_IO, "sim root: cannot create %s: %s", private_dir, strerror (errno));
    if (rc == DP_OK) rc = s_write_key (private_dir, "root.key.pem", m->root_key, err);
    if (rc == DP_OK) rc = s_write_key (private_dir, "pck-ca.key.pem", m->ca_key, err);
    if (rc == DP_OK) rc = s_write_key (private_dir, "tcb-signing.key.pem", m->tcb_key, err);
    if (rc == DP_OK) rc = s_write_key (private_dir, "pck.key.pem", m->pck_key, err);
    if (rc == DP_OK) rc = s_write_key (private_dir, "attestation.key.pem", m->att_key, err);
    if (rc == DP_OK) rc = s_write_cert (private_dir, "pck-ca.pem", m->ca, err);
    if (rc == DP_OK) rc = s_write_cert (private_dir, "tcb-signing.pem", m->tcb, err);
    if (rc == DP_OK) rc = s_write_cert (private_dir, "pck.pem", m->pck, err);
    if (rc == DP_OK) rc = s_write_cert (dir, "root.pem", m->root, err);
    if (rc == DP_OK)
        rc = s_write_file (dir, "collateral.json", m->collateral, strlen (m->collateral), 0644, err);
    if (rc == DP_OK)
        rc = s_write_file (dir, "VERSION", "1\n", 2, 0644, err);
    return rc;
}

dp_status
dp_simroot_make (const char *dir, dp_error_t *err)
{
    s_material_t material = { 0 };
    dp_status rc = s_material_make (&material, err);
    if (rc == DP_OK)
        rc = s_material_write (&material, dir, err);
    s_material_free (&material);
    return rc;
}
