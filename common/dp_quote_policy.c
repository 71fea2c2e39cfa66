/*  dp_quote_policy.c — quote acceptance policy from JSON. */

#include "dp_quote_policy.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"

#define S_MAX_STATUSES 16

struct dp_quote_policy_doc_t {
    dp_quote_policy_t policy;
    const char *statuses [S_MAX_STATUSES];
    dp_quote_measurement_t measurements [DP_QUOTE_POLICY_MAX_MEASUREMENTS];
    uint8_t values [DP_QUOTE_POLICY_MAX_MEASUREMENTS][5][48];     //  mrtd, rtmr0..3
    uint8_t report_data [64];
};

static dp_status
s_hex (json_object *value, uint8_t *out, size_t size, const char *where, dp_error_t *err)
{
    if (!json_object_is_type (value, json_type_string))
        return dp_error_set (err, DP_INVALID, "%s: not a hex string", where);
    const char *text = json_object_get_string (value);
    if (text [0] == '0' && (text [1] == 'x' || text [1] == 'X'))
        text += 2;
    dp_error_t hex_err;
    if (dp_hex_decode (text, strlen (text), out, size, &hex_err) != DP_OK)
        return dp_error_set (err, DP_INVALID, "%s: %s", where, hex_err.text);
    return DP_OK;
}

static dp_status
s_statuses (dp_quote_policy_doc_t *self, json_object *list, dp_error_t *err)
{
    size_t n = json_object_is_type (list, json_type_array)? json_object_array_length (list): SIZE_MAX;
    if (n > S_MAX_STATUSES)
        return dp_error_set (err, DP_INVALID, "policy.tcb_statuses: not an array of at most %d words", S_MAX_STATUSES);
    for (size_t i = 0; i < n; i++) {
        const char *word = json_object_get_string (json_object_array_get_idx (list, i));
        int status = dp_quote_tcb_status_parse (word);
        if (status < 0 || status >= DP_QUOTE_TCB_REVOKED)
            return dp_error_set (err, DP_INVALID, "policy.tcb_statuses[%zu]: \"%.40s\" is not an acceptable TCB status",
                                 i, word? word: "");
        self->statuses [i] = dp_quote_tcb_status_name ((dp_quote_tcb_status) status);
    }
    self->policy.tcb_statuses = self->statuses;
    self->policy.tcb_status_count = n;
    return DP_OK;
}

static dp_status
s_measurement (dp_quote_policy_doc_t *self, size_t i, json_object *item, dp_error_t *err)
{
    static const char *keys [5] = { "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3" };
    char where [64];
    if (!json_object_is_type (item, json_type_object))
        return dp_error_set (err, DP_INVALID, "policy.measurements[%zu]: not an object", i);
    json_object_object_foreach (item, key, value) {
        int k = 0;
        while (k < 5 && strcmp (key, keys [k]) != 0)
            k++;
        snprintf (where, sizeof where, "policy.measurements[%zu].%.10s", i, key);
        if (k == 5)
            return dp_error_set (err, DP_INVALID, "%s: unknown key", where);
        if (s_hex (value, self->values [i][k], 48, where, err))
            return DP_INVALID;
        if (k == 0)
            self->measurements [i].mrtd = self->values [i][0];
        else
            self->measurements [i].rtmr [k - 1] = self->values [i][k];
    }
    if (!self->measurements [i].mrtd)
        return dp_error_set (err, DP_INVALID, "policy.measurements[%zu].mrtd: missing", i);
    return DP_OK;
}

static dp_status
s_measurements (dp_quote_policy_doc_t *self, json_object *list, dp_error_t *err)
{
    if (!json_object_is_type (list, json_type_array))
        return dp_error_set (err, DP_INVALID, "policy.measurements: not an array");
    size_t n = json_object_array_length (list);
    if (n > DP_QUOTE_POLICY_MAX_MEASUREMENTS)
        return dp_error_set (err, DP_LIMIT, "policy.measurements: %zu entries, at most %d", n,
                             DP_QUOTE_POLICY_MAX_MEASUREMENTS);
    for (size_t i = 0; i < n; i++)
        if (s_measurement (self, i, json_object_array_get_idx (list, i), err))
            return DP_INVALID;
    self->policy.measurements = self->measurements;
    self->policy.measurement_count = n;
    return DP_OK;
}

static dp_status
s_switch (json_object *value, int *out, const char *key, dp_error_t *err)
{
    if (!json_object_is_type (value, json_type_boolean))
        return dp_error_set (err, DP_INVALID, "policy.%s: not true or false", key);
    *out = json_object_get_boolean (value);
    return DP_OK;
}

static dp_status
s_fill (dp_quote_policy_doc_t *self, json_object *root, dp_error_t *err)
{
    json_object_object_foreach (root, key, value) {
        dp_status rc;
        if (strcmp (key, "tcb_statuses") == 0)
            rc = s_statuses (self, value, err);
        else
        if (strcmp (key, "measurements") == 0)
            rc = s_measurements (self, value, err);
        else
        if (strcmp (key, "report_data") == 0) {
            rc = s_hex (value, self->report_data, 64, "policy.report_data", err);
            self->policy.report_data = self->report_data;
        }
        else
        if (strcmp (key, "allow_debug") == 0)
            rc = s_switch (value, &self->policy.allow_debug, key, err);
        else
        if (strcmp (key, "allow_service_td") == 0)
            rc = s_switch (value, &self->policy.allow_service_td, key, err);
        else
            rc = dp_error_set (err, DP_INVALID, "policy.%.40s: unknown key", key);
        if (rc != DP_OK)
            return rc;
    }
    return DP_OK;
}

dp_status
dp_quote_policy_parse (const char *text, size_t len, dp_quote_policy_doc_t **out, dp_error_t *err)
{
    *out = NULL;
    json_tokener *tok = json_tokener_new ();
    json_object *root = tok && len <= 1024 * 1024? json_tokener_parse_ex (tok, text, (int) len): NULL;
    enum json_tokener_error jerr = tok? json_tokener_get_error (tok): json_tokener_error_parse_eof;
    if (tok)
        json_tokener_free (tok);
    if (!root || jerr != json_tokener_success || !json_object_is_type (root, json_type_object)) {
        json_object_put (root);
        return dp_error_set (err, DP_INVALID, "policy: not a JSON object (%s)",
                             jerr == json_tokener_success? "wrong type": json_tokener_error_desc (jerr));
    }
    dp_quote_policy_doc_t *self = calloc (1, sizeof *self);
    dp_status rc = self? s_fill (self, root, err): dp_error_set (err, DP_NOMEM, "policy: out of memory");
    json_object_put (root);
    if (rc != DP_OK) {
        free (self);
        return rc;
    }
    *out = self;
    return DP_OK;
}

dp_status
dp_quote_policy_load (const char *path, dp_quote_policy_doc_t **out, dp_error_t *err)
{
    *out = NULL;
    FILE *file = fopen (path, "rb");
    if (!file)
        return dp_error_set (err, DP_IO, "%s: %s", path, strerror (errno));
    size_t cap = 1024 * 1024;
    char *buffer = malloc (cap + 1);
    size_t len = buffer? fread (buffer, 1, cap + 1, file): 0;
    fclose (file);
    dp_status rc = !buffer? dp_error_set (err, DP_NOMEM, "%s: out of memory", path)
                 : len > cap? dp_error_set (err, DP_LIMIT, "%s: larger than 1 MiB", path)
                 : dp_quote_policy_parse (buffer, len, out, err);
    if (rc != DP_OK && buffer && len <= cap)
        dp_error_prefix (err, "%s", path);
    free (buffer);
    return rc;
}

const dp_quote_policy_t *
dp_quote_policy_get (const dp_quote_policy_doc_t *self)
{
    return &self->policy;
}

void
dp_quote_policy_destroy (dp_quote_policy_doc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}
