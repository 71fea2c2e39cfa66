/*  dp_eth.c — Ethereum keys, addresses and signatures over libsecp256k1.

    libsecp256k1 (Bitcoin Core's library, Debian's libsecp256k1-dev with the
    recovery module) does the curve work: constant-time signing, RFC 6979
    nonces, low-s output and public key recovery. This file adds Ethereum's
    conventions on top: keccak addresses, EIP-55, v = 27/28, EIP-191 and
    EIP-712 digests, and the strict recovery rules of OpenZeppelin's ECDSA. */

#include "dp_eth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <string.h>

#include "dp_hex.h"
#include "dp_keccak.h"

//  One context for the process: creating one costs a table setup, and after
//  randomisation it is only read, which libsecp256k1 allows from any thread.
static secp256k1_context *s_context;
static pthread_once_t s_context_once = PTHREAD_ONCE_INIT;

static void
s_context_create (void)
{
    s_context = secp256k1_context_create (SECP256K1_CONTEXT_NONE);
    if (!s_context)
        return;
    //  Blinding against timing/power side channels while signing. If the
    //  random source fails we keep the unblinded context: still correct.
    uint8_t seed [32];
    if (RAND_priv_bytes (seed, sizeof seed) == 1
    &&  !secp256k1_context_randomize (s_context, seed)) {
        secp256k1_context_destroy (s_context);
        s_context = NULL;
    }
    OPENSSL_cleanse (seed, sizeof seed);
}

static secp256k1_context *
s_ctx (dp_error_t *err)
{
    pthread_once (&s_context_once, s_context_create);
    if (!s_context)
        dp_error_set (err, DP_NOMEM, "secp256k1: cannot create the library context");
    return s_context;
}

//  ---------------------------------------------------------------------
//  Keys and addresses

int
dp_eth_key_is_valid (const uint8_t key [DP_ETH_KEY_SIZE])
{
    secp256k1_context *ctx = s_ctx (NULL);
    return ctx && secp256k1_ec_seckey_verify (ctx, key) == 1;
}

dp_status
dp_eth_key_generate (uint8_t key [DP_ETH_KEY_SIZE], dp_error_t *err)
{
    if (!s_ctx (err))
        return DP_NOMEM;
    //  A random 256-bit value is >= n with probability ~2^-128; the loop
    //  bound only guards against a random source that returns constants.
    for (int attempt = 0; attempt < 16; attempt++) {
        if (RAND_priv_bytes (key, DP_ETH_KEY_SIZE) != 1)
            break;
        if (dp_eth_key_is_valid (key))
            return DP_OK;
    }
    OPENSSL_cleanse (key, DP_ETH_KEY_SIZE);
    return dp_error_set (err, DP_CRYPTO, "key generation: the random number generator failed");
}

static void
s_address_from_pubkey (secp256k1_context *ctx, const secp256k1_pubkey *pubkey,
                       uint8_t addr [DP_ETH_ADDRESS_SIZE])
{
    uint8_t serial [65];
    size_t len = sizeof serial;
    secp256k1_ec_pubkey_serialize (ctx, serial, &len, pubkey, SECP256K1_EC_UNCOMPRESSED);
    uint8_t hash [32];
    dp_keccak256 (serial + 1, 64, hash);       //  drop the 0x04 prefix
    memcpy (addr, hash + 12, DP_ETH_ADDRESS_SIZE);
}

dp_status
dp_eth_address_from_key (const uint8_t key [DP_ETH_KEY_SIZE],
                         uint8_t addr [DP_ETH_ADDRESS_SIZE], dp_error_t *err)
{
    secp256k1_context *ctx = s_ctx (err);
    if (!ctx)
        return DP_NOMEM;
    secp256k1_pubkey pubkey;
    if (!secp256k1_ec_pubkey_create (ctx, &pubkey, key))
        return dp_error_set (err, DP_INVALID,
                             "private key: not a valid secp256k1 key (zero or not below the curve order)");
    s_address_from_pubkey (ctx, &pubkey, addr);
    return DP_OK;
}

void
dp_eth_address_eip55 (const uint8_t addr [DP_ETH_ADDRESS_SIZE],
                      char out [DP_ETH_ADDRESS_TEXT_SIZE])
{
    char lower [41];
    dp_hex_encode (addr, DP_ETH_ADDRESS_SIZE, lower);
    uint8_t hash [32];
    dp_keccak256 (lower, 40, hash);
    out [0] = '0';
    out [1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nibble = i % 2 == 0? hash [i / 2] >> 4: hash [i / 2] & 0x0f;
        char c = lower [i];
        out [2 + i] = (c >= 'a' && c <= 'f' && nibble >= 8)? (char) (c - 'a' + 'A'): c;
    }
    out [42] = '\0';
}

dp_status
dp_eth_address_parse (const char *text, uint8_t addr [DP_ETH_ADDRESS_SIZE], dp_error_t *err)
{
    if (!text)
        return dp_error_set (err, DP_INVALID, "missing");
    if (strncmp (text, "0x", 2) != 0)
        return dp_error_set (err, DP_INVALID, "must start with 0x");
    size_t len = strlen (text);
    if (len != 42)
        return dp_error_set (err, DP_INVALID,
                             "must be 0x and 40 hex digits, got %zu digits", len - 2);
    int lower = 0, upper = 0;
    for (size_t i = 2; i < len; i++) {
        char c = text [i];
        if (c >= 'a' && c <= 'f')
            lower = 1;
        else
        if (c >= 'A' && c <= 'F')
            upper = 1;
        else
        if (c < '0' || c > '9')
            return dp_error_set (err, DP_INVALID,
                                 "not a hex digit at offset %zu", i);
    }
    uint8_t parsed [DP_ETH_ADDRESS_SIZE];
    if (dp_hex_decode (text + 2, 40, parsed, sizeof parsed, err) != DP_OK)
        return DP_INVALID;
    if (lower && upper) {
        //  Mixed case claims to be EIP-55: it must be exactly the checksum.
        char want [DP_ETH_ADDRESS_TEXT_SIZE];
        dp_eth_address_eip55 (parsed, want);
        if (strcmp (want, text) != 0)
            return dp_error_set (err, DP_INVALID,
                                 "bad EIP-55 checksum (mixed case must be %s)", want);
    }
    memcpy (addr, parsed, sizeof parsed);
    return DP_OK;
}

//  ---------------------------------------------------------------------
//  Signatures

dp_status
dp_eth_sign (const uint8_t key [DP_ETH_KEY_SIZE], const uint8_t digest [32],
             uint8_t sig [DP_ETH_SIGNATURE_SIZE], dp_error_t *err)
{
    secp256k1_context *ctx = s_ctx (err);
    if (!ctx)
        return DP_NOMEM;
    if (!secp256k1_ec_seckey_verify (ctx, key))
        return dp_error_set (err, DP_INVALID,
                             "sign: private key is not a valid secp256k1 key");
    //  NULL nonce function = RFC 6979; libsecp256k1 always emits low s.
    secp256k1_ecdsa_recoverable_signature rsig;
    if (!secp256k1_ecdsa_sign_recoverable (ctx, &rsig, digest, key, NULL, NULL))
        return dp_error_set (err, DP_CRYPTO, "sign: libsecp256k1 refused to sign");
    uint8_t compact [64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact (ctx, compact, &recid, &rsig);
    //  Recovery ids 2 and 3 (r >= n - p, probability ~2^-127) have no
    //  Ethereum encoding; ecrecover only knows 27 and 28.
    if (recid > 1)
        return dp_error_set (err, DP_CRYPTO, "sign: recovery id %d has no v encoding", recid);
    memcpy (sig, compact, 64);
    sig [64] = (uint8_t) (27 + recid);
    return DP_OK;
}

static int
s_is_zero (const uint8_t *bytes, size_t len)
{
    uint8_t any = 0;
    for (size_t i = 0; i < len; i++)
        any |= bytes [i];
    return any == 0;
}

//  Parses r, s, v strictly into a recoverable signature.
static dp_status
s_parse_strict (secp256k1_context *ctx, const uint8_t sig [DP_ETH_SIGNATURE_SIZE],
                secp256k1_ecdsa_recoverable_signature *rsig, dp_error_t *err)
{
    if (sig [64] != 27 && sig [64] != 28)
        return dp_error_set (err, DP_CRYPTO, "signature: v is %u, must be 27 or 28", sig [64]);
    if (s_is_zero (sig, 32) || s_is_zero (sig + 32, 32))
        return dp_error_set (err, DP_CRYPTO, "signature: r or s is zero");
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact (ctx, rsig, sig, sig [64] - 27))
        return dp_error_set (err, DP_CRYPTO,
                             "signature: r or s is not below the curve order");
    //  normalize() reports whether s was in the upper half: the malleable
    //  twin of a valid signature, which Ethereum contracts refuse.
    secp256k1_ecdsa_signature plain;
    secp256k1_ecdsa_recoverable_signature_convert (ctx, &plain, rsig);
    if (secp256k1_ecdsa_signature_normalize (ctx, NULL, &plain))
        return dp_error_set (err, DP_CRYPTO, "signature: s is in the upper half (malleable)");
    return DP_OK;
}

dp_status
dp_eth_recover (const uint8_t digest [32], const uint8_t sig [DP_ETH_SIGNATURE_SIZE],
                uint8_t addr [DP_ETH_ADDRESS_SIZE], dp_error_t *err)
{
    secp256k1_context *ctx = s_ctx (err);
    if (!ctx)
        return DP_NOMEM;
    secp256k1_ecdsa_recoverable_signature rsig;
    dp_status rc = s_parse_strict (ctx, sig, &rsig, err);
    if (rc != DP_OK)
        return rc;
    secp256k1_pubkey pubkey;
    if (!secp256k1_ecdsa_recover (ctx, &pubkey, &rsig, digest))
        return dp_error_set (err, DP_CRYPTO, "signature: no public key recovers from it");
    s_address_from_pubkey (ctx, &pubkey, addr);
    return DP_OK;
}

dp_status
dp_eth_verify (const uint8_t digest [32], const uint8_t sig [DP_ETH_SIGNATURE_SIZE],
               const uint8_t expected [DP_ETH_ADDRESS_SIZE], dp_error_t *err)
{
    uint8_t signer [DP_ETH_ADDRESS_SIZE];
    dp_status rc = dp_eth_recover (digest, sig, signer, err);
    if (rc != DP_OK)
        return rc;
    if (memcmp (signer, expected, DP_ETH_ADDRESS_SIZE) != 0) {
        char got_text [DP_ETH_ADDRESS_TEXT_SIZE], want_text [DP_ETH_ADDRESS_TEXT_SIZE];
        dp_eth_address_eip55 (signer, got_text);
        dp_eth_address_eip55 (expected, want_text);
        return dp_error_set (err, DP_CRYPTO, "signature is by %s, not %s", got_text, want_text);
    }
    return DP_OK;
}

dp_status
dp_eth_signature_parse (const char *text, uint8_t sig [DP_ETH_SIGNATURE_SIZE], dp_error_t *err)
{
    if (!text || strncmp (text, "0x", 2) != 0 || strlen (text) != 2 + 2 * DP_ETH_SIGNATURE_SIZE)
        return dp_error_set (err, DP_INVALID, "signature must be 0x and 130 hex digits");
    return dp_hex_decode (text + 2, 2 * DP_ETH_SIGNATURE_SIZE, sig, DP_ETH_SIGNATURE_SIZE, err);
}

void
dp_eth_signature_format (const uint8_t sig [DP_ETH_SIGNATURE_SIZE], char out [133])
{
    out [0] = '0';
    out [1] = 'x';
    dp_hex_encode (sig, DP_ETH_SIGNATURE_SIZE, out + 2);
}

//  ---------------------------------------------------------------------
//  EIP-191

void
dp_eth_eip191_hash (const void *message, size_t len, uint8_t out [32])
{
    char prefix [64];
    int prefix_len = snprintf (prefix, sizeof prefix, "\x19" "Ethereum Signed Message:\n%zu", len);
    dp_keccak_t ctx;
    dp_keccak_init (&ctx);
    dp_keccak_update (&ctx, prefix, (size_t) prefix_len);
    dp_keccak_update (&ctx, message, len);
    dp_keccak_final (&ctx, out);
}

void
dp_eth_eip191_hash32 (const uint8_t hash [32], uint8_t out [32])
{
    dp_eth_eip191_hash (hash, 32, out);
}

//  ---------------------------------------------------------------------
//  EIP-712

void
dp_eth_word_address (const uint8_t addr [DP_ETH_ADDRESS_SIZE], uint8_t word [32])
{
    memset (word, 0, 12);
    memcpy (word + 12, addr, DP_ETH_ADDRESS_SIZE);
}

void
dp_eth_word_uint64 (uint64_t value, uint8_t word [32])
{
    memset (word, 0, 32);
    for (int i = 31; i >= 24; i--) {
        word [i] = (uint8_t) value;
        value >>= 8;
    }
}

void
dp_eth_word_dynamic (const void *data, size_t len, uint8_t word [32])
{
    dp_keccak256 (data, len, word);
}

void
dp_eth_eip712_type_hash (const char *type_string, uint8_t out [32])
{
    dp_keccak256 (type_string, strlen (type_string), out);
}

void
dp_eth_eip712_encode_struct (const char *type_string, const uint8_t (*words) [32],
                             size_t count, uint8_t *encoded)
{
    dp_eth_eip712_type_hash (type_string, encoded);
    for (size_t i = 0; i < count; i++)
        memcpy (encoded + 32 * (i + 1), words [i], 32);
}

void
dp_eth_eip712_struct_hash (const char *type_string, const uint8_t (*words) [32],
                           size_t count, uint8_t out [32])
{
    //  Streamed rather than encoded into a buffer: the count is unbounded.
    uint8_t type_hash [32];
    dp_eth_eip712_type_hash (type_string, type_hash);
    dp_keccak_t ctx;
    dp_keccak_init (&ctx);
    dp_keccak_update (&ctx, type_hash, 32);
    for (size_t i = 0; i < count; i++)
        dp_keccak_update (&ctx, words [i], 32);
    dp_keccak_final (&ctx, out);
}

void
dp_eth_eip712_domain_separator (const char *name, const char *version, uint64_t chain_id,
                                const uint8_t contract [DP_ETH_ADDRESS_SIZE], uint8_t out [32])
{
    uint8_t words [4][32];
    dp_eth_word_dynamic (name, strlen (name), words [0]);
    dp_eth_word_dynamic (version, strlen (version), words [1]);
    dp_eth_word_uint64 (chain_id, words [2]);
    dp_eth_word_address (contract, words [3]);
    dp_eth_eip712_struct_hash (DP_ETH_EIP712_DOMAIN_TYPE, (const uint8_t (*) [32]) words, 4, out);
}

void
dp_eth_eip712_preimage (const uint8_t domain_separator [32], const uint8_t struct_hash [32],
                        uint8_t preimage [66])
{
    preimage [0] = 0x19;
    preimage [1] = 0x01;
    memcpy (preimage + 2, domain_separator, 32);
    memcpy (preimage + 34, struct_hash, 32);
}

void
dp_eth_eip712_digest (const uint8_t domain_separator [32], const uint8_t struct_hash [32],
                      uint8_t out [32])
{
    uint8_t preimage [66];
    dp_eth_eip712_preimage (domain_separator, struct_hash, preimage);
    dp_keccak256 (preimage, sizeof preimage, out);
}

void
dp_eth_release_digest (uint64_t chain_id, const uint8_t contract [DP_ETH_ADDRESS_SIZE],
                       const char *deal_id, const uint8_t seller [DP_ETH_ADDRESS_SIZE],
                       const uint8_t data_hash [32], const uint8_t amount_wei [32],
                       const uint8_t report_data32 [32], uint8_t out [32])
{
    uint8_t words [5][32];
    dp_keccak256 (deal_id, strlen (deal_id), words [0]);    //  the seed's dealId mapping
    dp_eth_word_address (seller, words [1]);
    memcpy (words [2], data_hash, 32);
    memcpy (words [3], amount_wei, 32);
    memcpy (words [4], report_data32, 32);
    uint8_t struct_hash [32], domain [32];
    dp_eth_eip712_struct_hash (DP_ETH_RELEASE_TYPE, (const uint8_t (*) [32]) words, 5, struct_hash);
    dp_eth_eip712_domain_separator (DP_ETH_DOMAIN_NAME, DP_ETH_DOMAIN_VERSION, chain_id,
                                    contract, domain);
    dp_eth_eip712_digest (domain, struct_hash, out);
}
