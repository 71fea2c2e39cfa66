/*  dp_quote_tcb.c — TCB info / QE identity JSON and TCB level matching. */

#include "dp_quote_tcb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *s_status_names [] = {
    "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
    "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked", "NotSupported"
};

const char *
dp_quote_tcb_status_name (dp_quote_tcb_status status)
{
    return status >= DP_QUOTE_TCB_UP_TO_DATE && status <= DP_QUOTE_TCB_NOT_SUPPORTED
        ? s_status_names [status]: NULL;
}

int
dp_quote_tcb_status_parse (const char *name)
{
    for (int i = 0; name && i <= DP_QUOTE_TCB_NOT_SUPPORTED; i++)
        if (strcmp (name, s_status_names [i]) == 0)
            return i;
    return -1;
}

int64_t
dp_quote_tcb_parse_time (const char *text)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    int used = 0;
    if (!text || sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                         &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 || used != 19)
        return -1;
    const char *rest = text + used;
    if (*rest == '.')
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            ;
    if (strcmp (rest, "Z") != 0 && strcmp (rest, "+00:00") != 0)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31
    ||  tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm (&tm);
}

//  --- JSON field helpers (errors name the object path and field) ----------

static json_object *
s_field (json_object *obj, const char *key, json_type type, const char *where, dp_error_t *err)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex (obj, key, &value) || !json_object_is_type (value, type)) {
        dp_error_set (err, DP_INVALID, "%s.%s: missing or not a%s %s", where, key,
                      type == json_type_int || type == json_type_array? "n": "",
                      json_type_to_name (type));
        return NULL;
    }
    return value;
}

static dp_status
s_hex_field (json_object *obj, const char *key, uint8_t *out, size_t size, const char *where,
             dp_error_t *err)
{
    json_object *value = s_field (obj, key, json_type_string, where, err);
    if (!value)
        return DP_INVALID;
    const char *text = json_object_get_string (value);
    size_t len = (size_t) json_object_get_string_len (value);
    if (len != 2 * size)
        return dp_error_set (err, DP_INVALID, "%s.%s: expected %zu hex digits, got %zu", where, key, 2 * size, len);
    for (size_t i = 0; i < size; i++) {
        unsigned int byte;
        char pair [3] = { text [2 * i], text [2 * i + 1], 0 };
        if (!strchr ("0123456789abcdefABCDEF", pair [0]) || !strchr ("0123456789abcdefABCDEF", pair [1])
        ||  !pair [0] || !pair [1] || sscanf (pair, "%2x", &byte) != 1)
            return dp_error_set (err, DP_INVALID, "%s.%s: not hex at offset %zu", where, key, 2 * i);
        out [i] = (uint8_t) byte;
    }
    return DP_OK;
}

static dp_status
s_int_field (json_object *obj, const char *key, int64_t min, int64_t max, int64_t *out,
             const char *where, dp_error_t *err)
{
    json_object *value = s_field (obj, key, json_type_int, where, err);
    if (!value)
        return DP_INVALID;
    *out = json_object_get_int64 (value);
    if (*out < min || *out > max)
        return dp_error_set (err, DP_INVALID, "%s.%s: %lld is outside %lld..%lld", where, key,
                             (long long) *out, (long long) min, (long long) max);
    return DP_OK;
}

static dp_status
s_time_field (json_object *obj, const char *key, int64_t *out, const char *where, dp_error_t *err)
{
    json_object *value = s_field (obj, key, json_type_string, where, err);
    if (!value)
        return DP_INVALID;
    *out = dp_quote_tcb_parse_time (json_object_get_string (value));
    if (*out < 0)
        return dp_error_set (err, DP_INVALID, "%s.%s: not an RFC 3339 UTC time", where, key);
    return DP_OK;
}

static dp_status
s_status_field (json_object *obj, const char *where, dp_quote_tcb_status *out, dp_error_t *err)
{
    json_object *value = s_field (obj, "tcbStatus", json_type_string, where, err);
    if (!value)
        return DP_INVALID;
    int status = dp_quote_tcb_status_parse (json_object_get_string (value));
    if (status < 0 || status == DP_QUOTE_TCB_NOT_SUPPORTED)
        return dp_error_set (err, DP_INVALID, "%s.tcbStatus: unknown status \"%.40s\"", where,
                             json_object_get_string (value));
    *out = (dp_quote_tcb_status) status;
    return DP_OK;
}

//  Optional advisoryIDs: an array of strings, or absent.
static dp_status
s_advisories (json_object *obj, const char *where, json_object **out, dp_error_t *err)
{
    *out = NULL;
    json_object *value = NULL;
    if (!json_object_object_get_ex (obj, "advisoryIDs", &value))
        return DP_OK;
    if (!json_object_is_type (value, json_type_array))
        return dp_error_set (err, DP_INVALID, "%s.advisoryIDs: not an array", where);
    for (size_t i = 0; i < json_object_array_length (value); i++) {
        json_object *id = json_object_array_get_idx (value, i);
        if (!json_object_is_type (id, json_type_string)
        ||  json_object_get_string_len (id) >= DP_QUOTE_ADVISORY_SIZE)
            return dp_error_set (err, DP_INVALID, "%s.advisoryIDs[%zu]: not a short string", where, i);
    }
    *out = value;
    return DP_OK;
}

//  A JSON object from the exact text; the whole text must be one value.
static dp_status
s_parse_object (const char *text, size_t len, const char *what, json_object **out, dp_error_t *err)
{
    *out = NULL;
    if (len > 1024 * 1024)
        return dp_error_set (err, DP_LIMIT, "%s: JSON larger than 1 MiB", what);
    json_tokener *tok = json_tokener_new ();
    if (!tok)
        return dp_error_set (err, DP_NOMEM, "%s: out of memory", what);
    json_object *obj = json_tokener_parse_ex (tok, text, (int) len);
    enum json_tokener_error jerr = json_tokener_get_error (tok);
    size_t used = json_tokener_get_parse_end (tok);
    json_tokener_free (tok);
    if (!obj || jerr != json_tokener_success || used != len || !json_object_is_type (obj, json_type_object)) {
        json_object_put (obj);
        return dp_error_set (err, DP_INVALID, "%s: not one JSON object (%s)", what,
                             jerr == json_tokener_success? "trailing data or wrong type"
                                                         : json_tokener_error_desc (jerr));
    }
    *out = obj;
    return DP_OK;
}

//  --- TCB info ------------------------------------------------------------

//  16 component SVNs from [{"svn": n}, ...] (v3) into out.
static dp_status
s_components (json_object *tcb, const char *key, uint8_t out [16], const char *where, dp_error_t *err)
{
    json_object *list = s_field (tcb, key, json_type_array, where, err);
    if (!list)
        return DP_INVALID;
    if (json_object_array_length (list) != 16)
        return dp_error_set (err, DP_INVALID, "%s.%s: %zu components, expected 16", where, key,
                             json_object_array_length (list));
    for (size_t i = 0; i < 16; i++) {
        json_object *item = json_object_array_get_idx (list, i);
        int64_t svn;
        char name [64];
        snprintf (name, sizeof name, "%s.%s[%zu]", where, key, i);
        if (!json_object_is_type (item, json_type_object))
            return dp_error_set (err, DP_INVALID, "%s: not an object", name);
        if (s_int_field (item, "svn", 0, 255, &svn, name, err))
            return DP_INVALID;
        out [i] = (uint8_t) svn;
    }
    return DP_OK;
}

//  v2 SGX TCB info: sgxtcbcomp01svn .. sgxtcbcomp16svn.
static dp_status
s_components_v2 (json_object *tcb, uint8_t out [16], const char *where, dp_error_t *err)
{
    for (int i = 0; i < 16; i++) {
        char key [24];
        int64_t svn;
        snprintf (key, sizeof key, "sgxtcbcomp%02dsvn", i + 1);
        if (s_int_field (tcb, key, 0, 255, &svn, where, err))
            return DP_INVALID;
        out [i] = (uint8_t) svn;
    }
    return DP_OK;
}

static dp_status
s_parse_level (json_object *item, int tdx, dp_quote_tcb_level_t *level, const char *where, dp_error_t *err)
{
    json_object *tcb = s_field (item, "tcb", json_type_object, where, err);
    if (!tcb)
        return DP_INVALID;
    json_object *probe = NULL;
    int v3 = json_object_object_get_ex (tcb, "sgxtcbcomponents", &probe);
    dp_status rc = v3? s_components (tcb, "sgxtcbcomponents", level->sgx, where, err)
                     : s_components_v2 (tcb, level->sgx, where, err);
    int64_t value = 0;
    if (rc == DP_OK)
        rc = s_int_field (tcb, "pcesvn", 0, 65535, &value, where, err);
    level->pcesvn = (uint16_t) value;
    if (rc == DP_OK && tdx)
        rc = s_components (tcb, "tdxtcbcomponents", level->tdx, where, err);
    if (rc == DP_OK)
        rc = s_status_field (item, where, &level->status, err);
    if (rc == DP_OK)
        rc = s_time_field (item, "tcbDate", &level->tcb_date, where, err);
    if (rc == DP_OK)
        rc = s_advisories (item, where, &level->advisories, err);
    return rc;
}

static int
s_compare_levels (const dp_quote_tcb_level_t *a, const dp_quote_tcb_level_t *b, int tdx)
{
    int order = memcmp (b->sgx, a->sgx, 16);
    if (order == 0)
        order = (int) b->pcesvn - (int) a->pcesvn;
    if (order == 0 && tdx)
        order = memcmp (b->tdx, a->tdx, 16);
    return order;
}

//  Intel QVL's order (dcap-qvl "canonicalize"), highest first. A stable
//  insertion sort: at most DP_QUOTE_MAX_LEVELS entries, equal keys keep
//  their JSON order.
static void
s_sort_levels (dp_quote_tcb_info_t *self, int tdx)
{
    for (size_t i = 1; i < self->level_count; i++) {
        dp_quote_tcb_level_t item = self->levels [i];
        size_t j = i;
        while (j > 0 && s_compare_levels (&self->levels [j - 1], &item, tdx) > 0) {
            self->levels [j] = self->levels [j - 1];
            j--;
        }
        self->levels [j] = item;
    }
}

static dp_status
s_parse_isv_levels (json_object *list, dp_quote_isv_level_t *levels, size_t max, size_t *count,
                    const char *where, dp_error_t *err)
{
    size_t n = json_object_array_length (list);
    if (n == 0 || n > max)
        return dp_error_set (err, DP_INVALID, "%s.tcbLevels: %zu levels (1..%zu allowed)", where, n, max);
    for (size_t i = 0; i < n; i++) {
        char name [64];
        snprintf (name, sizeof name, "%s.tcbLevels[%zu]", where, i);
        json_object *item = json_object_array_get_idx (list, i);
        if (!json_object_is_type (item, json_type_object))
            return dp_error_set (err, DP_INVALID, "%s: not an object", name);
        json_object *tcb = s_field (item, "tcb", json_type_object, name, err);
        int64_t svn;
        if (!tcb || s_int_field (tcb, "isvsvn", 0, 65535, &svn, name, err)
        ||  s_status_field (item, name, &levels [i].status, err)
        ||  s_advisories (item, name, &levels [i].advisories, err))
            return DP_INVALID;
        levels [i].isvsvn = (uint16_t) svn;
    }
    *count = n;
    return DP_OK;
}

static dp_status
s_parse_module (json_object *obj, dp_quote_tdx_module_t *module, int with_levels,
                dp_quote_isv_level_t *storage, const char *where, dp_error_t *err)
{
    if (s_hex_field (obj, "mrsigner", module->mrsigner, 48, where, err)
    ||  s_hex_field (obj, "attributes", module->attributes, 8, where, err)
    ||  s_hex_field (obj, "attributesMask", module->attributes_mask, 8, where, err))
        return DP_INVALID;
    if (!with_levels)
        return DP_OK;
    json_object *id = s_field (obj, "id", json_type_string, where, err);
    json_object *levels = id? s_field (obj, "tcbLevels", json_type_array, where, err): NULL;
    if (!levels)
        return DP_INVALID;
    snprintf (module->id, sizeof module->id, "%s", json_object_get_string (id));
    module->levels = storage;
    return s_parse_isv_levels (levels, storage, 8, &module->level_count, where, err);
}

static dp_status
s_parse_modules (dp_quote_tcb_info_t *self, dp_error_t *err)
{
    json_object *base = NULL, *list = NULL;
    if (json_object_object_get_ex (self->json, "tdxModule", &base)) {
        if (!json_object_is_type (base, json_type_object))
            return dp_error_set (err, DP_INVALID, "tcb_info.tdxModule: not an object");
        if (s_parse_module (base, &self->tdx_module, 0, NULL, "tcb_info.tdxModule", err))
            return DP_INVALID;
        self->has_tdx_module = 1;
    }
    if (!json_object_object_get_ex (self->json, "tdxModuleIdentities", &list))
        return DP_OK;
    size_t n = json_object_is_type (list, json_type_array)? json_object_array_length (list): SIZE_MAX;
    if (n > DP_QUOTE_MAX_MODULES)
        return dp_error_set (err, DP_INVALID, "tcb_info.tdxModuleIdentities: not an array of at most %d",
                             DP_QUOTE_MAX_MODULES);
    for (size_t i = 0; i < n; i++) {
        char where [64];
        snprintf (where, sizeof where, "tcb_info.tdxModuleIdentities[%zu]", i);
        json_object *item = json_object_array_get_idx (list, i);
        if (!json_object_is_type (item, json_type_object))
            return dp_error_set (err, DP_INVALID, "%s: not an object", where);
        if (s_parse_module (item, &self->modules [i], 1, self->isv_storage + 8 * i, where, err))
            return DP_INVALID;
    }
    self->module_count = n;
    return DP_OK;
}

static dp_status
s_parse_tcb_info (dp_quote_tcb_info_t *self, dp_error_t *err)
{
    const char *where = "tcb_info";
    json_object *id = s_field (self->json, "id", json_type_string, where, err);
    json_object *levels = id? s_field (self->json, "tcbLevels", json_type_array, where, err): NULL;
    int64_t version = 0, evaluation = 0;
    if (!levels
    ||  s_int_field (self->json, "version", 2, 3, &version, where, err)
    ||  s_time_field (self->json, "issueDate", &self->issue_date, where, err)
    ||  s_time_field (self->json, "nextUpdate", &self->next_update, where, err)
    ||  s_hex_field (self->json, "fmspc", self->fmspc, 6, where, err)
    ||  s_hex_field (self->json, "pceId", self->pceid, 2, where, err)
    ||  s_int_field (self->json, "tcbEvaluationDataNumber", 0, INT32_MAX, &evaluation, where, err))
        return DP_INVALID;
    snprintf (self->id, sizeof self->id, "%s", json_object_get_string (id));
    if (strcmp (self->id, "SGX") != 0 && strcmp (self->id, "TDX") != 0)
        return dp_error_set (err, DP_INVALID, "tcb_info.id: \"%.20s\" is neither SGX nor TDX", json_object_get_string (id));
    self->version = (int) version;
    self->evaluation_number = (int) evaluation;
    int tdx = strcmp (self->id, "TDX") == 0 && version >= 3;
    size_t n = json_object_array_length (levels);
    if (n == 0 || n > DP_QUOTE_MAX_LEVELS)
        return dp_error_set (err, DP_INVALID, "tcb_info.tcbLevels: %zu levels (1..%d allowed)", n, DP_QUOTE_MAX_LEVELS);
    for (size_t i = 0; i < n; i++) {
        char name [48];
        snprintf (name, sizeof name, "tcb_info.tcbLevels[%zu]", i);
        json_object *item = json_object_array_get_idx (levels, i);
        if (!json_object_is_type (item, json_type_object))
            return dp_error_set (err, DP_INVALID, "%s: not an object", name);
        if (s_parse_level (item, tdx, &self->levels [i], name, err))
            return DP_INVALID;
    }
    self->level_count = n;
    s_sort_levels (self, tdx);
    return s_parse_modules (self, err);
}

dp_status
dp_quote_tcb_info_parse (const char *text, size_t len, dp_quote_tcb_info_t **out, dp_error_t *err)
{
    *out = NULL;
    dp_quote_tcb_info_t *self = calloc (1, sizeof *self);
    if (!self)
        return dp_error_set (err, DP_NOMEM, "tcb_info: out of memory");
    dp_status rc = s_parse_object (text, len, "tcb_info", &self->json, err);
    if (rc == DP_OK)
        rc = s_parse_tcb_info (self, err);
    if (rc != DP_OK) {
        dp_quote_tcb_info_destroy (&self);
        return rc;
    }
    *out = self;
    return DP_OK;
}

void
dp_quote_tcb_info_destroy (dp_quote_tcb_info_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_object_put ((*self_p)->json);
    free (*self_p);
    *self_p = NULL;
}

//  --- QE identity -----------------------------------------------------------

static dp_status
s_parse_qe_identity (dp_quote_qe_identity_t *self, dp_error_t *err)
{
    const char *where = "qe_identity";
    uint8_t misc [4], mask [4];
    int64_t version = 0, evaluation = 0, prodid = 0;
    json_object *id = s_field (self->json, "id", json_type_string, where, err);
    json_object *levels = id? s_field (self->json, "tcbLevels", json_type_array, where, err): NULL;
    if (!levels
    ||  s_int_field (self->json, "version", 1, 255, &version, where, err)
    ||  s_time_field (self->json, "issueDate", &self->issue_date, where, err)
    ||  s_time_field (self->json, "nextUpdate", &self->next_update, where, err)
    ||  s_int_field (self->json, "tcbEvaluationDataNumber", 0, INT32_MAX, &evaluation, where, err)
    ||  s_hex_field (self->json, "miscselect", misc, 4, where, err)
    ||  s_hex_field (self->json, "miscselectMask", mask, 4, where, err)
    ||  s_hex_field (self->json, "attributes", self->attributes, 16, where, err)
    ||  s_hex_field (self->json, "attributesMask", self->attributes_mask, 16, where, err)
    ||  s_hex_field (self->json, "mrsigner", self->mrsigner, 32, where, err)
    ||  s_int_field (self->json, "isvprodid", 0, 65535, &prodid, where, err))
        return DP_INVALID;
    snprintf (self->id, sizeof self->id, "%.7s", json_object_get_string (id));
    self->version = (int) version;
    self->evaluation_number = (int) evaluation;
    self->isvprodid = (uint16_t) prodid;
    //  The hex strings are written as the little-endian u32 bytes (dcap-qvl
    //  reads them with from_le_bytes).
    self->miscselect = (uint32_t) misc [0] | (uint32_t) misc [1] << 8 | (uint32_t) misc [2] << 16 | (uint32_t) misc [3] << 24;
    self->miscselect_mask = (uint32_t) mask [0] | (uint32_t) mask [1] << 8 | (uint32_t) mask [2] << 16 | (uint32_t) mask [3] << 24;
    return s_parse_isv_levels (levels, self->levels, DP_QUOTE_MAX_LEVELS, &self->level_count, where, err);
}

dp_status
dp_quote_qe_identity_parse (const char *text, size_t len, dp_quote_qe_identity_t **out,
                            dp_error_t *err)
{
    *out = NULL;
    dp_quote_qe_identity_t *self = calloc (1, sizeof *self);
    if (!self)
        return dp_error_set (err, DP_NOMEM, "qe_identity: out of memory");
    dp_status rc = s_parse_object (text, len, "qe_identity", &self->json, err);
    if (rc == DP_OK)
        rc = s_parse_qe_identity (self, err);
    if (rc != DP_OK) {
        dp_quote_qe_identity_destroy (&self);
        return rc;
    }
    *out = self;
    return DP_OK;
}

void
dp_quote_qe_identity_destroy (dp_quote_qe_identity_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_object_put ((*self_p)->json);
    free (*self_p);
    *self_p = NULL;
}

//  --- Matching -----------------------------------------------------------------

static dp_status
s_add_advisories (dp_quote_tcb_result_t *into, json_object *list, dp_error_t *err)
{
    for (size_t i = 0; list && i < json_object_array_length (list); i++) {
        const char *id = json_object_get_string (json_object_array_get_idx (list, i));
        size_t j = 0;
        while (j < into->advisory_count && strcmp (into->advisories [j], id) != 0)
            j++;
        if (j < into->advisory_count)
            continue;
        if (into->advisory_count == DP_QUOTE_MAX_ADVISORIES)
            return dp_error_set (err, DP_LIMIT, "tcb_level: more than %d advisory IDs", DP_QUOTE_MAX_ADVISORIES);
        snprintf (into->advisories [into->advisory_count++], DP_QUOTE_ADVISORY_SIZE, "%s", id);
    }
    return DP_OK;
}

dp_status
dp_quote_tcb_merge (dp_quote_tcb_result_t *into, const dp_quote_tcb_result_t *other, dp_error_t *err)
{
    if (other->status > into->status)
        into->status = other->status;
    for (size_t i = 0; i < other->advisory_count; i++) {
        size_t j = 0;
        while (j < into->advisory_count && strcmp (into->advisories [j], other->advisories [i]) != 0)
            j++;
        if (j < into->advisory_count)
            continue;
        if (into->advisory_count == DP_QUOTE_MAX_ADVISORIES)
            return dp_error_set (err, DP_LIMIT, "tcb_level: more than %d advisory IDs", DP_QUOTE_MAX_ADVISORIES);
        memcpy (into->advisories [into->advisory_count++], other->advisories [i], DP_QUOTE_ADVISORY_SIZE);
    }
    return DP_OK;
}

static void
s_result_init (dp_quote_tcb_result_t *out, dp_quote_tcb_status status)
{
    out->status = status;
    out->advisory_count = 0;
    out->tcb_date = 0;
}

//  Expected module identity for this TEE_TCB_SVN (notes §2.2 step 8).
static dp_status
s_pick_module (const dp_quote_tcb_info_t *info, const uint8_t *svn, const dp_quote_tdx_module_t **out,
               dp_error_t *err)
{
    if (!info->has_tdx_module)
        return dp_error_set (err, DP_CRYPTO, "tdx_module: TDX TCB info has no tdxModule");
    *out = &info->tdx_module;
    if (svn [1] == 0 || info->module_count == 0)
        return DP_OK;
    char wanted [16];
    snprintf (wanted, sizeof wanted, "TDX_%02X", svn [1]);
    for (size_t i = 0; i < info->module_count; i++)
        if (strcasecmp (info->modules [i].id, wanted) == 0) {
            *out = &info->modules [i];
            return DP_OK;
        }
    return dp_error_set (err, DP_CRYPTO, "tdx_module: no TDX module identity %s in the TCB info", wanted);
}

static dp_status
s_match_module (const dp_quote_tcb_info_t *info, const dp_quote_t *quote, dp_quote_tcb_result_t *out,
                dp_error_t *err)
{
    const uint8_t *svn = quote->td.tee_tcb_svn;
    const dp_quote_tdx_module_t *module = NULL;
    if (s_pick_module (info, svn, &module, err))
        return DP_CRYPTO;
    if (memcmp (quote->td.mrsignerseam, module->mrsigner, 48) != 0)
        return dp_error_set (err, DP_CRYPTO, "tdx_module: MRSIGNERSEAM does not match the TCB info's module signer");
    for (int i = 0; i < 8; i++) {
        uint8_t actual = quote->td.seam_attributes [i], mask = module->attributes_mask [i];
        if ((actual & mask) != (module->attributes [i] & mask) || (actual & ~mask))
            return dp_error_set (err, DP_CRYPTO, "tdx_module: SEAMATTRIBUTES byte %d does not match", i);
    }
    s_result_init (out, DP_QUOTE_TCB_UP_TO_DATE);
    if (!module->levels)
        return DP_OK;           //  identity corroborated, no status of its own
    for (size_t i = 0; i < module->level_count; i++)
        if (svn [0] >= module->levels [i].isvsvn) {
            out->status = module->levels [i].status;
            return s_add_advisories (out, module->levels [i].advisories, err);
        }
    return dp_error_set (err, DP_CRYPTO, "tdx_module: module %s ISVSVN %u is below every TCB level",
                         module->id, svn [0]);
}

static int
s_level_matches (const dp_quote_tcb_level_t *level, const dp_quote_pck_t *pck, const dp_quote_t *quote, int tdx)
{
    if (pck->pcesvn < level->pcesvn)
        return 0;
    for (int i = 0; i < 16; i++)
        if (pck->cpusvn [i] < level->sgx [i] || (tdx && quote->td.tee_tcb_svn [i] < level->tdx [i]))
            return 0;
    return 1;
}

static dp_status
s_check_kind (const dp_quote_tcb_info_t *info, const dp_quote_pck_t *pck, int tdx, dp_error_t *err)
{
    char a [13], b [13];
    if (memcmp (pck->fmspc, info->fmspc, 6) != 0) {
        for (int i = 0; i < 6; i++) {
            snprintf (a + 2 * i, 3, "%02x", pck->fmspc [i]);
            snprintf (b + 2 * i, 3, "%02x", info->fmspc [i]);
        }
        return dp_error_set (err, DP_CRYPTO, "tcb_level: FMSPC mismatch (PCK certificate %s, TCB info %s)", a, b);
    }
    if (memcmp (pck->pceid, info->pceid, 2) != 0)
        return dp_error_set (err, DP_CRYPTO, "tcb_level: PCE-ID mismatch (PCK certificate %02x%02x, TCB info %02x%02x)",
                             pck->pceid [0], pck->pceid [1], info->pceid [0], info->pceid [1]);
    if (tdx && (strcmp (info->id, "TDX") != 0 || info->version < 3))
        return dp_error_set (err, DP_CRYPTO, "tcb_level: TDX quote with non-TDX TCB info (%s v%d)", info->id, info->version);
    if (!tdx && strcmp (info->id, "SGX") != 0)
        return dp_error_set (err, DP_CRYPTO, "tcb_level: SGX quote with non-SGX TCB info (%s)", info->id);
    return DP_OK;
}

dp_status
dp_quote_tcb_match_platform (const dp_quote_tcb_info_t *info, const dp_quote_t *quote,
                             const dp_quote_pck_t *pck, dp_quote_tcb_result_t *out, dp_error_t *err)
{
    int tdx = quote->tee_type == DP_QUOTE_TEE_TDX;
    s_result_init (out, DP_QUOTE_TCB_UNKNOWN);
    if (s_check_kind (info, pck, tdx, err))
        return DP_CRYPTO;
    for (size_t i = 0; i < info->level_count; i++) {
        const dp_quote_tcb_level_t *level = &info->levels [i];
        if (!s_level_matches (level, pck, quote, tdx))
            continue;
        out->status = level->status;
        out->tcb_date = level->tcb_date;
        if (s_add_advisories (out, level->advisories, err))
            return DP_LIMIT;
        if (!tdx)
            return DP_OK;
        dp_quote_tcb_result_t module;
        if (s_match_module (info, quote, &module, err))
            return err? err->code: DP_CRYPTO;
        return dp_quote_tcb_merge (out, &module, err);
    }
    out->status = DP_QUOTE_TCB_NOT_SUPPORTED;
    return dp_error_set (err, DP_CRYPTO, "tcb_level: no matching TCB level (NotSupported)");
}

dp_status
dp_quote_tcb_match_qe (const dp_quote_qe_identity_t *identity, const dp_quote_t *quote,
                       dp_quote_tcb_result_t *out, dp_error_t *err)
{
    const dp_quote_enclave_t *qe = &quote->qe_report;
    s_result_init (out, DP_QUOTE_TCB_UNKNOWN);
    if (memcmp (qe->mrsigner, identity->mrsigner, 32) != 0)
        return dp_error_set (err, DP_CRYPTO, "qe_identity_policy: QE MRSIGNER does not match the QE identity");
    if (qe->attributes [0] & 0x02)
        return dp_error_set (err, DP_CRYPTO, "qe_identity_policy: the QE runs in debug mode");
    if (qe->isvprodid != identity->isvprodid)
        return dp_error_set (err, DP_CRYPTO, "qe_identity_policy: QE ISVPRODID %u, QE identity wants %u",
                             qe->isvprodid, identity->isvprodid);
    if ((qe->miscselect & identity->miscselect_mask) != (identity->miscselect & identity->miscselect_mask))
        return dp_error_set (err, DP_CRYPTO, "qe_identity_policy: QE MISCSELECT does not match under the mask");
    for (int i = 0; i < 16; i++)
        if ((qe->attributes [i] & identity->attributes_mask [i])
         != (identity->attributes [i] & identity->attributes_mask [i]))
            return dp_error_set (err, DP_CRYPTO, "qe_identity_policy: QE ATTRIBUTES byte %d does not match under the mask", i);
    for (size_t i = 0; i < identity->level_count; i++)
        if (qe->isvsvn >= identity->levels [i].isvsvn) {
            out->status = identity->levels [i].status;
            return s_add_advisories (out, identity->levels [i].advisories, err);
        }
    return dp_error_set (err, DP_CRYPTO, "qe_identity_policy: QE ISVSVN %u is below every QE identity TCB level",
                         qe->isvsvn);
}
