/*  test_submit_scenarios.c — the embedded demo data equals the seed's
    file, and each scenario's proof root is its data_hash. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_submit_scenarios.h"

extern const char dp_submit_scenarios_json [];
extern const size_t dp_submit_scenarios_json_len;

Test (submit_scenarios, embedded_copy_equals_the_seed_file)
{
    FILE *file = fopen (DP_SHARED_DIR "/seed/demo_scenarios.json", "rb");
    cr_assert_not_null (file);
    char *text = malloc (1 << 20);
    size_t len = fread (text, 1, 1 << 20, file);
    fclose (file);
    cr_assert_eq (len, dp_submit_scenarios_json_len);
    cr_assert (memcmp (text, dp_submit_scenarios_json, len) == 0);
    free (text);
}

Test (submit_scenarios, every_scenario_builds_with_its_proof)
{
    for (int i = 0; i < DP_SUBMIT_SCENARIO_COUNT; i++) {
        json_object *deal;
        dp_error_t err;
        cr_assert_eq (dp_submit_scenario_deal (dp_submit_scenario_names [i], "d-1", &deal, &err),
                      DP_OK, "%s: %s", dp_submit_scenario_names [i], err.text);
        json_object *proof, *root, *hash, *budget, *id;
        cr_assert (json_object_object_get_ex (deal, "seller_proof", &proof));
        cr_assert (json_object_object_get_ex (proof, "root_hash", &root));
        cr_assert (json_object_object_get_ex (deal, "data_hash", &hash));
        cr_assert_str_eq (json_object_get_string (root), json_object_get_string (hash));
        cr_assert (json_object_object_get_ex (deal, "buyer_budget", &budget));
        //  The number keeps the seed's source text (1000.0, not 1000).
        cr_assert (strchr (json_object_to_json_string (budget), '.') != NULL);
        cr_assert (json_object_object_get_ex (deal, "deal_id", &id));
        json_object_put (deal);
    }
    cr_assert_str_eq (dp_submit_scenario_label ("vision"), "Labelled Vision Dataset");
}

Test (submit_scenarios, vision_proof_matches_the_seed)
{
    json_object *deal, *proof, *hashes;
    cr_assert_eq (dp_submit_scenario_deal ("vision", NULL, &deal, NULL), DP_OK);
    json_object_object_get_ex (deal, "seller_proof", &proof);
    json_object_object_get_ex (proof, "chunk_hashes", &hashes);
    cr_assert_eq (json_object_array_length (hashes), 5);
    //  sha256("coco_images_part1_520k_bbox"), computed with Python's hashlib.
    cr_assert_str_eq (json_object_get_string (json_object_array_get_idx (hashes, 0)),
                      "cdf9022fcd89c33c678d3953ca5a91a5f33dfa34a65a2726f9eb4065c1e4359e");
    json_object_put (deal);
}

Test (submit_scenarios, unknown_name)
{
    json_object *deal;
    dp_error_t err;
    cr_assert_eq (dp_submit_scenario_deal ("weather", NULL, &deal, &err), DP_NOTFOUND);
    cr_assert_null (deal);
    cr_assert (strstr (err.text, "weather") != NULL);
    cr_assert_null (dp_submit_scenario_label ("weather"));
}
