/*  dp_simroot.c — the simulation root of SPEC §8: create once, load, sign.

    Generation uses OpenSSL 3 only: EVP_PKEY keys, X509 certificates with
    v3 extensions from configuration strings (the Intel SGX extension is an
    "ASN1:SEQUENCE:" generated from an NCONF text, so OpenSSL does the DER),
    X509_CRL for both CRLs, and json-c for the collateral. */

#define _GNU_SOURCE
#include "dp_simroot.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_sha256.h"

const uint8_t dp_simroot_cpusvn [16] = { 3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0 };
const uint8_t dp_simroot_tee_tcb_svn [16] = { 6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
const uint8_t dp_simroot_qe_mrsigner [32] = {
    0x47, 0xd6, 0x25, 0x7a, 0x89, 0xf2, 0xf5, 0xe6, 0xa5, 0x9d, 0x2a, 0x50, 0x20, 0x66, 0x96, 0x63,
    0x3f, 0xb4, 0xc6, 0x34, 0x22, 0x49, 0x38, 0xc5, 0x06, 0xb2, 0x02, 0xc1, 0x16, 0x2e, 0xc8, 0xfc
};

#define S_SGX_OID       "1.2.840.113741.1.13.1"
#define S_CA_YEARS      30
#define S_LEAF_YEARS    20
#define S_FILE_MAX      (1024 * 1024)   //  every file here is a few KB
#define S_YEAR_SECONDS  (365L * 24 * 3600)

struct dp_simroot_t {
    char dir [DP_SIMROOT_PATH_MAX];
    char *root_pem;
    X509 *root;
    uint8_t *root_der;
    size_t root_der_len;
    uint8_t root_sha [32];
    char root_sha_hex [65];
    char *collateral;
    size_t collateral_len;
    int has_private;
    EVP_PKEY *pck_key;
    EVP_PKEY *att_key;
    char *chain_pem;
    size_t chain_len;
};

//  Everything generated for a new root, before it is written out.
typedef struct {
    EVP_PKEY *root_key, *ca_key, *tcb_key, *pck_key, *att_key;
    X509 *root, *ca, *tcb, *pck;
    char *collateral;
} s_material_t;

//  --------------------------------------------------------------------------
//  Small helpers: OpenSSL errors, files, PEM

static dp_status
s_ossl_error (dp_error_t *err, const char *step)
{
    char detail [256] = "no detail";
    unsigned long code = ERR_get_error ();
    if (code)
        ERR_error_string_n (code, detail, sizeof detail);
    ERR_clear_error ();
    return dp_error_set (err, DP_CRYPTO, "sim root: %s: %s", step, detail);
}

static dp_status
s_path (char *out, size_t size, const char *dir, const char *name, dp_error_t *err)
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
    if (s_path (path, sizeof path, dir, name, err))
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

//  Reads a whole file (at most S_FILE_MAX), NUL-terminated. DP_NOTFOUND if
//  it does not exist.
static dp_status
s_read_file (const char *dir, const char *name, char **data, size_t *len, dp_error_t *err)
{
    char path [DP_SIMROOT_PATH_MAX];
    if (s_path (path, sizeof path, dir, name, err))
        return err ? err->code : DP_LIMIT;
    FILE *file = fopen (path, "rbe");
    if (!file)
        return dp_error_set (err, errno == ENOENT ? DP_NOTFOUND : DP_IO,
                             "sim root: cannot open %s: %s", path, strerror (errno));
    char *buffer = malloc (S_FILE_MAX + 1);
    if (!buffer) {
        fclose (file);
        return dp_error_set (err, DP_NOMEM, "sim root: out of memory reading %s", path);
    }
    size_t got = fread (buffer, 1, S_FILE_MAX + 1, file);
    int failed = ferror (file);
    fclose (file);
    if (failed || got > S_FILE_MAX) {
        OPENSSL_cleanse (buffer, got);
        free (buffer);
        return dp_error_set (err, failed ? DP_IO : DP_LIMIT, "sim root: %s: %s", path,
                             failed ? "read error" : "larger than 1 MiB");
    }
    buffer [got] = '\0';
    *data = buffer;
    *len = got;
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
        return s_ossl_error (err, "generating P-256 keys");
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
        return s_ossl_error (err, "issuing certificates");
    m->collateral = s_collateral_new (m, now);
    if (!m->collateral)
        return s_ossl_error (err, "building collateral.json");
    return DP_OK;
}

static dp_status
s_write_cert (const char *dir, const char *name, X509 *cert, dp_error_t *err)
{
    char *pem = s_cert_pem (cert);
    if (!pem)
        return s_ossl_error (err, "encoding a certificate");
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
        return s_ossl_error (err, "encoding a private key");
    dp_status rc = s_write_file (dir, name, pem, len, 0600, err);
    s_free_secret (pem, len);
    return rc;
}

//  Writes a complete root into the (empty, 0700) folder dir.
static dp_status
s_material_write (s_material_t *m, const char *dir, dp_error_t *err)
{
    char private_dir [DP_SIMROOT_PATH_MAX];
    dp_status rc = s_path (private_dir, sizeof private_dir, dir, "private", err);
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

static int
s_unlink_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

static void
s_remove_tree (const char *dir)
{
    nftw (dir, s_unlink_entry, 8, FTW_DEPTH | FTW_PHYS);
}

//  mkdir -p of dir's parents; components we create get 0700.
static dp_status
s_make_parents (const char *dir, dp_error_t *err)
{
    char path [DP_SIMROOT_PATH_MAX];
    snprintf (path, sizeof path, "%s", dir);
    for (char *slash = strchr (path + 1, '/'); slash; slash = strchr (slash + 1, '/')) {
        *slash = '\0';
        if (mkdir (path, 0700) != 0 && errno != EEXIST) {
            int saved = errno;
            return dp_error_set (err, DP_IO, "sim root: cannot create %s: %s", path, strerror (saved));
        }
        *slash = '/';
    }
    return DP_OK;
}

//  Builds a new root beside dir and renames it into place. Losing the race
//  to another process is success: the winner's root is then loaded.
static dp_status
s_create (const char *dir, dp_error_t *err)
{
    dp_status rc = s_make_parents (dir, err);
    if (rc != DP_OK)
        return rc;
    char temp [DP_SIMROOT_PATH_MAX];
    if (snprintf (temp, sizeof temp, "%s.tmp.XXXXXX", dir) >= (int) sizeof temp)
        return dp_error_set (err, DP_LIMIT, "sim root: path too long: %s", dir);
    if (!mkdtemp (temp))
        return dp_error_set (err, DP_IO, "sim root: cannot create a folder beside %s: %s", dir,
                             strerror (errno));
    s_material_t material = { 0 };
    rc = s_material_make (&material, err);
    if (rc == DP_OK)
        rc = s_material_write (&material, temp, err);
    s_material_free (&material);
    if (rc == DP_OK) {
        if (rename (temp, dir) == 0)
            return DP_OK;
        //  EEXIST/ENOTEMPTY: another process renamed its root first.
        if (errno != EEXIST && errno != ENOTEMPTY)
            rc = dp_error_set (err, DP_IO, "sim root: cannot rename %s to %s: %s", temp, dir,
                               strerror (errno));
    }
    s_remove_tree (temp);
    return rc;
}

//  --------------------------------------------------------------------------
//  Loading

static X509 *
s_parse_cert (const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf (pem, (int) len);
    X509 *cert = bio ? PEM_read_bio_X509 (bio, NULL, NULL, NULL) : NULL;
    BIO_free (bio);
    return cert;
}

static dp_status
s_load_root (dp_simroot_t *self, dp_error_t *err)
{
    size_t len = 0;
    dp_status rc = s_read_file (self->dir, "root.pem", &self->root_pem, &len, err);
    if (rc != DP_OK)
        return rc;
    self->root = s_parse_cert (self->root_pem, len);
    if (!self->root)
        return dp_error_set (err, DP_INVALID, "sim root: %s/root.pem: not a PEM certificate", self->dir);
    char cn [128] = "";
    X509_NAME_get_text_by_NID (X509_get_subject_name (self->root), NID_commonName, cn, sizeof cn);
    EVP_PKEY *key = X509_get0_pubkey (self->root);
    if (strcmp (cn, DP_SIMROOT_SUBJECT) != 0 || !key || !EVP_PKEY_is_a (key, "EC")
        || X509_verify (self->root, key) != 1)
        return dp_error_set (err, DP_INVALID, "sim root: %s/root.pem: not a self-signed EC "
                             "\"%s\" certificate", self->dir, DP_SIMROOT_SUBJECT);
    unsigned char *der = NULL;
    int der_len = i2d_X509 (self->root, &der);
    if (der_len <= 0)
        return s_ossl_error (err, "encoding root.pem");
    self->root_der = malloc ((size_t) der_len);
    if (!self->root_der) {
        OPENSSL_free (der);
        return dp_error_set (err, DP_NOMEM, "sim root: out of memory");
    }
    memcpy (self->root_der, der, (size_t) der_len);
    OPENSSL_free (der);
    self->root_der_len = (size_t) der_len;
    dp_sha256 (self->root_der, self->root_der_len, self->root_sha);
    dp_hex_encode (self->root_sha, 32, self->root_sha_hex);
    return DP_OK;
}

static dp_status
s_load_collateral (dp_simroot_t *self, dp_error_t *err)
{
    dp_status rc = s_read_file (self->dir, "collateral.json", &self->collateral,
                                &self->collateral_len, err);
    if (rc != DP_OK)
        return rc;
    static const char *keys [] = { "pck_crl_issuer_chain", "root_ca_crl", "pck_crl",
        "tcb_info_issuer_chain", "tcb_info", "tcb_info_signature", "qe_identity_issuer_chain",
        "qe_identity", "qe_identity_signature" };
    json_object *doc = json_tokener_parse (self->collateral);
    rc = doc && json_object_is_type (doc, json_type_object) ? DP_OK
       : dp_error_set (err, DP_INVALID, "sim root: %s/collateral.json: not a JSON object", self->dir);
    for (size_t i = 0; rc == DP_OK && i < sizeof keys / sizeof keys [0]; i++) {
        json_object *value = NULL;
        if (!json_object_object_get_ex (doc, keys [i], &value)
            || !json_object_is_type (value, json_type_string))
            rc = dp_error_set (err, DP_INVALID, "sim root: %s/collateral.json: %s: missing or "
                               "not a string", self->dir, keys [i]);
    }
    json_object_put (doc);
    return rc;
}

static EVP_PKEY *
s_parse_key (const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf (pem, (int) len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;
    BIO_free (bio);
    return key;
}

static dp_status
s_load_key (const char *dir, const char *name, EVP_PKEY **key, dp_error_t *err)
{
    char *pem = NULL;
    size_t len = 0;
    dp_status rc = s_read_file (dir, name, &pem, &len, err);
    if (rc != DP_OK)
        return rc;
    *key = s_parse_key (pem, len);
    s_free_secret (pem, len);
    ERR_clear_error ();
    if (!*key || !EVP_PKEY_is_a (*key, "EC"))
        return dp_error_set (err, DP_INVALID, "sim root: %s/%s: not an EC private key", dir, name);
    return DP_OK;
}

//  chain = pck.pem ‖ pck-ca.pem ‖ root.pem, checked to link up.
static dp_status
s_load_chain (dp_simroot_t *self, const char *private_dir, dp_error_t *err)
{
    char *leaf = NULL, *ca = NULL;
    size_t leaf_len = 0, ca_len = 0, root_len = strlen (self->root_pem);
    dp_status rc = s_read_file (private_dir, "pck.pem", &leaf, &leaf_len, err);
    if (rc == DP_OK)
        rc = s_read_file (private_dir, "pck-ca.pem", &ca, &ca_len, err);
    X509 *leaf_cert = rc == DP_OK ? s_parse_cert (leaf, leaf_len) : NULL;
    X509 *ca_cert = rc == DP_OK ? s_parse_cert (ca, ca_len) : NULL;
    if (rc == DP_OK && (!leaf_cert || !ca_cert
        || X509_verify (leaf_cert, X509_get0_pubkey (ca_cert)) != 1
        || X509_verify (ca_cert, X509_get0_pubkey (self->root)) != 1
        || X509_check_private_key (leaf_cert, self->pck_key) != 1))
        rc = dp_error_set (err, DP_INVALID, "sim root: %s: pck.pem / pck-ca.pem / pck.key.pem do "
                           "not chain to root.pem", private_dir);
    ERR_clear_error ();
    if (rc == DP_OK) {
        self->chain_len = leaf_len + ca_len + root_len;
        self->chain_pem = malloc (self->chain_len + 1);
        if (!self->chain_pem)
            rc = dp_error_set (err, DP_NOMEM, "sim root: out of memory");
        else
            snprintf (self->chain_pem, self->chain_len + 1, "%s%s%s", leaf, ca, self->root_pem);
    }
    X509_free (leaf_cert);
    X509_free (ca_cert);
    free (leaf);
    free (ca);
    return rc;
}

static dp_status
s_load_private (dp_simroot_t *self, dp_error_t *err)
{
    char private_dir [DP_SIMROOT_PATH_MAX];
    dp_status rc = s_path (private_dir, sizeof private_dir, self->dir, "private", err);
    if (rc != DP_OK)
        return rc;
    struct stat st;
    if (stat (private_dir, &st) != 0)
        return DP_OK;   //  a verifier's copy: root.pem and collateral.json only
    rc = s_load_key (private_dir, "pck.key.pem", &self->pck_key, err);
    if (rc == DP_OK)
        rc = s_load_key (private_dir, "attestation.key.pem", &self->att_key, err);
    if (rc == DP_OK)
        rc = s_load_chain (self, private_dir, err);
    self->has_private = rc == DP_OK;
    return rc;
}

//  --------------------------------------------------------------------------
//  Public API

dp_status
dp_simroot_default_dir (const char *dir, char *out, size_t size, dp_error_t *err)
{
    const char *env = getenv ("DP_SIM_ROOT");
    const char *xdg = getenv ("XDG_DATA_HOME");
    const char *home = getenv ("HOME");
    int n;
    if (dir && *dir)
        n = snprintf (out, size, "%s", dir);
    else
    if (env && *env)
        n = snprintf (out, size, "%s", env);
    else
    if (xdg && xdg [0] == '/')
        n = snprintf (out, size, "%s/dealproof/sim-root", xdg);
    else
    if (home && *home)
        n = snprintf (out, size, "%s/.local/share/dealproof/sim-root", home);
    else
        return dp_error_set (err, DP_INVALID, "sim root: neither --sim-root, DP_SIM_ROOT, "
                             "XDG_DATA_HOME nor HOME is set");
    if (n < 0 || (size_t) n >= size)
        return dp_error_set (err, DP_LIMIT, "sim root: path longer than %zu bytes", size - 1);
    //  A trailing slash would make rename() and the temp name awkward.
    while (n > 1 && out [n - 1] == '/')
        out [--n] = '\0';
    return DP_OK;
}

static int
s_root_exists (const char *dir)
{
    char path [DP_SIMROOT_PATH_MAX];
    struct stat st;
    return s_path (path, sizeof path, dir, "root.pem", NULL) == DP_OK && stat (path, &st) == 0;
}

dp_simroot_t *
dp_simroot_open (const char *dir, int create, dp_error_t *err)
{
    dp_simroot_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "sim root: out of memory");
        return NULL;
    }
    dp_status rc = dp_simroot_default_dir (dir, self->dir, sizeof self->dir, err);
    if (rc == DP_OK && !s_root_exists (self->dir)) {
        if (!create)
            rc = dp_error_set (err, DP_NOTFOUND, "sim root: %s/root.pem does not exist",
                               self->dir);
        else
            rc = s_create (self->dir, err);
    }
    if (rc == DP_OK)
        rc = s_load_root (self, err);
    if (rc == DP_OK)
        rc = s_load_collateral (self, err);
    if (rc == DP_OK)
        rc = s_load_private (self, err);
    if (rc != DP_OK)
        dp_simroot_destroy (&self);
    return self;
}

void
dp_simroot_destroy (dp_simroot_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_simroot_t *self = *self_p;
    free (self->root_pem);
    X509_free (self->root);
    free (self->root_der);
    free (self->collateral);
    EVP_PKEY_free (self->pck_key);      //  OpenSSL clears EC private keys on free
    EVP_PKEY_free (self->att_key);
    free (self->chain_pem);
    OPENSSL_cleanse (self, sizeof *self);
    free (self);
    *self_p = NULL;
}

const char *
dp_simroot_dir (const dp_simroot_t *self)
{
    return self->dir;
}

const char *
dp_simroot_root_pem (const dp_simroot_t *self)
{
    return self->root_pem;
}

const uint8_t *
dp_simroot_root_der (const dp_simroot_t *self, size_t *len)
{
    if (len)
        *len = self->root_der_len;
    return self->root_der;
}

X509 *
dp_simroot_root_cert (const dp_simroot_t *self)
{
    return self->root;
}

const uint8_t *
dp_simroot_root_sha256 (const dp_simroot_t *self)
{
    return self->root_sha;
}

const char *
dp_simroot_root_sha256_hex (const dp_simroot_t *self)
{
    return self->root_sha_hex;
}

const char *
dp_simroot_collateral (const dp_simroot_t *self, size_t *len)
{
    if (len)
        *len = self->collateral_len;
    return self->collateral;
}

int
dp_simroot_has_private (const dp_simroot_t *self)
{
    return self->has_private;
}

EVP_PKEY *
dp_simroot_pck_key (const dp_simroot_t *self)
{
    return self->has_private ? self->pck_key : NULL;
}

EVP_PKEY *
dp_simroot_attestation_key (const dp_simroot_t *self)
{
    return self->has_private ? self->att_key : NULL;
}

const char *
dp_simroot_pck_chain_pem (const dp_simroot_t *self, size_t *len)
{
    if (len)
        *len = self->has_private ? self->chain_len : 0;
    return self->has_private ? self->chain_pem : NULL;
}

//  Signs with an initialised context (consumed) and converts OpenSSL's DER
//  signature to the raw r ‖ s form quotes use.
static dp_status
s_sign_with (EVP_MD_CTX *ctx, const void *data, size_t len, uint8_t sig [64], dp_error_t *err)
{
    unsigned char der [80];
    size_t der_len = sizeof der;
    int ok = ctx && EVP_DigestSign (ctx, der, &der_len, data, len) == 1;
    EVP_MD_CTX_free (ctx);
    const unsigned char *cursor = der;
    ECDSA_SIG *parsed = ok ? d2i_ECDSA_SIG (NULL, &cursor, (long) der_len) : NULL;
    ok = parsed
      && BN_bn2binpad (ECDSA_SIG_get0_r (parsed), sig, 32) == 32
      && BN_bn2binpad (ECDSA_SIG_get0_s (parsed), sig + 32, 32) == 32;
    ECDSA_SIG_free (parsed);
    return ok ? DP_OK : s_ossl_error (err, "ECDSA P-256 signing");
}

dp_status
dp_simroot_sign_raw (EVP_PKEY *key, const void *data, size_t len, uint8_t sig [64],
                     dp_error_t *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    if (ctx && EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key) != 1) {
        EVP_MD_CTX_free (ctx);
        ctx = NULL;
    }
    return s_sign_with (ctx, data, len, sig, err);
}

struct dp_simroot_signer_t {
    EVP_MD_CTX *template;
    pthread_mutex_t lock;
};

dp_simroot_signer_t *
dp_simroot_signer_new (EVP_PKEY *key, dp_error_t *err)
{
    dp_simroot_signer_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "sim root: out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    self->template = EVP_MD_CTX_new ();
    if (!key || !self->template
        || EVP_DigestSignInit (self->template, NULL, EVP_sha256 (), NULL, key) != 1) {
        s_ossl_error (err, "preparing an ECDSA P-256 signer");
        dp_simroot_signer_destroy (&self);
    }
    return self;
}

dp_status
dp_simroot_signer_sign (dp_simroot_signer_t *self, const void *data, size_t len, uint8_t sig [64],
                        dp_error_t *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    pthread_mutex_lock (&self->lock);
    int ok = ctx && EVP_MD_CTX_copy_ex (ctx, self->template) == 1;
    pthread_mutex_unlock (&self->lock);
    if (!ok) {
        EVP_MD_CTX_free (ctx);
        ctx = NULL;
    }
    return s_sign_with (ctx, data, len, sig, err);
}

void
dp_simroot_signer_destroy (dp_simroot_signer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    EVP_MD_CTX_free ((*self_p)->template);
    pthread_mutex_destroy (&(*self_p)->lock);
    free (*self_p);
    *self_p = NULL;
}

dp_status
dp_simroot_public_raw (EVP_PKEY *key, uint8_t xy [64], dp_error_t *err)
{
    uint8_t point [65];
    size_t len = 0;
    char group [32] = "";
    if (!key || !EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                 sizeof group, NULL)
        || strcmp (group, "prime256v1") != 0
        || !EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len)
        || len != 65 || point [0] != 0x04) {
        ERR_clear_error ();
        return dp_error_set (err, DP_CRYPTO, "sim root: key is not an uncompressed P-256 key");
    }
    memcpy (xy, point + 1, 64);
    return DP_OK;
}

dp_status
dp_simroot_parse_seed_quote (const char *text, size_t len, uint8_t hash [64], size_t *hash_len,
                             dp_error_t *err)
{
    static const char prefix [] = "sim_quote:";
    const size_t prefix_len = sizeof prefix - 1;
    if (!text || len < prefix_len || memcmp (text, prefix, prefix_len) != 0)
        return dp_error_set (err, DP_NOTFOUND, "attestation: not a seed sim_quote string");
    const char *digits = text + prefix_len;
    size_t count = len - prefix_len;
    if (count < 2 || count > 128 || count % 2 != 0)
        return dp_error_set (err, DP_INVALID, "attestation: sim_quote: expected 2..128 hex digits "
                             "(even count), got %zu characters", count);
    dp_status rc = dp_hex_decode (digits, count, hash, count / 2, err);
    if (rc != DP_OK)
        return dp_error_prefix (err, "attestation: sim_quote");
    *hash_len = count / 2;
    return DP_OK;
}
