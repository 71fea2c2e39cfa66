/*  cmd_verification.c — `dp-submit verification ID`: the seller-proof
    (Props) verification record, in the seed's shape:
    {"deal_id", "verification": {"verified", "data_hash", "chunk_count",
    "attestation"}}. The record comes from the result: its
    data_verification object when the worker wrote one, else what the
    result itself shows (the data attestation exists only for a verified
    proof). Exit 1 when the deal had no seller proof verified. */

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "dp_props.h"
#include "dp_quote.h"

#include "dp_submit.h"
#include "dp_submit_cli.h"
#include "dp_submit_fetch.h"
#include "dp_submit_verify.h"

#define S_COMMAND "verification"

static const dp_config_option_t s_options [] = {
    DP_SUBMIT_OPTION_JSON,
    DP_SUBMIT_OPTION_BROKER,
    DP_SUBMIT_OPTION_TIMEOUT,
};

static json_object *
s_copy (json_object *from, const char *key)
{
    json_object *value = NULL;
    json_object_object_get_ex (from, key, &value);
    return json_object_get (value);
}

//  The chunk count the data attestation commits to (its report data is
//  the payload's hash, with the count the only unknown), or null.
static json_object *
s_chunk_count (json_object *attestation, json_object *data_hash)
{
    const char *hex = json_object_get_string (attestation);
    const char *hash = json_object_get_string (data_hash);
    dp_quote_t *quote = NULL;
    if (!hash || dp_quote_parse ((const uint8_t *) hex, strlen (hex), &quote, NULL) != DP_OK)
        return NULL;
    long count = dp_submit_verify_chunk_count (hash, quote->report_data, DP_PROPS_MAX_CHUNKS);
    dp_quote_destroy (&quote);
    return count > 0? json_object_new_int64 (count): NULL;
}

//  The record: the worker's own if present, else built from the result.
static json_object *
s_record (json_object *result)
{
    json_object *own = NULL;
    if (json_object_object_get_ex (result, "verification", &own)
    &&  json_object_is_type (own, json_type_object)) {
        json_object *record = json_object_get (own);
        if (!json_object_object_get_ex (record, "attestation", NULL))
            json_object_object_add (record, "attestation", s_copy (result, "data_verification_attestation"));
        return record;
    }
    json_object *attestation = s_copy (result, "data_verification_attestation");
    json_object *data_hash = s_copy (result, "data_hash");
    json_object *record = json_object_new_object ();
    int verified = json_object_is_type (attestation, json_type_string);
    json_object_object_add (record, "verified", json_object_new_boolean (verified));
    json_object_object_add (record, "data_hash", data_hash);
    json_object_object_add (record, "chunk_count",
                            verified? s_chunk_count (attestation, data_hash): NULL);
    json_object_object_add (record, "attestation", attestation);
    return record;
}

int
dp_submit_cmd_verification (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit verification ID [flags]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, 1, &code);
    if (!config)
        return code;
    const char *deal_id = dp_config_positional (config, 0);
    json_object *result = NULL;
    dp_error_t err;
    dp_status rc = dp_submit_fetch_result (config, deal_id, &result, &err);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        dp_config_destroy (&config);
        return rc == DP_NOTFOUND? DP_SUBMIT_EXIT_NEGATIVE: dp_submit_exit_for (rc);
    }
    json_object *record = s_record (result), *verified = NULL;
    json_object_object_get_ex (record, "verified", &verified);
    json_object *line = json_object_new_object ();
    json_object_object_add (line, "deal_id", json_object_new_string (deal_id));
    json_object_object_add (line, "verification", record);
    int flags = dp_config_get_switch (config, "json")? JSON_C_TO_STRING_PLAIN: JSON_C_TO_STRING_PRETTY;
    puts (json_object_to_json_string_ext (line, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
    code = json_object_get_boolean (verified)? DP_SUBMIT_EXIT_OK: DP_SUBMIT_EXIT_NEGATIVE;
    json_object_put (line);
    json_object_put (result);
    dp_config_destroy (&config);
    return code;
}
