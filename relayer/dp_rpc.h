/*  dp_rpc.h — Ethereum JSON-RPC over HTTP (libcurl).

    One request at a time per client (not thread-safe; one client per
    thread). Responses larger than DP_RPC_RESPONSE_MAX are refused.
    Errors: DP_UNREACHABLE (connection refused, DNS, reset: the node is
    down), DP_TIMEOUT, DP_PROTO (HTTP status other than 200, a body that is
    not a JSON-RPC response), DP_INVALID (the node answered with a JSON-RPC
    error: err holds "code N: message" and, when the error has data, " data
    D" (a revert's selector); *rpc_code the code), DP_NOMEM. A JSON-RPC
    error is not always final: rate limits (-32005), internal errors and
    insufficient funds pass; callers judge (dp_chain_error_final). */

#ifndef DP_RPC_H_INCLUDED
#define DP_RPC_H_INCLUDED

#include <json-c/json.h>
#include <stdint.h>

#include "dp_status.h"

#define DP_RPC_RESPONSE_MAX (16 * 1024 * 1024)

typedef struct dp_rpc_t dp_rpc_t;

//  url: http(s) endpoint; timeout_ms per request (> 0). NULL on error.
dp_rpc_t *dp_rpc_new (const char *url, int timeout_ms, dp_error_t *err);
void dp_rpc_destroy (dp_rpc_t **self_p);

//  Calls method with params (a JSON array; taken over, may be NULL for
//  []). On DP_OK *result is the response's "result" (a new reference the
//  caller puts; NULL for a JSON null). rpc_code may be NULL.
dp_status dp_rpc_call (dp_rpc_t *self, const char *method, json_object *params,
                       json_object **result, int *rpc_code, dp_error_t *err) DP_MUST_CHECK;

//  A call whose result is a QUANTITY ("0x1a") that fits 64 bits.
dp_status dp_rpc_call_u64 (dp_rpc_t *self, const char *method, json_object *params,
                           uint64_t *out, dp_error_t *err) DP_MUST_CHECK;

//  Parses a QUANTITY into 64 bits; DP_INVALID naming what is wrong.
dp_status dp_rpc_quantity_u64 (const char *text, uint64_t *out, dp_error_t *err) DP_MUST_CHECK;

#endif
