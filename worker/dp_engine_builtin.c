/*  dp_engine_builtin.c — deterministic negotiation strategies (see header).

    Utilities are in cents: what a side keeps inside its own limit. The
    aspiration U(i) is the utility a side asks for on its i-th move; an offer
    on package k is the price that gives exactly U on k. Fixed-point maths
    (ALPHA_ONE = 10^6) and __int128 products keep every step exact. */

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dp_engine_builtin.h"

#define ALPHA_ONE INT64_C(1000000)

const dp_engine_params_t dp_engine_builtin_default = {
    "builtin", DP_STRATEGY_TIMEDEP, DP_CURVE_CONCEDER, 0, 40, 1, 1, 0, 1 };
const dp_engine_params_t dp_engine_hardliner = {
    "hardliner", DP_STRATEGY_TIMEDEP, DP_CURVE_HARDLINER, 0, 40, 0, 0, 0, 0 };
const dp_engine_params_t dp_engine_boulware = {
    "boulware", DP_STRATEGY_TIMEDEP, DP_CURVE_BOULWARE, 0, 40, 1, 0, 0, 0 };
const dp_engine_params_t dp_engine_linear = {
    "linear", DP_STRATEGY_TIMEDEP, DP_CURVE_LINEAR, 0, 40, 1, 0, 0, 0 };
const dp_engine_params_t dp_engine_conceder = {
    "conceder", DP_STRATEGY_TIMEDEP, DP_CURVE_CONCEDER, 0, 40, 1, 0, 0, 0 };
const dp_engine_params_t dp_engine_prompt_rules = {
    "prompt", DP_STRATEGY_PROMPT, DP_CURVE_LINEAR, 0, 40, 0, 0, 0, 0 };
const dp_engine_params_t dp_engine_prompt_additive = {
    "prompt-additive", DP_STRATEGY_PROMPT, DP_CURVE_LINEAR, 0, 40, 0, 0, 1, 0 };
const dp_engine_params_t dp_engine_random = {
    "random", DP_STRATEGY_RANDOM, DP_CURVE_LINEAR, 0, 40, 0, 1, 0, 0 };
const dp_engine_params_t dp_engine_chaos = {
    "chaos", DP_STRATEGY_CHAOS, DP_CURVE_LINEAR, 0, 40, 0, 1, 0, 0 };

const dp_engine_params_t dp_engine_salami = {
    "salami", DP_STRATEGY_SALAMI, DP_CURVE_LINEAR, 0, 40, 0, 0, 0, 0 };
const dp_engine_params_t dp_engine_tft = {
    "tft", DP_STRATEGY_TFT, DP_CURVE_LINEAR, 0, 40, 1, 0, 0, 0 };

static const dp_engine_params_t *s_presets [] = {
    &dp_engine_builtin_default, &dp_engine_hardliner, &dp_engine_boulware,
    &dp_engine_linear, &dp_engine_conceder, &dp_engine_prompt_rules,
    &dp_engine_prompt_additive, &dp_engine_random, &dp_engine_chaos, &dp_engine_salami,
    &dp_engine_tft };

//  Everything a move decision needs, derived from the public history.
typedef struct {
    const dp_engine_params_t *p;
    const dp_nego_side_t *side;
    const dp_nego_public_t *pub;
    int round;
    int own_index;              //  my moves so far
    int n_eff;                  //  my effective moves (answerable offers)
    int final_move;             //  buyer in the last round: accept or reject only
    const dp_nego_move_t *standing;
    int64_t u_standing;
    int64_t u0;                 //  opening aspiration
    int have_last;
    int64_t u_last;             //  utility of my last offer
    int64_t last_price;
    int last_package;
    int order [DP_NEGOTIATE_PACKAGES_MAX];      //  my packages, best first
    int64_t opp_price [DP_NEGOTIATE_PACKAGES_MAX];      //  latest offer per package
    int64_t opp_first [DP_NEGOTIATE_PACKAGES_MAX];      //  first offer per package
    int opp_first_at [DP_NEGOTIATE_PACKAGES_MAX];       //  the other's move index then
    uint8_t opp_seen [DP_NEGOTIATE_PACKAGES_MAX];
    int opp_moves;                                      //  the other's offers so far
    int64_t opp_margin;                                 //  estimated opening margin; -1 none
    uint64_t rng;
} s_ctx_t;

uint64_t
dp_engine_splitmix64 (uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

const dp_engine_params_t *
dp_engine_params_find (const char *name)
{
    for (size_t i = 0; name && i < sizeof s_presets / sizeof s_presets [0]; i++)
        if (strcmp (s_presets [i]->name, name) == 0)
            return s_presets [i];
    return NULL;
}

static int64_t
s_isqrt (int64_t v)
{
    //  Bitwise integer square root: exact and the same everywhere.
    uint64_t x = (uint64_t) v, r = 0, bit = UINT64_C(1) << 62;
    while (bit > x)
        bit >>= 2;
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        }
        else
            r >>= 1;
        bit >>= 2;
    }
    return (int64_t) r;
}

//  alpha(t) * ALPHA_ONE for t = num/den in [0, 1].
static int64_t
s_alpha (dp_curve_t curve, int64_t num, int64_t den)
{
    if (den <= 0 || num >= den)
        return curve == DP_CURVE_HARDLINER ? 0 : ALPHA_ONE;
    int64_t t = num * ALPHA_ONE / den;
    switch (curve) {
        case DP_CURVE_HARDLINER:
            return 0;
        case DP_CURVE_BOULWARE: {
            int64_t x = t;
            for (int i = 0; i < 4; i++)
                x = x * t / ALPHA_ONE;
            return x;
        }
        case DP_CURVE_LINEAR:
            return t;
        case DP_CURVE_CONCEDER:
            return s_isqrt (t * ALPHA_ONE);
    }
    return t;
}

static int64_t
s_price_at (const s_ctx_t *c, int k, int64_t u)
{
    int64_t limit = c->side->limits [k];
    if (c->side->role == DP_ROLE_BUYER)
        return limit - u;
    int64_t price = limit + u;
    return price > DP_NEGOTIATE_PRICE_MAX ? DP_NEGOTIATE_PRICE_MAX : price;
}

//  A package can carry aspiration u if its price stays a positive amount.
static int
s_valid_at (const s_ctx_t *c, int k, int64_t u)
{
    return s_price_at (c, k, u) >= 1;
}

static void
s_sort_packages (s_ctx_t *c)
{
    //  Insertion sort (P <= 256): the buyer's most valued first, the
    //  seller's cheapest first; ties keep the deal's order (stable).
    size_t n = c->side->package_count;
    for (size_t i = 0; i < n; i++) {
        int k = (int) i;
        size_t j = i;
        while (j > 0) {
            int64_t a = c->side->limits [c->order [j - 1]], b = c->side->limits [k];
            int later = c->side->role == DP_ROLE_BUYER ? a < b : a > b;
            if (!later)
                break;
            c->order [j] = c->order [j - 1];
            j--;
        }
        c->order [j] = k;
    }
}

static void
s_scan_history (s_ctx_t *c)
{
    const dp_nego_public_t *pub = c->pub;
    memset (c->opp_seen, 0, c->side->package_count);
    for (size_t i = 0; i < pub->move_count; i++) {
        const dp_nego_move_t *m = &pub->moves [i];
        if (m->action != DP_ACT_OFFER && m->action != DP_ACT_COUNTER)
            continue;
        if (m->role == c->side->role) {
            c->own_index++;
            c->have_last = 1;
            c->last_price = m->price;
            c->last_package = m->package;
            c->u_last = dp_nego_utility (c->side, m->package, m->price);
        }
        else {
            if (!c->opp_seen [m->package]) {
                c->opp_first [m->package] = m->price;
                c->opp_first_at [m->package] = c->opp_moves;
            }
            c->opp_price [m->package] = m->price;
            c->opp_seen [m->package] = 1;
            c->opp_moves++;
        }
    }
}

static void s_estimate_margin (s_ctx_t *c);

static void
s_ctx_init (s_ctx_t *c, const dp_engine_params_t *p, const dp_nego_side_t *side,
            const dp_nego_public_t *pub, uint64_t seed)
{
    memset (c, 0, offsetof (s_ctx_t, order));
    c->p = p;
    c->side = side;
    c->pub = pub;
    c->round = dp_nego_turn_round (pub);
    int R = pub->max_rounds;
    c->n_eff = side->role == DP_ROLE_SELLER ? R : R - 1;
    c->final_move = side->role == DP_ROLE_BUYER && c->round >= R;
    c->standing = dp_nego_standing (pub);
    if (c->standing)
        c->u_standing = dp_nego_utility (side, c->standing->package, c->standing->price);
    s_sort_packages (c);
    c->opp_moves = 0;
    s_scan_history (c);
    int64_t ref = side->limits [c->order [0]];
    if (side->role == DP_ROLE_BUYER) {
        int64_t keep = ref * (100 - p->anchor_pct) / 100;
        c->u0 = ref - (keep < 1 ? 1 : keep);
    }
    else
        c->u0 = (ref * p->anchor_pct + 99) / 100;
    s_estimate_margin (c);
    c->rng = seed ^ ((uint64_t) pub->move_count * UINT64_C(0x9E3779B97F4A7C15))
                  ^ ((uint64_t) side->role << 56);
}

//  The other side's opening margin, assuming it anchors like this engine
//  (anchor_pct above its floor / below its budget on its best package).
static void
s_estimate_margin (s_ctx_t *c)
{
    c->opp_margin = -1;
    const dp_nego_move_t *open = NULL;
    for (size_t i = 0; i < c->pub->move_count && !open; i++)
        if (c->pub->moves [i].role != c->side->role)
            open = &c->pub->moves [i];
    if (!open || !c->p->fair_target)
        return;
    int64_t a = c->p->anchor_pct, price = open->price;
    if (c->side->role == DP_ROLE_BUYER)       //  the other is the seller
        c->opp_margin = price - (int64_t) ((__int128) price * 100 / (100 + a));
    else
        c->opp_margin = (int64_t) ((__int128) price * 100 / (100 - a)) - price;
}

//  Estimated joint surplus on package k from the other side's first offer
//  on it, if that offer was part of its opening exploration. 0 = none.
static int
s_joint_estimate (const s_ctx_t *c, int k, int64_t *joint)
{
    if (c->opp_margin < 0 || !c->opp_seen [k])
        return 0;
    int P = (int) c->side->package_count;
    int n_eff_opp = c->side->role == DP_ROLE_BUYER ? c->pub->max_rounds : c->pub->max_rounds - 1;
    int e_opp = P == 1 ? 1 : (n_eff_opp / 2 < P ? n_eff_opp / 2 : P);
    if (c->opp_first_at [k] >= (e_opp < 1 ? 1 : e_opp))
        return 0;
    int64_t opp_limit = c->side->role == DP_ROLE_BUYER ? c->opp_first [k] - c->opp_margin
                                                       : c->opp_first [k] + c->opp_margin;
    int64_t mine = c->side->limits [k];
    *joint = c->side->role == DP_ROLE_BUYER ? mine - opp_limit : opp_limit - mine;
    return 1;
}

//  Exploration: my packages (best first) that can carry the opening
//  aspiration; returns how many of my first moves explore.
static int
s_explore_list (const s_ctx_t *c, int *list)
{
    int n = 0;
    for (size_t i = 0; i < c->side->package_count; i++)
        if (s_valid_at (c, c->order [i], c->u0))
            list [n++] = c->order [i];
    if (!c->p->trade_off || c->side->package_count == 1)
        return 1;
    int half = c->n_eff / 2;
    int e = n < half ? n : half;
    return e < 1 ? 1 : e;
}

static int64_t
s_aspiration (const s_ctx_t *c, int explore, int64_t u_fair)
{
    //  From the opening aspiration down to the fair target (0 without an
    //  estimate), reached one move before the last effective move when a
    //  fair target is used (so both sides can meet there before the
    //  deadline), at the last effective move otherwise.
    int i = c->own_index;
    if (c->p->deadline && i >= c->n_eff - 1)
        return 0;
    if (i < explore)
        return c->u0;
    int64_t den = c->n_eff - explore - (c->p->fair_target ? 1 : 0);
    int64_t alpha = s_alpha (c->p->curve, i - explore + 1, den < 1 ? 1 : den);
    int64_t target = u_fair < c->u0 ? u_fair : c->u0;
    int64_t u = target + (int64_t) ((__int128) (c->u0 - target) * (ALPHA_ONE - alpha) / ALPHA_ONE);
    if (c->p->gap_cap_pct && c->standing && c->have_last) {
        int64_t gap = c->u_last - c->u_standing;
        if (gap > 0) {
            int64_t cap = c->u_last - (int64_t) ((__int128) gap * c->p->gap_cap_pct / 100);
            if (cap > u)
                u = cap;
        }
    }
    if (u < u_fair)
        u = u_fair;
    if (c->have_last && u > c->u_last)
        u = c->u_last;
    return u < 0 ? 0 : u;
}

//  The package to offer at aspiration u: the one whose latest offer from
//  the other side is best for me (largest joint surplus among those shown).
static int
s_pick_package (const s_ctx_t *c, int64_t u, int explore, const int *list)
{
    int deadline = c->p->deadline && c->own_index >= c->n_eff - 1;
    if (!c->p->trade_off || c->side->package_count == 1)
        return c->order [0];
    if (c->own_index < explore && !deadline)
        return list [c->own_index];
    int best = -1;
    int64_t best_j = 0;
    for (size_t i = 0; c->side->role == DP_ROLE_SELLER && i < c->side->package_count; i++) {
        int k = c->order [i];
        int64_t j;
        if (s_joint_estimate (c, k, &j) && s_valid_at (c, k, u) && (best < 0 || j > best_j)) {
            best = k;
            best_j = j;
        }
    }
    if (best >= 0 && best_j >= 0)
        return best;
    best = -1;
    int64_t best_u = 0;
    for (size_t i = 0; i < c->side->package_count; i++) {
        int k = c->order [i];
        if (!c->opp_seen [k] || !s_valid_at (c, k, u))
            continue;
        int64_t uk = dp_nego_utility (c->side, k, c->opp_price [k]);
        if (best < 0 || uk > best_u) {
            best = k;
            best_u = uk;
        }
    }
    return best >= 0 ? best : c->order [0];
}

static void
s_set (dp_nego_proposal_t *out, dp_nego_action_t action, int64_t price, int package,
       const char *reasoning)
{
    memset (out, 0, sizeof *out);
    out->usable = 1;
    out->action = action;
    out->price = price;
    out->package = package;
    snprintf (out->reasoning, sizeof out->reasoning, "%s", reasoning);
}

static void
s_accept (const s_ctx_t *c, dp_nego_proposal_t *out)
{
    s_set (out, DP_ACT_ACCEPT, c->standing->price, c->standing->package,
           "The offer is within my limit and at least what I would ask next; accepting.");
}

//  Offer or accept, given the planned offer (package, price).
static void
s_decide (const s_ctx_t *c, int package, int64_t price, const char *why,
          dp_nego_proposal_t *out)
{
    if (c->final_move) {
        if (c->u_standing >= 0)
            s_accept (c, out);
        else
            s_set (out, DP_ACT_REJECT, c->standing->price, c->standing->package,
                   "The last offer is outside my limit; no deal.");
        return;
    }
    if (c->standing && c->u_standing >= 0) {
        int last = c->own_index >= c->n_eff - 1;
        if (last || c->u_standing >= dp_nego_utility (c->side, package, price)) {
            s_accept (c, out);
            return;
        }
    }
    s_set (out, c->standing ? DP_ACT_COUNTER : DP_ACT_OFFER, price, package, why);
}

static void
s_move_timedep (const s_ctx_t *c, dp_nego_proposal_t *out)
{
    int list [DP_NEGOTIATE_PACKAGES_MAX];
    int explore = s_explore_list (c, list);
    int64_t u = s_aspiration (c, explore, 0), joint;
    int k = s_pick_package (c, u, explore, list);
    if (s_joint_estimate (c, k, &joint) && joint > 0)
        u = s_aspiration (c, explore, joint / 2);
    if (!s_valid_at (c, k, u))
        u = dp_nego_utility (c->side, k, 1);   //  only when the limit is tiny
    char why [DP_NEGO_REASONING_MAX + 1];
    const dp_nego_terms_t *t = &c->pub->packages [k];
    if (!c->standing)
        snprintf (why, sizeof why, "Opening offer for %s access, %d days.",
                  t->access_scope, t->duration_days);
    else if (c->p->deadline && c->own_index >= c->n_eff - 1)
        snprintf (why, sizeof why, "Final offer: this is as far as I can go.");
    else if (c->have_last && k != c->last_package)
        snprintf (why, sizeof why, "Proposing other terms: %s access, %d days.",
                  t->access_scope, t->duration_days);
    else if (c->have_last && u >= c->u_last)
        snprintf (why, sizeof why, "Holding my position for now.");
    else
        snprintf (why, sizeof why, "Moving towards agreement (round %d of %d).",
                  c->round, c->pub->max_rounds);
    s_decide (c, k, s_price_at (c, k, u), why, out);
}

static void
s_move_prompt (s_ctx_t *c, dp_nego_proposal_t *out)
{
    //  The seed's prompt rules taken literally: open at 60 % of the budget or
    //  140 % of the floor, then concede 5-10 % per offer.
    int k = c->order [0];
    int64_t limit = c->side->limits [k], price;
    int buyer = c->side->role == DP_ROLE_BUYER;
    if (!c->have_last || c->last_package != k)
        price = buyer ? limit * 60 / 100 : (limit * 140 + 99) / 100;
    else {
        int64_t step_bp = 500 + (int64_t) (dp_engine_splitmix64 (&c->rng) % 501);
        int64_t base = c->p->prompt_additive ? limit : c->last_price;
        int64_t step = (int64_t) ((__int128) base * step_bp / 10000);
        price = buyer ? c->last_price + step : c->last_price - step;
    }
    if (buyer ? price > limit : price < limit)
        price = limit;
    if (price < 1)
        price = 1;
    if (price > DP_NEGOTIATE_PRICE_MAX)
        price = DP_NEGOTIATE_PRICE_MAX;
    s_decide (c, k, price, "Conceding 5-10 % as my instructions say.", out);
}

//  Salami-slicer: opens at the anchor, then gives away one cent per move.
static void
s_move_salami (const s_ctx_t *c, dp_nego_proposal_t *out)
{
    int k = c->order [0];
    int64_t u = c->have_last && c->last_package == k ? c->u_last - 1 : c->u0;
    if (u < 0)
        u = 0;
    s_decide (c, k, s_price_at (c, k, u), "Conceding one cent.", out);
}

//  Absolute tit-for-tat (Faratin et al.): give back what the other side's
//  last move gave me, but never less than a linear schedule, so it ends at
//  its reservation value by its last effective move.
static void
s_move_tft (const s_ctx_t *c, dp_nego_proposal_t *out)
{
    int k = c->order [0];
    int64_t given = 0, prev = 0, last = 0;
    int seen = 0;
    for (size_t i = 0; i < c->pub->move_count; i++) {
        const dp_nego_move_t *m = &c->pub->moves [i];
        if (m->role == c->side->role || (m->action != DP_ACT_OFFER && m->action != DP_ACT_COUNTER))
            continue;
        prev = last;
        last = dp_nego_utility (c->side, m->package, m->price);
        seen++;
    }
    if (seen >= 2 && last > prev)
        given = last - prev;
    int64_t u = s_aspiration (c, 1, 0);
    if (c->have_last && c->u_last - given < u)
        u = c->u_last - given < 0 ? 0 : c->u_last - given;
    if (c->p->deadline && c->own_index >= c->n_eff - 1)
        u = 0;
    s_decide (c, k, s_price_at (c, k, u), "Matching the other side's last concession.", out);
}

static void
s_move_random (s_ctx_t *c, dp_nego_proposal_t *out)
{
    int k = c->order [dp_engine_splitmix64 (&c->rng) % c->side->package_count];
    int64_t limit = c->side->limits [k];
    int64_t span = limit * 40 / 100 + 1;
    int64_t off = (int64_t) (dp_engine_splitmix64 (&c->rng) % (uint64_t) span);
    int64_t price = c->side->role == DP_ROLE_BUYER ? limit - off : limit + off;
    if (price < 1)
        price = 1;
    if (price > DP_NEGOTIATE_PRICE_MAX)
        price = DP_NEGOTIATE_PRICE_MAX;
    if (c->standing && c->u_standing >= 0 && (dp_engine_splitmix64 (&c->rng) & 1)) {
        s_accept (c, out);
        return;
    }
    s_decide (c, k, price, "A random offer within my limit.", out);
}

static void
s_move_chaos (s_ctx_t *c, dp_nego_proposal_t *out)
{
    //  Deliberately broken proposals: every guardrail must catch them.
    uint64_t r = dp_engine_splitmix64 (&c->rng);
    int64_t limit = c->side->limits [c->order [0]];
    int64_t prices [] = { -1, 0, 1, limit, limit - 1, limit + 1, limit / 2, limit * 2,
                          DP_NEGOTIATE_PRICE_MAX, DP_NEGOTIATE_PRICE_MAX + 1, INT64_MAX,
                          INT64_MIN, c->standing ? c->standing->price : 7,
                          c->standing ? c->standing->price + 1 : 9,
                          c->have_last ? c->last_price - 1 : 3,
                          c->have_last ? c->last_price + 1 : 5 };
    int64_t price = prices [(r >> 8) % (sizeof prices / sizeof prices [0])];
    if ((r >> 16) % 4 == 0)
        price = (int64_t) (dp_engine_splitmix64 (&c->rng) % (uint64_t) (2 * limit + 2)) - 1;
    int n = (int) c->side->package_count;
    int k = (int) ((r >> 24) % (uint64_t) (n + 2)) - 1;    //  -1 .. n: some out of range
    s_set (out, (dp_nego_action_t) (r % 4), price, k >= n ? -1 : k, "chaos");
    if ((r >> 40) % 8 == 0) {
        out->usable = 0;
        snprintf (out->problem, sizeof out->problem, "chaos: unreadable answer");
    }
}

void
dp_engine_move (const dp_engine_params_t *params, const dp_nego_side_t *side,
                const dp_nego_public_t *pub, uint64_t seed, dp_nego_proposal_t *out)
{
    s_ctx_t c;
    s_ctx_init (&c, params ? params : &dp_engine_builtin_default, side, pub, seed);
    switch (c.p->kind) {
        case DP_STRATEGY_PROMPT:
            s_move_prompt (&c, out);
            break;
        case DP_STRATEGY_RANDOM:
            s_move_random (&c, out);
            break;
        case DP_STRATEGY_CHAOS:
            s_move_chaos (&c, out);
            break;
        case DP_STRATEGY_SALAMI:
            s_move_salami (&c, out);
            break;
        case DP_STRATEGY_TFT:
            s_move_tft (&c, out);
            break;
        default:
            s_move_timedep (&c, out);
    }
}
