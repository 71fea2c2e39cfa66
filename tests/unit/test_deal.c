/*  test_deal.c — the deal model (SPEC §1, §2): the seed's scenarios, every
    validation error, money rounding, wei, defaults, terms and packages,
    the canonical body and its identity, envelope and its check. */

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_deal.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_sha256.h"

#define S_HASH "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f"

//  The seed's vision scenario; tests append fields, and json-c keeps the
//  last of duplicate keys, so an appended field replaces the base one.
#define S_BASE \
    "\"buyer_budget\": 1000.0, \"floor_price\": 600.0, " \
    "\"buyer_requirements\": \"10 GB COCO-style labelled image dataset\", " \
    "\"data_description\": \"10 GB curated COCO-style dataset\", " \
    "\"data_hash\": \"" S_HASH "\", \"deal_id\": \"deal-1\""

static dp_status
s_try (const dp_deal_defaults_t *defaults, dp_deal_t **deal, dp_error_t *err, const char *format, ...)
{
    char text [8192];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    *deal = NULL;
    return dp_deal_from_json (text, strlen (text), defaults, deal, err);
}

//  base + extra must be valid; returns the deal.
static dp_deal_t *
s_ok (const dp_deal_defaults_t *defaults, const char *extra)
{
    dp_deal_t *deal;
    dp_error_t err;
    dp_status rc = s_try (defaults, &deal, &err, "{" S_BASE "%s%s}", *extra? ", ": "", extra);
    cr_assert_eq (rc, DP_OK, "%s: %s", extra, err.text);
    return deal;
}

//  base + extra must fail with code and a message containing expect.
static void
s_fails (const dp_deal_defaults_t *defaults, const char *extra, dp_status code, const char *expect)
{
    dp_deal_t *deal;
    dp_error_t err;
    dp_status rc = s_try (defaults, &deal, &err, "{" S_BASE "%s%s}", *extra? ", ": "", extra);
    cr_assert_eq (rc, code, "%s: got %s (%s)", extra, dp_status_name (rc), err.text);
    cr_assert (strstr (err.text, expect), "%s: message '%s' lacks '%s'", extra, err.text, expect);
    cr_assert_null (deal);
}

//  Fails, and the message shows neither of two private amounts.
static void
s_fails_quiet (const dp_deal_defaults_t *defaults, const char *extra, const char *a, const char *b)
{
    dp_deal_t *deal;
    dp_error_t err;
    dp_status rc = s_try (defaults, &deal, &err, "{" S_BASE "%s%s}", *extra? ", ": "", extra);
    cr_assert_eq (rc, DP_INVALID, "%s: got %s", extra, dp_status_name (rc));
    cr_assert (!strstr (err.text, a) && !strstr (err.text, b), "%s: message '%s' shows a limit",
               extra, err.text);
}

//  A deal with only the given fields (no base).
static void
s_fails_alone (const char *text, dp_status code, const char *expect)
{
    dp_deal_t *deal = NULL;
    dp_error_t err;
    dp_status rc = dp_deal_from_json (text, strlen (text), NULL, &deal, &err);
    cr_assert_eq (rc, code, "%s: got %s (%s)", text, dp_status_name (rc), err.text);
    cr_assert (strstr (err.text, expect), "%s: message '%s' lacks '%s'", text, err.text, expect);
    cr_assert_null (deal);
}

//  ---------------------------------------------------------------------
//  The seed's deals

Test (deal, seed_scenarios_validate)
{
    char path [512];
    snprintf (path, sizeof path, "%s/seed/demo_scenarios.json", DP_SHARED_DIR);
    json_object *scenarios = json_object_from_file (path);
    cr_assert_not_null (scenarios, "%s", path);
    int count = 0;
    json_object_object_foreach (scenarios, name, scenario) {
        json_object *deal_json = json_object_new_object ();
        const char *keys [] = { "buyer_budget", "floor_price", "buyer_requirements",
                                "data_description", "data_hash" };
        for (int i = 0; i < 5; i++)
            json_object_object_add (deal_json, keys [i],
                                    json_object_get (json_object_object_get (scenario, keys [i])));
        json_object_object_add (deal_json, "deal_id", json_object_new_string (name));
        dp_deal_t *deal;
        dp_error_t err;
        cr_assert_eq (dp_deal_from_object (deal_json, NULL, &deal, &err), DP_OK, "%s: %s", name, err.text);
        double budget = json_object_get_double (json_object_object_get (scenario, "buyer_budget"));
        cr_assert_eq (deal->budget_cents, (int64_t) (budget * 100));
        cr_assert_str_eq (deal->data_hash, json_object_get_string (json_object_object_get (scenario, "data_hash")));
        cr_assert_eq (deal->max_rounds, 10);
        cr_assert_eq (deal->package_count, 1);
        cr_assert_str_eq (deal->packages [0].scope, "full");
        cr_assert_eq (deal->packages [0].days, 365);
        dp_deal_destroy (&deal);
        cr_assert_null (deal);
        json_object_put (deal_json);
        count++;
    }
    cr_assert_eq (count, 5);
    json_object_put (scenarios);
}

Test (deal, fields_and_defaults)
{
    dp_deal_t *deal = s_ok (NULL, "");
    cr_assert_str_eq (deal->deal_id, "deal-1");
    cr_assert_eq (deal->deal_id_assigned, 0);
    cr_assert_eq (deal->budget_cents, 100000);
    cr_assert_eq (deal->floor_cents, 60000);
    cr_assert_str_eq (deal->buyer_requirements, "10 GB COCO-style labelled image dataset");
    cr_assert_eq (deal->data_description_len, strlen ("10 GB curated COCO-style dataset"));
    cr_assert_str_eq (deal->buyer_engine, "builtin");
    cr_assert_str_eq (deal->seller_engine, "builtin");
    cr_assert_str_eq (deal->batch, "");
    cr_assert_eq (deal->has_escrow, 0);
    cr_assert_null (deal->seller_proof);
    cr_assert_null (deal->email);
    cr_assert_not_null (dp_deal_package (deal, "full", 365));
    cr_assert_null (dp_deal_package (deal, "full", 30));
    cr_assert_null (dp_deal_package (deal, NULL, 365));
    dp_deal_destroy (&deal);
    dp_deal_destroy (&deal);        //  idempotent
    dp_deal_destroy (NULL);
}

Test (deal, nulls_are_absent_and_unknown_keys_ignored)
{
    dp_deal_t *deal = s_ok (NULL, "\"seller_proof\": null, \"seller_address\": null, "
                                  "\"escrow_amount_eth\": null, \"max_rounds\": null, \"color\": \"blue\"");
    cr_assert_null (deal->seller_proof);
    cr_assert_eq (deal->max_rounds, 10);
    cr_assert_null (strstr (deal->body, "color"));
    cr_assert_null (strstr (deal->body, "null"));
    dp_deal_destroy (&deal);
}

//  ---------------------------------------------------------------------
//  Money

Test (deal, money_rounding)
{
    dp_deal_t *deal = s_ok (NULL, "\"buyer_budget\": 0.29, \"floor_price\": 0.29");
    cr_assert_eq (deal->budget_cents, 29, "0.29 is 29 cents, not 28");
    cr_assert_eq (deal->floor_cents, 29);
    dp_deal_destroy (&deal);
    deal = s_ok (NULL, "\"buyer_budget\": 1000.005, \"floor_price\": 0.001");
    cr_assert_eq (deal->budget_cents, 100000, "budget rounded down");
    cr_assert_eq (deal->floor_cents, 1, "floor rounded up");
    dp_deal_destroy (&deal);
    deal = s_ok (NULL, "\"buyer_budget\": \"1e3\", \"floor_price\": 600.001");
    cr_assert_eq (deal->budget_cents, 100000, "decimal strings and exponents");
    cr_assert_eq (deal->floor_cents, 60001);
    dp_deal_destroy (&deal);
    deal = s_ok (NULL, "\"buyer_budget\": 1000, \"floor_price\": 1000.00");
    cr_assert_eq (deal->budget_cents, deal->floor_cents, "budget == floor is fine");
    dp_deal_destroy (&deal);
}

Test (deal, money_errors)
{
    s_fails (NULL, "\"buyer_budget\": 0", DP_INVALID, "buyer_budget: must be greater than 0");
    s_fails (NULL, "\"buyer_budget\": -5", DP_INVALID, "buyer_budget: must be greater than 0");
    s_fails (NULL, "\"floor_price\": 0.0", DP_INVALID, "floor_price: must be greater than 0");
    s_fails (NULL, "\"floor_price\": \"abc\"", DP_INVALID, "floor_price: not a number");
    s_fails (NULL, "\"floor_price\": \" 5\"", DP_INVALID, "floor_price: not a number");
    s_fails (NULL, "\"buyer_budget\": true", DP_INVALID, "buyer_budget: must be a number, got boolean");
    s_fails (NULL, "\"buyer_budget\": [1]", DP_INVALID, "buyer_budget: must be a number, got array");
    //  The submitter sees the values it wrote; the worker's view (NULL
    //  defaults) names the fields only: its reasons are published.
    dp_deal_defaults_t submitter = { .show_limits = 1 };
    s_fails (&submitter, "\"buyer_budget\": 599.999", DP_INVALID,
             "buyer_budget: 599.99 (rounded down to cents) is below floor_price 600.00");
    s_fails (&submitter, "\"buyer_budget\": 0.009, \"floor_price\": 0.001", DP_INVALID,
             "buyer_budget: 0.00 (rounded down to cents) is below floor_price 0.01");
    s_fails (NULL, "\"buyer_budget\": 599.999", DP_INVALID, "buyer_budget is below floor_price");
    s_fails_quiet (NULL, "\"buyer_budget\": 599.999", "599", "600");
    s_fails (NULL, "\"buyer_budget\": 1e13", DP_LIMIT, "buyer_budget: exceeds the limit of 1000000000000.00");
}

Test (deal, escrow_wei_exact)
{
    struct { const char *amount; const char *wei_hex; } cases [] = {
        { "0.01", "2386f26fc10000" },
        { "\"0.000000000000000001\"", "01" },
        { "1e-18", "01" },
        { "1.000000000000000000000", "0de0b6b3a7640000" },
        { "\"0.1\"", "016345785d8a0000" },
        { "0.29", "04064976a8dd0000" },
        { "115792089237316195423570985008687907853269984665640564039457.584007913129639935",
          "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char extra [256];
        snprintf (extra, sizeof extra, "\"seller_address\": \"0x52908400098527886e0f7030069857d2e4169ee7\", "
                  "\"escrow_amount_eth\": %s", cases [i].amount);
        dp_deal_t *deal = s_ok (NULL, extra);
        cr_assert (deal->has_escrow);
        uint8_t expect [32] = { 0 };
        size_t n = strlen (cases [i].wei_hex) / 2;
        cr_assert_eq (dp_hex_decode (cases [i].wei_hex, 2 * n, expect + 32 - n, n, NULL), DP_OK);
        cr_assert_arr_eq (deal->escrow_wei, expect, 32, "%s", cases [i].amount);
        const char *text = cases [i].amount [0] == '"'? cases [i].amount + 1: cases [i].amount;
        cr_assert_eq (strncmp (deal->escrow_amount_eth, text, strlen (deal->escrow_amount_eth)), 0);
        dp_deal_destroy (&deal);
    }
}

Test (deal, escrow_errors)
{
    const char *addr = "\"seller_address\": \"0x52908400098527886e0f7030069857d2e4169ee7\"";
    char extra [512];
    s_fails (NULL, addr, DP_INVALID, "escrow_amount_eth: required with seller_address");
    s_fails (NULL, "\"escrow_amount_eth\": 0.01", DP_INVALID, "seller_address: required with escrow_amount_eth");
    struct { const char *amount; const char *expect; } cases [] = {
        { "1e-19", "escrow_amount_eth: more than 18 decimals" },
        { "0.0000000000000000015", "escrow_amount_eth: more than 18 decimals" },
        { "0", "escrow_amount_eth: must be greater than 0" },
        { "-1", "escrow_amount_eth: must be greater than 0" },
        { "1e60", "escrow_amount_eth: exceeds 2^256 - 1 wei" },
        { "115792089237316195423570985008687907853269984665640564039457.584007913129639936",
          "escrow_amount_eth: exceeds 2^256 - 1 wei" },
        { "0.00000000000000000000000000000000000000000000000000000000000000000000000000000001",
          "escrow_amount_eth: longer than 79 characters" },
        { "115792089237316195423570985008687907853269984665640564039457.58400791312963994",
          "escrow_amount_eth: exceeds 2^256 - 1 wei" },
        { "\"0x10\"", "escrow_amount_eth: not a number" },
        { "{}", "escrow_amount_eth: must be a number, got object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        snprintf (extra, sizeof extra, "%s, \"escrow_amount_eth\": %s", addr, cases [i].amount);
        s_fails (NULL, extra, DP_INVALID, cases [i].expect);
    }
    const char *bad_addresses [] = { "0x1234", "52908400098527886e0f7030069857d2e4169ee7aa",
                                     "0x52908400098527886e0f7030069857d2e4169eg7" };
    for (size_t i = 0; i < 3; i++) {
        snprintf (extra, sizeof extra, "\"seller_address\": \"%s\", \"escrow_amount_eth\": 1", bad_addresses [i]);
        s_fails (NULL, extra, DP_INVALID, "seller_address:");
    }
    s_fails (NULL, "\"seller_address\": 5, \"escrow_amount_eth\": 1", DP_INVALID,
             "seller_address: must be a string, got int");
}

Test (deal, seller_address_case)
{
    //  All lower and all upper need no checksum.
    dp_deal_t *deal = s_ok (NULL, "\"seller_address\": \"0x52908400098527886E0F7030069857D2E4169EE7\", "
                                  "\"escrow_amount_eth\": 1");
    uint8_t expect [20];
    cr_assert_eq (dp_hex_decode ("52908400098527886e0f7030069857d2e4169ee7", 40, expect, 20, NULL), DP_OK);
    cr_assert_arr_eq (deal->seller, expect, 20);
    cr_assert_str_eq (deal->seller_address, "0x52908400098527886E0F7030069857D2E4169EE7");
    dp_deal_destroy (&deal);
    //  EIP-55's own examples: a correct checksum passes, a flipped case fails.
    deal = s_ok (NULL, "\"seller_address\": \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\", "
                       "\"escrow_amount_eth\": 1");
    cr_assert_str_eq (deal->seller_address, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    dp_deal_destroy (&deal);
    s_fails (NULL, "\"seller_address\": \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD\", "
                   "\"escrow_amount_eth\": 1", DP_INVALID, "seller_address: bad EIP-55 checksum");
}

//  ---------------------------------------------------------------------
//  Required fields, types, strings

Test (deal, required_fields)
{
    s_fails_alone ("{}", DP_INVALID, "deal_id: missing");
    const char *base = "\"deal_id\": \"d\", \"buyer_budget\": 2, \"floor_price\": 1, "
                       "\"buyer_requirements\": \"r\", \"data_description\": \"d\", \"data_hash\": \"" S_HASH "\"";
    const char *fields [] = { "buyer_budget", "floor_price", "buyer_requirements", "data_description", "data_hash" };
    for (int i = 0; i < 5; i++) {
        //  Replace the field by null: null is "absent".
        char text [1024], expect [64];
        snprintf (text, sizeof text, "{%s, \"%s\": null}", base, fields [i]);
        snprintf (expect, sizeof expect, "%s: missing", fields [i]);
        s_fails_alone (text, DP_INVALID, expect);
    }
    s_fails_alone ("[1]", DP_INVALID, "deal: must be a JSON object, got array");
    s_fails_alone ("null", DP_INVALID, "deal: must be a JSON object, got null");
    s_fails_alone ("{\"deal_id\": \"d\",\n \"buyer_budget\": 01}", DP_INVALID,
                   "JSON: line 2, column 18: invalid number (leading zero)");
}

Test (deal, strings_and_hash)
{
    s_fails (NULL, "\"buyer_requirements\": 5", DP_INVALID, "buyer_requirements: must be a string, got int");
    s_fails (NULL, "\"data_description\": [\"x\"]", DP_INVALID, "data_description: must be a string, got array");
    s_fails (NULL, "\"data_hash\": \"abc\"", DP_INVALID, "data_hash: expected 64 hex digits, got 3");
    s_fails (NULL, "\"data_hash\": \"zab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f\"",
             DP_INVALID, "data_hash: not a hex digit at offset 0");
    dp_deal_t *deal = s_ok (NULL, "\"data_hash\": \"BAB5BE0D0C6BF806ABC221E5B11AE1E1CE358A36CAF475A12F01BA28C100CD7F\", "
                                  "\"buyer_requirements\": \"\", \"data_description\": \"a\\u0000b\"");
    cr_assert_str_eq (deal->data_hash, S_HASH, "stored lower case");
    cr_assert_eq (deal->buyer_requirements_len, 0);
    cr_assert_eq (deal->data_description_len, 3);
    cr_assert_eq (memcmp (deal->data_description, "a\0b", 3), 0);
    dp_deal_destroy (&deal);
}

Test (deal, limits)
{
    dp_limits_t limits = *dp_limits_default ();
    limits.string_max = 8;
    limits.chunk_hashes_max = 2;
    limits.email_max = 4;
    limits.terms_options_max = 2;
    dp_deal_defaults_t defaults = { &limits, 0, NULL, NULL, NULL, 0 };
    s_fails (&defaults, "\"buyer_requirements\": \"123456789\"", DP_LIMIT,
             "buyer_requirements: 9 bytes exceeds the limit of 8 bytes (string_max)");
    limits.string_max = 1000;
    s_fails (&defaults, "\"seller_proof\": {\"chunk_hashes\": [\"a\", \"b\", \"c\"]}", DP_LIMIT,
             "seller_proof.chunk_hashes: 3 entries exceeds the limit of 2 entries (chunk_hashes_max)");
    s_fails (&defaults, "\"seller_email_eml\": \"aGVsbG8=\"", DP_LIMIT,
             "seller_email_eml (decoded): 5 bytes exceeds the limit of 4 bytes (email_max)");
    s_fails (&defaults, "\"terms_options\": {\"duration_days\": [1, 2, 3]}", DP_LIMIT,
             "terms_options.duration_days: 3 entries exceeds the limit of 2 entries (terms_options_max)");
    s_fails (&defaults, "\"seller_email_eml\": \"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\"", DP_LIMIT,
             "seller_email_eml: 32 characters of base64 exceed what the limit of 4 decoded bytes allows");
    limits.deal_body_max = 100;
    s_fails (&defaults, "", DP_LIMIT, "deal: ");
    s_fails (&defaults, "", DP_LIMIT, "exceeds the limit of 100 bytes (deal_body_max)");
}

//  The body can outgrow the input: "\u00e9" is six bytes for two.
Test (deal, canonical_body_limit)
{
    char text [4096];
    int n = snprintf (text, sizeof text, "{" S_BASE ", \"data_description\": \"");
    for (int i = 0; i < 500; i++)
        n += snprintf (text + n, sizeof text - (size_t) n, "\xc3\xa9");
    n += snprintf (text + n, sizeof text - (size_t) n, "\"}");
    dp_limits_t limits = *dp_limits_default ();
    limits.deal_body_max = (uint64_t) n + 10;
    dp_deal_defaults_t defaults = { &limits, 0, NULL, NULL, NULL, 0 };
    dp_deal_t *deal = NULL;
    dp_error_t err;
    cr_assert_eq (dp_deal_from_json (text, (size_t) n, &defaults, &deal, &err), DP_LIMIT, "%s", err.text);
    cr_assert (strstr (err.text, "deal body: "), "%s", err.text);
    cr_assert (strstr (err.text, "(deal_body_max)"), "%s", err.text);
    cr_assert_null (deal);
}

Test (deal, seller_proof_and_email)
{
    dp_deal_t *deal = s_ok (NULL, "\"seller_proof\": {\"root_hash\": \"" S_HASH "\", \"chunk_hashes\": [], "
                                  "\"chunk_count\": 0, \"algorithm\": \"sha256\"}, "
                                  "\"seller_email_eml\": \"RnJvbTogYUBi\\r\\nLmM=\\n\"");
    cr_assert (json_object_is_type (deal->seller_proof, json_type_object));
    cr_assert_str_eq (json_object_get_string (json_object_object_get (deal->seller_proof, "algorithm")), "sha256");
    cr_assert_eq (deal->email_len, 11);
    cr_assert_eq (memcmp (deal->email, "From: a@b.c", 11), 0);
    dp_deal_destroy (&deal);
    deal = s_ok (NULL, "\"seller_email_eml\": \"\"");
    cr_assert_null (deal->email, "an empty email is no email (as the seed)");
    dp_deal_destroy (&deal);
    s_fails (NULL, "\"seller_proof\": [1]", DP_INVALID, "seller_proof: must be an object, got array");
    s_fails (NULL, "\"seller_email_eml\": 5", DP_INVALID, "seller_email_eml: must be a base64 string");
    s_fails (NULL, "\"seller_email_eml\": \"abc\"", DP_INVALID, "seller_email_eml: not valid base64");
    s_fails (NULL, "\"seller_email_eml\": \"ab=c\"", DP_INVALID, "seller_email_eml: not valid base64");
    s_fails (NULL, "\"seller_email_eml\": \"a===\"", DP_INVALID, "seller_email_eml: not valid base64");
    s_fails (NULL, "\"seller_email_eml\": \"ab*d\"", DP_INVALID, "seller_email_eml: not valid base64");
}

//  ---------------------------------------------------------------------
//  Our additions

Test (deal, deal_id_and_batch)
{
    s_fails (NULL, "\"deal_id\": \"a b\"", DP_INVALID, "deal_id: must be 1 to 128 characters");
    s_fails (NULL, "\"deal_id\": \"\"", DP_INVALID, "deal_id: must be 1 to 128");
    char extra [300];
    snprintf (extra, sizeof extra, "\"deal_id\": \"%0129d\"", 0);
    s_fails (NULL, extra, DP_INVALID, "deal_id: must be 1 to 128");
    snprintf (extra, sizeof extra, "\"deal_id\": \"A.z_0:9-%0120d\"", 0);
    dp_deal_t *deal = s_ok (NULL, extra);
    cr_assert_eq (strlen (deal->deal_id), 128);
    dp_deal_destroy (&deal);
    dp_deal_defaults_t defaults = { NULL, 1, "deals.jsonl", NULL, NULL, 0 };
    deal = s_ok (&defaults, "\"deal_id\": null");
    cr_assert (deal->deal_id_assigned);
    cr_assert_eq (strlen (deal->deal_id), 36);
    cr_assert_eq (deal->deal_id [14], '4', "UUID version 4: %s", deal->deal_id);
    cr_assert (strchr ("89ab", deal->deal_id [19]), "RFC 4122 variant: %s", deal->deal_id);
    cr_assert_str_eq (deal->batch, "deals.jsonl");
    cr_assert_null (strstr (deal->body, "deals.jsonl"), "a default batch is not part of the body");
    cr_assert (strstr (deal->body, deal->deal_id), "an assigned deal_id is");
    dp_deal_destroy (&deal);
    deal = s_ok (&defaults, "\"batch\": \"own\"");
    cr_assert_str_eq (deal->batch, "own");
    cr_assert (strstr (deal->body, "\"batch\":\"own\""));
    dp_deal_destroy (&deal);
    s_fails (NULL, "\"batch\": \"\"", DP_INVALID, "batch: must be 1 to 256 bytes");
    s_fails (NULL, "\"batch\": \"a\\nb\"", DP_INVALID, "batch: must be 1 to 256 bytes without control");
    s_fails (NULL, "\"batch\": 7", DP_INVALID, "batch: must be a string");
    defaults.batch = "";
    s_fails (&defaults, "", DP_INVALID, "batch (default): must be 1 to 256");
}

Test (deal, rounds_and_engines)
{
    dp_deal_t *deal = s_ok (NULL, "\"max_rounds\": 1, \"buyer_engine\": \"claude\"");
    cr_assert_eq (deal->max_rounds, 1);
    cr_assert_str_eq (deal->buyer_engine, "claude");
    cr_assert_str_eq (deal->seller_engine, "builtin");
    dp_deal_destroy (&deal);
    deal = s_ok (NULL, "\"max_rounds\": 100");
    cr_assert_eq (deal->max_rounds, 100);
    dp_deal_destroy (&deal);
    s_fails (NULL, "\"max_rounds\": 0", DP_INVALID, "max_rounds: must be 1..100, got 0");
    s_fails (NULL, "\"max_rounds\": 101", DP_INVALID, "max_rounds: must be 1..100, got 101");
    s_fails (NULL, "\"max_rounds\": 10.0", DP_INVALID, "max_rounds: must be an integer, got double");
    s_fails (NULL, "\"max_rounds\": \"10\"", DP_INVALID, "max_rounds: must be an integer, got string");
    s_fails (NULL, "\"seller_engine\": \"gpt\"", DP_INVALID, "seller_engine: must be \"builtin\" or \"claude\"");
    //  Engine override policy: a deal's own fields win over the defaults.
    dp_deal_defaults_t defaults = { NULL, 0, NULL, "claude", "claude", 0 };
    deal = s_ok (&defaults, "\"seller_engine\": \"builtin\"");
    cr_assert_str_eq (deal->buyer_engine, "claude");
    cr_assert_str_eq (deal->seller_engine, "builtin");
    dp_deal_destroy (&deal);
    defaults.buyer_engine = "llama";
    s_fails (&defaults, "", DP_INVALID, "engine (default): must be \"builtin\" or \"claude\"");
}

Test (deal, terms_and_packages)
{
    dp_deal_t *deal = s_ok (NULL, "\"terms_options\": {\"access_scope\": [\"full\", \"row_level\"], "
                                  "\"duration_days\": [90, 365]}, "
                                  "\"floor_by_terms\": {\"row_level/90\": 100.001, \"full/365\": 700}, "
                                  "\"budget_by_terms\": {\"row_level/90\": \"300.009\"}");
    cr_assert_eq (deal->scope_count, 2);
    cr_assert_eq (deal->days_count, 2);
    cr_assert_eq (deal->package_count, 4);
    cr_assert_str_eq (deal->packages [0].scope, "full");
    cr_assert_eq (deal->packages [1].days, 365);
    const dp_deal_package_t *p = dp_deal_package (deal, "row_level", 90);
    cr_assert_eq (p->floor_cents, 10001, "per-package floor rounded up");
    cr_assert_eq (p->budget_cents, 30000, "per-package budget rounded down");
    p = dp_deal_package (deal, "full", 365);
    cr_assert_eq (p->floor_cents, 70000);
    cr_assert_eq (p->budget_cents, 100000, "no entry: buyer_budget");
    p = dp_deal_package (deal, "row_level", 365);
    cr_assert_eq (p->floor_cents, 60000, "no entry: floor_price");
    dp_deal_destroy (&deal);
    deal = s_ok (NULL, "\"terms_options\": {\"duration_days\": [30]}");
    cr_assert_not_null (dp_deal_package (deal, "full", 30), "access_scope keeps its default");
    dp_deal_destroy (&deal);
}

Test (deal, terms_errors)
{
    struct { const char *extra; const char *expect; } cases [] = {
        { "\"terms_options\": [1]", "terms_options: must be an object, got array" },
        { "\"terms_options\": {\"scope\": []}", "terms_options: unknown key \"scope\"" },
        { "\"terms_options\": {\"access_scope\": []}", "terms_options.access_scope: must list at least one" },
        { "\"terms_options\": {\"access_scope\": \"full\"}", "terms_options.access_scope: must be an array" },
        { "\"terms_options\": {\"access_scope\": [\"a/b\"]}", "terms_options.access_scope[0]: must be 1 to 64" },
        { "\"terms_options\": {\"access_scope\": [\"a\", 5]}", "terms_options.access_scope[1]: must be a string" },
        { "\"terms_options\": {\"access_scope\": [\"a\", \"a\"]}", "terms_options.access_scope[1]: \"a\" is listed twice" },
        { "\"terms_options\": {\"duration_days\": [0]}", "terms_options.duration_days[0]: must be 1..36500, got 0" },
        { "\"terms_options\": {\"duration_days\": [36501]}", "terms_options.duration_days[0]: must be 1..36500" },
        { "\"terms_options\": {\"duration_days\": [30.5]}", "terms_options.duration_days[0]: must be an integer" },
        { "\"terms_options\": {\"duration_days\": [30, 30]}", "terms_options.duration_days[1]: 30 is listed twice" },
        { "\"floor_by_terms\": [1]", "floor_by_terms: must be an object, got array" },
        { "\"floor_by_terms\": {\"full/30\": 1}", "floor_by_terms[\"full/30\"]: not an offered package" },
        { "\"floor_by_terms\": {\"row/365\": 1}", "floor_by_terms[\"row/365\"]: not an offered package" },
        { "\"floor_by_terms\": {\"full\": 1}", "floor_by_terms[\"full\"]: not an offered package" },
        { "\"floor_by_terms\": {\"full/0365\": 1}", "floor_by_terms[\"full/0365\"]: not an offered package" },
        { "\"floor_by_terms\": {\"/365\": 1}", "floor_by_terms[\"/365\"]: not an offered package" },
        { "\"floor_by_terms\": {\"full/36x\": 1}", "floor_by_terms[\"full/36x\"]: not an offered package" },
        { "\"floor_by_terms\": {\"full/\": 1}", "floor_by_terms[\"full/\"]: not an offered package" },
        { "\"floor_by_terms\": {\"full/3650000\": 1}", "floor_by_terms[\"full/3650000\"]: not an offered" },
        { "\"floor_by_terms\": {\"full/365\": 0}", "floor_by_terms[\"full/365\"]: must be greater than 0" },
        { "\"floor_by_terms\": {\"full/365\": null}", "floor_by_terms[\"full/365\"]: must be a number, got null" },
        { "\"budget_by_terms\": {\"full/365\": \"x\"}", "budget_by_terms[\"full/365\"]: not a number" },
        { "\"floor_by_terms\": {\"full/365\": 1000.001}",
          "budget_by_terms[\"full/365\"]: the budget is below the floor for this package" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        s_fails (NULL, cases [i].extra, DP_INVALID, cases [i].expect);
    s_fails_quiet (NULL, "\"budget_by_terms\": {\"full/365\": 599.99}", "599", "600");
    dp_deal_defaults_t submitter = { .show_limits = 1 };
    s_fails (&submitter, "\"floor_by_terms\": {\"full/365\": 1000.001}", DP_INVALID,
             "budget_by_terms[\"full/365\"]: budget 1000.00 is below the floor 1000.01 for this package");
    s_fails (&submitter, "\"budget_by_terms\": {\"full/365\": 599.99}", DP_INVALID,
             "budget_by_terms[\"full/365\"]: budget 599.99 is below the floor 600.00");
}

//  ---------------------------------------------------------------------
//  Body and envelope

Test (deal, canonical_body)
{
    dp_deal_t *deal = s_ok (NULL, "\"escrow_amount_eth\": 1.50, \"seller_address\": "
                                  "\"0x52908400098527886e0f7030069857d2e4169ee7\", \"buyer_budget\": 1e3");
    cr_assert_str_eq (deal->body,
        "{\"buyer_budget\":1e3,\"buyer_engine\":\"builtin\",\"buyer_requirements\":"
        "\"10 GB COCO-style labelled image dataset\",\"data_description\":\"10 GB curated COCO-style dataset\","
        "\"data_hash\":\"" S_HASH "\",\"deal_id\":\"deal-1\",\"escrow_amount_eth\":1.50,\"floor_price\":600.0,"
        "\"seller_address\":\"0x52908400098527886e0f7030069857d2e4169ee7\",\"seller_engine\":\"builtin\"}");
    cr_assert_eq (deal->body_len, strlen (deal->body));
    uint8_t digest [32];
    dp_sha256 (deal->body, deal->body_len, digest);
    cr_assert_arr_eq (deal->body_sha256, digest, 32);
    char *copy;
    size_t len;
    cr_assert_eq (dp_deal_body (deal, &copy, &len, NULL), DP_OK);
    cr_assert_str_eq (copy, deal->body);
    cr_assert_eq (len, deal->body_len);
    free (copy);
    //  The worker reads the body with no defaults and gets the same body.
    dp_deal_t *again;
    dp_error_t err;
    cr_assert_eq (dp_deal_from_json (deal->body, deal->body_len, NULL, &again, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (again->body, deal->body);
    dp_deal_destroy (&again);
    dp_deal_destroy (&deal);
}

Test (deal, body_identity)
{
    //  The same deal as a JSON Lines line, with other spacing and order,
    //  and inside a JSON array: one body, one identity.
    const char *line = "{\"deal_id\":\"x1\",\"data_hash\":\"" S_HASH "\",\"floor_price\":1,\"buyer_budget\":2,"
                       "\"buyer_requirements\":\"\\u00e9\",\"data_description\":\"d\"}";
    const char *array = "[ {\n \"buyer_budget\" : 2, \"floor_price\" : 1, \"buyer_requirements\": \"\xc3\xa9\",\n"
                        "  \"data_description\": \"d\", \"data_hash\": \"" S_HASH "\", \"deal_id\": \"x1\" } ]";
    dp_deal_t *a, *b;
    dp_error_t err;
    cr_assert_eq (dp_deal_from_json (line, strlen (line), NULL, &a, &err), DP_OK, "%s", err.text);
    json_object *list;
    cr_assert_eq (dp_json_parse (array, strlen (array), &list, &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_deal_from_object (json_object_array_get_idx (list, 0), NULL, &b, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (a->body, b->body);
    cr_assert_arr_eq (a->body_sha256, b->body_sha256, 32);
    dp_deal_destroy (&b);
    //  A different number text is a different body (numbers keep their text).
    const char *other = "{\"deal_id\":\"x1\",\"data_hash\":\"" S_HASH "\",\"floor_price\":1.0,\"buyer_budget\":2,"
                        "\"buyer_requirements\":\"\\u00e9\",\"data_description\":\"d\"}";
    cr_assert_eq (dp_deal_from_json (other, strlen (other), NULL, &b, &err), DP_OK, "%s", err.text);
    cr_assert_neq (memcmp (a->body_sha256, b->body_sha256, 32), 0);
    dp_deal_destroy (&a);
    dp_deal_destroy (&b);
    json_object_put (list);
}

Test (deal, envelope_and_check)
{
    dp_deal_defaults_t defaults = { NULL, 0, "batch-7", "claude", NULL, 0 };
    dp_deal_t *deal = s_ok (&defaults, "\"seller_address\": \"0x52908400098527886E0F7030069857D2E4169EE7\", "
                                       "\"escrow_amount_eth\": 0.5");
    dp_envelope_t envelope;
    dp_deal_envelope (deal, &envelope);
    cr_assert_str_eq (envelope.deal_id, "deal-1");
    cr_assert_str_eq (envelope.batch, "batch-7");
    cr_assert_str_eq (envelope.data_hash, S_HASH);
    cr_assert_str_eq (envelope.seller_address, "0x52908400098527886E0F7030069857D2E4169EE7");
    cr_assert_str_eq (envelope.escrow_amount_eth, "0.5");
    cr_assert_str_eq (envelope.buyer_engine, "claude");
    cr_assert_str_eq (envelope.seller_engine, "builtin");
    cr_assert_eq (envelope.body_size, deal->body_len);
    cr_assert_eq (envelope.submitted_at_ms, 0);
    cr_assert_eq (dp_deal_check_envelope (deal, &envelope, NULL), DP_OK);
    //  Address case is presentation; the batch is not checked.
    strcpy (envelope.seller_address, "0x52908400098527886e0f7030069857d2e4169ee7");
    strcpy (envelope.batch, "other");
    cr_assert_eq (dp_deal_check_envelope (deal, &envelope, NULL), DP_OK);
    struct { size_t offset; size_t size; const char *value; const char *field; } tamper [] = {
        { offsetof (dp_envelope_t, deal_id), DP_DEAL_ID_MAX + 1, "deal-2", "deal_id" },
        { offsetof (dp_envelope_t, data_hash), 65, "0000000000000000000000000000000000000000000000000000000000000000", "data_hash" },
        { offsetof (dp_envelope_t, seller_address), 43, "0x0000000000000000000000000000000000000000", "seller_address" },
        { offsetof (dp_envelope_t, seller_address), 43, "", "seller_address" },
        { offsetof (dp_envelope_t, escrow_amount_eth), DP_WEI_TEXT_MAX + 1, "0.50", "escrow_amount_eth" },
        { offsetof (dp_envelope_t, buyer_engine), DP_ENGINE_NAME_MAX + 1, "builtin", "buyer_engine" },
        { offsetof (dp_envelope_t, seller_engine), DP_ENGINE_NAME_MAX + 1, "claude", "seller_engine" },
    };
    for (size_t i = 0; i < sizeof tamper / sizeof tamper [0]; i++) {
        dp_envelope_t bad;
        dp_deal_envelope (deal, &bad);
        snprintf ((char *) &bad + tamper [i].offset, tamper [i].size, "%s", tamper [i].value);
        dp_error_t err;
        cr_assert_eq (dp_deal_check_envelope (deal, &bad, &err), DP_INVALID, "%s", tamper [i].field);
        char expect [128];
        snprintf (expect, sizeof expect, "envelope disagrees with body: %s", tamper [i].field);
        cr_assert_str_eq (err.text, expect);
    }
    dp_envelope_t bad;
    dp_deal_envelope (deal, &bad);
    memset (bad.data_hash, 'a', sizeof bad.data_hash);     //  no NUL: never read past
    cr_assert_eq (dp_deal_check_envelope (deal, &bad, NULL), DP_INVALID);
    dp_deal_envelope (deal, &bad);
    memset (bad.seller_address, 'a', sizeof bad.seller_address);
    cr_assert_eq (dp_deal_check_envelope (deal, &bad, NULL), DP_INVALID);
    dp_deal_envelope (deal, &bad);
    bad.body_size++;
    cr_assert_eq (dp_deal_check_envelope (deal, &bad, NULL), DP_INVALID);
    dp_deal_envelope (deal, &bad);
    bad.body_sha256 [5] ^= 1;
    dp_error_t err;
    cr_assert_eq (dp_deal_check_envelope (deal, &bad, &err), DP_INVALID);
    cr_assert_str_eq (err.text, "envelope disagrees with body: body_sha256");
    dp_deal_destroy (&deal);
}

Test (deal, without_error_details)
{
    //  err may be NULL: the status alone still says what happened.
    dp_deal_t *deal = NULL;
    cr_assert_eq (dp_deal_from_json ("{", 1, NULL, &deal, NULL), DP_INVALID);
    cr_assert_eq (dp_deal_from_json ("{\"deal_id\": \"x\"}", 16, NULL, &deal, NULL), DP_INVALID);
    cr_assert_null (deal);
}

Test (deal, uuid4_unique)
{
    char a [37], b [37];
    cr_assert_eq (dp_deal_uuid4 (a, NULL), DP_OK);
    cr_assert_eq (dp_deal_uuid4 (b, NULL), DP_OK);
    cr_assert_str_neq (a, b);
    cr_assert_eq (a [8], '-');
    cr_assert_eq (a [23], '-');
}
