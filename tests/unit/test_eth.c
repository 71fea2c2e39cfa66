/*  test_eth.c — keys, EIP-55, signing, strict recovery, EIP-191 and EIP-712
    against ../shared/vectors/eth/{addresses,personal_sign,eip712}.json, and
    SPEC §7's Release digest against an independent Python computation. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto_vectors.h"
#include "dp_eth.h"
#include "dp_keccak.h"

//  ---------------------------------------------------------------------
//  Keys and addresses

Test (eth, address_vectors)
{
    json_object *cases = vectors_load ("addresses.json");
    int keys = 0, eip55 = 0, invalid = 0;
    for (size_t i = 0; i < json_object_array_length (cases); i++) {
        json_object *item = json_object_array_get_idx (cases, i);
        const char *kind = vectors_kind (item);
        const char *name = vectors_str (item, "name");
        uint8_t addr [20], want [20];
        char text [DP_ETH_ADDRESS_TEXT_SIZE];
        if (strcmp (kind, "key") == 0) {
            uint8_t key [32];
            vectors_fixed (item, "private_key", key, 32);
            vectors_fixed (item, "address", want, 20);
            cr_assert (dp_eth_key_is_valid (key), "%s", name);
            cr_assert_eq (dp_eth_address_from_key (key, addr, NULL), DP_OK, "%s", name);
            cr_assert_arr_eq (addr, want, 20, "%s: address", name);
            dp_eth_address_eip55 (addr, text);
            cr_assert_str_eq (text, vectors_str (item, "address_eip55"), "%s", name);
            keys++;
        }
        else
        if (strcmp (kind, "eip55") == 0) {
            vectors_fixed (item, "address", want, 20);
            dp_eth_address_eip55 (want, text);
            cr_assert_str_eq (text, vectors_str (item, "address_eip55"), "%s", name);
            cr_assert_eq (dp_eth_address_parse (text, addr, NULL), DP_OK, "%s", name);
            cr_assert_arr_eq (addr, want, 20);
            eip55++;
        }
        else
        if (strcmp (kind, "eip55_invalid") == 0) {
            dp_error_t err;
            memset (addr, 0x5a, 20);
            cr_assert_eq (dp_eth_address_parse (vectors_str (item, "address_input"), addr, &err),
                          DP_INVALID, "%s accepted", name);
            cr_assert (strstr (err.text, "EIP-55 checksum"), "%s", err.text);
            cr_assert_eq (addr [0], 0x5a, "addr untouched on error");
            invalid++;
        }
    }
    cr_assert_eq (keys, 25);
    cr_assert_eq (eip55, 8);
    cr_assert_eq (invalid, 1);
    json_object_put (cases);
}

Test (eth, address_parse_rules)
{
    uint8_t addr [20];
    dp_error_t err;
    //  All lower and all upper carry no checksum and are accepted.
    cr_assert_eq (dp_eth_address_parse ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", addr, &err), DP_OK);
    cr_assert_eq (dp_eth_address_parse ("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", addr, &err), DP_OK);
    cr_assert_eq (addr [0], 0x5a);
    cr_assert_eq (dp_eth_address_parse ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", addr, &err), DP_OK);
    cr_assert_eq (dp_eth_address_parse ("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", addr, &err), DP_INVALID);
    cr_assert (strstr (err.text, "0x"));
    cr_assert_eq (dp_eth_address_parse ("0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", addr, &err), DP_INVALID);
    cr_assert_eq (dp_eth_address_parse ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea", addr, &err), DP_INVALID);
    cr_assert (strstr (err.text, "38 digits"), "%s", err.text);
    cr_assert_eq (dp_eth_address_parse ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedd", addr, &err), DP_INVALID);
    cr_assert_eq (dp_eth_address_parse ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg", addr, &err), DP_INVALID);
    cr_assert (strstr (err.text, "offset 41"), "%s", err.text);
    cr_assert_eq (dp_eth_address_parse ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea d", addr, &err), DP_INVALID);
    cr_assert_eq (dp_eth_address_parse (NULL, addr, &err), DP_INVALID);
    cr_assert_eq (dp_eth_address_parse ("", addr, &err), DP_INVALID);
}

Test (eth, invalid_keys)
{
    uint8_t zero [32] = { 0 }, order [32], addr [20], sig [65];
    //  n, the group order: not a valid key, nor is anything above it.
    cr_assert_eq (dp_hex_decode_0x ("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
                                    order, 32, NULL), DP_OK);
    dp_error_t err;
    cr_assert_not (dp_eth_key_is_valid (zero));
    cr_assert_not (dp_eth_key_is_valid (order));
    cr_assert_eq (dp_eth_address_from_key (zero, addr, &err), DP_INVALID);
    cr_assert (strstr (err.text, "private key"));
    cr_assert_eq (dp_eth_address_from_key (order, addr, &err), DP_INVALID);
    uint8_t digest [32] = { 1 };
    cr_assert_eq (dp_eth_sign (zero, digest, sig, &err), DP_INVALID);
}

Test (eth, key_generate)
{
    uint8_t a [32], b [32], addr [20], sig [65], back [20];
    cr_assert_eq (dp_eth_key_generate (a, NULL), DP_OK);
    cr_assert_eq (dp_eth_key_generate (b, NULL), DP_OK);
    cr_assert (memcmp (a, b, 32) != 0);
    cr_assert (dp_eth_key_is_valid (a));
    cr_assert_eq (dp_eth_address_from_key (a, addr, NULL), DP_OK);
    uint8_t digest [32];
    dp_keccak256 ("round trip", 10, digest);
    cr_assert_eq (dp_eth_sign (a, digest, sig, NULL), DP_OK);
    cr_assert (sig [64] == 27 || sig [64] == 28);
    cr_assert_eq (dp_eth_recover (digest, sig, back, NULL), DP_OK);
    cr_assert_arr_eq (back, addr, 20);
    cr_assert_eq (dp_eth_verify (digest, sig, addr, NULL), DP_OK);
}

//  ---------------------------------------------------------------------
//  Signatures and EIP-191

static void
s_sig_from (json_object *item, uint8_t sig [65])
{
    vectors_fixed (item, "r", sig, 32);
    vectors_fixed (item, "s", sig + 32, 32);
    sig [64] = (uint8_t) vectors_int (item, "v");
}

//  The refusal cases shared by personal_sign.json and eip712.json.
static int
s_check_variant (json_object *item, const uint8_t signer [20])
{
    const char *kind = vectors_kind (item);
    const char *name = vectors_str (item, "name");
    if (strcmp (kind, "high_s_variant") != 0 && strcmp (kind, "v_0_1_variant") != 0
    &&  strcmp (kind, "wrong_digest") != 0)
        return 0;
    uint8_t digest [32], sig [65], addr [20];
    dp_error_t err;
    vectors_fixed (item, "digest", digest, 32);
    s_sig_from (item, sig);
    if (strcmp (kind, "high_s_variant") == 0) {
        cr_assert_eq (dp_eth_recover (digest, sig, addr, &err), DP_CRYPTO, "%s accepted", name);
        cr_assert (strstr (err.text, "upper half"), "%s", err.text);
    }
    else
    if (strcmp (kind, "v_0_1_variant") == 0) {
        cr_assert_eq (dp_eth_recover (digest, sig, addr, &err), DP_CRYPTO, "%s accepted", name);
        cr_assert (strstr (err.text, "27 or 28"), "%s", err.text);
        sig [64] += 27;    //  the same signature with v fixed is valid
        cr_assert_eq (dp_eth_verify (digest, sig, signer, &err), DP_OK, "%s: %s", name, err.text);
    }
    else
    if (strcmp (kind, "wrong_digest") == 0) {
        uint8_t want [20];
        vectors_fixed (item, "recovered_address", want, 20);
        cr_assert_eq (dp_eth_recover (digest, sig, addr, NULL), DP_OK, "%s", name);
        cr_assert_arr_eq (addr, want, 20, "%s", name);
        cr_assert_eq (dp_eth_verify (digest, sig, signer, &err), DP_CRYPTO);
        cr_assert (strstr (err.text, "not 0x"), "%s", err.text);
    }
    return 1;
}

//  Signs the vector's digest with its key: byte-identical (RFC 6979) and
//  recoverable to the vector's signer.
static void
s_check_signature (json_object *item, const uint8_t digest [32])
{
    const char *name = vectors_str (item, "name");
    uint8_t key [32], want [65], sig [65], signer [20], addr [20];
    vectors_fixed (item, "private_key", key, 32);
    vectors_fixed (item, "signature_65", want, 65);
    vectors_fixed (item, "signer", signer, 20);
    cr_assert_eq (dp_eth_sign (key, digest, sig, NULL), DP_OK, "%s", name);
    cr_assert_arr_eq (sig, want, 65, "%s: signature differs", name);
    cr_assert_eq (dp_eth_recover (digest, sig, addr, NULL), DP_OK, "%s", name);
    cr_assert_arr_eq (addr, signer, 20, "%s: recovered", name);
    char text [133];
    dp_eth_signature_format (sig, text);
    cr_assert_str_eq (text, vectors_str (item, "signature_65"));
    uint8_t parsed [65];
    cr_assert_eq (dp_eth_signature_parse (text, parsed, NULL), DP_OK);
    cr_assert_arr_eq (parsed, sig, 65);
}

Test (eth, personal_sign_vectors)
{
    json_object *cases = vectors_load ("personal_sign.json");
    uint8_t signer [20];
    cr_assert_eq (dp_hex_decode_0x ("ab41100934781cd45fd3a77a1a892d9cb0b61e2d", signer, 20, NULL), DP_OK);
    int signed_cases = 0, variants = 0;
    for (size_t i = 0; i < json_object_array_length (cases); i++) {
        json_object *item = json_object_array_get_idx (cases, i);
        const char *kind = vectors_kind (item);
        const char *name = vectors_str (item, "name");
        if (s_check_variant (item, signer)) {
            variants++;
            continue;
        }
        size_t len;
        uint8_t *message;
        if (strcmp (kind, "personal_sign_hash_only") == 0) {
            //  The hash as 66 characters of text: a different digest.
            message = (uint8_t *) strdup (vectors_str (item, "message_utf8"));
            len = strlen ((char *) message);
        }
        else
            message = vectors_bytes (item, "message_hex", &len);
        uint8_t want [32], got [32];
        vectors_fixed (item, "message_hash", want, 32);
        dp_eth_eip191_hash (message, len, got);
        cr_assert_arr_eq (got, want, 32, "%s: EIP-191 hash", name);
        if (strcmp (name, "bytes32_hash_as_bytes") == 0) {
            cr_assert_eq (len, 32);
            dp_eth_eip191_hash32 (message, got);
            cr_assert_arr_eq (got, want, 32, "SPEC §6 hash32 form");
        }
        if (strcmp (name, "bytes32_hash_as_hex_text") == 0) {
            uint8_t raw [32], as_bytes [32];
            cr_assert_eq (dp_hex_decode_0x ((char *) message, raw, 32, NULL), DP_OK);
            dp_eth_eip191_hash32 (raw, as_bytes);
            cr_assert (memcmp (as_bytes, want, 32) != 0, "hash32 must sign bytes, not hex text");
        }
        if (strcmp (kind, "personal_sign") == 0) {
            s_check_signature (item, want);
            signed_cases++;
        }
        free (message);
    }
    cr_assert_eq (signed_cases, 7);
    cr_assert_eq (variants, 3);
    json_object_put (cases);
}

Test (eth, recover_rejects_bad_signatures)
{
    uint8_t digest [32], sig [65], addr [20];
    dp_keccak256 ("x", 1, digest);
    dp_error_t err;
    memset (sig, 0, 65);
    sig [64] = 27;
    cr_assert_eq (dp_eth_recover (digest, sig, addr, &err), DP_CRYPTO);
    cr_assert (strstr (err.text, "zero"), "%s", err.text);
    memset (sig, 0xff, 64);
    cr_assert_eq (dp_eth_recover (digest, sig, addr, &err), DP_CRYPTO);
    cr_assert (strstr (err.text, "curve order"), "%s", err.text);
    sig [64] = 29;
    cr_assert_eq (dp_eth_recover (digest, sig, addr, &err), DP_CRYPTO);
    cr_assert (strstr (err.text, "v is 29"), "%s", err.text);
    cr_assert_eq (dp_eth_signature_parse ("0x1234", sig, &err), DP_INVALID);
    cr_assert_eq (dp_eth_signature_parse (NULL, sig, &err), DP_INVALID);
}

//  ---------------------------------------------------------------------
//  EIP-712

//  Decimal text to a 32-byte big-endian uint256 (vectors only).
static void
s_uint256_from_decimal (const char *text, uint8_t word [32])
{
    memset (word, 0, 32);
    for (const char *p = text; *p; p++) {
        cr_assert (*p >= '0' && *p <= '9');
        unsigned carry = (unsigned) (*p - '0');
        for (int i = 31; i >= 0; i--) {
            unsigned v = word [i] * 10u + carry;
            word [i] = (uint8_t) v;
            carry = v >> 8;
        }
        cr_assert_eq (carry, 0, "uint256 overflow");
    }
}

//  Encodes the vector's message with the generic pieces and checks every
//  intermediate value the vector gives.
static void
s_check_eip712 (json_object *item)
{
    const char *name = vectors_str (item, "name");
    json_object *domain = json_object_object_get (item, "domain");
    json_object *message = json_object_object_get (item, "message");
    uint8_t contract [20], got [32], want [32];
    vectors_fixed (domain, "verifyingContract", contract, 20);
    cr_assert_str_eq (vectors_str (item, "domain_type_string"), DP_ETH_EIP712_DOMAIN_TYPE);
    dp_eth_eip712_type_hash (DP_ETH_EIP712_DOMAIN_TYPE, got);
    vectors_fixed (item, "domain_type_hash", want, 32);
    cr_assert_arr_eq (got, want, 32, "%s: domain type hash", name);
    uint8_t separator [32];
    dp_eth_eip712_domain_separator (vectors_str (domain, "name"), vectors_str (domain, "version"),
                                    (uint64_t) vectors_int (domain, "chainId"), contract, separator);
    vectors_fixed (item, "domain_separator", want, 32);
    cr_assert_arr_eq (separator, want, 32, "%s: domain separator", name);

    const char *type = vectors_str (item, "type_string");
    dp_eth_eip712_type_hash (type, got);
    vectors_fixed (item, "type_hash", want, 32);
    cr_assert_arr_eq (got, want, 32, "%s: type hash", name);
    uint8_t words [4][32];
    vectors_fixed (message, "dealId", words [0], 32);
    s_uint256_from_decimal (vectors_str (message, "price"), words [1]);
    vectors_fixed (message, "termsHash", words [2], 32);
    vectors_fixed (message, "reportDataHash", words [3], 32);
    uint8_t encoded [160], want_encoded [160];
    dp_eth_eip712_encode_struct (type, (const uint8_t (*) [32]) words, 4, encoded);
    vectors_fixed (item, "struct_encoded", want_encoded, 160);
    cr_assert_arr_eq (encoded, want_encoded, 160, "%s: encoded struct", name);
    uint8_t struct_hash [32];
    dp_eth_eip712_struct_hash (type, (const uint8_t (*) [32]) words, 4, struct_hash);
    vectors_fixed (item, "struct_hash", want, 32);
    cr_assert_arr_eq (struct_hash, want, 32, "%s: struct hash", name);

    uint8_t preimage [66], want_preimage [66];
    dp_eth_eip712_preimage (separator, struct_hash, preimage);
    vectors_fixed (item, "digest_preimage", want_preimage, 66);
    cr_assert_arr_eq (preimage, want_preimage, 66, "%s: preimage", name);
    dp_eth_eip712_digest (separator, struct_hash, got);
    vectors_fixed (item, "digest", want, 32);
    cr_assert_arr_eq (got, want, 32, "%s: digest", name);
    s_check_signature (item, got);
}

Test (eth, eip712_vectors)
{
    json_object *cases = vectors_load ("eip712.json");
    uint8_t signer [20];
    cr_assert_eq (dp_hex_decode_0x ("ab41100934781cd45fd3a77a1a892d9cb0b61e2d", signer, 20, NULL), DP_OK);
    int typed = 0, variants = 0;
    for (size_t i = 0; i < json_object_array_length (cases); i++) {
        json_object *item = json_object_array_get_idx (cases, i);
        if (s_check_variant (item, signer))
            variants++;
        else {
            cr_assert_str_eq (vectors_kind (item), "eip712");
            s_check_eip712 (item);
            typed++;
        }
    }
    cr_assert_eq (typed, 4);
    cr_assert_eq (variants, 3);
    json_object_put (cases);
}

//  ---------------------------------------------------------------------
//  SPEC §7 Release digest

typedef struct {
    uint64_t chain_id;
    uint8_t contract [20], seller [20], data_hash [32], amount [32], report [32];
    char deal_id [140];
} release_case_t;

static void
s_release_case (int index, release_case_t *c)
{
    static const uint64_t chains [] = { 1, 1337, 11155111, 31337, UINT64_MAX };
    c->chain_id = chains [index % 5];
    uint8_t seed [32];
    dp_keccak256 (&index, sizeof index, seed);
    for (int i = 0; i < 32; i++) {
        c->data_hash [i] = (uint8_t) (seed [i] ^ 0x11);
        c->report [i] = (uint8_t) (seed [31 - i] + i);
        c->amount [i] = i < 16? 0: seed [i];        //  realistic wei amounts
    }
    if (index == 3)
        memset (c->amount, 0xff, 32);                //  2^256 - 1
    memcpy (c->contract, seed, 20);
    memcpy (c->seller, seed + 12, 20);
    //  ASCII ids of every allowed character, and one UTF-8 id.
    snprintf (c->deal_id, sizeof c->deal_id, "deal-%04d:%s", index,
              index == 5? "\xc3\xa9t\xc3\xa9": index % 2? "A.b_c-9": "x");
}

static void
s_hex_field (FILE *out, const uint8_t *bytes, size_t len)
{
    char text [300];
    fprintf (out, " %s", dp_hex_encode (bytes, len, text));
}

//  The same digests through tests/fixtures/eth/release_digest.py: Keccak
//  and EIP-712 written again in Python from the specifications,
//  self-checked against the shared vectors before it answers.
Test (eth, release_digest_matches_independent_python)
{
    enum { CASES = 24 };
    char cases_path [] = "/tmp/dp-release-XXXXXX";
    int fd = mkstemp (cases_path);
    cr_assert (fd >= 0);
    FILE *out = fdopen (fd, "w");
    release_case_t c;
    for (int i = 0; i < CASES; i++) {
        s_release_case (i, &c);
        fprintf (out, "%llu", (unsigned long long) c.chain_id);
        s_hex_field (out, c.contract, 20);
        s_hex_field (out, (const uint8_t *) c.deal_id, strlen (c.deal_id));
        s_hex_field (out, c.seller, 20);
        s_hex_field (out, c.data_hash, 32);
        s_hex_field (out, c.amount, 32);
        s_hex_field (out, c.report, 32);
        fprintf (out, "\n");
    }
    fclose (out);
    char command [2048];
    snprintf (command, sizeof command, "python3 %s/tests/fixtures/eth/release_digest.py %s/vectors/eth < %s",
              DP_SOURCE_DIR, DP_SHARED_DIR, cases_path);
    FILE *python = popen (command, "r");
    cr_assert_not_null (python);
    char line [256];
    int checked = 0;
    while (fgets (line, sizeof line, python) && checked < CASES) {
        s_release_case (checked, &c);
        uint8_t digest [32], want [32];
        dp_eth_release_digest (c.chain_id, c.contract, c.deal_id, c.seller, c.data_hash,
                               c.amount, c.report, digest);
        cr_assert_eq (dp_hex_decode (line, 64, want, 32, NULL), DP_OK, "python said: %s", line);
        cr_assert_arr_eq (digest, want, 32, "case %d (%s)", checked, c.deal_id);
        checked++;
    }
    cr_assert_eq (pclose (python), 0, "release_digest.py failed (self-check?)");
    unlink (cases_path);
    cr_assert_eq (checked, CASES);
}

//  The Release digest is the generic pieces composed with SPEC §7's type,
//  and every field moves it.
Test (eth, release_digest_structure)
{
    release_case_t c;
    s_release_case (1, &c);
    uint8_t digest [32];
    dp_eth_release_digest (c.chain_id, c.contract, c.deal_id, c.seller, c.data_hash,
                           c.amount, c.report, digest);
    uint8_t words [5][32], struct_hash [32], separator [32], want [32];
    dp_keccak256 (c.deal_id, strlen (c.deal_id), words [0]);
    dp_eth_word_address (c.seller, words [1]);
    memcpy (words [2], c.data_hash, 32);
    memcpy (words [3], c.amount, 32);
    memcpy (words [4], c.report, 32);
    dp_eth_eip712_struct_hash (DP_ETH_RELEASE_TYPE, (const uint8_t (*) [32]) words, 5, struct_hash);
    dp_eth_eip712_domain_separator ("DealProof", "1", c.chain_id, c.contract, separator);
    dp_eth_eip712_digest (separator, struct_hash, want);
    cr_assert_arr_eq (digest, want, 32);

    uint8_t other [32];
    uint8_t *fields [] = { c.contract, c.seller, c.data_hash, c.amount, c.report };
    for (int f = 0; f < 5; f++) {
        fields [f][19] ^= 1;
        dp_eth_release_digest (c.chain_id, c.contract, c.deal_id, c.seller, c.data_hash,
                               c.amount, c.report, other);
        cr_assert (memcmp (other, digest, 32) != 0, "field %d does not move the digest", f);
        fields [f][19] ^= 1;
    }
    dp_eth_release_digest (c.chain_id + 1, c.contract, c.deal_id, c.seller, c.data_hash,
                           c.amount, c.report, other);
    cr_assert (memcmp (other, digest, 32) != 0);
    dp_eth_release_digest (c.chain_id, c.contract, "deal-0002", c.seller, c.data_hash,
                           c.amount, c.report, other);
    cr_assert (memcmp (other, digest, 32) != 0);
}

//  The domain separator of the vectors' chain-1337 contract is the one a
//  Release digest on that chain uses (same domain, different struct).
Test (eth, release_domain_is_the_vector_domain)
{
    uint8_t contract [20], separator [32], want [32];
    cr_assert_eq (dp_hex_decode_0x ("0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab", contract, 20, NULL), DP_OK);
    dp_eth_eip712_domain_separator (DP_ETH_DOMAIN_NAME, DP_ETH_DOMAIN_VERSION, 1337, contract, separator);
    cr_assert_eq (dp_hex_decode_0x ("0xb8f95d030cde037cb7e2bdb0e87130baf3aa414ab329fa783ef29201a237886f",
                                    want, 32, NULL), DP_OK);
    cr_assert_arr_eq (separator, want, 32);
}

//  ---------------------------------------------------------------------
//  Properties over many keys, and concurrent use

//  n/2, the largest s a strict verifier accepts.
static const char *s_half_order =
    "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0";

Test (eth, signatures_are_low_s_deterministic_and_recover)
{
    uint8_t half [32];
    cr_assert_eq (dp_hex_decode (s_half_order, 64, half, 32, NULL), DP_OK);
    int seen_v [2] = { 0, 0 };
    for (int i = 0; i < 200; i++) {
        uint8_t key [32], digest [32], addr [20], back [20], sig [65], again [65];
        dp_keccak256 (&i, sizeof i, key);           //  valid with overwhelming odds
        dp_keccak256 (key, 32, digest);
        cr_assert_eq (dp_eth_address_from_key (key, addr, NULL), DP_OK);
        cr_assert_eq (dp_eth_sign (key, digest, sig, NULL), DP_OK);
        cr_assert (memcmp (sig + 32, half, 32) <= 0, "case %d: high s", i);
        cr_assert_eq (dp_eth_sign (key, digest, again, NULL), DP_OK);
        cr_assert_arr_eq (sig, again, 65, "RFC 6979: same key and digest, same signature");
        cr_assert_eq (dp_eth_recover (digest, sig, back, NULL), DP_OK);
        cr_assert_arr_eq (back, addr, 20);
        seen_v [sig [64] - 27]++;
        //  Flipping v recovers someone else (or nobody), never the signer.
        sig [64] = sig [64] == 27? 28: 27;
        if (dp_eth_recover (digest, sig, back, NULL) == DP_OK)
            cr_assert (memcmp (back, addr, 20) != 0);
    }
    cr_assert (seen_v [0] > 0 && seen_v [1] > 0, "both recovery ids occur");
}

Test (eth, eip55_round_trip_and_single_flip)
{
    for (int i = 0; i < 200; i++) {
        uint8_t seed [32], addr [20], back [20];
        dp_keccak256 (&i, sizeof i, seed);
        memcpy (addr, seed, 20);
        char text [DP_ETH_ADDRESS_TEXT_SIZE];
        dp_eth_address_eip55 (addr, text);
        cr_assert_eq (dp_eth_address_parse (text, back, NULL), DP_OK);
        cr_assert_arr_eq (back, addr, 20);
        //  Flip the case of one letter: if the result is still mixed case it
        //  must be refused (an all-lower/all-upper result is legitimately
        //  unchecked).
        for (int j = 2; j < 42; j++) {
            char c = text [j];
            if (!((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                continue;
            text [j] = (char) (c ^ 0x20);
            int lower = 0, upper = 0;
            for (int k = 2; k < 42; k++) {
                lower |= text [k] >= 'a' && text [k] <= 'f';
                upper |= text [k] >= 'A' && text [k] <= 'F';
            }
            dp_status rc = dp_eth_address_parse (text, back, NULL);
            cr_assert_eq (rc, lower && upper? DP_INVALID: DP_OK, "%s", text);
            text [j] = c;
            break;
        }
    }
}

#include <pthread.h>

static void *
s_sign_many (void *arg)
{
    int base = *(int *) arg;
    for (int i = base; i < base + 50; i++) {
        uint8_t key [32], digest [32], addr [20], back [20], sig [65];
        dp_keccak256 (&i, sizeof i, key);
        dp_keccak256 (key, 32, digest);
        if (dp_eth_address_from_key (key, addr, NULL) != DP_OK
        ||  dp_eth_sign (key, digest, sig, NULL) != DP_OK
        ||  dp_eth_recover (digest, sig, back, NULL) != DP_OK
        ||  memcmp (addr, back, 20) != 0)
            return (void *) 1;
    }
    return NULL;
}

//  The shared library context is created once, by whichever thread comes
//  first, and then used from all of them.
Test (eth, concurrent_use)
{
    pthread_t threads [4];
    int bases [4] = { 1000, 2000, 3000, 4000 };
    for (int t = 0; t < 4; t++)
        cr_assert_eq (pthread_create (&threads [t], NULL, s_sign_many, &bases [t]), 0);
    for (int t = 0; t < 4; t++) {
        void *failed = NULL;
        pthread_join (threads [t], &failed);
        cr_assert_null (failed, "thread %d failed", t);
    }
}
