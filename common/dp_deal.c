/*  dp_deal.c — the deal: reading, validation, body and envelope.

    Validation runs field by field in a fixed order so the first error a
    user sees is stable; every message starts with the field's name. */

#include "dp_deal.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_json.h"
#include "dp_money.h"
#include "dp_sha256.h"

//  The fields a deal may have; others are ignored and left out of the body.
//  Kept in byte order, the canonical body's order, so writing the body
//  needs no sort.
#define S_KNOWN(X) \
    X (batch) X (budget_by_terms) X (buyer_budget) X (buyer_engine) X (buyer_requirements) \
    X (data_description) X (data_hash) X (deal_id) X (escrow_amount_eth) X (floor_by_terms) \
    X (floor_price) X (max_rounds) X (seller_address) X (seller_email_eml) X (seller_engine) \
    X (seller_proof) X (terms_options)
#define S_NAME(key) #key,
#define S_LENGTH(key) sizeof #key - 1,
static const char *const s_known_keys [] = { S_KNOWN (S_NAME) NULL };
static const size_t s_known_length [] = { S_KNOWN (S_LENGTH) };
#define S_KNOWN_KEYS (sizeof s_known_keys / sizeof s_known_keys [0] - 1)

typedef struct {
    json_object *object;        //  the input (borrowed)
    const dp_deal_defaults_t *defaults;
    const dp_limits_t *limits;
    dp_deal_t *deal;
    dp_error_t *err;
    json_object *known [S_KNOWN_KEYS];      //  the input's known members, NULL if absent
} s_reader_t;

//  ---------------------------------------------------------------------
//  Small readers

//  The index of a known key of `length` bytes, or -1: the length and
//  the first letter rule out nearly every other key before a memcmp.
static int
s_known_find (const char *key, size_t length)
{
    for (int i = 0; i < (int) S_KNOWN_KEYS; i++)
        if (s_known_length [i] == length && s_known_keys [i][0] == key [0]
        &&  memcmp (s_known_keys [i], key, length) == 0)
            return i;
    return -1;
}

//  The same for a name the steps use: literals the compiler usually
//  merges with the table's, so the pointers alone mostly decide.
static int
s_known_index (const char *key)
{
    for (int i = 0; i < (int) S_KNOWN_KEYS; i++)
        if (s_known_keys [i] == key)
            return i;
    return s_known_find (key, strlen (key));
}

//  Sorts the input's members into r->known in one walk: the steps ask
//  for about 35 members by name, and a json-c look-up hashes the name
//  each time, which cost more than most steps' own work.
static void
s_gather (s_reader_t *r)
{
    memset (r->known, 0, sizeof r->known);
    json_object_object_foreach (r->object, key, value) {
        int index = s_known_find (key, strlen (key));
        if (index >= 0)
            r->known [index] = value;
    }
}

//  The member `key` (a known key), or NULL if absent or null (the seed's
//  Optional).
static json_object *
s_member (s_reader_t *r, const char *key)
{
    int index = s_known_index (key);
    json_object *value = NULL;
    if (index >= 0)
        return r->known [index];
    if (!json_object_object_get_ex (r->object, key, &value))
        return NULL;
    return value;
}

static const char *
s_type_name (json_object *value)
{
    return json_type_to_name (json_object_get_type (value));
}

//  A string member no longer than string_max; *text NULL when absent.
static dp_status
s_read_string (s_reader_t *r, const char *key, int required, const char **text, size_t *len)
{
    json_object *value = s_member (r, key);
    *text = NULL;
    *len = 0;
    if (!value)
        return required? dp_error_set (r->err, DP_INVALID, "%s: missing", key): DP_OK;
    if (!json_object_is_type (value, json_type_string))
        return dp_error_set (r->err, DP_INVALID, "%s: must be a string, got %s", key,
                             s_type_name (value));
    *len = (size_t) json_object_get_string_len (value);
    if (*len > r->limits->string_max)
        return dp_limits_exceeded (r->err, key, *len, r->limits, &r->limits->string_max);
    *text = json_object_get_string (value);
    return DP_OK;
}

static char *
s_strndup (const char *text, size_t len)
{
    char *copy = malloc (len + 1);
    if (copy) {
        memcpy (copy, text, len);
        copy [len] = '\0';
    }
    return copy;
}

//  The decimal text of an amount: a JSON number's source text or a
//  decimal string (pydantic's lax mode accepted both for the seed).
static dp_status
s_amount_text (json_object *value, const char *field, char *buf, size_t size,
               const char **text, dp_error_t *err)
{
    json_type type = json_object_get_type (value);
    if (type == json_type_string)
        *text = json_object_get_string (value);
    else
    if (type == json_type_int || type == json_type_double)
        *text = dp_json_number_text (value, buf, size);
    else
        return dp_error_set (err, DP_INVALID, "%s: must be a number, got %s", field,
                             s_type_name (value));
    if (!*text)
        return dp_error_set (err, DP_INVALID, "%s: not a number", field);
    return DP_OK;
}

//  An amount in cents, rounded as asked, with the field named on error.
static dp_status
s_read_cents (s_reader_t *r, json_object *value, const char *field, dp_money_round_t round,
              int64_t *cents)
{
    char buf [64];
    const char *text;
    dp_status rc = s_amount_text (value, field, buf, sizeof buf, &text, r->err);
    if (rc != DP_OK)
        return rc;
    rc = dp_money_cents_from_text (text, strlen (text), round,
                                   (int64_t) r->limits->money_cents_max, cents, r->err);
    return rc == DP_OK? DP_OK: dp_error_prefix (r->err, "%s", field);
}

static dp_status
s_read_money (s_reader_t *r, const char *key, dp_money_round_t round, int64_t *cents)
{
    json_object *value = s_member (r, key);
    if (!value)
        return dp_error_set (r->err, DP_INVALID, "%s: missing", key);
    return s_read_cents (r, value, key, round, cents);
}

//  ---------------------------------------------------------------------
//  The seed's fields

static dp_status
s_read_data_hash (s_reader_t *r)
{
    const char *text;
    size_t len;
    dp_status rc = s_read_string (r, "data_hash", 1, &text, &len);
    if (rc != DP_OK)
        return rc;
    if (len != 64)
        return dp_error_set (r->err, DP_INVALID, "data_hash: expected 64 hex digits, got %zu characters",
                             len);
    if (dp_hex_decode (text, len, r->deal->data_hash_bytes, 32, r->err) != DP_OK)
        return dp_error_prefix (r->err, "data_hash");
    dp_hex_encode (r->deal->data_hash_bytes, 32, r->deal->data_hash);
    return DP_OK;
}

static dp_status
s_read_texts (s_reader_t *r)
{
    dp_deal_t *deal = r->deal;
    const char *text;
    size_t len;
    dp_status rc = s_read_string (r, "buyer_requirements", 1, &text, &len);
    if (rc != DP_OK)
        return rc;
    if (!(deal->buyer_requirements = s_strndup (text, len)))
        return dp_error_set (r->err, DP_NOMEM, "buyer_requirements: out of memory");
    deal->buyer_requirements_len = len;
    if ((rc = s_read_string (r, "data_description", 1, &text, &len)) != DP_OK)
        return rc;
    if (!(deal->data_description = s_strndup (text, len)))
        return dp_error_set (r->err, DP_NOMEM, "data_description: out of memory");
    deal->data_description_len = len;
    return DP_OK;
}

//  Whether an error may show the private limits' values: only to the
//  submitter (dp_deal_defaults_t.show_limits). The worker's errors end up
//  in a result's `reason`, which every subscriber sees, and each side of
//  the negotiation must see only its own limit (SPEC §4).
static bool
s_show_limits (const s_reader_t *r)
{
    return r->defaults && r->defaults->show_limits;
}

static dp_status
s_read_prices (s_reader_t *r)
{
    dp_deal_t *deal = r->deal;
    dp_status rc = s_read_money (r, "buyer_budget", DP_MONEY_DOWN, &deal->budget_cents);
    if (rc == DP_OK)
        rc = s_read_money (r, "floor_price", DP_MONEY_UP, &deal->floor_cents);
    if (rc != DP_OK)
        return rc;
    if (deal->budget_cents < deal->floor_cents) {
        char budget [DP_MONEY_TEXT_MAX], floor [DP_MONEY_TEXT_MAX];
        if (!s_show_limits (r))
            return dp_error_set (r->err, DP_INVALID, "buyer_budget is below floor_price "
                                 "(budget rounded down, floor rounded up to cents)");
        return dp_error_set (r->err, DP_INVALID,
                             "buyer_budget: %s (rounded down to cents) is below floor_price %s "
                             "(rounded up to cents)",
                             dp_money_cents_format (deal->budget_cents, budget),
                             dp_money_cents_format (deal->floor_cents, floor));
    }
    return DP_OK;
}

//  The proof's structure is dp_props' business (a bad proof makes the
//  deal verification_failed, as in the seed); here it must be an object
//  and its chunk list within the limit, so nobody stores a huge one.
static dp_status
s_read_proof (s_reader_t *r)
{
    json_object *proof = s_member (r, "seller_proof");
    if (!proof)
        return DP_OK;
    if (!json_object_is_type (proof, json_type_object))
        return dp_error_set (r->err, DP_INVALID, "seller_proof: must be an object, got %s",
                             s_type_name (proof));
    json_object *chunks;
    if (json_object_object_get_ex (proof, "chunk_hashes", &chunks)
    &&  json_object_is_type (chunks, json_type_array)
    &&  json_object_array_length (chunks) > r->limits->chunk_hashes_max)
        return dp_limits_exceeded (r->err, "seller_proof.chunk_hashes",
                                   json_object_array_length (chunks), r->limits,
                                   &r->limits->chunk_hashes_max);
    r->deal->seller_proof = json_object_get (proof);
    return DP_OK;
}

static int
s_base64_value (unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

//  Standard base64 with padding; line breaks and spaces are skipped (a
//  wrapped .eml export is common). Hand-written because OpenSSL's
//  EVP_DecodeBlock refuses line breaks and does not report the length
//  without the padding. Returns the decoded length or -1.
static long
s_base64_decode (const char *text, size_t len, uint8_t *out)
{
    uint32_t group = 0;
    int count = 0, padding = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
            continue;
        int value = c == '='? 0: s_base64_value (c);
        if (value < 0 || (padding && c != '='))
            return -1;
        padding += c == '=';
        group = group << 6 | (uint32_t) value;
        if (++count < 4)
            continue;
        if (padding > 2)
            return -1;
        out [n++] = (uint8_t) (group >> 16);
        if (padding < 2) out [n++] = (uint8_t) (group >> 8);
        if (padding < 1) out [n++] = (uint8_t) group;
        count = 0;
        group = 0;
    }
    return count == 0? n: -1;
}

static dp_status
s_read_email (s_reader_t *r)
{
    json_object *value = s_member (r, "seller_email_eml");
    if (!value)
        return DP_OK;
    if (!json_object_is_type (value, json_type_string))
        return dp_error_set (r->err, DP_INVALID, "seller_email_eml: must be a base64 string, got %s",
                             s_type_name (value));
    size_t len = (size_t) json_object_get_string_len (value);
    if (len == 0)
        return DP_OK;           //  the seed skipped DKIM for an empty string
    //  Refuse a text too long for any email within the limit before
    //  allocating for it: base64 is 4/3 of the bytes, and line breaks and
    //  spaces (skipped) are allowed up to as many again.
    uint64_t bound = (uint64_t) len / 4 * 3 + 3;
    if (bound / 2 > r->limits->email_max)
        return dp_error_set (r->err, DP_LIMIT,
                             "seller_email_eml: %zu characters of base64 exceed what the limit of %"
                             PRIu64 " decoded bytes allows (email_max)", len, r->limits->email_max);
    uint8_t *email = malloc (bound);
    if (!email)
        return dp_error_set (r->err, DP_NOMEM, "seller_email_eml: out of memory");
    long n = s_base64_decode (json_object_get_string (value), len, email);
    if (n < 0) {
        OPENSSL_cleanse (email, bound);
        free (email);
        return dp_error_set (r->err, DP_INVALID, "seller_email_eml: not valid base64");
    }
    r->deal->email = email;
    r->deal->email_len = (size_t) n;
    if ((uint64_t) n > r->limits->email_max)
        return dp_limits_exceeded (r->err, "seller_email_eml (decoded)", (uint64_t) n, r->limits,
                                   &r->limits->email_max);
    return DP_OK;
}

//  "0x" + 40 hex; mixed case must be the EIP-55 checksum (dp_eth).
static dp_status
s_parse_address (const char *text, size_t len, uint8_t addr [20], dp_error_t *err)
{
    if (len != 42 || text [0] != '0' || text [1] != 'x')
        return dp_error_set (err, DP_INVALID, "seller_address: expected 0x followed by 40 hex digits");
    dp_error_t parse_err;
    if (dp_eth_address_parse (text, addr, &parse_err) == DP_OK)
        return DP_OK;
    //  dp_eth names its own subject "address"; ours is the field.
    const char *reason = parse_err.text;
    if (strncmp (reason, "address: ", 9) == 0)
        reason += 9;
    return dp_error_set (err, parse_err.code, "seller_address: %s", reason);
}

static dp_status
s_read_escrow (s_reader_t *r)
{
    dp_deal_t *deal = r->deal;
    json_object *amount = s_member (r, "escrow_amount_eth");
    const char *address;
    size_t len;
    dp_status rc = s_read_string (r, "seller_address", 0, &address, &len);
    if (rc != DP_OK)
        return rc;
    if (!address && !amount)
        return DP_OK;
    if (!amount)
        return dp_error_set (r->err, DP_INVALID, "escrow_amount_eth: required with seller_address");
    if (!address)
        return dp_error_set (r->err, DP_INVALID, "seller_address: required with escrow_amount_eth");
    if ((rc = s_parse_address (address, len, deal->seller, r->err)) != DP_OK)
        return rc;
    memcpy (deal->seller_address, address, 43);
    char buf [64];
    const char *text;
    if ((rc = s_amount_text (amount, "escrow_amount_eth", buf, sizeof buf, &text, r->err)) != DP_OK)
        return rc;
    if (strlen (text) > DP_WEI_TEXT_MAX)
        return dp_error_set (r->err, DP_INVALID, "escrow_amount_eth: longer than %d characters",
                             DP_WEI_TEXT_MAX);
    if (dp_money_wei_from_text (text, strlen (text), deal->escrow_wei, r->err) != DP_OK)
        return dp_error_prefix (r->err, "escrow_amount_eth");
    strcpy (deal->escrow_amount_eth, text);
    deal->has_escrow = 1;
    return DP_OK;
}

//  ---------------------------------------------------------------------
//  Our additions

static int
s_is_id_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == ':' || c == '-';
}

//  [A-Za-z0-9._:-]{1,max}
static int
s_is_identifier (const char *text, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!s_is_id_char (text [i]))
            return 0;
    return 1;
}

static dp_status
s_read_deal_id (s_reader_t *r)
{
    const char *text;
    size_t len;
    dp_status rc = s_read_string (r, "deal_id", 0, &text, &len);
    if (rc != DP_OK)
        return rc;
    if (text) {
        if (!s_is_identifier (text, len, DP_DEAL_ID_MAX))
            return dp_error_set (r->err, DP_INVALID,
                                 "deal_id: must be 1 to 128 characters of A-Z a-z 0-9 . _ : -");
        memcpy (r->deal->deal_id, text, len + 1);
        return DP_OK;
    }
    if (!r->defaults || !r->defaults->assign_deal_id)
        return dp_error_set (r->err, DP_INVALID, "deal_id: missing (a deal body always carries one)");
    r->deal->deal_id_assigned = 1;
    return dp_deal_uuid4 (r->deal->deal_id, r->err);
}

//  A label: 1..DP_BATCH_MAX bytes, no control characters.
static int
s_is_label (const char *text, size_t len)
{
    if (len == 0 || len > DP_BATCH_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text [i] < 0x20 || text [i] == 0x7f)
            return 0;
    return 1;
}

static dp_status
s_read_batch (s_reader_t *r)
{
    const char *text;
    size_t len;
    dp_status rc = s_read_string (r, "batch", 0, &text, &len);
    if (rc != DP_OK)
        return rc;
    const char *what = "batch";
    if (!text && r->defaults && r->defaults->batch) {
        text = r->defaults->batch;
        len = strlen (text);
        what = "batch (default)";
    }
    if (!text)
        return DP_OK;
    if (!s_is_label (text, len))
        return dp_error_set (r->err, DP_INVALID,
                             "%s: must be 1 to %d bytes without control characters", what, DP_BATCH_MAX);
    memcpy (r->deal->batch, text, len + 1);
    return DP_OK;
}

static int
s_is_engine (const char *name)
{
    return strcmp (name, "builtin") == 0 || strcmp (name, "claude") == 0;
}

//  The deal's own engine wins; else the submitter's default; else builtin.
static dp_status
s_read_engine (s_reader_t *r, const char *key, const char *fallback, char *out)
{
    const char *text;
    size_t len;
    dp_status rc = s_read_string (r, key, 0, &text, &len);
    if (rc != DP_OK)
        return rc;
    const char *what = key;
    if (!text) {
        text = fallback? fallback: "builtin";
        what = fallback? "engine (default)": key;
    }
    if (!s_is_engine (text))
        return dp_error_set (r->err, DP_INVALID, "%s: must be \"builtin\" or \"claude\", got \"%.32s\"",
                             what, text);
    strcpy (out, text);
    return DP_OK;
}

static dp_status
s_read_rounds_and_engines (s_reader_t *r)
{
    json_object *value = s_member (r, "max_rounds");
    r->deal->max_rounds = DP_DEAL_MAX_ROUNDS_DEFAULT;
    if (value) {
        if (!json_object_is_type (value, json_type_int))
            return dp_error_set (r->err, DP_INVALID, "max_rounds: must be an integer, got %s",
                                 s_type_name (value));
        int64_t rounds = json_object_get_int64 (value);
        if (rounds < 1 || rounds > DP_DEAL_MAX_ROUNDS_MAX)
            return dp_error_set (r->err, DP_INVALID, "max_rounds: must be 1..%d, got %" PRId64,
                                 DP_DEAL_MAX_ROUNDS_MAX, rounds);
        r->deal->max_rounds = (int) rounds;
    }
    const dp_deal_defaults_t *d = r->defaults;
    dp_status rc = s_read_engine (r, "buyer_engine", d? d->buyer_engine: NULL, r->deal->buyer_engine);
    if (rc == DP_OK)
        rc = s_read_engine (r, "seller_engine", d? d->seller_engine: NULL, r->deal->seller_engine);
    return rc;
}

//  ---------------------------------------------------------------------
//  Terms and packages

static dp_status
s_read_scopes (s_reader_t *r, json_object *list)
{
    const char *field = "terms_options.access_scope";
    size_t count = json_object_array_length (list);
    if (!(r->deal->scopes = calloc (count, sizeof (char *))))
        return dp_error_set (r->err, DP_NOMEM, "%s: out of memory", field);
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx (list, i);
        if (!json_object_is_type (item, json_type_string))
            return dp_error_set (r->err, DP_INVALID, "%s[%zu]: must be a string, got %s", field, i,
                                 s_type_name (item));
        const char *scope = json_object_get_string (item);
        size_t len = (size_t) json_object_get_string_len (item);
        if (!s_is_identifier (scope, len, DP_DEAL_SCOPE_MAX))
            return dp_error_set (r->err, DP_INVALID,
                                 "%s[%zu]: must be 1 to %d characters of A-Z a-z 0-9 . _ : -", field, i,
                                 DP_DEAL_SCOPE_MAX);
        for (size_t j = 0; j < i; j++)
            if (strcmp (r->deal->scopes [j], scope) == 0)
                return dp_error_set (r->err, DP_INVALID, "%s[%zu]: \"%s\" is listed twice", field, i, scope);
        if (!(r->deal->scopes [i] = strdup (scope)))
            return dp_error_set (r->err, DP_NOMEM, "%s: out of memory", field);
        r->deal->scope_count = i + 1;
    }
    return DP_OK;
}

static dp_status
s_read_days (s_reader_t *r, json_object *list)
{
    const char *field = "terms_options.duration_days";
    size_t count = json_object_array_length (list);
    if (!(r->deal->days = calloc (count, sizeof (int))))
        return dp_error_set (r->err, DP_NOMEM, "%s: out of memory", field);
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx (list, i);
        if (!json_object_is_type (item, json_type_int))
            return dp_error_set (r->err, DP_INVALID, "%s[%zu]: must be an integer, got %s", field, i,
                                 s_type_name (item));
        int64_t days = json_object_get_int64 (item);
        if (days < 1 || days > DP_DEAL_DAYS_MAX)
            return dp_error_set (r->err, DP_INVALID, "%s[%zu]: must be 1..%d, got %" PRId64, field, i,
                                 DP_DEAL_DAYS_MAX, days);
        for (size_t j = 0; j < i; j++)
            if (r->deal->days [j] == days)
                return dp_error_set (r->err, DP_INVALID, "%s[%zu]: %" PRId64 " is listed twice", field, i,
                                     days);
        r->deal->days [i] = (int) days;
        r->deal->days_count = i + 1;
    }
    return DP_OK;
}

//  One list of terms_options: an array of 1..terms_options_max entries.
static dp_status
s_terms_list (s_reader_t *r, json_object *options, const char *key, json_object **list)
{
    *list = NULL;
    if (!json_object_object_get_ex (options, key, list) || !*list)
        return DP_OK;
    if (!json_object_is_type (*list, json_type_array))
        return dp_error_set (r->err, DP_INVALID, "terms_options.%s: must be an array, got %s", key,
                             s_type_name (*list));
    size_t count = json_object_array_length (*list);
    if (count == 0)
        return dp_error_set (r->err, DP_INVALID, "terms_options.%s: must list at least one option", key);
    char field [64];
    snprintf (field, sizeof field, "terms_options.%s", key);
    if (count > r->limits->terms_options_max)
        return dp_limits_exceeded (r->err, field, count, r->limits, &r->limits->terms_options_max);
    return DP_OK;
}

static dp_status
s_default_terms (s_reader_t *r)
{
    dp_deal_t *deal = r->deal;
    if (!deal->scopes) {
        if (!(deal->scopes = calloc (1, sizeof (char *)))
        ||  !(deal->scopes [0] = strdup (DP_DEAL_SCOPE_DEFAULT)))
            return dp_error_set (r->err, DP_NOMEM, "terms_options: out of memory");
        deal->scope_count = 1;
    }
    if (!deal->days) {
        if (!(deal->days = calloc (1, sizeof (int))))
            return dp_error_set (r->err, DP_NOMEM, "terms_options: out of memory");
        deal->days [0] = DP_DEAL_DAYS_DEFAULT;
        deal->days_count = 1;
    }
    return DP_OK;
}

static dp_status
s_read_terms_options (s_reader_t *r)
{
    json_object *options = s_member (r, "terms_options");
    dp_status rc = DP_OK;
    if (options) {
        if (!json_object_is_type (options, json_type_object))
            return dp_error_set (r->err, DP_INVALID, "terms_options: must be an object, got %s",
                                 s_type_name (options));
        json_object_object_foreach (options, key, unused) {
            (void) unused;
            if (strcmp (key, "access_scope") != 0 && strcmp (key, "duration_days") != 0)
                return dp_error_set (r->err, DP_INVALID,
                                     "terms_options: unknown key \"%.64s\" (access_scope, duration_days)",
                                     key);
        }
        json_object *scopes, *days;
        rc = s_terms_list (r, options, "access_scope", &scopes);
        if (rc == DP_OK && scopes)
            rc = s_read_scopes (r, scopes);
        if (rc == DP_OK)
            rc = s_terms_list (r, options, "duration_days", &days);
        if (rc == DP_OK && days)
            rc = s_read_days (r, days);
    }
    return rc == DP_OK? s_default_terms (r): rc;
}

//  "scope/days" -> the package index, or -1 if not offered.
static long
s_package_index (const dp_deal_t *deal, const char *key)
{
    const char *slash = strrchr (key, '/');
    if (!slash || slash == key || !slash [1] || slash [1] == '0' || strlen (slash + 1) > 5)
        return -1;
    int days = 0;
    for (const char *p = slash + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        days = days * 10 + (*p - '0');
    }
    size_t scope_len = (size_t) (slash - key);
    for (size_t s = 0; s < deal->scope_count; s++) {
        if (strlen (deal->scopes [s]) != scope_len || memcmp (deal->scopes [s], key, scope_len) != 0)
            continue;
        for (size_t d = 0; d < deal->days_count; d++)
            if (deal->days [d] == days)
                return (long) (s * deal->days_count + d);
    }
    return -1;
}

//  floor_by_terms or budget_by_terms: per-package limits.
static dp_status
s_read_by_terms (s_reader_t *r, const char *key, int is_floor)
{
    json_object *map = s_member (r, key);
    if (!map)
        return DP_OK;
    if (!json_object_is_type (map, json_type_object))
        return dp_error_set (r->err, DP_INVALID, "%s: must be an object, got %s", key,
                             s_type_name (map));
    json_object_object_foreach (map, package, value) {
        char field [DP_DEAL_SCOPE_MAX + 64];
        snprintf (field, sizeof field, "%s[\"%.*s\"]", key, DP_DEAL_SCOPE_MAX + 8, package);
        long index = s_package_index (r->deal, package);
        if (index < 0)
            return dp_error_set (r->err, DP_INVALID,
                                 "%s: not an offered package (\"scope/days\" from terms_options)", field);
        if (!value)
            return dp_error_set (r->err, DP_INVALID, "%s: must be a number, got null", field);
        dp_deal_package_t *p = &r->deal->packages [index];
        dp_status rc = s_read_cents (r, value, field, is_floor? DP_MONEY_UP: DP_MONEY_DOWN,
                                     is_floor? &p->floor_cents: &p->budget_cents);
        if (rc != DP_OK)
            return rc;
    }
    return DP_OK;
}

static dp_status
s_build_packages (s_reader_t *r)
{
    dp_deal_t *deal = r->deal;
    size_t count = deal->scope_count * deal->days_count;
    if (!(deal->packages = calloc (count, sizeof *deal->packages)))
        return dp_error_set (r->err, DP_NOMEM, "terms_options: out of memory");
    deal->package_count = count;
    for (size_t i = 0; i < count; i++) {
        deal->packages [i].scope = deal->scopes [i / deal->days_count];
        deal->packages [i].days = deal->days [i % deal->days_count];
        deal->packages [i].floor_cents = deal->floor_cents;
        deal->packages [i].budget_cents = deal->budget_cents;
    }
    dp_status rc = s_read_by_terms (r, "floor_by_terms", 1);
    if (rc == DP_OK)
        rc = s_read_by_terms (r, "budget_by_terms", 0);
    for (size_t i = 0; rc == DP_OK && i < count; i++) {
        dp_deal_package_t *p = &deal->packages [i];
        char budget [DP_MONEY_TEXT_MAX], floor [DP_MONEY_TEXT_MAX];
        if (p->budget_cents < p->floor_cents && !s_show_limits (r))
            rc = dp_error_set (r->err, DP_INVALID,
                               "budget_by_terms[\"%s/%d\"]: the budget is below the floor for this "
                               "package (after rounding to cents)", p->scope, p->days);
        else
        if (p->budget_cents < p->floor_cents)
            rc = dp_error_set (r->err, DP_INVALID,
                               "budget_by_terms[\"%s/%d\"]: budget %s is below the floor %s for this "
                               "package (after rounding to cents)", p->scope, p->days,
                               dp_money_cents_format (p->budget_cents, budget),
                               dp_money_cents_format (p->floor_cents, floor));
    }
    return rc;
}

//  ---------------------------------------------------------------------
//  Body

//  The known, non-null fields as given, with deal_id and both engines as
//  resolved; then its canonical text and identity. The text is written
//  from the input's members directly (no body object is built).
static dp_status
s_build_body (s_reader_t *r)
{
    dp_deal_t *deal = r->deal;
    json_object *values [S_KNOWN_KEYS];
    json_object *resolved [3] = {
        json_object_new_string (deal->deal_id), json_object_new_string (deal->buyer_engine),
        json_object_new_string (deal->seller_engine)
    };
    memcpy (values, r->known, sizeof values);
    values [s_known_index ("deal_id")] = resolved [0];
    values [s_known_index ("buyer_engine")] = resolved [1];
    values [s_known_index ("seller_engine")] = resolved [2];
    dp_status rc = !resolved [0] || !resolved [1] || !resolved [2]
                 ? dp_error_set (r->err, DP_NOMEM, "deal body: out of memory")
                 : dp_json_canonical_members (s_known_keys, values, S_KNOWN_KEYS, &deal->body,
                                              &deal->body_len, r->err);
    for (size_t i = 0; i < 3; i++)
        json_object_put (resolved [i]);
    if (rc != DP_OK)
        return rc == DP_NOMEM? rc: dp_error_prefix (r->err, "deal body");
    if (deal->body_len > r->limits->deal_body_max)
        return dp_limits_exceeded (r->err, "deal body", deal->body_len, r->limits,
                                   &r->limits->deal_body_max);
    dp_sha256 (deal->body, deal->body_len, deal->body_sha256);
    return DP_OK;
}

//  ---------------------------------------------------------------------
//  Public

static dp_status
s_read_all (s_reader_t *r)
{
    dp_status (*const steps []) (s_reader_t *) = {
        s_read_deal_id, s_read_prices, s_read_texts, s_read_data_hash, s_read_proof,
        s_read_email, s_read_escrow, s_read_batch, s_read_rounds_and_engines,
        s_read_terms_options, s_build_packages, s_build_body
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps [0]; i++) {
        dp_status rc = steps [i] (r);
        if (rc != DP_OK)
            return rc;
    }
    return DP_OK;
}

dp_status
dp_deal_from_object (json_object *object, const dp_deal_defaults_t *defaults, dp_deal_t **out,
                     dp_error_t *err)
{
    dp_error_t local;
    if (!err)
        err = &local;           //  steps read the message back to prefix it
    dp_error_clear (err);
    if (!json_object_is_type (object, json_type_object))
        return dp_error_set (err, DP_INVALID, "deal: must be a JSON object, got %s",
                             object? s_type_name (object): "null");
    dp_deal_t *deal = calloc (1, sizeof *deal);
    if (!deal)
        return dp_error_set (err, DP_NOMEM, "deal: out of memory");
    s_reader_t reader = { object, defaults, NULL, deal, err, { NULL } };
    reader.limits = defaults && defaults->limits? defaults->limits: dp_limits_default ();
    s_gather (&reader);
    dp_status rc = s_read_all (&reader);
    if (rc != DP_OK) {
        dp_deal_destroy (&deal);
        return rc;
    }
    *out = deal;
    return DP_OK;
}

dp_status
dp_deal_from_json (const char *text, size_t len, const dp_deal_defaults_t *defaults,
                   dp_deal_t **out, dp_error_t *err)
{
    dp_error_t local;
    if (!err)
        err = &local;           //  to prefix the parser's message
    const dp_limits_t *limits = defaults && defaults->limits? defaults->limits: dp_limits_default ();
    if (len > limits->deal_body_max)
        return dp_limits_exceeded (err, "deal", len, limits, &limits->deal_body_max);
    json_object *object = NULL;
    dp_status rc = dp_json_parse (text, len, &object, err);
    if (rc != DP_OK)
        return dp_error_prefix (err, "JSON");
    rc = dp_deal_from_object (object, defaults, out, err);
    json_object_put (object);
    return rc;
}

dp_status
dp_deal_body (const dp_deal_t *self, char **body, size_t *len, dp_error_t *err)
{
    char *copy = s_strndup (self->body, self->body_len);
    if (!copy)
        return dp_error_set (err, DP_NOMEM, "deal body: out of memory");
    *body = copy;
    if (len)
        *len = self->body_len;
    return DP_OK;
}

void
dp_deal_envelope (const dp_deal_t *self, dp_envelope_t *out)
{
    memset (out, 0, sizeof *out);
    strcpy (out->deal_id, self->deal_id);
    strcpy (out->batch, self->batch);
    strcpy (out->data_hash, self->data_hash);
    strcpy (out->seller_address, self->seller_address);
    strcpy (out->escrow_amount_eth, self->escrow_amount_eth);
    strcpy (out->buyer_engine, self->buyer_engine);
    strcpy (out->seller_engine, self->seller_engine);
    out->body_size = self->body_len;
    memcpy (out->body_sha256, self->body_sha256, 32);
}

//  The envelope comes from the untrusted broker: a field that is not
//  NUL-terminated within its array never matches.
static int
s_field_is (const char *field, size_t size, const char *ours)
{
    return memchr (field, '\0', size) && strcmp (field, ours) == 0;
}

//  Addresses compare as 20 bytes: the case of the hex is presentation.
static int
s_same_address (const char *field, size_t size, const char *ours)
{
    if (!memchr (field, '\0', size) || strlen (field) != strlen (ours))
        return 0;
    for (size_t i = 0; field [i]; i++)
        if ((field [i] | 0x20) != (ours [i] | 0x20) && field [i] != ours [i])
            return 0;
    return 1;
}

#define S_FIELD_IS(env, name, ours) s_field_is ((env)->name, sizeof (env)->name, (ours))

dp_status
dp_deal_check_envelope (const dp_deal_t *self, const dp_envelope_t *envelope, dp_error_t *err)
{
    const char *field = NULL;
    if (!S_FIELD_IS (envelope, deal_id, self->deal_id))
        field = "deal_id";
    else if (!S_FIELD_IS (envelope, data_hash, self->data_hash))
        field = "data_hash";
    else if (!s_same_address (envelope->seller_address, sizeof envelope->seller_address,
                              self->seller_address))
        field = "seller_address";
    else if (!S_FIELD_IS (envelope, escrow_amount_eth, self->escrow_amount_eth))
        field = "escrow_amount_eth";
    else if (!S_FIELD_IS (envelope, buyer_engine, self->buyer_engine))
        field = "buyer_engine";
    else if (!S_FIELD_IS (envelope, seller_engine, self->seller_engine))
        field = "seller_engine";
    else if (envelope->body_size != self->body_len)
        field = "body_size";
    else if (memcmp (envelope->body_sha256, self->body_sha256, 32) != 0)
        field = "body_sha256";
    if (field)
        return dp_error_set (err, DP_INVALID, "envelope disagrees with body: %s", field);
    return DP_OK;
}

const dp_deal_package_t *
dp_deal_package (const dp_deal_t *self, const char *scope, int days)
{
    for (size_t i = 0; scope && i < self->package_count; i++)
        if (self->packages [i].days == days && strcmp (self->packages [i].scope, scope) == 0)
            return &self->packages [i];
    return NULL;
}

void
dp_deal_destroy (dp_deal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_deal_t *self = *self_p;
    if (self->email) {
        OPENSSL_cleanse (self->email, self->email_len);
        free (self->email);
    }
    json_object_put (self->seller_proof);
    free (self->buyer_requirements);
    free (self->data_description);
    for (size_t i = 0; self->scopes && i < self->scope_count; i++)
        free (self->scopes [i]);
    free (self->scopes);
    free (self->days);
    free (self->packages);
    free (self->body);
    free (self);
    *self_p = NULL;
}

//  Random bytes for UUIDs come from a per-thread block filled by
//  RAND_bytes (OpenSSL's DRBG), so a batch of deals without ids costs one
//  DRBG call per 256 ids instead of one each. A forked child must not
//  reuse its parent's unused bytes (both would hand out the same ids), so
//  a fork bumps a generation that empties every block.
#define S_RANDOM_BLOCK 4096

typedef struct {
    uint8_t bytes [S_RANDOM_BLOCK];
    size_t used;
    unsigned generation;
} s_random_t;

static _Thread_local s_random_t s_random = { .used = S_RANDOM_BLOCK };
static volatile unsigned s_fork_generation;
static pthread_once_t s_atfork_once = PTHREAD_ONCE_INIT;

static void
s_after_fork (void)
{
    s_fork_generation++;
}

static void
s_atfork_init (void)
{
    pthread_atfork (NULL, NULL, s_after_fork);
}

static int
s_random_take (uint8_t *out, size_t size)
{
    pthread_once (&s_atfork_once, s_atfork_init);
    s_random_t *r = &s_random;
    if (r->generation != s_fork_generation || r->used + size > S_RANDOM_BLOCK) {
        if (RAND_bytes (r->bytes, S_RANDOM_BLOCK) != 1)
            return -1;
        r->used = 0;
        r->generation = s_fork_generation;
    }
    memcpy (out, r->bytes + r->used, size);
    OPENSSL_cleanse (r->bytes + r->used, size);     //  each byte is handed out once
    r->used += size;
    return 0;
}

static const char s_hex_digits [] = "0123456789abcdef";

dp_status
dp_deal_uuid4 (char out [37], dp_error_t *err)
{
    uint8_t bytes [16];
    if (s_random_take (bytes, sizeof bytes))
        return dp_error_set (err, DP_INTERNAL, "deal_id: the random generator failed");
    bytes [6] = (uint8_t) ((bytes [6] & 0x0F) | 0x40);     //  version 4
    bytes [8] = (uint8_t) ((bytes [8] & 0x3F) | 0x80);     //  RFC 4122 variant
    size_t at = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out [at++] = '-';
        out [at++] = s_hex_digits [bytes [i] >> 4];
        out [at++] = s_hex_digits [bytes [i] & 0x0F];
    }
    out [at] = '\0';
    return DP_OK;
}
