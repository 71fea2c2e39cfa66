/*  dp_submit_fetch.c — connect, fetch a result, fetch an attestation. */

#include "dp_submit_fetch.h"

#include <stdlib.h>
#include <string.h>

#include "dp_json.h"

dp_client_t *
dp_submit_fetch_connect (dp_config_t *config, dp_error_t *err)
{
    const char *endpoint = dp_config_get (config, "broker");
    if (!endpoint || !*endpoint) {
        dp_error_set (err, DP_INVALID, "no broker: set --broker ENDPOINT or DP_BROKER");
        return NULL;
    }
    long long timeout = 10000;
    if (dp_config_get_int (config, "timeout", 1, 3600000, &timeout, err) == DP_INVALID)
        return NULL;
    dp_client_t *client = dp_client_new (endpoint, (int) timeout, err);
    if (!client)
        dp_error_prefix (err, "broker %s", endpoint);
    return client;
}

dp_status
dp_submit_fetch_result_with (dp_client_t *client, const char *deal_id, json_object **result,
                             dp_error_t *err)
{
    *result = NULL;
    dp_client_result_t stored;
    memset (&stored, 0, sizeof stored);
    dp_status rc = dp_client_result (client, deal_id, &stored, err);
    if (rc == DP_OK && !stored.json)
        rc = dp_error_set (err, DP_NOTFOUND, "deal %s: no result yet (status %s)", deal_id,
                           stored.status);
    if (rc == DP_OK && dp_json_parse (stored.json, stored.json_len, result, err) != DP_OK)
        rc = dp_error_prefix (err, "deal %s: stored result", deal_id);
    if (rc == DP_OK && !json_object_is_type (*result, json_type_object)) {
        json_object_put (*result);
        *result = NULL;
        rc = dp_error_set (err, DP_PROTO, "deal %s: stored result is not an object", deal_id);
    }
    if (rc == DP_OK && stored.escrow_tx [0])
        json_object_object_add (*result, "escrow_tx", json_object_new_string (stored.escrow_tx));
    if (rc == DP_OK && stored.completion_tx [0])
        json_object_object_add (*result, "completion_tx", json_object_new_string (stored.completion_tx));
    dp_client_result_clear (&stored);
    return rc;
}

dp_status
dp_submit_fetch_result (dp_config_t *config, const char *deal_id, json_object **result,
                        dp_error_t *err)
{
    *result = NULL;
    dp_client_t *client = dp_submit_fetch_connect (config, err);
    if (!client)
        return err->code;
    dp_status rc = dp_submit_fetch_result_with (client, deal_id, result, err);
    dp_client_destroy (&client);
    return rc;
}

dp_status
dp_submit_fetch_attestation (dp_config_t *config, const char *deal_id, char **hex,
                             dp_error_t *err)
{
    *hex = NULL;
    json_object *result = NULL, *attestation = NULL;
    dp_status rc = dp_submit_fetch_result (config, deal_id, &result, err);
    if (rc != DP_OK)
        return rc;
    if (!json_object_object_get_ex (result, "attestation", &attestation)
    ||  !json_object_is_type (attestation, json_type_string))
        rc = dp_error_set (err, DP_NOTFOUND, "deal %s: no attestation (the deal did not agree)",
                           deal_id);
    else {
        *hex = strdup (json_object_get_string (attestation));
        if (!*hex)
            rc = dp_error_set (err, DP_NOMEM, "out of memory");
    }
    json_object_put (result);
    return rc;
}
