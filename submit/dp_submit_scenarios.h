/*  dp_submit_scenarios.h — the seed demo's five scenarios, compiled in.

    Same budgets, floors, requirements, descriptions and data chunks as
    the seed's demo (../shared/seed/demo_scenarios.json, copied to
    submit/demo_scenarios.json and embedded by
    scripts/gen_demo_scenarios.py). Each deal carries the seller proof
    computed from its chunks, as the seed's demo generated it:
    chunk_hashes[i] = SHA-256(chunk i's UTF-8 bytes),
    root = SHA-256(uint32_be(N) ‖ chunk_hash[0] ‖ … ‖ chunk_hash[N-1]).

    Thread-safe after the first call (the table is parsed once under a
    pthread_once). */

#ifndef DP_SUBMIT_SCENARIOS_H_INCLUDED
#define DP_SUBMIT_SCENARIOS_H_INCLUDED

#include <json-c/json.h>

#include "dp_status.h"

#define DP_SUBMIT_SCENARIO_COUNT 5

//  Names in the seed's order: vision, medical, lidar, finance, nlp.
extern const char *const dp_submit_scenario_names [DP_SUBMIT_SCENARIO_COUNT];

//  The human label ("Labelled Vision Dataset"), or NULL for an unknown name.
const char *dp_submit_scenario_label (const char *name);

//  Builds the deal for a scenario as a new json_object (caller owns; put
//  it with json_object_put): buyer_budget, floor_price (as the seed's
//  number text, e.g. 1000.0), buyer_requirements, data_description,
//  data_hash, seller_proof, and deal_id when deal_id is not NULL.
//  DP_NOTFOUND for an unknown name; DP_INTERNAL if the embedded data is
//  inconsistent (its proof root differs from its data_hash).
dp_status dp_submit_scenario_deal (const char *name, const char *deal_id,
                                   json_object **deal, dp_error_t *err) DP_MUST_CHECK;

#endif
