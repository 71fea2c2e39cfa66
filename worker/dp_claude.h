/*  dp_claude.h — a negotiation side driven by Claude (Anthropic Messages API).

    One call per turn: POST {base}/v1/messages with x-api-key,
    anthropic-version: 2023-06-01 and content-type: application/json; the
    move comes back through a forced strict tool `submit_move` (no assistant
    prefill, which Claude 4.6 models refuse; never temperature and top_p
    together). The prompt is built from the side's own context only (its
    own limits, the public offer history, the public deal text and, for the
    seller, the DKIM-verified domain); the other side's limits and
    reasoning text are not reachable from here.

    Retries follow the official SDKs: connection errors and timeouts, 408,
    409, 424, 429, >= 500 (529 included), and whatever x-should-retry says;
    waits retry-after-ms / retry-after when in (0, 60] s, else
    min(0.5 * 2^n, 8) s * (1 - 0.25 * U[0,1)); max_retries (default 2);
    never 400/401/403/404/413 or a spend-limit 429. After 401, 402, 403 or a
    spend-limit 429 the client latches off: every later call returns
    DP_UNSUPPORTED at once, and dp_claude_latched says why; the latch is
    process-wide for the same URL and key, so every later client with those
    credentials starts switched off too. The API key is never logged and
    never appears in error text.

    Threading: a dp_claude_t is shared by many negotiations at once (one
    blocking libcurl easy handle per call: a waiting turn sleeps in poll and
    holds no core); a rate limit spaces requests process-wide, across all
    clients. */

#ifndef DP_CLAUDE_H_INCLUDED
#define DP_CLAUDE_H_INCLUDED

#include "dp_negotiate_side.h"

typedef struct {
    const char *base_url;       //  NULL = $ANTHROPIC_BASE_URL or https://api.anthropic.com
    const char *api_key;        //  NULL = $ANTHROPIC_API_KEY, then the file named by
                                //  $ANTHROPIC_API_KEY_FILE; copied and wiped on destroy
    const char *model;          //  NULL = DP_NEGOTIATE_MODEL_DEFAULT
    int connect_timeout_ms;     //  0 = 5000
    int request_timeout_ms;     //  0 = 60000
    int turn_budget_ms;         //  0 = 120000 (all attempts of one turn)
    int max_retries;            //  0 = 2 (the SDKs' default); < 0 = none
    int max_tokens;             //  0 = 1024
    int requests_per_second;    //  process-wide request spacing; 0 = 50
    size_t max_response;        //  0 = 1 MiB; larger bodies abort the transfer
    dp_negotiate_sleep_fn *sleep;   //  NULL = nanosleep
    void *sleep_arg;
    uint64_t seed;              //  backoff jitter
} dp_claude_config_t;

typedef struct {
    int64_t input_tokens;
    int64_t output_tokens;
    uint32_t calls;             //  HTTP requests sent
    uint32_t retries;
} dp_claude_usage_t;

//  Creates a client. DP_INVALID if no API key is found (err says where it
//  looked, never a key) or the URL is not http(s). NULL on error.
dp_claude_t *dp_claude_new (const dp_claude_config_t *config, dp_error_t *err);

//  Wipes the key and frees. Idempotent; sets *self_p to NULL.
void dp_claude_destroy (dp_claude_t **self_p);

//  The model name in use (for `engines.model`).
const char *dp_claude_model (dp_claude_t *self);

//  NULL while usable; else why the client stopped calling the API
//  ("401 authentication_error", "spend limit reached").
const char *dp_claude_latched (dp_claude_t *self);

//  Builds the request body for one turn (JSON text, malloc'd, caller frees).
//  advice is the built-in engine's planned move, offered to the model as a
//  suggestion. Exposed for tests of information separation.
char *dp_claude_request_body (dp_claude_t *self, const dp_nego_side_t *side,
                              const dp_nego_public_t *pub, const dp_nego_proposal_t *advice);

//  One turn. DP_OK: out holds the model's move (out->usable 0 if the answer
//  could not be read: malformed JSON, wrong types, max_tokens, refusal...).
//  DP_UNSUPPORTED: the client is latched off. DP_TIMEOUT / DP_UNREACHABLE /
//  DP_PROTO: gave up after retries (err says the last status and
//  request-id). usage is added to, never reset.
dp_status dp_claude_move (dp_claude_t *self, const dp_nego_side_t *side,
                          const dp_nego_public_t *pub, const dp_nego_proposal_t *advice,
                          dp_nego_proposal_t *out, dp_claude_usage_t *usage,
                          dp_error_t *err) DP_MUST_CHECK;

//  dp_claude_move with the turn's wall time (every attempt and wait)
//  bounded by budget_ms too, when 0 < budget_ms < the turn budget: what is
//  left of a deal's time budget for the LLM (dp_negotiate).
dp_status dp_claude_move_within (dp_claude_t *self, const dp_nego_side_t *side,
                                 const dp_nego_public_t *pub, const dp_nego_proposal_t *advice,
                                 int64_t budget_ms, dp_nego_proposal_t *out,
                                 dp_claude_usage_t *usage, dp_error_t *err) DP_MUST_CHECK;

//  Reads a move out of a Messages API response body (exposed for the fuzz
//  target and tests): a tool_use `submit_move` input, or else the first
//  balanced {...} object in the text blocks (code fences and prose
//  around it tolerated). Fills out (usable 0 with the reason on failure);
//  adds usage tokens when present. Never fails otherwise.
void dp_claude_parse_response (const char *body, size_t len, const dp_nego_public_t *pub,
                               dp_nego_proposal_t *out, dp_claude_usage_t *usage);

//  Retry policy pieces, exposed for tests: whether a status (0 = connection
//  error or timeout) is retried given x-should-retry (-1 absent, 0, 1) and
//  whether the body is a spend-limit error; and the wait in ms before retry
//  number n (0-based) given retry-after-ms / retry-after in ms (-1 absent)
//  and a uniform draw u in [0, 1).
int dp_claude_should_retry (long status, int should_retry_header, int spend_limit);
int64_t dp_claude_retry_wait_ms (int n, int64_t retry_after_ms, double u);

#endif
