/*  dp_submit_fetch.h — one-shot questions to the broker for the query
    commands (status, result, attestation, verification, list, stats,
    and verify/inspect given a deal id).

    The broker comes from the command's `broker` option (--broker or
    DP_BROKER) and `timeout`. Errors: DP_INVALID when no broker is set
    (the message says how to set one); the client's codes otherwise
    (DP_UNREACHABLE, DP_TIMEOUT, DP_NOTFOUND "deal X: not found", ...).

    Threading: the command's thread. */

#ifndef DP_SUBMIT_FETCH_H_INCLUDED
#define DP_SUBMIT_FETCH_H_INCLUDED

#include <json-c/json.h>

#include "dp_client.h"
#include "dp_config.h"
#include "dp_status.h"

//  A connected client (caller destroys), or NULL with err set.
dp_client_t *dp_submit_fetch_connect (dp_config_t *config, dp_error_t *err);

//  The deal's result as a new JSON object (caller puts), with the
//  broker's annotations (escrow_tx, completion_tx) set into it when they
//  exist. DP_NOTFOUND when the deal is unknown or has no result yet.
dp_status dp_submit_fetch_result_with (dp_client_t *client, const char *deal_id,
                                       json_object **result, dp_error_t *err) DP_MUST_CHECK;

//  The same over a fresh connection.
dp_status dp_submit_fetch_result (dp_config_t *config, const char *deal_id,
                                  json_object **result, dp_error_t *err) DP_MUST_CHECK;

//  The deal attestation quote's hex text ("0x…", malloc'd).
//  DP_NOTFOUND when the deal has no result or no attestation.
dp_status dp_submit_fetch_attestation (dp_config_t *config, const char *deal_id,
                                       char **hex, dp_error_t *err) DP_MUST_CHECK;

#endif
