/*  dp_guardrail.c — G1..G8 (see header). */

#include <stdio.h>
#include <string.h>

#include "dp_guardrail.h"

//  Outcome of checking one proposal.
typedef struct {
    int replace;                //  1: unusable or must be replaced
    int replace_is_fallback;    //  1: bad answer (fallback), 0: guardrail conversion
    int hits [DP_GUARD_COUNT];
    char note [200];
} s_check_t;

static void
s_hit (s_check_t *r, dp_guard_rule_t rule, const char *note)
{
    r->hits [rule] = 1;
    if (!r->note [0])
        snprintf (r->note, sizeof r->note, "%s", note);
}

static void
s_replace (s_check_t *r, int fallback, int rule, const char *note)
{
    r->replace = 1;
    r->replace_is_fallback = fallback;
    if (rule >= 0)
        r->hits [rule] = 1;
    snprintf (r->note, sizeof r->note, "%s", note);
}

//  My last offer on a package, if any (for G7).
static int
s_previous_offer (const dp_nego_side_t *side, const dp_nego_public_t *pub, int package,
                  int64_t *price)
{
    for (size_t i = pub->move_count; i-- > 0;) {
        const dp_nego_move_t *m = &pub->moves [i];
        if (m->role == side->role && m->package == package
        && (m->action == DP_ACT_OFFER || m->action == DP_ACT_COUNTER)) {
            *price = m->price;
            return 1;
        }
    }
    return 0;
}

static void
s_check_answer (const dp_nego_side_t *side, const dp_nego_public_t *pub, int allow_walk_away,
                const dp_nego_proposal_t *p, dp_nego_move_t *move, s_check_t *r)
{
    const dp_nego_move_t *standing = dp_nego_standing (pub);
    int buyer = side->role == DP_ROLE_BUYER;
    int final = buyer && dp_nego_turn_round (pub) >= pub->max_rounds;
    int64_t u = standing ? dp_nego_utility (side, standing->package, standing->price) : 0;
    if (p->action == DP_ACT_ACCEPT) {
        if (!standing)
            { s_replace (r, 1, DP_GUARD_ROUNDS, "G6: accept with no offer standing"); return; }
        if (u < 0)
            { s_replace (r, 0, buyer ? DP_GUARD_BUDGET : DP_GUARD_FLOOR, buyer
                              ? "G2: accept above the buyer's budget for the terms refused"
                              : "G3: accept below the seller's floor for the terms refused"); return; }
        if (p->price != standing->price || p->package != standing->package)
            s_hit (r, DP_GUARD_ACCEPT, "G4: accept takes the standing offer's price and terms");
        move->price = standing->price;
        move->package = standing->package;
        return;
    }
    if (p->action == DP_ACT_REJECT) {
        if (!standing)
            { s_replace (r, 1, DP_GUARD_ROUNDS, "G6: reject with no offer standing"); return; }
        if (!final && !(allow_walk_away && u < 0))
            { s_replace (r, 0, DP_GUARD_REJECT, "G8: early walk-away turned into a counter"); return; }
        move->price = standing->price;
        move->package = standing->package;
        return;
    }
    if (final)
        { s_replace (r, 1, DP_GUARD_ROUNDS, "G6: a counter in the final move cannot be answered"); return; }
    if (p->package < 0 || (size_t) p->package >= pub->package_count)
        { s_replace (r, 1, DP_GUARD_TERMS, "terms: not among the allowed packages"); return; }
    if (p->price < 1 || p->price > DP_NEGOTIATE_PRICE_MAX)
        { s_replace (r, 1, DP_GUARD_PRICE, "G1: price out of range"); return; }
    int64_t price = p->price, limit = side->limits [p->package], prev;
    if (buyer && price > limit) {
        price = limit;
        s_hit (r, DP_GUARD_BUDGET, "G2: offer lowered to the buyer's budget for the terms");
    }
    if (!buyer && price < limit) {
        price = limit;
        s_hit (r, DP_GUARD_FLOOR, "G3: offer raised to the seller's floor for the terms");
    }
    if (s_previous_offer (side, pub, p->package, &prev) && (buyer ? price < prev : price > prev)) {
        price = prev;
        s_hit (r, DP_GUARD_RETRACT, "G7: no retraction; previous offer on these terms kept");
    }
    move->action = standing ? DP_ACT_COUNTER : DP_ACT_OFFER;
    move->price = price;
    move->package = p->package;
}

static void
s_check (const dp_nego_side_t *side, const dp_nego_public_t *pub, int allow_walk_away,
         const dp_nego_proposal_t *p, dp_nego_move_t *move, s_check_t *r)
{
    memset (r, 0, sizeof *r);
    memset (move, 0, sizeof *move);
    move->round = dp_nego_turn_round (pub);
    move->role = side->role;
    move->action = p->action;
    if (!p->usable) {
        s_replace (r, 1, -1, p->problem [0] ? p->problem : "unreadable answer");
        return;
    }
    if (p->action < DP_ACT_OFFER || p->action > DP_ACT_REJECT) {
        s_replace (r, 1, DP_GUARD_ROUNDS, "G6: unknown action");
        return;
    }
    s_check_answer (side, pub, allow_walk_away, p, move, r);
}

//  The last resort if even the engine's move were refused (a bug): a move
//  that is legal by construction.
static void
s_safe_move (const dp_nego_side_t *side, const dp_nego_public_t *pub, dp_nego_move_t *move)
{
    const dp_nego_move_t *standing = dp_nego_standing (pub);
    int final = side->role == DP_ROLE_BUYER && dp_nego_turn_round (pub) >= pub->max_rounds;
    memset (move, 0, sizeof *move);
    move->round = dp_nego_turn_round (pub);
    move->role = side->role;
    if (standing && dp_nego_utility (side, standing->package, standing->price) >= 0) {
        move->action = DP_ACT_ACCEPT;
        move->price = standing->price;
        move->package = standing->package;
    }
    else if (final) {
        move->action = DP_ACT_REJECT;
        move->price = standing->price;
        move->package = standing->package;
    }
    else {
        int k = standing ? standing->package : 0;
        move->action = standing ? DP_ACT_COUNTER : DP_ACT_OFFER;
        move->price = side->limits [k];
        move->package = k;
    }
}

static void
s_count (dp_guard_counts_t *counts, const s_check_t *r)
{
    for (int i = 0; i < DP_GUARD_COUNT; i++)
        counts->rule [i] += (uint32_t) r->hits [i];
}

dp_nego_source_t
dp_guardrail_apply (const dp_nego_side_t *side, const dp_nego_public_t *pub, int allow_walk_away,
                    const dp_nego_proposal_t *proposal, dp_nego_source_t source,
                    const dp_nego_proposal_t *fallback, dp_nego_move_t *move,
                    char *reasoning, size_t reasoning_size, dp_guard_counts_t *counts)
{
    s_check_t r;
    s_check (side, pub, allow_walk_away, proposal, move, &r);
    s_count (counts, &r);
    int changed = 0;
    for (int i = 0; i < DP_GUARD_COUNT; i++)
        changed |= r.hits [i];
    if (!r.replace) {
        if (!changed) {
            snprintf (reasoning, reasoning_size, "%s", proposal->reasoning);
            return source;
        }
        snprintf (reasoning, reasoning_size, "guardrail %s. %s", r.note, proposal->reasoning);
        counts->guardrail_moves++;
        return DP_SOURCE_GUARDRAIL;
    }
    //  Replace by the engine's move, itself checked (it never trips unless
    //  the engine has a bug, in which case the safe move is used).
    s_check_t fr;
    s_check (side, pub, allow_walk_away, fallback, move, &fr);
    int fallback_ok = !fr.replace;
    for (int i = 0; i < DP_GUARD_COUNT && fallback_ok; i++)
        fallback_ok = !fr.hits [i];
    if (!fallback_ok)
        s_safe_move (side, pub, move);
    const char *why = fallback_ok ? fallback->reasoning : "safe move";
    if (r.replace_is_fallback) {
        snprintf (reasoning, reasoning_size, "fallback (%s): built-in move. %s", r.note, why);
        counts->fallback_moves++;
        return DP_SOURCE_FALLBACK;
    }
    snprintf (reasoning, reasoning_size, "guardrail %s: built-in move. %s", r.note, why);
    counts->guardrail_moves++;
    return DP_SOURCE_GUARDRAIL;
}

int
dp_guardrail_commit (const dp_nego_side_t *buyer, const dp_nego_side_t *seller,
                     const dp_nego_public_t *pub, const dp_nego_move_t *accept,
                     dp_guard_counts_t *counts)
{
    int k = accept->package;
    const dp_nego_move_t *standing = dp_nego_standing (pub);
    int ok = accept->action == DP_ACT_ACCEPT && standing
          && k >= 0 && (size_t) k < pub->package_count
          && standing->package == k && standing->price == accept->price
          && standing->role != accept->role
          && accept->price >= 1 && accept->price <= DP_NEGOTIATE_PRICE_MAX
          && seller->limits [k] <= accept->price && accept->price <= buyer->limits [k]
          && accept->round <= pub->max_rounds;
    if (!ok)
        counts->rule [DP_GUARD_COMMIT]++;
    return ok;
}
