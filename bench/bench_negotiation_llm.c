/*  bench_negotiation_llm.c — the live evaluation of the Claude backend
    (research notes §4.6, "Live evaluation"): optional, never part of the
    test suite, run by hand with a real key:

        ANTHROPIC_API_KEY=... bench_negotiation_llm [--n 20] [--rounds 10] [--model M]

    (ANTHROPIC_BASE_URL points it at another endpoint, e.g. the tests' mock
    server.) It runs the same scenarios with Claude as the buyer, as the
    seller, and on both sides, and prints how much the guardrail had to do
    (interventions per 100 LLM moves, by rule), the violations left after it
    (must be 0), agreement, rounds, tokens and API calls. Print only. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_claude.h"
#include "dp_engine_builtin.h"
#include "dp_negotiate.h"

typedef struct {
    long runs, zone, agreed_zone, agreed_nozone, violations, rounds, llm_moves, calls;
    long rule [DP_GUARD_COUNT], guardrail_moves, fallback_moves;
    int64_t tokens_in, tokens_out;
} tally_t;

static int64_t
s_cents (json_object *entry)
{
    json_object *v;
    json_object_object_get_ex (entry, "price", &v);
    return (int64_t) llround (json_object_get_double (v) * 100.0);
}

//  Single package: every offer within its side's limit, every accept and
//  the agreement within both.
static int
s_violations (const dp_negotiate_outcome_t *out, int64_t budget, int64_t floor)
{
    int bad = 0;
    size_t n = json_object_array_length (out->transcript);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx (out->transcript, i), *a;
        json_object_object_get_ex (e, "action", &a);
        const char *action = json_object_get_string (a);
        int64_t p = s_cents (e);
        if (strcmp (action, "accept") == 0)
            bad += p > budget || p < floor;
        else if (strcmp (action, "reject") != 0)
            bad += i % 2 ? p > budget : p < floor;
    }
    return bad + (out->agreed && (out->price_cents > budget || out->price_cents < floor));
}

//  Moves made by the Claude-driven sides (whatever their final source).
static long
s_llm_side_moves (const dp_negotiate_outcome_t *out, int config)
{
    long count = 0;
    size_t n = json_object_array_length (out->transcript);
    for (size_t i = 0; i < n; i++) {
        int buyer = (int) (i % 2);
        count += config == 2 || (config == 0 && buyer) || (config == 1 && !buyer);
    }
    return count;
}

static void
s_add (tally_t *t, const dp_negotiate_outcome_t *out, int config, int64_t budget, int64_t floor)
{
    t->runs++;
    t->zone += budget >= floor;
    t->agreed_zone += budget >= floor && out->agreed;
    t->agreed_nozone += budget < floor && out->agreed;
    t->violations += s_violations (out, budget, floor);
    t->rounds += out->rounds;
    t->llm_moves += s_llm_side_moves (out, config);
    t->calls += out->usage.api_calls;
    for (int i = 0; i < DP_GUARD_COUNT; i++)
        t->rule [i] += out->guard.rule [i];
    t->guardrail_moves += out->guard.guardrail_moves;
    t->fallback_moves += out->guard.fallback_moves;
    t->tokens_in += out->usage.input_tokens;
    t->tokens_out += out->usage.output_tokens;
}

static void
s_print (const char *name, const tally_t *t, double secs)
{
    double per = t->llm_moves ? 100.0 / (double) t->llm_moves : 0.0;
    printf ("%-22s runs %ld  agree (zone) %5.1f%%  agree (no zone) %ld  violations %ld  rounds %.1f  "
            "Claude-side moves %ld  API calls %ld\n", name, t->runs,
            t->zone ? 100.0 * (double) t->agreed_zone / (double) t->zone : 0.0, t->agreed_nozone,
            t->violations, t->runs ? (double) t->rounds / (double) t->runs : 0.0, t->llm_moves, t->calls);
    printf ("%-22s per 100 Claude-side moves: guardrail %.1f, fallback %.1f;", "", per * (double) t->guardrail_moves,
            per * (double) t->fallback_moves);
    for (int i = 0; i < DP_GUARD_COUNT; i++)
        if (t->rule [i])
            printf (" %s %.1f", dp_negotiate_guard_name ((dp_guard_rule_t) i), per * (double) t->rule [i]);
    printf ("\n%-22s tokens per negotiation: %.0f in, %.0f out; %.1f s per negotiation\n", "",
            t->runs ? (double) t->tokens_in / (double) t->runs : 0.0,
            t->runs ? (double) t->tokens_out / (double) t->runs : 0.0,
            t->runs ? secs / (double) t->runs : 0.0);
}

int
main (int argc, char **argv)
{
    long n = 20;
    int rounds = 10;
    const char *model = NULL;
    uint64_t seed = 11;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv [i], "--n") == 0)
            n = atol (argv [i + 1]);
        else if (strcmp (argv [i], "--rounds") == 0)
            rounds = atoi (argv [i + 1]);
        else if (strcmp (argv [i], "--model") == 0)
            model = argv [i + 1];
        else if (strcmp (argv [i], "--seed") == 0)
            seed = strtoull (argv [i + 1], NULL, 10);
    }
    dp_claude_config_t cfg = { .model = model, .seed = seed };
    dp_error_t err;
    dp_claude_t *claude = dp_claude_new (&cfg, &err);
    if (!claude) {
        printf ("live evaluation skipped: %s\n", err.text);
        return 0;
    }
    printf ("Claude backend live evaluation: model %s, %ld scenarios per seat, R = %d\n",
            dp_claude_model (claude), n, rounds);
    static const char *names [3] = { "claude buyer", "claude seller", "claude both sides" };
    for (int config = 0; config < 3; config++) {
        tally_t t;
        memset (&t, 0, sizeof t);
        uint64_t rng = seed;
        struct timespec t0, t1;
        clock_gettime (CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
            int64_t floor = 10000 + (int64_t) (dp_engine_splitmix64 (&rng) % 1000000);
            static const int ratio [5] = { 200, 105, 100, 80, 150 };    //  wide, narrow, zero, none
            int64_t budget = floor * ratio [i % 5] / 100;
            dp_negotiate_input_t in = {
                .buyer_budget_cents = budget, .seller_floor_cents = floor, .max_rounds = rounds,
                .buyer_engine = config != 1 ? DP_NEGOTIATE_CLAUDE : DP_NEGOTIATE_BUILTIN,
                .seller_engine = config != 0 ? DP_NEGOTIATE_CLAUDE : DP_NEGOTIATE_BUILTIN,
                .buyer_requirements = "A labelled image dataset for fine-tuning a vision model.",
                .data_description = "520k labelled images, 80 categories, licensed for ML training.",
                .model = model };
            dp_negotiate_options_t opt;
            dp_negotiate_options_init (&opt);
            opt.claude = claude;
            opt.seed = seed + (uint64_t) i;
            dp_negotiate_outcome_t out;
            if (dp_negotiate_run (&in, &opt, NULL, NULL, &out, &err) != DP_OK) {
                printf ("negotiation failed: %s\n", err.text);
                continue;
            }
            s_add (&t, &out, config, budget, floor);
            dp_negotiate_outcome_clear (&out);
        }
        clock_gettime (CLOCK_MONOTONIC, &t1);
        s_print (names [config], &t, (double) (t1.tv_sec - t0.tv_sec)
                                     + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    if (dp_claude_latched (claude))
        printf ("note: the client switched itself off: %s\n", dp_claude_latched (claude));
    dp_claude_destroy (&claude);
    return 0;
}
