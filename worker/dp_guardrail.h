/*  dp_guardrail.h — the hard limits every move passes, whatever proposed it.

    The rules (research notes §4.2):
      G1 price sanity: an offer's price is a whole number of cents in
         1..DP_NEGOTIATE_PRICE_MAX, else the answer is unusable;
      G2 the buyer never offers above its budget for the terms (clamped) and
         never accepts above it (the accept becomes the engine's move);
      G3 the seller, mirrored, with its floor for the terms;
      G4 an accept takes the standing offer: its price and terms are copied
         from the standing offer, never from the accepting payload;
      G5 the commit check, done by the runner with both limits just before
         an agreement is recorded (dp_guardrail_commit);
      G6 only moves the protocol allows at this point: no accept or reject
         before an offer stands, no counter in the buyer's final move;
      G7 no retraction: on the same terms the buyer never offers less and
         the seller never asks more than before (clamped);
      G8 a reject before the final move becomes the engine's counter (or,
         when walk-away is allowed, only while the standing offer is
         within the side's limit);
      terms: an offer names one of the allowed packages, else unusable.
    An unusable proposal (unreadable answer, G1, G6, terms) is replaced by
    the built-in engine's move for the turn and recorded as `fallback`; a
    proposal the guardrail changed (clamped, converted) is recorded as
    `guardrail`. Every intervention is counted per rule.

    Pure functions of their arguments; thread-safe. */

#ifndef DP_GUARDRAIL_H_INCLUDED
#define DP_GUARDRAIL_H_INCLUDED

#include "dp_negotiate_side.h"

//  Turns a proposal (from source DP_SOURCE_ENGINE or DP_SOURCE_LLM) into a
//  legal move for the side whose turn it is. fallback is the built-in
//  engine's proposal for the same turn. Writes the move and the reasoning
//  to record, adds to counts, and returns the source to record (engine,
//  llm, guardrail or fallback). The move is always legal for this side.
dp_nego_source_t dp_guardrail_apply (const dp_nego_side_t *side, const dp_nego_public_t *pub,
                                     int allow_walk_away, const dp_nego_proposal_t *proposal,
                                     dp_nego_source_t source,
                                     const dp_nego_proposal_t *fallback,
                                     dp_nego_move_t *move, char *reasoning, size_t reasoning_size,
                                     dp_guard_counts_t *counts);

//  G5: an agreement on move (an accept) stands only if the standing offer's
//  terms are allowed and floor <= price <= budget for them. Needs both
//  sides; only the runner calls it. Returns 1 if the agreement may be
//  committed, 0 if not (counted as DP_GUARD_COMMIT).
int dp_guardrail_commit (const dp_nego_side_t *buyer, const dp_nego_side_t *seller,
                         const dp_nego_public_t *pub, const dp_nego_move_t *accept,
                         dp_guard_counts_t *counts);

#endif
