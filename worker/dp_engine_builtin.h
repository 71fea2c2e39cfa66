/*  dp_engine_builtin.h — deterministic negotiation strategies.

    The default strategy (dp_engine_builtin_default) is Faratin et al.'s
    time-dependent concession in utility space, with:
      - anchors at 60 % of the buyer's budget and 140 % of the seller's floor
        (the seed's prompt rules), on the side's best package;
      - a Conceder curve (alpha = t^(1/2)) over the side's effective moves;
      - never conceding more than half the gap to the standing offer;
      - the reservation value on the side's last effective move (the
        seller's round-R offer, the buyer's round R-1 counter), which makes
        agreement certain whenever the package it offers has a zone;
      - AC_next acceptance: accept the standing offer when it gives me at
        least what my next offer would;
      - a fair target: from the other side's opening offers (assuming the
        same 40 % anchors) a side estimates the other's limit, and does not
        concede below half the estimated joint surplus before its last
        effective move; in self-play both aim at the Nash price (B+F)/2;
      - trade-offs across terms: with several packages a side first offers
        its own best packages at its opening aspiration (so the other side
        learns exact differences of its limits). Then the seller leads: it
        offers the package with the largest estimated joint surplus among
        those the buyer explored; the buyer follows the package whose
        latest seller offer is best for it.
    Everything is integer arithmetic: the same deal gives byte-identical
    moves on every platform and build.

    The other presets are the baselines of the benchmark (time-dependent
    hardliner, Boulware, linear, Conceder without the gap cap; the seed's
    prompt rules as a strategy; a random-in-range opponent; a salami-slicer
    conceding one cent a move; absolute tit-for-tat) and a chaos
    strategy for fuzzing the guardrail (garbage moves on purpose).

    Stateless: a move is a function of the parameters, the side's own
    limits, the public history and the seed. Thread-safe. */

#ifndef DP_ENGINE_BUILTIN_H_INCLUDED
#define DP_ENGINE_BUILTIN_H_INCLUDED

#include "dp_negotiate_side.h"

typedef enum {
    DP_STRATEGY_TIMEDEP = 0,    //  time-dependent (the default and its baselines)
    DP_STRATEGY_PROMPT,         //  the seed's prompt rules, executed literally
    DP_STRATEGY_RANDOM,         //  random offers within its own limit
    DP_STRATEGY_CHAOS,          //  random, mostly illegal moves (guardrail fuzzing)
    DP_STRATEGY_SALAMI,         //  concedes one cent per move (the salami-slicer)
    DP_STRATEGY_TFT             //  absolute tit-for-tat with a linear time floor
} dp_strategy_kind_t;

typedef enum {
    DP_CURVE_HARDLINER = 0,     //  alpha = 0: never concedes
    DP_CURVE_BOULWARE,          //  alpha = t^5  (beta = 0.2)
    DP_CURVE_LINEAR,            //  alpha = t
    DP_CURVE_CONCEDER           //  alpha = t^(1/2) (beta = 2)
} dp_curve_t;

struct dp_engine_params_t {
    const char *name;           //  for reports
    dp_strategy_kind_t kind;
    dp_curve_t curve;
    int gap_cap_pct;            //  max concession per move, % of the gap to the
                                //  standing offer; 0 = no cap
    int anchor_pct;             //  opening margin, % of the reference limit (40)
    int deadline;               //  1: reservation value on the last effective move
    int trade_off;              //  1: explore and trade across packages
    int prompt_additive;        //  prompt rules: steps as % of own limit, not of price
    int fair_target;            //  1: hold at half the estimated joint surplus
};

extern const dp_engine_params_t dp_engine_builtin_default;
extern const dp_engine_params_t dp_engine_hardliner;
extern const dp_engine_params_t dp_engine_boulware;
extern const dp_engine_params_t dp_engine_linear;
extern const dp_engine_params_t dp_engine_conceder;
extern const dp_engine_params_t dp_engine_prompt_rules;
extern const dp_engine_params_t dp_engine_prompt_additive;
extern const dp_engine_params_t dp_engine_random;
extern const dp_engine_params_t dp_engine_chaos;
extern const dp_engine_params_t dp_engine_salami;
extern const dp_engine_params_t dp_engine_tft;

//  Looks a preset up by name ("builtin", "linear", ...); NULL if unknown.
const dp_engine_params_t *dp_engine_params_find (const char *name);

//  Proposes the move for the side whose turn it is (pub's last move is the
//  other side's). Always fills out; for every strategy except chaos the
//  proposal is legal (within the side's limit, allowed terms, right action).
void dp_engine_move (const dp_engine_params_t *params, const dp_nego_side_t *side,
                     const dp_nego_public_t *pub, uint64_t seed,
                     dp_nego_proposal_t *out);

//  splitmix64: the project's seeded PRNG step (benchmarks, jitter).
uint64_t dp_engine_splitmix64 (uint64_t *state);

#endif
