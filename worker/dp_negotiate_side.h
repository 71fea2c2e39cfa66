/*  dp_negotiate_side.h — the types shared by the negotiation runner, the
    engines, the guardrail and the Claude backend (internal to the worker).

    Information separation is structural: a side's engine and prompt get a
    dp_nego_side_t (that side's own limits only) and a dp_nego_public_t
    (the packages and the offer history: prices and terms, no limits and no
    reasoning text). The other side's limits live in the other side's
    dp_nego_side_t, which is never passed to this side's code. */

#ifndef DP_NEGOTIATE_SIDE_H_INCLUDED
#define DP_NEGOTIATE_SIDE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_negotiate.h"

#define DP_NEGO_REASONING_MAX 480

typedef enum { DP_ROLE_SELLER = 0, DP_ROLE_BUYER = 1 } dp_nego_role_t;

typedef enum {
    DP_ACT_OFFER = 0,
    DP_ACT_COUNTER,
    DP_ACT_ACCEPT,
    DP_ACT_REJECT
} dp_nego_action_t;

typedef enum {
    DP_SOURCE_ENGINE = 0,
    DP_SOURCE_LLM,
    DP_SOURCE_GUARDRAIL,
    DP_SOURCE_FALLBACK
} dp_nego_source_t;

//  A package as both sides see it (no limits).
typedef struct {
    char access_scope [DP_NEGOTIATE_SCOPE_MAX + 1];
    int duration_days;
} dp_nego_terms_t;

//  One recorded move as both sides see it. For accept and reject, price
//  and package are the standing offer's.
typedef struct {
    int round;                  //  1-based
    dp_nego_role_t role;
    dp_nego_action_t action;
    int64_t price;              //  cents
    int package;                //  index into the public packages
} dp_nego_move_t;

typedef struct {
    const dp_nego_terms_t *packages;
    size_t package_count;
    int max_rounds;
    const dp_nego_move_t *moves;        //  the history so far, oldest first
    size_t move_count;
    //  Public deal text, given to both sides' prompts.
    const char *buyer_requirements;
    const char *data_description;
    const char *seller_verified_domain;
} dp_nego_public_t;

//  One side's private context: its own limit per package (the budget for
//  the buyer, the floor for the seller), parallel to the public packages.
typedef struct {
    dp_nego_role_t role;
    size_t package_count;
    const int64_t *limits;
} dp_nego_side_t;

//  A move as an engine or an LLM proposed it, before the guardrail. For an
//  LLM answer, price and package may be anything (checked by G1..G8).
typedef struct {
    int usable;                 //  0: the answer could not be read (fallback)
    dp_nego_action_t action;
    int64_t price;              //  cents
    int package;                //  -1: terms not among the allowed packages
    char reasoning [DP_NEGO_REASONING_MAX + 1];
    char problem [160];         //  why unusable (for the record); "" if usable
} dp_nego_proposal_t;

//  Whose turn it is and at which point: derived from the public history.
static inline dp_nego_role_t
dp_nego_turn_role (const dp_nego_public_t *pub)
{
    return (pub->move_count % 2 == 0) ? DP_ROLE_SELLER : DP_ROLE_BUYER;
}

static inline int
dp_nego_turn_round (const dp_nego_public_t *pub)
{
    return (int) (pub->move_count / 2) + 1;
}

//  The standing offer (the opponent's last move), or NULL before round 1's
//  seller offer.
static inline const dp_nego_move_t *
dp_nego_standing (const dp_nego_public_t *pub)
{
    return pub->move_count ? &pub->moves [pub->move_count - 1] : NULL;
}

//  My utility of a price on a package: what I keep below my budget (buyer)
//  or above my floor (seller). Negative = outside my limit.
static inline int64_t
dp_nego_utility (const dp_nego_side_t *side, int package, int64_t price)
{
    int64_t limit = side->limits [package];
    return side->role == DP_ROLE_BUYER ? limit - price : price - limit;
}

const char *dp_nego_role_name (dp_nego_role_t role);
const char *dp_nego_action_name (dp_nego_action_t action);
const char *dp_nego_source_name (dp_nego_source_t source);

#endif
