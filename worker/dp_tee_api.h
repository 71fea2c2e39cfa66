/*  dp_tee_api.h — one dstack or tappd guest-agent endpoint, one attempt
    per call (dp_tee adds mode selection and retries).

    Wire protocol (notes/tdx.md §3.2): pRPC over HTTP/1.1, `POST <mount>/
    <Method>` with `Content-Type: application/json`; bytes travel as hex
    (answers may carry a 0x prefix); errors are HTTP 4xx/5xx with
    {"error": "..."}. dstack methods are mounted at "/" (GetQuote, GetKey,
    Info), tappd ones at "/prpc/" (Tappd.RawQuote, Tappd.TdxQuote,
    Tappd.DeriveK256Key, Tappd.Info). An endpoint starting with http:// or
    https:// is a URL; anything else is a unix socket path.

    The parsers are public so the fuzz target reaches them; they never
    trust the answer: every field is type- and length-checked.

    Threading: a dp_tee_api_t may be used from many threads at once (each
    call makes its own curl handle). */

#ifndef DP_TEE_API_H_INCLUDED
#define DP_TEE_API_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef enum { DP_TEE_API_DSTACK = 1, DP_TEE_API_TAPPD = 2 } dp_tee_api_kind;

typedef struct dp_tee_api_t dp_tee_api_t;

#define DP_TEE_API_RESPONSE_MAX (4 * 1024 * 1024)

//  A client for endpoint speaking kind. timeout_ms bounds each request
//  (connect + transfer). NULL only when out of memory (err set).
dp_tee_api_t *dp_tee_api_new (const char *endpoint, dp_tee_api_kind kind, int timeout_ms,
                              dp_error_t *err);
void dp_tee_api_destroy (dp_tee_api_t **self_p);

const char *dp_tee_api_endpoint (const dp_tee_api_t *self);
dp_tee_api_kind dp_tee_api_kind_of (const dp_tee_api_t *self);

//  Which API answers at endpoint: POST /Info → dstack; when that is
//  refused (HTTP 4xx), POST /prpc/Tappd.Info, else a raw Tappd.TdxQuote of
//  zeros → tappd. DP_OK with *kind set. DP_UNSUPPORTED when every attempt
//  was refused with a 4xx (definitive: neither API is there); otherwise
//  DP_UNREACHABLE / DP_TIMEOUT / DP_PROTO (5xx, garbage), worth a retry;
//  err names both attempts.
dp_status dp_tee_api_probe (const char *endpoint, int timeout_ms, dp_tee_api_kind *kind,
                            dp_error_t *err) DP_MUST_CHECK;

//  One quote request with report_data as is (dstack GetQuote; tappd
//  RawQuote, or TdxQuote with hash_algorithm "raw" once RawQuote was
//  refused with a 4xx). Checks that the quote carries report_data.
//  *quote malloc'd binary; *event_log (if not NULL) malloc'd JSON text.
dp_status dp_tee_api_quote (dp_tee_api_t *self, const uint8_t report_data [64], uint8_t **quote,
                            size_t *len, char **event_log, dp_error_t *err) DP_MUST_CHECK;

//  One key request (dstack GetKey algorithm secp256k1 / tappd
//  DeriveK256Key) for path; key must be a valid secp256k1 secret.
//  DP_UNSUPPORTED when the agent answers 404 (no such method: the legacy
//  tappd simulator has only DeriveKey, a P-256 key).
dp_status dp_tee_api_derive_key (dp_tee_api_t *self, const char *path, uint8_t key [32],
                                 dp_error_t *err) DP_MUST_CHECK;

//  One Info request; *info is a new JSON object (caller puts it).
dp_status dp_tee_api_info (dp_tee_api_t *self, json_object **info, dp_error_t *err)
    DP_MUST_CHECK;

//  Parses a quote answer {"quote": hex, "event_log": string|array, ...}.
//  On DP_OK *quote (malloc'd, 48..DP_TEE_QUOTE_MAX bytes) and, when
//  event_log is not NULL, *event_log (malloc'd; "[]" when absent). DP_PROTO
//  naming the field otherwise.
dp_status dp_tee_api_parse_quote (const char *body, size_t len, uint8_t **quote, size_t *quote_len,
                                  char **event_log, dp_error_t *err) DP_MUST_CHECK;

//  Parses a key answer: field ("key" for dstack, "k256_key" for tappd) is
//  hex of a valid 32-byte secp256k1 secret. DP_PROTO otherwise.
dp_status dp_tee_api_parse_key (const char *body, size_t len, const char *field, uint8_t key [32],
                                dp_error_t *err) DP_MUST_CHECK;

//  Where a quote keeps its 64 REPORTDATA bytes: v3 (SGX) 368, v4 568, v5
//  54 + 520. DP_PROTO if the version is unknown or the quote too short.
dp_status dp_tee_api_quote_report_data (const uint8_t *quote, size_t len, size_t *offset,
                                        dp_error_t *err) DP_MUST_CHECK;

#endif
