/*  dp_negotiate.h — one buyer/seller negotiation over price and terms.

    The protocol is SPEC §4: the seller opens round 1, moves then strictly
    alternate seller, buyer; a round is one seller move and one buyer move;
    an `accept` or `reject`, or `max_rounds` rounds, ends it. Each side is
    driven by an engine (the built-in deterministic strategy, or Claude
    through the Anthropic Messages API), and every move of every engine
    passes through the guardrail layer (dp_guardrail.h, G1–G8): the buyer
    never offers or accepts above its budget for the terms, the seller never
    below its floor for the terms, an accept takes the standing offer, only
    allowed packages can be agreed, rounds are bounded.

    Information separation: the runner copies each side's own limits into
    that side's private context; a side's engine and its LLM prompt are
    built from that context and the public offer history only (prices and
    terms, never the other side's limits or free text).

    Ownership: the input and options are borrowed for the call. The
    outcome's transcript is owned by the caller (dp_negotiate_outcome_clear).
    Threading: dp_negotiate_run is reentrant; run as many negotiations at
    once as there are threads. A shared dp_claude_t may be passed in the
    options and used by many runs at once. */

#ifndef DP_NEGOTIATE_H_INCLUDED
#define DP_NEGOTIATE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "dp_job.h"
#include "dp_status.h"

//  Largest price or limit in cents (10^12 dollars); G1 refuses anything above.
#define DP_NEGOTIATE_PRICE_MAX      INT64_C(100000000000000)
#define DP_NEGOTIATE_ROUNDS_MAX     100
#define DP_NEGOTIATE_ROUNDS_DEFAULT 10
//  Packages (access_scope × duration_days) a deal may list.
#define DP_NEGOTIATE_PACKAGES_MAX   256
#define DP_NEGOTIATE_SCOPE_MAX      64
#define DP_NEGOTIATE_MODEL_DEFAULT  "claude-sonnet-4-6"

typedef enum {
    DP_NEGOTIATE_BUILTIN = 0,
    DP_NEGOTIATE_CLAUDE = 1
} dp_negotiate_engine_t;

//  One package that may be agreed, with each side's private limit for it.
//  A limit of 0 means "the deal's default" (buyer_budget / floor_price),
//  which is how SPEC §1's budget_by_terms / floor_by_terms map on.
typedef struct {
    const char *access_scope;           //  1..64 printable chars, borrowed
    int duration_days;                  //  1..36500
    int64_t buyer_budget_cents;         //  0 = input's buyer_budget_cents
    int64_t seller_floor_cents;         //  0 = input's seller_floor_cents
} dp_negotiate_package_t;

typedef struct {
    const char *deal_id;                //  for log lines only; may be NULL
    int64_t buyer_budget_cents;         //  1..DP_NEGOTIATE_PRICE_MAX
    int64_t seller_floor_cents;         //  1..DP_NEGOTIATE_PRICE_MAX
    //  The allowed packages in the deal's order (scopes outer, days inner).
    //  package_count 0 = the seed's single package full/365.
    const dp_negotiate_package_t *packages;
    size_t package_count;
    int max_rounds;                     //  1..100; 0 = 10
    dp_negotiate_engine_t buyer_engine;
    dp_negotiate_engine_t seller_engine;
    const char *buyer_requirements;     //  public deal text, may be NULL
    const char *data_description;       //  public deal text, may be NULL
    const char *seller_verified_domain; //  DKIM-verified domain or NULL
    const char *model;                  //  NULL = DP_NEGOTIATE_MODEL_DEFAULT
} dp_negotiate_input_t;

//  Strategy selection for experiments and the benchmark (the default, NULL
//  in the options, is the built-in engine). See dp_engine_builtin.h.
//  Default LLM time budget of one deal: 20 turns at a normal 3-10 s each
//  fit; a backend that accepts connections and never answers holds a deal
//  this long at most (plus the turn in flight, which the budget also cuts).
#define DP_NEGOTIATE_LLM_BUDGET_MS 300000

typedef struct dp_engine_params_t dp_engine_params_t;
typedef struct dp_claude_t dp_claude_t;

//  Sleeps ms milliseconds (retry-after waits); tests inject their own.
typedef void (dp_negotiate_sleep_fn) (void *arg, int64_t ms);

typedef struct {
    //  Claude backend. Used only when a side's engine is claude.
    const char *api_url;        //  base URL; NULL = $ANTHROPIC_BASE_URL or
                                //  https://api.anthropic.com
    const char *api_key;        //  NULL = $ANTHROPIC_API_KEY, then the file
                                //  named by $ANTHROPIC_API_KEY_FILE; none =
                                //  that side uses built-in (recorded)
    int connect_timeout_ms;     //  0 = 5000
    int request_timeout_ms;     //  0 = 60000
    int turn_budget_ms;         //  0 = 120000, wall time per turn incl. retries
    int deal_budget_ms;         //  0 = DP_NEGOTIATE_LLM_BUDGET_MS: wall time one run
                                //  may wait on the LLM, all turns of both sides
                                //  together; once spent, the remaining turns use
                                //  the built-in engine (recorded in the note)
    int max_retries;            //  0 = 2 (the official SDKs' default); < 0 = none
    int max_tokens;             //  0 = 1024
    int requests_per_second;    //  process-wide request spacing; 0 = 50
    dp_claude_t *claude;        //  shared client (borrowed); NULL = one per
                                //  run from the fields above
    dp_negotiate_sleep_fn *sleep;   //  NULL = nanosleep
    void *sleep_arg;
    uint64_t seed;              //  seeds every random choice (retry jitter,
                                //  randomised baseline strategies)
    //  NULL = the built-in engine for that side.
    const dp_engine_params_t *buyer_strategy;
    const dp_engine_params_t *seller_strategy;
    int allow_walk_away;        //  0 (default): a reject before the final
                                //  round becomes a counter (G8)
} dp_negotiate_options_t;

//  Guardrail rules, in the order of the notes' §4.2 plus the terms rule.
typedef enum {
    DP_GUARD_PRICE = 0,     //  G1 price sanity
    DP_GUARD_BUDGET,        //  G2 buyer above its budget for the terms
    DP_GUARD_FLOOR,         //  G3 seller below its floor for the terms
    DP_GUARD_ACCEPT,        //  G4 accept payload differs from the standing offer
    DP_GUARD_COMMIT,        //  G5 commit check (never fires unless a bug)
    DP_GUARD_ROUNDS,        //  G6 move not allowed at this point (deadline, first move)
    DP_GUARD_RETRACT,       //  G7 offer worse for the other side than my last on the same terms
    DP_GUARD_REJECT,        //  G8 early walk-away turned into a counter
    DP_GUARD_TERMS,         //  terms outside the allowed packages
    DP_GUARD_COUNT
} dp_guard_rule_t;

typedef struct {
    uint32_t rule [DP_GUARD_COUNT];     //  interventions per rule
    uint32_t guardrail_moves;           //  moves recorded with source guardrail
    uint32_t fallback_moves;            //  moves recorded with source fallback
} dp_guard_counts_t;

typedef struct {
    int64_t input_tokens;
    int64_t output_tokens;
    uint32_t api_calls;                 //  HTTP requests sent
    uint32_t retries;                   //  of which retries
    uint32_t llm_moves;                 //  moves taken from the LLM (source llm or guardrail)
} dp_negotiate_usage_t;

typedef struct {
    int agreed;                         //  1 if a package and price were agreed
    int64_t price_cents;                //  agreed price, 0 if none
    char access_scope [DP_NEGOTIATE_SCOPE_MAX + 1];
    int duration_days;
    int rounds;                         //  rounds played
    json_object *transcript;            //  SPEC §4 entries, owned
    dp_guard_counts_t guard;
    dp_negotiate_usage_t usage;
    char buyer_engine [16];             //  "builtin" | "claude"
    char seller_engine [16];
    char model [96];                    //  "" when no side used claude
    char note [512];                    //  e.g. why a claude side fell back; "" if none
} dp_negotiate_outcome_t;

//  Sets every option to its default (all zero).
void dp_negotiate_options_init (dp_negotiate_options_t *options);

//  Runs the negotiation to its end. Calls progress (may be NULL) once per
//  move with that transcript entry as JSON. On DP_OK the outcome is filled
//  (agreed or not) and owns a transcript. DP_INVALID: the input is bad (err
//  names the field and reason, e.g. "packages[2].duration_days: must be
//  1..36500"); DP_NOMEM; DP_INTERNAL if the commit check (G5) failed, which
//  means a bug and never yields an agreement. The outcome is zeroed on
//  every error. Network errors of the Claude backend are never returned:
//  they end in the engine's fallback move.
dp_status dp_negotiate_run (const dp_negotiate_input_t *input,
                            const dp_negotiate_options_t *options,
                            dp_progress_fn *progress, void *progress_arg,
                            dp_negotiate_outcome_t *outcome,
                            dp_error_t *err) DP_MUST_CHECK;

//  Frees the transcript and zeroes the outcome. Safe on a zeroed outcome.
void dp_negotiate_outcome_clear (dp_negotiate_outcome_t *outcome);

//  SPEC §4 `engines`: {"buyer", "seller", "model"} (model null when no side
//  used claude). New object, caller owns.
json_object *dp_negotiate_engines_json (const dp_negotiate_outcome_t *outcome);

//  `usage` for the result: {"input_tokens", "output_tokens", "api_calls",
//  "retries", "llm_moves", "guardrail": {"G1_price": n, ...,
//  "guardrail_moves", "fallback_moves"}}. New object, caller owns.
json_object *dp_negotiate_usage_json (const dp_negotiate_outcome_t *outcome);

//  Stable name of an engine ("builtin", "claude"); parses the same names.
const char *dp_negotiate_engine_name (dp_negotiate_engine_t engine);
int dp_negotiate_engine_parse (const char *text, dp_negotiate_engine_t *out);

//  Stable name of a guardrail rule ("G1_price", ..., "terms").
const char *dp_negotiate_guard_name (dp_guard_rule_t rule);

#endif
