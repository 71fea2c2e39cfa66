/*  test_negotiate.c — protocol, built-in engine and guardrails (no network).

    The invariant checker reads the transcript as a third party would and
    holds it against both sides' limits: moves alternate seller, buyer from
    round 1; every offer is within its side's limit for the terms; an accept
    takes the standing offer; an agreement is within both limits and on an
    allowed package; nothing follows an accept or reject. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dp_engine_builtin.h"
#include "dp_guardrail.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_sha256.h"
#include "dp_negotiate.h"

typedef struct {
    int64_t budget [DP_NEGOTIATE_PACKAGES_MAX];
    int64_t floor [DP_NEGOTIATE_PACKAGES_MAX];
} limits_t;

static int64_t
s_cents (json_object *price)
{
    double v = json_object_get_double (price);
    return (int64_t) (v * 100.0 + (v >= 0 ? 0.5 : -0.5));
}

static int
s_package (const dp_negotiate_input_t *in, json_object *terms)
{
    json_object *s, *d;
    json_object_object_get_ex (terms, "access_scope", &s);
    json_object_object_get_ex (terms, "duration_days", &d);
    if (!in->package_count)
        return strcmp (json_object_get_string (s), "full") == 0 && json_object_get_int (d) == 365
               ? 0 : -1;
    for (size_t k = 0; k < in->package_count; k++)
        if (strcmp (in->packages [k].access_scope, json_object_get_string (s)) == 0
        &&  in->packages [k].duration_days == json_object_get_int (d))
            return (int) k;
    return -1;
}

static void
s_limits (const dp_negotiate_input_t *in, limits_t *l)
{
    size_t n = in->package_count ? in->package_count : 1;
    for (size_t k = 0; k < n; k++) {
        const dp_negotiate_package_t *p = in->package_count ? &in->packages [k] : NULL;
        l->budget [k] = p && p->buyer_budget_cents ? p->buyer_budget_cents : in->buyer_budget_cents;
        l->floor [k] = p && p->seller_floor_cents ? p->seller_floor_cents : in->seller_floor_cents;
    }
}

//  Returns the number of violations found (0 expected, always).
static int
s_violations (const dp_negotiate_input_t *in, const dp_negotiate_outcome_t *out)
{
    limits_t l;
    s_limits (in, &l);
    int bad = 0, R = in->max_rounds ? in->max_rounds : 10;
    size_t n = json_object_array_length (out->transcript);
    int64_t standing = -1;
    int standing_pkg = -1;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx (out->transcript, i), *v;
        json_object_object_get_ex (e, "role", &v);
        int buyer = strcmp (json_object_get_string (v), "buyer") == 0;
        json_object_object_get_ex (e, "round", &v);
        int round = json_object_get_int (v);
        bad += buyer != (int) (i % 2) || round != (int) (i / 2) + 1 || round > R;
        json_object_object_get_ex (e, "action", &v);
        const char *action = json_object_get_string (v);
        json_object_object_get_ex (e, "price", &v);
        int64_t price = s_cents (v);
        json_object_object_get_ex (e, "terms", &v);
        int k = s_package (in, v);
        if (k < 0) {
            bad++;
            continue;
        }
        int closing = strcmp (action, "accept") == 0 || strcmp (action, "reject") == 0;
        bad += closing && i + 1 != n;
        if (strcmp (action, "accept") == 0)
            bad += price != standing || k != standing_pkg || price > l.budget [k] || price < l.floor [k];
        else if (closing)
            bad += standing < 0 || price != standing || k != standing_pkg;
        else {
            bad += price < 1 || (buyer ? price > l.budget [k] : price < l.floor [k]);
            bad += strcmp (action, i == 0 ? "offer" : "counter") != 0;
            standing = price;
            standing_pkg = k;
        }
    }
    if (out->agreed) {
        int k = -1;
        for (size_t j = 0; j < (in->package_count ? in->package_count : 1); j++)
            if (strcmp (in->package_count ? in->packages [j].access_scope : "full", out->access_scope) == 0
            &&  (in->package_count ? in->packages [j].duration_days : 365) == out->duration_days)
                k = (int) j;
        bad += k < 0 || out->price_cents > l.budget [k] || out->price_cents < l.floor [k];
    }
    bad += out->guard.rule [DP_GUARD_COMMIT] != 0;
    return bad;
}

static dp_negotiate_input_t
s_input (int64_t budget, int64_t floor, int rounds)
{
    dp_negotiate_input_t in;
    memset (&in, 0, sizeof in);
    in.buyer_budget_cents = budget;
    in.seller_floor_cents = floor;
    in.max_rounds = rounds;
    return in;
}

static char *
s_run_text (const dp_negotiate_input_t *in, const dp_negotiate_options_t *opt,
            dp_negotiate_outcome_t *out)
{
    dp_error_t err;
    dp_status st = dp_negotiate_run (in, opt, NULL, NULL, out, &err);
    cr_assert_eq (st, DP_OK, "run: %s", err.text);
    return strdup (json_object_to_json_string_ext (out->transcript, JSON_C_TO_STRING_PLAIN));
}

//  The seed's five demo scenarios (shared/seed/demo_scenarios.json) all
//  agree with the built-in engine, inside both limits, with no intervention.
Test (negotiate, seed_demo_scenarios_all_agree)
{
    json_object *all = json_object_from_file (DP_SHARED_DIR "/seed/demo_scenarios.json");
    cr_assert_not_null (all, "cannot read the seed's demo scenarios");
    int count = 0;
    json_object_object_foreach (all, name, scenario) {
        json_object *b, *f;
        cr_assert (json_object_object_get_ex (scenario, "buyer_budget", &b));
        cr_assert (json_object_object_get_ex (scenario, "floor_price", &f));
        int64_t budget = (int64_t) (json_object_get_double (b) * 100 + 0.5);
        int64_t floor = (int64_t) (json_object_get_double (f) * 100 + 0.5);
        dp_negotiate_input_t in = s_input (budget, floor, 0);
        in.deal_id = name;
        dp_negotiate_outcome_t out;
        free (s_run_text (&in, NULL, &out));
        cr_assert (out.agreed, "scenario %s did not agree", name);
        cr_assert (out.price_cents >= floor && out.price_cents <= budget);
        cr_assert_eq (out.price_cents, (budget + floor) / 2, "%s: the Nash price", name);
        cr_assert_str_eq (out.access_scope, "full");
        cr_assert_eq (out.duration_days, 365);
        cr_assert_eq (s_violations (&in, &out), 0);
        cr_assert_eq (out.guard.guardrail_moves + out.guard.fallback_moves, 0);
        dp_negotiate_outcome_clear (&out);
        count++;
    }
    cr_assert_eq (count, 5);
    json_object_put (all);
}

Test (negotiate, seller_opens_like_the_seed)
{
    dp_negotiate_input_t in = s_input (100000, 60000, 0);
    dp_negotiate_outcome_t out;
    free (s_run_text (&in, NULL, &out));
    json_object *first = json_object_array_get_idx (out.transcript, 0);
    json_object *second = json_object_array_get_idx (out.transcript, 1);
    char *text;
    size_t len;
    dp_error_t err;
    cr_assert_eq (dp_json_pydumps (first, &text, &len, &err), DP_OK);
    cr_assert_str_eq (text,
        "{\"action\": \"offer\", \"price\": 840.0, \"reasoning\": \"Opening offer for full access, 365 days.\", "
        "\"role\": \"seller\", \"round\": 1, \"source\": \"engine\", "
        "\"terms\": {\"access_scope\": \"full\", \"duration_days\": 365}}");
    free (text);
    json_object *price;
    json_object_object_get_ex (second, "price", &price);
    cr_assert_str_eq (json_object_to_json_string (price), "600.0");
    dp_negotiate_outcome_clear (&out);
}

Test (negotiate, byte_identical_transcripts)
{
    dp_negotiate_package_t pk [4] = { { "full", 365, 0, 0 }, { "full", 90, 150000, 0 },
                                      { "row_level", 365, 0, 90000 }, { "aggregate", 30, 50000, 20000 } };
    dp_negotiate_input_t in = s_input (200000, 100000, 10);
    in.packages = pk;
    in.package_count = 4;
    dp_negotiate_outcome_t a, b;
    char *ta = s_run_text (&in, NULL, &a), *tb = s_run_text (&in, NULL, &b);
    cr_assert_str_eq (ta, tb);
    cr_assert_eq (a.price_cents, b.price_cents);
    free (ta);
    free (tb);
    dp_negotiate_outcome_clear (&a);
    dp_negotiate_outcome_clear (&b);
}

static void
s_progress (void *arg, const char *json, size_t len)
{
    int *count = arg;
    cr_assert_eq (strlen (json), len);
    cr_assert (strstr (json, "\"round\":") != NULL);
    (*count)++;
}

Test (negotiate, progress_once_per_move)
{
    dp_negotiate_input_t in = s_input (150000, 90000, 0);
    dp_negotiate_outcome_t out;
    dp_error_t err;
    int count = 0;
    cr_assert_eq (dp_negotiate_run (&in, NULL, s_progress, &count, &out, &err), DP_OK);
    cr_assert_eq ((size_t) count, json_object_array_length (out.transcript));
    dp_negotiate_outcome_clear (&out);
}

Test (negotiate, agreement_iff_zone_single_package)
{
    //  Every R from 1 to 100 and budgets around the floor: agreement exactly
    //  when budget >= floor, with no guardrail intervention in self-play.
    uint64_t rng = 42;
    int runs = 0;
    for (int R = 1; R <= 100; R += (R < 12 ? 1 : 11)) {
        for (int i = 0; i < 300; i++) {
            int64_t floor = 1 + (int64_t) (dp_engine_splitmix64 (&rng) % 10000000);
            int64_t delta = (int64_t) (dp_engine_splitmix64 (&rng) % 7) - 3;
            int64_t budget = i % 3 == 0 ? floor + delta
                           : floor * (int64_t) (50 + dp_engine_splitmix64 (&rng) % 250) / 100;
            if (budget < 1)
                budget = 1;
            dp_negotiate_input_t in = s_input (budget, floor, R);
            dp_negotiate_outcome_t out;
            dp_error_t err;
            cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_OK);
            cr_assert_eq (out.agreed, budget >= floor, "R=%d B=%lld F=%lld", R,
                          (long long) budget, (long long) floor);
            cr_assert_eq (s_violations (&in, &out), 0);
            cr_assert_eq (out.guard.guardrail_moves + out.guard.fallback_moves, 0);
            cr_assert (out.rounds <= R);
            dp_negotiate_outcome_clear (&out);
            runs++;
        }
    }
    cr_assert (runs > 5000);
}

Test (negotiate, rejects_bad_input)
{
    dp_negotiate_outcome_t out;
    dp_error_t err;
    dp_negotiate_input_t in = s_input (0, 100, 10);
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert (strstr (err.text, "buyer_budget") != NULL, "%s", err.text);
    in = s_input (100, DP_NEGOTIATE_PRICE_MAX + 1, 10);
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert (strstr (err.text, "floor_price") != NULL);
    in = s_input (100, 100, 101);
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert (strstr (err.text, "max_rounds") != NULL);
    in = s_input (100, 100, -1);
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    dp_negotiate_package_t pk [2] = { { "full", 365, 0, 0 }, { "full", 365, 0, 0 } };
    in = s_input (100, 100, 10);
    in.packages = pk;
    in.package_count = 2;
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert (strstr (err.text, "duplicate") != NULL);
    pk [1].duration_days = 0;
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert (strstr (err.text, "packages[1].duration_days") != NULL);
    pk [1].duration_days = 30;
    pk [1].access_scope = "";
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    pk [1].access_scope = "bad\nscope";
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    pk [1].access_scope = "row";
    pk [1].seller_floor_cents = -5;
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert (strstr (err.text, "floor_by_terms[row/30]") != NULL, "%s", err.text);
    cr_assert_null (out.transcript);
    in.packages = NULL;
    cr_assert_eq (dp_negotiate_run (&in, NULL, NULL, NULL, &out, &err), DP_INVALID);
    cr_assert_eq (dp_negotiate_run (NULL, NULL, NULL, NULL, &out, &err), DP_INVALID);
}

Test (negotiate, tiny_and_huge_limits)
{
    int64_t cases [][2] = { { 1, 1 }, { 2, 1 }, { 1, 2 }, { 3, 3 },
                            { DP_NEGOTIATE_PRICE_MAX, DP_NEGOTIATE_PRICE_MAX },
                            { DP_NEGOTIATE_PRICE_MAX, 1 }, { DP_NEGOTIATE_PRICE_MAX - 1, DP_NEGOTIATE_PRICE_MAX } };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        for (int R = 1; R <= 3; R++) {
            dp_negotiate_input_t in = s_input (cases [i][0], cases [i][1], R);
            dp_negotiate_outcome_t out;
            free (s_run_text (&in, NULL, &out));
            cr_assert_eq (out.agreed, cases [i][0] >= cases [i][1], "case %zu R=%d", i, R);
            cr_assert_eq (s_violations (&in, &out), 0, "case %zu R=%d", i, R);
            dp_negotiate_outcome_clear (&out);
        }
}

//  Fuzzed negotiations: random limits, packages, rounds and strategies on
//  both sides, including the chaos strategy whose proposals are mostly
//  illegal. The guardrail must leave 0 violations in every one.
Test (negotiate, guardrails_hold_in_100k_fuzzed_negotiations)
{
    const dp_engine_params_t *pool [] = {
        &dp_engine_builtin_default, &dp_engine_chaos, &dp_engine_random, &dp_engine_prompt_rules,
        &dp_engine_hardliner, &dp_engine_salami, &dp_engine_tft, &dp_engine_chaos };
    static const char *scopes [] = { "aggregate", "row_level", "full" };
    static const int days [] = { 30, 90, 180, 365 };
    uint64_t rng = 0xDEA1;
    long violations = 0, interventions = 0, agreed = 0;
    const int total = 100000;
    for (int i = 0; i < total; i++) {
        dp_negotiate_package_t pk [12];
        size_t n = 1 + dp_engine_splitmix64 (&rng) % 12;
        int64_t base = 1 + (int64_t) (dp_engine_splitmix64 (&rng) % 1000000);
        for (size_t k = 0; k < n; k++) {
            pk [k].access_scope = scopes [k / 4];
            pk [k].duration_days = days [k % 4];
            uint64_t x = dp_engine_splitmix64 (&rng);
            pk [k].buyer_budget_cents = x % 3 ? base * (int64_t) (40 + x % 200) / 100 + 1 : 0;
            pk [k].seller_floor_cents = (x >> 20) % 3 ? base * (int64_t) (40 + (x >> 8) % 200) / 100 + 1 : 0;
        }
        dp_negotiate_input_t in = s_input (base + (int64_t) (dp_engine_splitmix64 (&rng) % 1000),
                                           base, 1 + (int) (dp_engine_splitmix64 (&rng) % 12));
        in.packages = pk;
        in.package_count = n;
        dp_negotiate_options_t opt;
        dp_negotiate_options_init (&opt);
        opt.seed = dp_engine_splitmix64 (&rng);
        opt.buyer_strategy = pool [dp_engine_splitmix64 (&rng) % 8];
        opt.seller_strategy = pool [dp_engine_splitmix64 (&rng) % 8];
        opt.allow_walk_away = (int) (dp_engine_splitmix64 (&rng) % 2);
        dp_negotiate_outcome_t out;
        dp_error_t err;
        cr_assert_eq (dp_negotiate_run (&in, &opt, NULL, NULL, &out, &err), DP_OK, "%s", err.text);
        violations += s_violations (&in, &out);
        interventions += out.guard.guardrail_moves + out.guard.fallback_moves;
        if (opt.buyer_strategy == &dp_engine_builtin_default
        &&  opt.seller_strategy == &dp_engine_builtin_default)
            cr_assert_eq (out.guard.guardrail_moves + out.guard.fallback_moves, 0,
                          "built-in self-play needed the guardrail (deal %d)", i);
        agreed += out.agreed;
        dp_negotiate_outcome_clear (&out);
    }
    cr_assert_eq (violations, 0);
    cr_assert (interventions > total / 4, "the chaos strategy must trip the guardrail (%ld)",
               interventions);
    cr_assert (agreed > 0);
}

//  Information separation: a side's move depends only on its own limits and
//  the public history. Changing the other side's limits cannot change it
//  because the engine cannot reach them; this checks the runner feeds
//  nothing else through: a recorded seller trace replayed against buyers
//  facing different seller floors gives the same buyer moves.
Test (negotiate, side_sees_only_its_own_limit)
{
    dp_nego_terms_t terms [1] = { { "full", 365 } };
    int64_t budget = 100000;
    dp_nego_side_t buyer = { DP_ROLE_BUYER, 1, &budget };
    dp_nego_move_t moves [2] = { { 1, DP_ROLE_SELLER, DP_ACT_OFFER, 84000, 0 },
                                 { 1, DP_ROLE_BUYER, DP_ACT_COUNTER, 60000, 0 } };
    dp_nego_move_t hist [3] = { moves [0], moves [1], { 2, DP_ROLE_SELLER, DP_ACT_COUNTER, 76000, 0 } };
    dp_nego_public_t pub = { terms, 1, 10, hist, 3, NULL, NULL, NULL };
    dp_nego_proposal_t a, b;
    dp_engine_move (NULL, &buyer, &pub, 1, &a);
    dp_engine_move (NULL, &buyer, &pub, 2, &b);
    cr_assert_eq (a.action, DP_ACT_COUNTER);
    cr_assert_eq (a.price, b.price);
    cr_assert (a.price > 60000 && a.price < 76000);
}

Test (guardrail, clamps_converts_and_falls_back)
{
    dp_nego_terms_t terms [2] = { { "full", 365 }, { "row", 30 } };
    int64_t budget [2] = { 100000, 50000 };
    dp_nego_side_t buyer = { DP_ROLE_BUYER, 2, budget };
    dp_nego_move_t hist [3] = { { 1, DP_ROLE_SELLER, DP_ACT_OFFER, 140000, 0 },
                                { 1, DP_ROLE_BUYER, DP_ACT_COUNTER, 60000, 0 },
                                { 2, DP_ROLE_SELLER, DP_ACT_COUNTER, 120000, 0 } };
    dp_nego_public_t pub = { terms, 2, 10, hist, 3, NULL, NULL, NULL };
    dp_nego_proposal_t engine, p;
    dp_engine_move (NULL, &buyer, &pub, 0, &engine);
    dp_guard_counts_t counts = { 0 };
    dp_nego_move_t m;
    char why [800];

    //  G2: over-budget counter clamped.
    p = (dp_nego_proposal_t) { .usable = 1, .action = DP_ACT_COUNTER, .price = 150000, .package = 0 };
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_GUARDRAIL);
    cr_assert_eq (m.price, 100000);
    cr_assert_eq (counts.rule [DP_GUARD_BUDGET], 1);
    //  G2: accepting 1200 above the budget becomes the engine's move.
    p.action = DP_ACT_ACCEPT;
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_GUARDRAIL);
    cr_assert_eq (m.action, engine.action);
    cr_assert_eq (counts.rule [DP_GUARD_BUDGET], 2);
    //  G7: retracting below the previous 600 on the same terms.
    p = (dp_nego_proposal_t) { .usable = 1, .action = DP_ACT_COUNTER, .price = 55000, .package = 0 };
    dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts);
    cr_assert_eq (m.price, 60000);
    cr_assert_eq (counts.rule [DP_GUARD_RETRACT], 1);
    //  ...but other terms are a new offer.
    p.package = 1;
    p.price = 45000;
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_LLM);
    //  G1 and terms: fallback.
    p.price = 0;
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_FALLBACK);
    cr_assert_eq (counts.rule [DP_GUARD_PRICE], 1);
    p.price = 50000;
    p.package = -1;
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_FALLBACK);
    cr_assert_eq (counts.rule [DP_GUARD_TERMS], 1);
    //  G8: early reject becomes a counter.
    p.action = DP_ACT_REJECT;
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_GUARDRAIL);
    cr_assert_eq (m.action, DP_ACT_COUNTER);
    cr_assert_eq (counts.rule [DP_GUARD_REJECT], 1);
    cr_assert (strstr (why, "G8") != NULL);
    //  G4: accept with a different price takes the standing offer.
    hist [2].price = 90000;
    dp_engine_move (NULL, &buyer, &pub, 0, &engine);
    p = (dp_nego_proposal_t) { .usable = 1, .action = DP_ACT_ACCEPT, .price = 1, .package = 1 };
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_GUARDRAIL);
    cr_assert_eq (m.action, DP_ACT_ACCEPT);
    cr_assert_eq (m.price, 90000);
    cr_assert_eq (m.package, 0);
    cr_assert_eq (counts.rule [DP_GUARD_ACCEPT], 1);
    //  Unreadable answer: fallback, with the reason.
    p = (dp_nego_proposal_t) { .usable = 0, .problem = "malformed JSON" };
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_FALLBACK);
    cr_assert (strstr (why, "malformed JSON") != NULL);
}

Test (guardrail, final_move_and_first_move)
{
    dp_nego_terms_t terms [1] = { { "full", 365 } };
    int64_t floor = 60000, budget = 100000;
    dp_nego_side_t seller = { DP_ROLE_SELLER, 1, &floor }, buyer = { DP_ROLE_BUYER, 1, &budget };
    dp_nego_public_t pub = { terms, 1, 1, NULL, 0, NULL, NULL, NULL };
    dp_nego_proposal_t engine, p = { .usable = 1, .action = DP_ACT_ACCEPT, .price = 70000, .package = 0 };
    dp_guard_counts_t counts = { 0 };
    dp_nego_move_t m;
    char why [800];
    dp_engine_move (NULL, &seller, &pub, 0, &engine);
    //  G6: accept before any offer stands.
    cr_assert_eq (dp_guardrail_apply (&seller, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_FALLBACK);
    cr_assert_eq (m.action, DP_ACT_OFFER);
    cr_assert_eq (m.price, 60000);      //  R = 1: the seller's only offer is its floor
    //  G6: the buyer's counter in the final round.
    dp_nego_move_t hist [1] = { m };
    pub.moves = hist;
    pub.move_count = 1;
    dp_engine_move (NULL, &buyer, &pub, 0, &engine);
    p = (dp_nego_proposal_t) { .usable = 1, .action = DP_ACT_COUNTER, .price = 50000, .package = 0 };
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_FALLBACK);
    cr_assert_eq (m.action, DP_ACT_ACCEPT);
    cr_assert_eq (counts.rule [DP_GUARD_ROUNDS], 2);
    //  A final reject is allowed.
    p.action = DP_ACT_REJECT;
    cr_assert_eq (dp_guardrail_apply (&buyer, &pub, 0, &p, DP_SOURCE_LLM, &engine, &m, why, sizeof why, &counts),
                  DP_SOURCE_LLM);
    cr_assert_eq (m.price, 60000);
}

Test (negotiate, json_helpers)
{
    dp_negotiate_input_t in = s_input (100050, 60000, 0);
    dp_negotiate_outcome_t out;
    free (s_run_text (&in, NULL, &out));
    json_object *e = dp_negotiate_engines_json (&out), *u = dp_negotiate_usage_json (&out);
    cr_assert_str_eq (json_object_to_json_string_ext (e, JSON_C_TO_STRING_PLAIN),
                      "{\"buyer\":\"builtin\",\"seller\":\"builtin\",\"model\":null}");
    cr_assert (strstr (json_object_to_json_string (u), "\"G2_budget\"") != NULL);
    json_object_put (e);
    json_object_put (u);
    dp_negotiate_engine_t eng;
    cr_assert_eq (dp_negotiate_engine_parse ("claude", &eng), 0);
    cr_assert_eq (eng, DP_NEGOTIATE_CLAUDE);
    cr_assert_eq (dp_negotiate_engine_parse ("gpt", &eng), -1);
    dp_negotiate_outcome_clear (&out);
}

//  F9: the built-in engine's transcripts are the same bytes in every build
//  (-O0, -O2, sanitizers, clang or gcc): a golden digest over 600 deals of
//  every kind. A deliberate change of the engine updates the constant.
Test (negotiate, golden_transcripts_across_builds)
{
    static const char *scopes [] = { "aggregate", "row_level", "full" };
    static const int days [] = { 30, 90, 180, 365 };
    uint64_t rng = 0x601D;
    dp_sha256_t *ctx = dp_sha256_new ();
    for (int i = 0; i < 600; i++) {
        dp_negotiate_package_t pk [12];
        size_t n = i % 3 == 0 ? 12 : (i % 3 == 1 ? 1 : 4);
        int64_t floor = 1 + (int64_t) (dp_engine_splitmix64 (&rng) % 5000000);
        for (size_t k = 0; k < n; k++) {
            pk [k].access_scope = scopes [k / 4];
            pk [k].duration_days = days [k % 4];
            pk [k].buyer_budget_cents = floor * (int64_t) (60 + dp_engine_splitmix64 (&rng) % 150) / 100 + 1;
            pk [k].seller_floor_cents = floor * (int64_t) (80 + dp_engine_splitmix64 (&rng) % 80) / 100 + 1;
        }
        dp_negotiate_input_t in = s_input (floor * (int64_t) (90 + i % 200) / 100 + 1, floor,
                                           1 + i % 20);
        in.packages = pk;
        in.package_count = n;
        dp_negotiate_outcome_t out;
        char *text = s_run_text (&in, NULL, &out);
        cr_assert_eq (out.guard.guardrail_moves + out.guard.fallback_moves, 0,
                      "deal %d: the built-in engine needed the guardrail", i);
        cr_assert_eq (s_violations (&in, &out), 0);
        dp_sha256_update (ctx, text, strlen (text));
        free (text);
        dp_negotiate_outcome_clear (&out);
    }
    uint8_t digest [32];
    char hex [65];
    dp_sha256_final (ctx, digest);
    dp_sha256_destroy (&ctx);
    dp_hex_encode (digest, 32, hex);
    cr_assert_str_eq (hex, "110580c06cb435365cd003e7d58862a57493144492b6edeb715dad4d94bdde76");
}
