/*  dp_negotiate.c — the protocol runner (see dp_negotiate.h).

    The runner is the only code that holds both sides' limits: it copies
    each side's own limits into that side's dp_nego_side_t, asks the side's
    engine (built-in or Claude) for a move with only that side and the
    public history, passes the answer through the guardrail, records it and
    checks an agreement against both limits (G5) before committing it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_claude.h"
#include "dp_engine_builtin.h"
#include "dp_guardrail.h"
#include "dp_log.h"
#include "dp_negotiate.h"
#include "dp_negotiate_side.h"
#include "dp_result.h"

#define DAYS_MAX 36500

typedef struct {
    const dp_negotiate_input_t *in;
    const dp_negotiate_options_t *opt;
    dp_nego_terms_t *terms;
    int64_t *limits [2];                //  [DP_ROLE_SELLER], [DP_ROLE_BUYER]
    dp_nego_side_t side [2];
    dp_negotiate_engine_t engine [2];
    const char *llm_off [2];            //  why a claude side uses the engine instead
    dp_nego_move_t moves [2 * DP_NEGOTIATE_ROUNDS_MAX];
    dp_nego_public_t pub;
    dp_claude_t *claude;
    int own_claude;
    dp_claude_usage_t usage;
    int64_t llm_waited_ms;              //  wall time spent in Claude turns so far
    dp_negotiate_outcome_t *out;
    dp_progress_fn *progress;
    void *progress_arg;
} s_run_t;

const char *
dp_nego_role_name (dp_nego_role_t role)
{
    return role == DP_ROLE_BUYER ? "buyer" : "seller";
}

const char *
dp_nego_action_name (dp_nego_action_t action)
{
    static const char *names [] = { "offer", "counter", "accept", "reject" };
    return action >= DP_ACT_OFFER && action <= DP_ACT_REJECT ? names [action] : "unknown";
}

const char *
dp_nego_source_name (dp_nego_source_t source)
{
    static const char *names [] = { "engine", "llm", "guardrail", "fallback" };
    return source >= DP_SOURCE_ENGINE && source <= DP_SOURCE_FALLBACK ? names [source] : "unknown";
}

const char *
dp_negotiate_engine_name (dp_negotiate_engine_t engine)
{
    return engine == DP_NEGOTIATE_CLAUDE ? "claude" : "builtin";
}

int
dp_negotiate_engine_parse (const char *text, dp_negotiate_engine_t *out)
{
    if (text && strcmp (text, "builtin") == 0)
        *out = DP_NEGOTIATE_BUILTIN;
    else if (text && strcmp (text, "claude") == 0)
        *out = DP_NEGOTIATE_CLAUDE;
    else
        return -1;
    return 0;
}

const char *
dp_negotiate_guard_name (dp_guard_rule_t rule)
{
    static const char *names [DP_GUARD_COUNT] = {
        "G1_price", "G2_budget", "G3_floor", "G4_accept", "G5_commit",
        "G6_rounds", "G7_retract", "G8_reject", "terms" };
    return rule >= 0 && rule < DP_GUARD_COUNT ? names [rule] : "unknown";
}

void
dp_negotiate_options_init (dp_negotiate_options_t *options)
{
    memset (options, 0, sizeof *options);
}

void
dp_negotiate_outcome_clear (dp_negotiate_outcome_t *outcome)
{
    if (!outcome)
        return;
    if (outcome->transcript)
        json_object_put (outcome->transcript);
    memset (outcome, 0, sizeof *outcome);
}

static dp_status
s_check_limit (int64_t value, int zero_ok, const char *field, dp_error_t *err)
{
    if ((zero_ok && value == 0) || (value >= 1 && value <= DP_NEGOTIATE_PRICE_MAX))
        return DP_OK;
    return dp_error_set (err, DP_INVALID, "%s: must be 0.01..%lld.00 (got %lld cents)",
                         field, (long long) (DP_NEGOTIATE_PRICE_MAX / 100), (long long) value);
}

static dp_status
s_check_scope (const char *scope, size_t index, dp_error_t *err)
{
    size_t len = scope ? strlen (scope) : 0;
    if (len == 0 || len > DP_NEGOTIATE_SCOPE_MAX)
        return dp_error_set (err, DP_INVALID, "packages[%zu].access_scope: must be 1..%d characters",
                             index, DP_NEGOTIATE_SCOPE_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) scope [i] < 0x20 || (unsigned char) scope [i] > 0x7e)
            return dp_error_set (err, DP_INVALID,
                                 "packages[%zu].access_scope: only printable ASCII allowed", index);
    return DP_OK;
}

static dp_status
s_validate (const dp_negotiate_input_t *in, dp_error_t *err)
{
    if (s_check_limit (in->buyer_budget_cents, 0, "buyer_budget", err)
    ||  s_check_limit (in->seller_floor_cents, 0, "floor_price", err))
        return DP_INVALID;
    if (in->max_rounds < 0 || in->max_rounds > DP_NEGOTIATE_ROUNDS_MAX)
        return dp_error_set (err, DP_INVALID, "max_rounds: must be 1..%d (got %d)",
                             DP_NEGOTIATE_ROUNDS_MAX, in->max_rounds);
    if ((in->buyer_engine != DP_NEGOTIATE_BUILTIN && in->buyer_engine != DP_NEGOTIATE_CLAUDE)
    ||  (in->seller_engine != DP_NEGOTIATE_BUILTIN && in->seller_engine != DP_NEGOTIATE_CLAUDE))
        return dp_error_set (err, DP_INVALID, "engine: must be builtin or claude");
    if (in->package_count > DP_NEGOTIATE_PACKAGES_MAX || (in->package_count && !in->packages))
        return dp_error_set (err, DP_INVALID, "terms_options: at most %d packages",
                             DP_NEGOTIATE_PACKAGES_MAX);
    for (size_t i = 0; i < in->package_count; i++) {
        const dp_negotiate_package_t *p = &in->packages [i];
        char field [64];
        if (s_check_scope (p->access_scope, i, err))
            return DP_INVALID;
        if (p->duration_days < 1 || p->duration_days > DAYS_MAX)
            return dp_error_set (err, DP_INVALID, "packages[%zu].duration_days: must be 1..%d",
                                 i, DAYS_MAX);
        snprintf (field, sizeof field, "budget_by_terms[%s/%d]", p->access_scope, p->duration_days);
        if (s_check_limit (p->buyer_budget_cents, 1, field, err))
            return DP_INVALID;
        snprintf (field, sizeof field, "floor_by_terms[%s/%d]", p->access_scope, p->duration_days);
        if (s_check_limit (p->seller_floor_cents, 1, field, err))
            return DP_INVALID;
        for (size_t j = 0; j < i; j++)
            if (in->packages [j].duration_days == p->duration_days
            &&  strcmp (in->packages [j].access_scope, p->access_scope) == 0)
                return dp_error_set (err, DP_INVALID, "packages[%zu]: duplicate package %s/%d",
                                     i, p->access_scope, p->duration_days);
    }
    return DP_OK;
}

//  Copies the packages and splits the limits into the two private contexts.
static dp_status
s_setup (s_run_t *r, dp_error_t *err)
{
    const dp_negotiate_input_t *in = r->in;
    size_t n = in->package_count ? in->package_count : 1;
    r->terms = calloc (n, sizeof *r->terms);
    r->limits [DP_ROLE_SELLER] = calloc (n, sizeof (int64_t));
    r->limits [DP_ROLE_BUYER] = calloc (n, sizeof (int64_t));
    if (!r->terms || !r->limits [0] || !r->limits [1])
        return dp_error_set (err, DP_NOMEM, "negotiate: out of memory");
    for (size_t i = 0; i < n; i++) {
        const dp_negotiate_package_t *p = in->package_count ? &in->packages [i] : NULL;
        snprintf (r->terms [i].access_scope, sizeof r->terms [i].access_scope, "%s",
                  p ? p->access_scope : "full");
        r->terms [i].duration_days = p ? p->duration_days : 365;
        r->limits [DP_ROLE_BUYER][i] = p && p->buyer_budget_cents ? p->buyer_budget_cents
                                                                 : in->buyer_budget_cents;
        r->limits [DP_ROLE_SELLER][i] = p && p->seller_floor_cents ? p->seller_floor_cents
                                                                  : in->seller_floor_cents;
    }
    for (int role = 0; role < 2; role++) {
        r->side [role].role = (dp_nego_role_t) role;
        r->side [role].package_count = n;
        r->side [role].limits = r->limits [role];
    }
    r->pub.packages = r->terms;
    r->pub.package_count = n;
    r->pub.max_rounds = in->max_rounds ? in->max_rounds : DP_NEGOTIATE_ROUNDS_DEFAULT;
    r->pub.moves = r->moves;
    r->pub.buyer_requirements = in->buyer_requirements;
    r->pub.data_description = in->data_description;
    r->pub.seller_verified_domain = in->seller_verified_domain;
    r->engine [DP_ROLE_SELLER] = in->seller_engine;
    r->engine [DP_ROLE_BUYER] = in->buyer_engine;
    return DP_OK;
}

//  Connects the Claude backend when a side asks for it. Failing to (no key)
//  is not an error: that side uses the built-in engine, recorded as
//  fallback with the reason.
static void
s_setup_claude (s_run_t *r)
{
    if (r->engine [0] != DP_NEGOTIATE_CLAUDE && r->engine [1] != DP_NEGOTIATE_CLAUDE)
        return;
    const dp_negotiate_options_t *o = r->opt;
    r->claude = o->claude;
    if (!r->claude) {
        dp_claude_config_t cfg = {
            .base_url = o->api_url, .api_key = o->api_key, .model = r->in->model,
            .connect_timeout_ms = o->connect_timeout_ms,
            .request_timeout_ms = o->request_timeout_ms, .turn_budget_ms = o->turn_budget_ms,
            .max_retries = o->max_retries, .max_tokens = o->max_tokens,
            .requests_per_second = o->requests_per_second,
            .sleep = o->sleep, .sleep_arg = o->sleep_arg, .seed = o->seed };
        dp_error_t cerr;
        dp_error_clear (&cerr);
        r->claude = dp_claude_new (&cfg, &cerr);
        r->own_claude = r->claude != NULL;
        if (!r->claude)
            snprintf (r->out->note, sizeof r->out->note, "claude unavailable (%.400s); built-in engine used",
                      cerr.text);
    }
    for (int role = 0; role < 2; role++)
        if (r->engine [role] == DP_NEGOTIATE_CLAUDE && !r->claude)
            r->llm_off [role] = "claude unavailable";
}

static void
s_note_latch (s_run_t *r, dp_nego_role_t role, const char *why)
{
    r->llm_off [role] = "claude switched off";
    size_t used = strlen (r->out->note);
    snprintf (r->out->note + used, sizeof r->out->note - used, "%s%s: claude switched off (%s); "
              "built-in engine used from round %d", used ? "; " : "", dp_nego_role_name (role),
              why, dp_nego_turn_round (&r->pub));
}

//  Replaces every occurrence of needle in text by "[limit]".
static void
s_blank (char *text, const char *needle)
{
    size_t nlen = strlen (needle);
    char *hit;
    while (nlen && (hit = strstr (text, needle)) != NULL) {
        char rest [DP_NEGO_REASONING_MAX + 1];
        snprintf (rest, sizeof rest, "%s", hit + nlen);
        snprintf (hit, DP_NEGO_REASONING_MAX + 1 - (size_t) (hit - text), "[limit]%s", rest);
    }
}

//  The model was told never to state its limit; its reasoning goes into the
//  result both parties see, so a limit it states anyway is blanked out
//  ("987.65", "$987.65", "98765" cents; whole dollars when the cents are 0).
static void
s_redact_limits (const dp_nego_side_t *side, char *reasoning)
{
    for (size_t k = 0; k < side->package_count; k++) {
        char text [48];
        int64_t c = side->limits [k];
        snprintf (text, sizeof text, "%lld.%02lld", (long long) (c / 100), (long long) (c % 100));
        s_blank (reasoning, text);
        snprintf (text, sizeof text, "%lld", (long long) c);
        s_blank (reasoning, text);
        if (c % 100 == 0 && c >= 10000) {
            snprintf (text, sizeof text, "%lld", (long long) (c / 100));
            s_blank (reasoning, text);
        }
    }
}

static int64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
s_deal_budget_ms (const s_run_t *r)
{
    return r->opt->deal_budget_ms > 0? r->opt->deal_budget_ms: DP_NEGOTIATE_LLM_BUDGET_MS;
}

//  The deal's LLM time is spent: a backend that accepts and never answers
//  would otherwise hold the deal for every turn's full budget (20 turns of
//  2 minutes). Both Claude sides go to the built-in engine for the rest,
//  through the same fallback as a failed turn, and the note says so.
static void
s_note_budget_spent (s_run_t *r)
{
    for (int role = 0; role < 2; role++)
        if (r->engine [role] == DP_NEGOTIATE_CLAUDE && !r->llm_off [role])
            r->llm_off [role] = "claude time budget spent";
    size_t used = strlen (r->out->note);
    snprintf (r->out->note + used, sizeof r->out->note - used, "%sclaude time budget of %g s "
              "spent; built-in engine used from round %d", used ? "; " : "",
              (double) s_deal_budget_ms (r) / 1000, dp_nego_turn_round (&r->pub));
    dp_log_warn ("deal=%s claude time budget spent after %lld ms: built-in engine from round %d",
                 r->in->deal_id ? r->in->deal_id : "-", (long long) r->llm_waited_ms,
                 dp_nego_turn_round (&r->pub));
}

//  Asks the LLM for this side's move, within what is left of the deal's
//  LLM time. Returns the source of the proposal.
static dp_nego_source_t
s_llm_proposal (s_run_t *r, const dp_nego_side_t *side, const dp_nego_proposal_t *advice,
                dp_nego_proposal_t *p)
{
    dp_error_t err;
    dp_error_clear (&err);
    int64_t since = s_mono_ms ();
    dp_status st = dp_claude_move_within (r->claude, side, &r->pub, advice,
                                          s_deal_budget_ms (r) - r->llm_waited_ms, p, &r->usage, &err);
    r->llm_waited_ms += s_mono_ms () - since;
    if (st == DP_OK) {
        r->out->usage.llm_moves++;
        s_redact_limits (side, p->reasoning);
        return DP_SOURCE_LLM;
    }
    memset (p, 0, sizeof *p);
    snprintf (p->problem, sizeof p->problem, "claude: %.140s", err.text);
    if (st == DP_UNSUPPORTED)
        s_note_latch (r, side->role, dp_claude_latched (r->claude));
    dp_log_warn ("deal=%s role=%s claude turn failed: %s", r->in->deal_id ? r->in->deal_id : "-",
                 dp_nego_role_name (side->role), err.text);
    return DP_SOURCE_LLM;
}

static dp_nego_source_t
s_turn (s_run_t *r, dp_nego_move_t *move, char *reasoning, size_t size)
{
    dp_nego_role_t role = dp_nego_turn_role (&r->pub);
    const dp_nego_side_t *side = &r->side [role];
    const dp_engine_params_t *params = role == DP_ROLE_BUYER ? r->opt->buyer_strategy
                                                             : r->opt->seller_strategy;
    dp_nego_proposal_t engine, llm;
    dp_engine_move (params, side, &r->pub, r->opt->seed, &engine);
    if (r->engine [role] != DP_NEGOTIATE_CLAUDE)
        return dp_guardrail_apply (side, &r->pub, r->opt->allow_walk_away, &engine,
                                   DP_SOURCE_ENGINE, &engine, move, reasoning, size,
                                   &r->out->guard);
    if (!r->llm_off [role] && r->llm_waited_ms >= s_deal_budget_ms (r))
        s_note_budget_spent (r);
    if (r->llm_off [role]) {
        memset (&llm, 0, sizeof llm);
        snprintf (llm.problem, sizeof llm.problem, "%s", r->llm_off [role]);
    }
    else
        s_llm_proposal (r, side, &engine, &llm);
    return dp_guardrail_apply (side, &r->pub, r->opt->allow_walk_away, &llm, DP_SOURCE_LLM,
                               &engine, move, reasoning, size, &r->out->guard);
}

//  The entry as SPEC §4 writes it (prices through dp_json_price_new, so
//  they print like Python's floats: 730.0).
static json_object *
s_entry_json (const s_run_t *r, const dp_nego_move_t *m, const char *reasoning,
              dp_nego_source_t source)
{
    json_object *terms = dp_result_terms_new (r->terms [m->package].access_scope,
                                              r->terms [m->package].duration_days);
    if (!terms)
        return NULL;
    return dp_result_entry_new (m->round, dp_nego_role_name (m->role),
                                dp_nego_action_name (m->action), m->price, terms, reasoning,
                                dp_nego_source_name (source));
}

static dp_status
s_record (s_run_t *r, const dp_nego_move_t *m, const char *reasoning, dp_nego_source_t source,
          dp_error_t *err)
{
    json_object *entry = s_entry_json (r, m, reasoning, source);
    if (!entry || json_object_array_add (r->out->transcript, entry) != 0) {
        json_object_put (entry);
        return dp_error_set (err, DP_NOMEM, "negotiate: out of memory for the transcript");
    }
    if (r->progress) {
        size_t len = 0;
        const char *text = json_object_to_json_string_length (entry, JSON_C_TO_STRING_PLAIN, &len);
        r->progress (r->progress_arg, text, len);
    }
    r->moves [r->pub.move_count++] = *m;
    r->out->rounds = m->round;
    return DP_OK;
}

static dp_status
s_commit (s_run_t *r, const dp_nego_move_t *accept, dp_error_t *err)
{
    if (!dp_guardrail_commit (&r->side [DP_ROLE_BUYER], &r->side [DP_ROLE_SELLER], &r->pub,
                              accept, &r->out->guard))
        return dp_error_set (err, DP_INTERNAL, "negotiate: G5 commit check failed in round %d; "
                             "no agreement recorded", accept->round);
    r->out->agreed = 1;
    r->out->price_cents = accept->price;
    snprintf (r->out->access_scope, sizeof r->out->access_scope, "%s",
              r->terms [accept->package].access_scope);
    r->out->duration_days = r->terms [accept->package].duration_days;
    return DP_OK;
}

static dp_status
s_loop (s_run_t *r, dp_error_t *err)
{
    //  Seller, buyer, seller, ...: at most 2 * max_rounds moves; the guardrail
    //  turns the buyer's last move into accept or reject, so the loop always
    //  ends on one of them.
    size_t max_moves = 2 * (size_t) r->pub.max_rounds;
    while (r->pub.move_count < max_moves) {
        dp_nego_move_t move;
        char reasoning [DP_NEGO_REASONING_MAX + 200];
        dp_nego_source_t source = s_turn (r, &move, reasoning, sizeof reasoning);
        if (move.action == DP_ACT_ACCEPT) {
            dp_status cs = s_commit (r, &move, err);
            if (cs)
                return cs;
        }
        dp_status st = s_record (r, &move, reasoning, source, err);
        if (st || move.action == DP_ACT_ACCEPT || move.action == DP_ACT_REJECT)
            return st;
    }
    return DP_OK;
}

static void
s_finish (s_run_t *r)
{
    dp_negotiate_outcome_t *out = r->out;
    snprintf (out->buyer_engine, sizeof out->buyer_engine, "%s",
              dp_negotiate_engine_name (r->engine [DP_ROLE_BUYER]));
    snprintf (out->seller_engine, sizeof out->seller_engine, "%s",
              dp_negotiate_engine_name (r->engine [DP_ROLE_SELLER]));
    if (r->engine [0] == DP_NEGOTIATE_CLAUDE || r->engine [1] == DP_NEGOTIATE_CLAUDE)
        snprintf (out->model, sizeof out->model, "%s",
                  r->claude ? dp_claude_model (r->claude)
                            : r->in->model ? r->in->model : DP_NEGOTIATE_MODEL_DEFAULT);
    out->usage.input_tokens = r->usage.input_tokens;
    out->usage.output_tokens = r->usage.output_tokens;
    out->usage.api_calls = r->usage.calls;
    out->usage.retries = r->usage.retries;
}

static void
s_cleanup (s_run_t *r)
{
    if (r->own_claude)
        dp_claude_destroy (&r->claude);
    free (r->terms);
    //  The limits are private inputs: wipe them like other secrets.
    for (int role = 0; role < 2; role++)
        if (r->limits [role]) {
            memset (r->limits [role], 0, r->pub.package_count * sizeof (int64_t));
            free (r->limits [role]);
        }
}

dp_status
dp_negotiate_run (const dp_negotiate_input_t *input, const dp_negotiate_options_t *options,
                  dp_progress_fn *progress, void *progress_arg,
                  dp_negotiate_outcome_t *outcome, dp_error_t *err)
{
    if (!outcome)
        return dp_error_set (err, DP_INVALID, "negotiate: outcome is required");
    memset (outcome, 0, sizeof *outcome);
    if (!input)
        return dp_error_set (err, DP_INVALID, "negotiate: input is required");
    dp_negotiate_options_t defaults;
    dp_negotiate_options_init (&defaults);
    s_run_t *r = calloc (1, sizeof *r);
    if (!r)
        return dp_error_set (err, DP_NOMEM, "negotiate: out of memory");
    r->in = input;
    r->opt = options ? options : &defaults;
    r->out = outcome;
    r->progress = progress;
    r->progress_arg = progress_arg;
    dp_status st = s_validate (input, err);
    if (!st)
        st = s_setup (r, err);
    if (!st && !(outcome->transcript = json_object_new_array ()))
        st = dp_error_set (err, DP_NOMEM, "negotiate: out of memory");
    if (!st) {
        s_setup_claude (r);
        st = s_loop (r, err);
        s_finish (r);
    }
    dp_log_debug ("deal=%s negotiated status=%s agreed=%d rounds=%d",
                  input->deal_id ? input->deal_id : "-", dp_status_name (st), outcome->agreed,
                  outcome->rounds);
    s_cleanup (r);
    free (r);
    if (st)
        dp_negotiate_outcome_clear (outcome);
    return st;
}

json_object *
dp_negotiate_engines_json (const dp_negotiate_outcome_t *outcome)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "buyer", json_object_new_string (outcome->buyer_engine));
    json_object_object_add (o, "seller", json_object_new_string (outcome->seller_engine));
    json_object_object_add (o, "model", outcome->model [0]
                                        ? json_object_new_string (outcome->model) : NULL);
    return o;
}

json_object *
dp_negotiate_usage_json (const dp_negotiate_outcome_t *outcome)
{
    json_object *o = json_object_new_object ();
    json_object *g = json_object_new_object ();
    json_object_object_add (o, "input_tokens", json_object_new_int64 (outcome->usage.input_tokens));
    json_object_object_add (o, "output_tokens", json_object_new_int64 (outcome->usage.output_tokens));
    json_object_object_add (o, "api_calls", json_object_new_int64 (outcome->usage.api_calls));
    json_object_object_add (o, "retries", json_object_new_int64 (outcome->usage.retries));
    json_object_object_add (o, "llm_moves", json_object_new_int64 (outcome->usage.llm_moves));
    for (int i = 0; i < DP_GUARD_COUNT; i++)
        json_object_object_add (g, dp_negotiate_guard_name ((dp_guard_rule_t) i),
                                json_object_new_int64 (outcome->guard.rule [i]));
    json_object_object_add (g, "guardrail_moves", json_object_new_int64 (outcome->guard.guardrail_moves));
    json_object_object_add (g, "fallback_moves", json_object_new_int64 (outcome->guard.fallback_moves));
    json_object_object_add (o, "guardrail", g);
    if (outcome->note [0])
        json_object_object_add (o, "note", json_object_new_string (outcome->note));
    return o;
}
