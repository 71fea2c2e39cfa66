/*  dp_quote.c — DCAP quote parser (v3, v4, v5; binary or hex).

    Every length in a quote is attacker-controlled: each read goes through
    s_take, which checks the bytes left in the enclosing region (the whole
    quote, the signature data, or the type-6 certification block) before
    handing out a pointer. */

#include "dp_quote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"

#define S_HEADER_SIZE   48
#define S_SGX_BODY_SIZE 384
#define S_TD10_SIZE     584
#define S_TD15_SIZE     648
#define S_CERT_QE_REPORT 6      //  certification data type: QE report certification data

//  A bounded view: [pos, end) of base, with the name used in errors.
typedef struct {
    const uint8_t *base;
    size_t pos, end;
    const char *region;
} s_view_t;

static uint16_t
s_le16 (const uint8_t *p)
{
    return (uint16_t) (p [0] | p [1] << 8);
}

static uint32_t
s_le32 (const uint8_t *p)
{
    return (uint32_t) p [0] | (uint32_t) p [1] << 8 | (uint32_t) p [2] << 16
         | (uint32_t) p [3] << 24;
}

//  Returns a pointer to the next size bytes and advances, or NULL with err
//  naming the field, its offset and what is left.
static const uint8_t *
s_take (s_view_t *view, size_t size, const char *field, dp_error_t *err)
{
    size_t left = view->end - view->pos;
    if (size > left) {
        dp_error_set (err, DP_INVALID,
                      "quote: %s (%zu bytes at offset %zu) exceeds the %zu bytes left in the %s",
                      field, size, view->pos, left, view->region);
        return NULL;
    }
    const uint8_t *p = view->base + view->pos;
    view->pos += size;
    return p;
}

void
dp_quote_enclave_decode (const uint8_t *raw, dp_quote_enclave_t *out)
{
    out->raw = raw;
    out->cpusvn = raw;
    out->miscselect = s_le32 (raw + 16);
    out->attributes = raw + 48;
    out->mrenclave = raw + 64;
    out->mrsigner = raw + 128;
    out->isvprodid = s_le16 (raw + 256);
    out->isvsvn = s_le16 (raw + 258);
    out->report_data = raw + 320;
}

static void
s_decode_td (const uint8_t *raw, int td15, dp_quote_td_t *out)
{
    out->tee_tcb_svn = raw;
    out->mrseam = raw + 16;
    out->mrsignerseam = raw + 64;
    out->seam_attributes = raw + 112;
    out->td_attributes = raw + 120;
    out->xfam = raw + 128;
    out->mrtd = raw + 136;
    out->mrconfigid = raw + 184;
    out->mrowner = raw + 232;
    out->mrownerconfig = raw + 280;
    for (int i = 0; i < 4; i++)
        out->rtmr [i] = raw + 328 + 48 * i;
    out->report_data = raw + 520;
    out->tee_tcb_svn2 = td15? raw + 584: NULL;
    out->mrservicetd = td15? raw + 600: NULL;
}

//  Header checks and body placement (notes §1.1, §1.2).
static dp_status
s_parse_header (dp_quote_t *self, s_view_t *view, dp_error_t *err)
{
    const uint8_t *header = s_take (view, S_HEADER_SIZE, "header", err);
    if (!header)
        return DP_INVALID;
    self->version = s_le16 (header);
    self->key_type = s_le16 (header + 2);
    self->tee_type = s_le32 (header + 4);
    self->qe_vendor_id = header + 12;
    self->user_data = header + 28;
    if (self->version < 3 || self->version > 5)
        return dp_error_set (err, DP_INVALID, "quote: version %u is not 3, 4 or 5", self->version);
    if (self->tee_type != DP_QUOTE_TEE_SGX && self->tee_type != DP_QUOTE_TEE_TDX)
        return dp_error_set (err, DP_INVALID, "quote: tee_type 0x%08x is neither SGX (0) nor TDX (0x81)",
                             self->tee_type);
    if (self->version == 3 && self->tee_type != DP_QUOTE_TEE_SGX)
        return dp_error_set (err, DP_INVALID, "quote: version 3 quotes carry SGX bodies, tee_type is 0x%08x",
                             self->tee_type);
    return DP_OK;
}

static dp_status
s_parse_body_kind (dp_quote_t *self, s_view_t *view, dp_error_t *err)
{
    if (self->version == 3 || self->version == 4) {
        int sgx = self->tee_type == DP_QUOTE_TEE_SGX;
        self->body_type = sgx? DP_QUOTE_BODY_SGX: DP_QUOTE_BODY_TD10;
        self->body_size = sgx? S_SGX_BODY_SIZE: S_TD10_SIZE;
        return DP_OK;
    }
    const uint8_t *kind = s_take (view, 6, "body type and size", err);
    if (!kind)
        return DP_INVALID;
    uint16_t type = s_le16 (kind);
    uint32_t size = s_le32 (kind + 2);
    size_t want = type == 1? S_SGX_BODY_SIZE: type == 2? S_TD10_SIZE: type == 3? S_TD15_SIZE: 0;
    if (!want)
        return dp_error_set (err, DP_INVALID, "quote: v5 body type %u at offset 48 is not 1, 2 or 3", type);
    if (size != want)
        return dp_error_set (err, DP_INVALID, "quote: v5 body size %u at offset 50 does not match type %u (%zu)",
                             size, type, want);
    if ((type == 1) != (self->tee_type == DP_QUOTE_TEE_SGX))
        return dp_error_set (err, DP_INVALID, "quote: v5 body type %u does not fit tee_type 0x%08x",
                             type, self->tee_type);
    self->body_type = (dp_quote_body_type) type;
    self->body_size = size;
    return DP_OK;
}

static dp_status
s_parse_body (dp_quote_t *self, s_view_t *view, dp_error_t *err)
{
    if (s_parse_body_kind (self, view, err))
        return DP_INVALID;
    self->body_offset = view->pos;
    const uint8_t *body = s_take (view, self->body_size, "report body", err);
    if (!body)
        return DP_INVALID;
    self->signed_size = view->pos;
    if (self->body_type == DP_QUOTE_BODY_SGX) {
        dp_quote_enclave_decode (body, &self->sgx);
        self->report_data = self->sgx.report_data;
    }
    else {
        s_decode_td (body, self->body_type == DP_QUOTE_BODY_TD15, &self->td);
        self->report_data = self->td.report_data;
    }
    return DP_OK;
}

//  QE report, its signature, auth data and the nested certification data:
//  the same sequence in v3 signature data and inside a v4/v5 type-6 block.
static dp_status
s_parse_qe_block (dp_quote_t *self, s_view_t *view, dp_error_t *err)
{
    const uint8_t *report = s_take (view, S_SGX_BODY_SIZE, "QE report", err);
    const uint8_t *sig = report? s_take (view, 64, "QE report signature", err): NULL;
    const uint8_t *auth_size = sig? s_take (view, 2, "QE auth data size", err): NULL;
    if (!auth_size)
        return DP_INVALID;
    dp_quote_enclave_decode (report, &self->qe_report);
    self->qe_report_signature = sig;
    self->qe_auth_size = s_le16 (auth_size);
    self->qe_auth_data = s_take (view, self->qe_auth_size, "QE auth data", err);
    const uint8_t *cert = self->qe_auth_data? s_take (view, 6, "certification data header", err): NULL;
    if (!cert)
        return DP_INVALID;
    self->cert_type = s_le16 (cert);
    self->cert_size = s_le32 (cert + 2);
    self->cert_data = s_take (view, self->cert_size, "certification data", err);
    return self->cert_data? DP_OK: DP_INVALID;
}

static dp_status
s_parse_signature_data (dp_quote_t *self, s_view_t *view, dp_error_t *err)
{
    const uint8_t *len = s_take (view, 4, "sig_data_len", err);
    if (!len)
        return DP_INVALID;
    s_view_t sig = { view->base, view->pos, view->pos, "signature data" };
    sig.end = sig.pos + s_le32 (len);
    if (s_take (view, s_le32 (len), "signature data (sig_data_len)", err) == NULL)
        return DP_INVALID;
    self->signature = s_take (&sig, 64, "quote signature", err);
    self->attestation_key = self->signature? s_take (&sig, 64, "attestation key", err): NULL;
    if (!self->attestation_key)
        return DP_INVALID;
    if (self->version == 3)
        return s_parse_qe_block (self, &sig, err);

    const uint8_t *outer = s_take (&sig, 6, "certification data header", err);
    if (!outer)
        return DP_INVALID;
    if (s_le16 (outer) != S_CERT_QE_REPORT)
        return dp_error_set (err, DP_INVALID,
                             "quote: certification data type %u at offset %zu is not 6 (QE report certification data)",
                             s_le16 (outer), sig.pos - 6);
    s_view_t block = { sig.base, sig.pos, sig.pos, "QE report certification data" };
    block.end = block.pos + s_le32 (outer + 2);
    if (s_take (&sig, s_le32 (outer + 2), "QE report certification data", err) == NULL)
        return DP_INVALID;
    return s_parse_qe_block (self, &block, err);
}

//  True if input is hex text: optional whitespace, optional 0x, an even
//  number of hex digits, optional whitespace. Sets [*start, *end).
static int
s_is_hex_text (const uint8_t *input, size_t size, size_t *start, size_t *end)
{
    size_t a = 0, b = size;
    while (a < b && strchr (" \t\r\n", input [a]) && input [a])
        a++;
    while (b > a && strchr (" \t\r\n", input [b - 1]) && input [b - 1])
        b--;
    if (b - a >= 2 && input [a] == '0' && (input [a + 1] == 'x' || input [a + 1] == 'X'))
        a += 2;
    if (a == b || (b - a) % 2)
        return 0;
    for (size_t i = a; i < b; i++) {
        uint8_t c = input [i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    *start = a;
    *end = b;
    return 1;
}

//  A private binary copy of the input (hex decoded if it is hex text).
static dp_status
s_binary_copy (const uint8_t *input, size_t size, uint8_t **data, size_t *length, dp_error_t *err)
{
    size_t start = 0, end = 0;
    int hex = s_is_hex_text (input, size, &start, &end);
    size_t binary = hex? (end - start) / 2: size;
    if (binary > DP_QUOTE_MAX_SIZE)
        return dp_error_set (err, DP_LIMIT, "quote: %zu bytes exceed the %d-byte limit",
                             binary, DP_QUOTE_MAX_SIZE);
    *data = malloc (binary? binary: 1);
    if (!*data)
        return dp_error_set (err, DP_NOMEM, "quote: out of memory");
    if (hex)
        for (size_t i = 0; i < binary; i++)
            (*data) [i] = (uint8_t) (dp_hex_digit (input [start + 2 * i]) << 4
                                   | dp_hex_digit (input [start + 2 * i + 1]));
    else
        memcpy (*data, input, size);
    *length = binary;
    return DP_OK;
}

dp_status
dp_quote_parse (const uint8_t *input, size_t size, dp_quote_t **out, dp_error_t *err)
{
    *out = NULL;
    if (!input && size)
        return dp_error_set (err, DP_INVALID, "quote: missing input");
    dp_quote_t *self = calloc (1, sizeof *self);
    if (!self)
        return dp_error_set (err, DP_NOMEM, "quote: out of memory");
    size_t length = 0;
    dp_status rc = s_binary_copy (input? input: (const uint8_t *) "", size, &self->data, &length, err);
    if (rc == DP_OK) {
        s_view_t view = { self->data, 0, length, "quote" };
        rc = s_parse_header (self, &view, err);
        if (rc == DP_OK)
            rc = s_parse_body (self, &view, err);
        if (rc == DP_OK)
            rc = s_parse_signature_data (self, &view, err);
        self->size = view.pos;
        self->trailing = length - view.pos;
    }
    if (rc != DP_OK) {
        dp_quote_destroy (&self);
        return rc;
    }
    *out = self;
    return DP_OK;
}

dp_status
dp_quote_load (const char *path, dp_quote_t **out, dp_error_t *err)
{
    *out = NULL;
    FILE *file = fopen (path, "rb");
    if (!file)
        return dp_error_set (err, DP_IO, "%s: %s", path, strerror (errno));
    //  Hex doubles the size and may carry whitespace: allow for both.
    size_t cap = 2 * DP_QUOTE_MAX_SIZE + 64;
    uint8_t *buffer = malloc (cap + 1);
    if (!buffer) {
        fclose (file);
        return dp_error_set (err, DP_NOMEM, "%s: out of memory", path);
    }
    size_t size = fread (buffer, 1, cap + 1, file);
    int failed = ferror (file);
    fclose (file);
    dp_status rc;
    if (failed)
        rc = dp_error_set (err, DP_IO, "%s: read error", path);
    else
    if (size > cap)
        rc = dp_error_set (err, DP_LIMIT, "%s: larger than %zu bytes", path, cap);
    else {
        rc = dp_quote_parse (buffer, size, out, err);
        if (rc != DP_OK)
            dp_error_prefix (err, "%s", path);
    }
    free (buffer);
    return rc;
}

void
dp_quote_destroy (dp_quote_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->data);
    free (*self_p);
    *self_p = NULL;
}

const char *
dp_quote_tee_name (const dp_quote_t *self)
{
    if (self && self->tee_type == DP_QUOTE_TEE_TDX)
        return "TDX";
    if (self && self->tee_type == DP_QUOTE_TEE_SGX)
        return "SGX";
    return "unknown";
}
