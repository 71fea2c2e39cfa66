/*  dp_deal.h — the deal: SPEC §1 fields and validation, SPEC §2 body and
    envelope.

    A deal is read from JSON (one object: the seed's DealCreate fields plus
    our additions), validated completely, and kept as a read-only value:
    money in integer cents (budget rounded down, floor rounded up), the
    escrow amount as its decimal text and as exact wei, the packages that
    may be agreed (every access_scope x duration_days) each with its own
    floor and budget, and the canonical body.

    Fields (docs/data-model.md has the full rules and examples):
      buyer_budget, floor_price       number (or decimal string) > 0, exact
      buyer_requirements, data_description   string
      data_hash                       64 hex, either case, stored lower case
      seller_proof                    object, kept as is (dp_props verifies it)
      seller_email_eml                base64 .eml, decoded and kept
      seller_address, escrow_amount_eth   both or neither; 0x + 40 hex
                                      (EIP-55 checked when mixed case);
                                      amount > 0, at most 18 decimals
      deal_id                         [A-Za-z0-9._:-]{1,128}
      batch                           a label, 1..256 bytes of printable text
      max_rounds                      integer 1..100, default 10
      buyer_engine, seller_engine     "builtin" | "claude", default builtin
      terms_options                   {"access_scope": [...], "duration_days": [...]}
      floor_by_terms, budget_by_terms {"scope/days": amount, ...}
    A null value means absent (as the seed's optional fields). Unknown keys
    are ignored (as the seed's pydantic model did) and not kept in the body.

    The body (SPEC §2) is the compact canonical JSON of the deal's known,
    non-null fields as given (numbers in their source text), plus the
    deal_id and both engines as resolved here: so the worker, which reads
    the body with no defaults, sees exactly what was decided at submission,
    and the same deal submitted twice the same way has the same body
    (whether it came as a JSON Lines line or inside an array). The batch
    label is in the body only if the deal itself gave one.

    Ownership: a dp_deal_t is created by dp_deal_from_json/_from_object and
    freed by dp_deal_destroy; its fields are read-only for users. Strings
    and arrays inside belong to the deal. A deal is immutable after
    creation, so several threads may read it at once. */

#ifndef DP_DEAL_H_INCLUDED
#define DP_DEAL_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_envelope.h"
#include "dp_limits.h"
#include "dp_status.h"

#define DP_DEAL_MAX_ROUNDS_DEFAULT 10
#define DP_DEAL_MAX_ROUNDS_MAX     100
#define DP_DEAL_SCOPE_MAX          64       //  [A-Za-z0-9._:-]{1,64}, no '/'
#define DP_DEAL_DAYS_MAX           36500    //  duration_days 1..36500
#define DP_DEAL_SCOPE_DEFAULT      "full"
#define DP_DEAL_DAYS_DEFAULT       365

//  One package that may be agreed, with each side's private limit.
typedef struct {
    const char *scope;          //  an access_scope option (owned by the deal)
    int days;                   //  a duration_days option
    int64_t floor_cents;        //  floor_by_terms["scope/days"] rounded up, else floor_price
    int64_t budget_cents;       //  budget_by_terms["scope/days"] rounded down, else buyer_budget
} dp_deal_package_t;

//  What the submitter decides for deals that leave it open. A NULL
//  defaults pointer means: no deal_id assignment, no batch, builtin
//  engines, default limits (the worker's view of a body).
typedef struct {
    const dp_limits_t *limits;  //  NULL: dp_limits_default ()
    int assign_deal_id;         //  1: a deal without deal_id gets a UUIDv4
    const char *batch;          //  envelope batch for deals without their own; may be NULL
    //  Engine override policy: a deal's own fields win. These apply only
    //  to a deal that does not name an engine for that side; NULL means
    //  "builtin". (`--engine` sets both, `--buyer-engine` one.)
    const char *buyer_engine;
    const char *seller_engine;
    //  1: an error about the private limits (a budget below a floor) shows
    //  their values, for the submitter's own eyes. 0 (and a NULL
    //  defaults, the worker's view): it names the fields only, since the
    //  worker puts the message in a result's public `reason`.
    int show_limits;
} dp_deal_defaults_t;

typedef struct {
    char deal_id [DP_DEAL_ID_MAX + 1];
    int deal_id_assigned;                   //  1 if the UUIDv4 was made here
    char batch [DP_BATCH_MAX + 1];          //  own or default label, "" if none

    int64_t budget_cents;                   //  buyer_budget, rounded down
    int64_t floor_cents;                    //  floor_price, rounded up
    char *buyer_requirements;               //  NUL-terminated; may hold \0 (see _len)
    size_t buyer_requirements_len;
    char *data_description;
    size_t data_description_len;
    char data_hash [65];                    //  lower case
    uint8_t data_hash_bytes [32];

    json_object *seller_proof;              //  NULL if absent; owned by the deal
    uint8_t *email;                         //  decoded seller_email_eml, NULL if absent
    size_t email_len;

    int has_escrow;                         //  seller_address and escrow_amount_eth given
    char seller_address [43];               //  as given ("0x" + 40 hex), "" if none
    uint8_t seller [20];
    char escrow_amount_eth [DP_WEI_TEXT_MAX + 1];   //  source text, "" if none
    uint8_t escrow_wei [32];                //  big-endian uint256

    int max_rounds;
    char buyer_engine [DP_ENGINE_NAME_MAX + 1];
    char seller_engine [DP_ENGINE_NAME_MAX + 1];

    char **scopes;                          //  terms_options.access_scope
    size_t scope_count;
    int *days;                              //  terms_options.duration_days
    size_t days_count;
    dp_deal_package_t *packages;            //  scope-major: scopes[0] x days[...], ...
    size_t package_count;

    char *body;                             //  SPEC §2 canonical body, NUL-terminated
    size_t body_len;
    uint8_t body_sha256 [32];               //  its identity (idempotent resubmission)
} dp_deal_t;

//  Parses (dp_json_parse) and validates one deal from text[0..len).
//  On success *out is a new deal. Errors: DP_INVALID naming the field and
//  the reason ("floor_price: must be greater than 0", "data_hash: expected
//  64 hex digits, got 12", "JSON line 1, column 9: ..."); DP_LIMIT naming
//  the field and the limit; DP_NOMEM. *out untouched on error.
dp_status dp_deal_from_json (const char *text, size_t len, const dp_deal_defaults_t *defaults,
                             dp_deal_t **out, dp_error_t *err) DP_MUST_CHECK;

//  The same from a parsed object (borrowed; not modified). Numbers keep
//  their source text only if the object came from dp_json_parse (or
//  json-c's tokener); a double built in code is read through its repr.
dp_status dp_deal_from_object (json_object *object, const dp_deal_defaults_t *defaults,
                               dp_deal_t **out, dp_error_t *err) DP_MUST_CHECK;

//  A malloc'd copy of the canonical body (NUL-terminated), *len its size.
//  DP_NOMEM only.
dp_status dp_deal_body (const dp_deal_t *self, char **body, size_t *len,
                        dp_error_t *err) DP_MUST_CHECK;

//  Fills the SPEC §2 envelope from the deal: deal_id, batch, data_hash,
//  seller_address, escrow_amount_eth, engines, body size and SHA-256;
//  submitted_at_ms and priority are 0 (the broker and submitter set them).
void dp_deal_envelope (const dp_deal_t *self, dp_envelope_t *out);

//  The worker's check that an (untrusted) envelope agrees with the body:
//  deal_id, data_hash, seller_address (as an address), escrow_amount_eth
//  (its text), both engines, and the body size and SHA-256. DP_INVALID
//  naming the first field that differs ("envelope disagrees with body:
//  data_hash"), DP_OK if all agree.
dp_status dp_deal_check_envelope (const dp_deal_t *self, const dp_envelope_t *envelope,
                                  dp_error_t *err) DP_MUST_CHECK;

//  The package for (scope, days), or NULL if the deal does not offer it.
const dp_deal_package_t *dp_deal_package (const dp_deal_t *self, const char *scope, int days);

//  Frees the deal and sets *self_p to NULL; the decoded email is wiped
//  first (it may be private). Idempotent; self_p may be NULL.
void dp_deal_destroy (dp_deal_t **self_p);

//  Writes a new random UUIDv4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") into
//  out (37 bytes). DP_INTERNAL if the OS random generator fails.
dp_status dp_deal_uuid4 (char out [37], dp_error_t *err) DP_MUST_CHECK;

#endif
