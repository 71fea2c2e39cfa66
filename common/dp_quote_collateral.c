/*  dp_quote_collateral.c — QuoteCollateralV3 JSON → parsed collateral. */

#include "dp_quote_collateral.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dp_hex.h"

//  Bytes of a binary field: a hex string (optional 0x) or an array of
//  byte values. *out is malloc'd.
static dp_status
s_bytes_field (json_object *root, const char *key, uint8_t **out, size_t *len, dp_error_t *err)
{
    json_object *value = NULL;
    *out = NULL;
    if (!json_object_object_get_ex (root, key, &value))
        return dp_error_set (err, DP_INVALID, "collateral.%s: missing", key);
    if (json_object_is_type (value, json_type_array)) {
        size_t n = json_object_array_length (value);
        *out = malloc (n? n: 1);
        if (!*out)
            return dp_error_set (err, DP_NOMEM, "collateral.%s: out of memory", key);
        for (size_t i = 0; i < n; i++) {
            json_object *item = json_object_array_get_idx (value, i);
            int64_t byte = json_object_is_type (item, json_type_int)? json_object_get_int64 (item): -1;
            if (byte < 0 || byte > 255) {
                free (*out);
                *out = NULL;
                return dp_error_set (err, DP_INVALID, "collateral.%s[%zu]: not a byte value", key, i);
            }
            (*out) [i] = (uint8_t) byte;
        }
        *len = n;
        return DP_OK;
    }
    if (!json_object_is_type (value, json_type_string))
        return dp_error_set (err, DP_INVALID, "collateral.%s: not a hex string or byte array", key);
    const char *text = json_object_get_string (value);
    size_t text_len = (size_t) json_object_get_string_len (value);
    if (text_len >= 2 && text [0] == '0' && (text [1] == 'x' || text [1] == 'X')) {
        text += 2;
        text_len -= 2;
    }
    *len = text_len / 2;
    *out = malloc (*len? *len: 1);
    if (!*out)
        return dp_error_set (err, DP_NOMEM, "collateral.%s: out of memory", key);
    dp_error_t hex_err;
    if (dp_hex_decode (text, text_len, *out, *len, &hex_err) != DP_OK) {
        free (*out);
        *out = NULL;
        return dp_error_set (err, DP_INVALID, "collateral.%s: %s", key, hex_err.text);
    }
    return DP_OK;
}

static dp_status
s_text_field (json_object *root, const char *key, const char **text, size_t *len, dp_error_t *err)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex (root, key, &value) || !json_object_is_type (value, json_type_string))
        return dp_error_set (err, DP_INVALID, "collateral.%s: missing or not a string", key);
    *text = json_object_get_string (value);
    *len = (size_t) json_object_get_string_len (value);
    return DP_OK;
}

static dp_status
s_signature (json_object *root, const char *key, uint8_t out [64], dp_error_t *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    dp_status rc = s_bytes_field (root, key, &bytes, &len, err);
    if (rc == DP_OK && len != 64)
        rc = dp_error_set (err, DP_INVALID, "collateral.%s: %zu bytes, expected 64 (r‖s)", key, len);
    if (rc == DP_OK)
        memcpy (out, bytes, 64);
    free (bytes);
    return rc;
}

static dp_status
s_chain (json_object *root, const char *key, STACK_OF (X509) **out, const char **text,
         size_t *len, dp_error_t *err)
{
    char what [64];
    snprintf (what, sizeof what, "collateral.%s", key);
    dp_status rc = s_text_field (root, key, text, len, err);
    return rc? rc: dp_quote_pki_chain_from_pem ((const uint8_t *) *text, *len, what, out, err);
}

static dp_status
s_crl (json_object *root, const char *key, X509_CRL **out, dp_error_t *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    char what [64];
    snprintf (what, sizeof what, "collateral.%s", key);
    dp_status rc = s_bytes_field (root, key, &bytes, &len, err);
    if (rc == DP_OK)
        rc = dp_quote_pki_crl_parse (bytes, len, what, out, err);
    free (bytes);
    return rc;
}

//  A private NUL-terminated copy of the exact signed JSON text.
static dp_status
s_signed_text (json_object *root, const char *key, char **out, size_t *out_len, dp_error_t *err)
{
    const char *text = NULL;
    size_t len = 0;
    dp_status rc = s_text_field (root, key, &text, &len, err);
    if (rc)
        return rc;
    *out = malloc (len + 1);
    if (!*out)
        return dp_error_set (err, DP_NOMEM, "collateral.%s: out of memory", key);
    memcpy (*out, text, len);
    (*out) [len] = '\0';
    *out_len = len;
    return DP_OK;
}

static dp_status
s_fill (dp_quote_collateral_t *self, json_object *root, dp_error_t *err)
{
    const char *tcb_chain, *qe_chain, *crl_chain;
    size_t tcb_chain_len, qe_chain_len, crl_chain_len;
    dp_status rc = s_signed_text (root, "tcb_info", &self->tcb_info_text, &self->tcb_info_len, err);
    if (!rc) rc = s_signed_text (root, "qe_identity", &self->qe_identity_text, &self->qe_identity_len, err);
    if (!rc) rc = s_signature (root, "tcb_info_signature", self->tcb_info_signature, err);
    if (!rc) rc = s_signature (root, "qe_identity_signature", self->qe_identity_signature, err);
    if (!rc) rc = s_chain (root, "tcb_info_issuer_chain", &self->tcb_info_chain, &tcb_chain, &tcb_chain_len, err);
    if (!rc) rc = s_chain (root, "qe_identity_issuer_chain", &self->qe_identity_chain, &qe_chain, &qe_chain_len, err);
    if (!rc) rc = s_chain (root, "pck_crl_issuer_chain", &self->pck_crl_chain, &crl_chain, &crl_chain_len, err);
    if (!rc) rc = s_crl (root, "root_ca_crl", &self->root_crl, err);
    if (!rc) rc = s_crl (root, "pck_crl", &self->pck_crl, err);
    if (!rc) rc = dp_quote_tcb_info_parse (self->tcb_info_text, self->tcb_info_len, &self->tcb_info, err);
    if (!rc) rc = dp_quote_qe_identity_parse (self->qe_identity_text, self->qe_identity_len, &self->qe_identity, err);
    if (!rc)
        self->same_signing_chain = tcb_chain_len == qe_chain_len
                                && memcmp (tcb_chain, qe_chain, tcb_chain_len) == 0;
    return rc;
}

dp_status
dp_quote_collateral_from_json (const char *text, size_t len, dp_quote_collateral_t **out,
                               dp_error_t *err)
{
    *out = NULL;
    if (len > DP_QUOTE_COLLATERAL_MAX_SIZE)
        return dp_error_set (err, DP_LIMIT, "collateral: larger than %d bytes", DP_QUOTE_COLLATERAL_MAX_SIZE);
    json_tokener *tok = json_tokener_new ();
    json_object *root = tok? json_tokener_parse_ex (tok, text, (int) len): NULL;
    enum json_tokener_error jerr = tok? json_tokener_get_error (tok): json_tokener_error_parse_eof;
    if (tok)
        json_tokener_free (tok);
    if (!root || jerr != json_tokener_success || !json_object_is_type (root, json_type_object)) {
        json_object_put (root);
        return dp_error_set (err, DP_INVALID, "collateral: not a JSON object (%s)",
                             jerr == json_tokener_success? "wrong type": json_tokener_error_desc (jerr));
    }
    dp_quote_collateral_t *self = calloc (1, sizeof *self);
    if (!self) {
        json_object_put (root);
        return dp_error_set (err, DP_NOMEM, "collateral: out of memory");
    }
    pthread_mutex_init (&self->lock, NULL);
    dp_status rc = s_fill (self, root, err);
    json_object_put (root);
    if (rc != DP_OK) {
        dp_quote_collateral_destroy (&self);
        return rc;
    }
    *out = self;
    return DP_OK;
}

dp_status
dp_quote_collateral_load (const char *path, dp_quote_collateral_t **out, dp_error_t *err)
{
    *out = NULL;
    FILE *file = fopen (path, "rb");
    if (!file)
        return dp_error_set (err, DP_IO, "%s: %s", path, strerror (errno));
    char *buffer = malloc (DP_QUOTE_COLLATERAL_MAX_SIZE + 1);
    size_t len = buffer? fread (buffer, 1, DP_QUOTE_COLLATERAL_MAX_SIZE + 1, file): 0;
    int failed = ferror (file);
    fclose (file);
    dp_status rc;
    if (!buffer)
        rc = dp_error_set (err, DP_NOMEM, "%s: out of memory", path);
    else
    if (failed)
        rc = dp_error_set (err, DP_IO, "%s: read error", path);
    else
    if (len > DP_QUOTE_COLLATERAL_MAX_SIZE)
        rc = dp_error_set (err, DP_LIMIT, "%s: larger than %d bytes", path, DP_QUOTE_COLLATERAL_MAX_SIZE);
    else {
        rc = dp_quote_collateral_from_json (buffer, len, out, err);
        if (rc != DP_OK)
            dp_error_prefix (err, "%s", path);
    }
    free (buffer);
    return rc;
}

//  The quote's PCK FMSPC, read without verification (to pick collateral).
static dp_status
s_quote_fmspc (const dp_quote_t *quote, uint8_t fmspc [6], dp_error_t *err)
{
    STACK_OF (X509) *chain = NULL;
    dp_quote_pck_t pck;
    dp_status rc = quote->cert_type == 5
        ? dp_quote_pki_chain_from_pem (quote->cert_data, quote->cert_size, "pck_chain", &chain, err)
        : dp_error_set (err, DP_INVALID, "pck_chain: certification data type %u is not 5", quote->cert_type);
    if (rc == DP_OK)
        rc = dp_quote_pki_pck_info (sk_X509_value (chain, 0), &pck, err);
    if (rc == DP_OK)
        memcpy (fmspc, pck.fmspc, 6);
    sk_X509_pop_free (chain, X509_free);
    return rc;
}

static int
s_fits (const dp_quote_collateral_t *c, const dp_quote_t *quote, const uint8_t fmspc [6])
{
    const char *kind = quote->tee_type == DP_QUOTE_TEE_TDX? "TDX": "SGX";
    return memcmp (c->tcb_info->fmspc, fmspc, 6) == 0 && strcmp (c->tcb_info->id, kind) == 0;
}

static int
s_by_name (const struct dirent **a, const struct dirent **b)
{
    return strcmp ((*a)->d_name, (*b)->d_name);
}

static int
s_is_json (const struct dirent *entry)
{
    size_t len = strlen (entry->d_name);
    return entry->d_name [0] != '.' && len > 5 && strcmp (entry->d_name + len - 5, ".json") == 0;
}

dp_status
dp_quote_collateral_load_for (const char *path, const dp_quote_t *quote, dp_quote_collateral_t **out,
                              dp_error_t *err)
{
    *out = NULL;
    struct stat st;
    if (stat (path, &st) != 0)
        return dp_error_set (err, DP_IO, "%s: %s", path, strerror (errno));
    if (!S_ISDIR (st.st_mode))
        return dp_quote_collateral_load (path, out, err);
    uint8_t fmspc [6];
    if (s_quote_fmspc (quote, fmspc, err))
        return DP_INVALID;
    struct dirent **names = NULL;
    int count = scandir (path, &names, s_is_json, s_by_name);
    if (count < 0)
        return dp_error_set (err, DP_IO, "%s: %s", path, strerror (errno));
    for (int i = 0; i < count; i++) {
        char file [4096];
        dp_quote_collateral_t *candidate = NULL;
        snprintf (file, sizeof file, "%s/%s", path, names [i]->d_name);
        if (!*out && dp_quote_collateral_load (file, &candidate, NULL) == DP_OK) {
            if (s_fits (candidate, quote, fmspc))
                *out = candidate;
            else
                dp_quote_collateral_destroy (&candidate);
        }
        free (names [i]);
    }
    free (names);
    if (*out)
        return DP_OK;
    return dp_error_set (err, DP_NOTFOUND, "%s: no collateral for FMSPC %02x%02x%02x%02x%02x%02x (%s)", path,
                         fmspc [0], fmspc [1], fmspc [2], fmspc [3], fmspc [4], fmspc [5], dp_quote_tee_name (quote));
}

static void
s_forget (dp_quote_collateral_t *self)
{
    self->verified = 0;
    for (size_t i = 0; i < DP_QUOTE_PCK_CACHE_SIZE; i++) {
        EVP_PKEY_free (self->pck_cache [i].leaf_key);
        memset (&self->pck_cache [i], 0, sizeof self->pck_cache [i]);
    }
    self->pck_cache_next = 0;
}

void
dp_quote_collateral_set_cache (dp_quote_collateral_t *self, int enabled)
{
    pthread_mutex_lock (&self->lock);
    self->cache_enabled = enabled;
    if (!enabled)
        s_forget (self);
    pthread_mutex_unlock (&self->lock);
}

void
dp_quote_collateral_destroy (dp_quote_collateral_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_quote_collateral_t *self = *self_p;
    s_forget (self);
    free (self->tcb_info_text);
    free (self->qe_identity_text);
    sk_X509_pop_free (self->tcb_info_chain, X509_free);
    sk_X509_pop_free (self->qe_identity_chain, X509_free);
    sk_X509_pop_free (self->pck_crl_chain, X509_free);
    X509_CRL_free (self->root_crl);
    X509_CRL_free (self->pck_crl);
    dp_quote_tcb_info_destroy (&self->tcb_info);
    dp_quote_qe_identity_destroy (&self->qe_identity);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
