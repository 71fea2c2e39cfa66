/*  dp_relayer_chain.c — DealProof.sol calls over JSON-RPC. */

#include "dp_relayer_chain.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_eth.h"
#include "dp_ethtx.h"
#include "dp_hex.h"
#include "dp_keccak.h"
#include "dp_rpc.h"

struct dp_chain_t {
    dp_rpc_t *rpc;
    uint64_t chain_id;
    uint8_t contract [20];
    char contract_hex [43];
    uint8_t key [32];
    uint8_t address [20];
    char address_text [43];
    uint64_t max_fee;               //  wei per gas; 0: no ceiling
};

static void
s_selector (const char *signature, uint8_t out [4])
{
    uint8_t hash [32];
    dp_keccak256 (signature, strlen (signature), hash);
    memcpy (out, hash, 4);
}

static void
s_deal_key (const char *deal_id, uint8_t out [32])
{
    dp_keccak256 (deal_id, strlen (deal_id), out);     //  the seed's mapping
}

static json_object *
s_hex_json (const uint8_t *data, size_t len)
{
    char *text = malloc (2 * len + 3);
    if (!text)
        return NULL;
    text [0] = '0';
    text [1] = 'x';
    dp_hex_encode (data, len, text + 2);
    json_object *value = json_object_new_string (text);
    free (text);
    return value;
}

dp_chain_t *
dp_chain_new (const char *rpc_url, const char *contract, const uint8_t key [32], int timeout_ms,
              dp_error_t *err)
{
    dp_chain_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    memcpy (self->key, key, 32);
    if (dp_eth_address_parse (contract, self->contract, err) != DP_OK) {
        dp_error_prefix (err, "CONTRACT_ADDRESS");
        goto failed;
    }
    self->contract_hex [0] = '0';
    self->contract_hex [1] = 'x';
    dp_hex_encode (self->contract, 20, self->contract_hex + 2);
    if (dp_eth_address_from_key (key, self->address, err) != DP_OK) {
        dp_error_prefix (err, "relayer key");
        goto failed;
    }
    dp_eth_address_eip55 (self->address, self->address_text);
    self->rpc = dp_rpc_new (rpc_url, timeout_ms, err);
    if (!self->rpc || dp_rpc_call_u64 (self->rpc, "eth_chainId", NULL, &self->chain_id, err) != DP_OK)
        goto failed;
    json_object *params = json_object_new_array (), *code = NULL;
    json_object_array_add (params, json_object_new_string (self->contract_hex));
    json_object_array_add (params, json_object_new_string ("latest"));
    if (dp_rpc_call (self->rpc, "eth_getCode", params, &code, NULL, err) != DP_OK)
        goto failed;
    int empty = !code || strlen (json_object_get_string (code)) <= 2;
    json_object_put (code);
    if (empty) {
        dp_error_set (err, DP_INVALID, "CONTRACT_ADDRESS: no contract code at %s on chain %llu",
                      self->contract_hex, (unsigned long long) self->chain_id);
        goto failed;
    }
    return self;
failed:
    dp_chain_destroy (&self);
    return NULL;
}

void
dp_chain_destroy (dp_chain_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_rpc_destroy (&(*self_p)->rpc);
    OPENSSL_cleanse ((*self_p)->key, 32);
    free (*self_p);
    *self_p = NULL;
}

uint64_t dp_chain_id (const dp_chain_t *self) { return self->chain_id; }
void dp_chain_set_max_fee (dp_chain_t *self, uint64_t max_fee_wei) { self->max_fee = max_fee_wei; }
const uint8_t *dp_chain_contract (const dp_chain_t *self) { return self->contract; }
const char *dp_chain_address_text (const dp_chain_t *self) { return self->address_text; }

dp_status
dp_chain_nonce (dp_chain_t *self, const char *tag, uint64_t *nonce, dp_error_t *err)
{
    json_object *params = json_object_new_array ();
    json_object_array_add (params, json_object_new_string (self->address_text));
    json_object_array_add (params, json_object_new_string (tag));
    return dp_rpc_call_u64 (self->rpc, "eth_getTransactionCount", params, nonce, err);
}

//  Reads a QUANTITY member of the latest block.
static dp_status
s_latest_block_u64 (dp_chain_t *self, const char *member, uint64_t *out, dp_error_t *err)
{
    json_object *params = json_object_new_array (), *block = NULL, *value = NULL;
    json_object_array_add (params, json_object_new_string ("latest"));
    json_object_array_add (params, json_object_new_boolean (0));
    dp_status rc = dp_rpc_call (self->rpc, "eth_getBlockByNumber", params, &block, NULL, err);
    if (rc != DP_OK)
        return rc;
    if (!block || !json_object_object_get_ex (block, member, &value))
        rc = dp_error_set (err, DP_PROTO, "eth_getBlockByNumber: no %s in the latest block", member);
    else
        rc = dp_rpc_quantity_u64 (json_object_get_string (value), out, err);
    json_object_put (block);
    return rc;
}

dp_status
dp_chain_time (dp_chain_t *self, uint64_t *now, dp_error_t *err)
{
    return s_latest_block_u64 (self, "timestamp", now, err);
}

static dp_status
s_call (dp_chain_t *self, const uint8_t *data, size_t len, uint8_t **out, size_t *out_len,
        dp_error_t *err)
{
    json_object *call = json_object_new_object (), *params = json_object_new_array (), *result = NULL;
    json_object_object_add (call, "to", json_object_new_string (self->contract_hex));
    json_object_object_add (call, "data", s_hex_json (data, len));
    json_object_array_add (params, call);
    json_object_array_add (params, json_object_new_string ("latest"));
    dp_status rc = dp_rpc_call (self->rpc, "eth_call", params, &result, NULL, err);
    if (rc != DP_OK)
        return rc;
    const char *hex = json_object_get_string (result);
    size_t digits = hex && strncmp (hex, "0x", 2) == 0? strlen (hex) - 2: 0;
    *out = malloc (digits / 2 + 1);
    *out_len = digits / 2;
    if (!*out)
        rc = dp_error_set (err, DP_NOMEM, "out of memory");
    else
    if (!hex || digits % 2 || dp_hex_decode (hex + 2, digits, *out, digits / 2, err) != DP_OK)
        rc = dp_error_set (err, DP_PROTO, "eth_call: result is not 0x-prefixed hex");
    json_object_put (result);
    return rc;
}

dp_status
dp_chain_deal (dp_chain_t *self, const char *deal_id, dp_chain_deal_t *out, dp_error_t *err)
{
    uint8_t data [36];
    s_selector ("deals(bytes32)", data);
    s_deal_key (deal_id, data + 4);
    uint8_t *words = NULL;
    size_t len = 0;
    dp_status rc = s_call (self, data, sizeof data, &words, &len, err);
    if (rc != DP_OK)
        return rc;
    //  (buyer, seller, amount, dataHash, deadline, attestationHash, status)
    if (len != 7 * 32) {
        free (words);
        return dp_error_set (err, DP_PROTO, "deals(bytes32): %zu bytes, expected 224 (is this DealProof.sol?)", len);
    }
    memset (out, 0, sizeof *out);
    memcpy (out->buyer, words + 12, 20);
    memcpy (out->seller, words + 32 + 12, 20);
    memcpy (out->amount, words + 64, 32);
    memcpy (out->data_hash, words + 96, 32);
    for (int i = 24; i < 32; i++)
        out->deadline = out->deadline << 8 | words [128 + i];
    out->status = (dp_chain_deal_status) words [6 * 32 + 31];
    free (words);
    return DP_OK;
}

dp_status
dp_chain_is_signer (dp_chain_t *self, const uint8_t signer [20], int *registered, dp_error_t *err)
{
    uint8_t data [36];
    s_selector ("isSigner(address)", data);
    dp_eth_word_address (signer, data + 4);
    uint8_t *word = NULL;
    size_t len = 0;
    dp_status rc = s_call (self, data, sizeof data, &word, &len, err);
    if (rc == DP_OK && len != 32)
        rc = dp_error_set (err, DP_PROTO, "isSigner(address): %zu bytes, expected 32", len);
    if (rc == DP_OK)
        *registered = word [31] == 1;
    free (word);
    return rc;
}

static dp_status
s_calldata (const char *signature, const uint8_t (*words) [32], size_t count,
            const uint8_t *tail, size_t tail_len, uint8_t **data, size_t *len)
{
    size_t padded = (tail_len + 31) / 32 * 32;
    *len = 4 + 32 * count + (tail? 32 + padded: 0);
    *data = calloc (1, *len);
    if (!*data)
        return DP_NOMEM;
    s_selector (signature, *data);
    memcpy (*data + 4, words, 32 * count);
    if (tail) {
        dp_eth_word_uint64 (tail_len, *data + 4 + 32 * count);
        memcpy (*data + 4 + 32 * count + 32, tail, tail_len);
    }
    return DP_OK;
}

dp_status
dp_chain_calldata_create (const char *deal_id, const uint8_t seller [20], const uint8_t data_hash [32],
                          uint64_t window_s, uint8_t **data, size_t *len)
{
    uint8_t words [4][32];
    s_deal_key (deal_id, words [0]);
    dp_eth_word_address (seller, words [1]);
    memcpy (words [2], data_hash, 32);
    dp_eth_word_uint64 (window_s, words [3]);
    return s_calldata ("createDeal(bytes32,address,bytes32,uint256)", (const uint8_t (*) [32]) words, 4,
                       NULL, 0, data, len);
}

dp_status
dp_chain_calldata_release (const char *deal_id, const uint8_t amount [32], const uint8_t report_data32 [32],
                           const uint8_t sig [65], uint8_t **data, size_t *len)
{
    uint8_t words [4][32];
    s_deal_key (deal_id, words [0]);
    memcpy (words [1], amount, 32);
    memcpy (words [2], report_data32, 32);
    dp_eth_word_uint64 (4 * 32, words [3]);     //  offset of the bytes argument
    return s_calldata ("releaseWithAttestation(bytes32,uint256,bytes32,bytes)",
                       (const uint8_t (*) [32]) words, 4, sig, 65, data, len);
}

dp_status
dp_chain_calldata_refund (const char *deal_id, uint8_t **data, size_t *len)
{
    uint8_t words [1][32];
    s_deal_key (deal_id, words [0]);
    return s_calldata ("refund(bytes32)", (const uint8_t (*) [32]) words, 1, NULL, 0, data, len);
}

static dp_status
s_estimate_gas (dp_chain_t *self, const uint8_t value [32], const uint8_t *data, size_t len,
                uint64_t *gas, dp_error_t *err)
{
    char quantity [67];
    json_object *call = json_object_new_object (), *params = json_object_new_array ();
    json_object_object_add (call, "from", json_object_new_string (self->address_text));
    json_object_object_add (call, "to", json_object_new_string (self->contract_hex));
    json_object_object_add (call, "value", json_object_new_string (dp_ethtx_u256_quantity (value, quantity)));
    json_object_object_add (call, "data", s_hex_json (data, len));
    json_object_array_add (params, call);
    return dp_rpc_call_u64 (self->rpc, "eth_estimateGas", params, gas, err);
}

void
dp_chain_tx_clear (dp_chain_tx_t *tx)
{
    free (tx->raw_hex);
    memset (tx, 0, sizeof *tx);
}

int
dp_chain_error_final (const char *text)
{
    static const char *final [] = {
        "DealExists()", "NoDeposit()", "BadSeller()", "NotActive()", "AmountMismatch()",
        "BadSignature()", "UnknownSigner()", "NotBuyer()"
    };
    if (!text || !strstr (text, "revert"))
        return 0;                       //  the node's own error, not the contract's
    for (size_t i = 0; i < sizeof final / sizeof final [0]; i++) {
        uint8_t selector [4];
        char hex [9], name [32];
        s_selector (final [i], selector);
        dp_hex_encode (selector, 4, hex);
        snprintf (name, sizeof name, "%.*s", (int) (strlen (final [i]) - 2), final [i]);
        if (strstr (text, hex) || strstr (text, name))
            return 1;
    }
    return 0;
}

//  a + b, or UINT64_MAX when that overflows (a price no cap admits).
static uint64_t
s_add_sat (uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b? UINT64_MAX: a + b;
}

int
dp_chain_fees (uint64_t base_fee, uint64_t today_tip, const dp_chain_tx_t *fee_bump_of, uint64_t cap,
               uint64_t *tip, uint64_t *max_fee)
{
    *tip = today_tip;
    //  Twice the base fee survives a few full blocks of base fee rises.
    *max_fee = s_add_sat (s_add_sat (base_fee, base_fee), today_tip);
    if (!fee_bump_of) {
        if (cap && *max_fee > cap)
            *max_fee = cap;
        if (*tip > *max_fee)
            *tip = *max_fee;
        return 1;
    }
    //  A replacement must raise both fees by at least 10 % (geth's rule):
    //  1/8 over the old ones, or today's price if higher. Cutting it to
    //  the cap instead would make a replacement the node refuses.
    uint64_t bumped_tip = s_add_sat (fee_bump_of->tip, fee_bump_of->tip / 8 + 1);
    uint64_t bumped_fee = s_add_sat (fee_bump_of->max_fee, fee_bump_of->max_fee / 8 + 1);
    *tip = *tip > bumped_tip? *tip: bumped_tip;
    *max_fee = *max_fee > bumped_fee? *max_fee: bumped_fee;
    if (*tip > *max_fee)
        *max_fee = *tip;
    return !cap || *max_fee <= cap;
}

dp_status
dp_chain_prepare (dp_chain_t *self, uint64_t nonce, const uint8_t value [32], const uint8_t *data,
                  size_t len, const dp_chain_tx_t *fee_bump_of, dp_chain_tx_t *out, dp_error_t *err)
{
    memset (out, 0, sizeof *out);
    uint64_t gas = 0, base_fee = 0, tip = 0;
    dp_status rc = s_estimate_gas (self, value, data, len, &gas, err);
    if (rc == DP_OK)
        rc = s_latest_block_u64 (self, "baseFeePerGas", &base_fee, err);
    if (rc == DP_OK)
        rc = dp_rpc_call_u64 (self->rpc, "eth_maxPriorityFeePerGas", NULL, &tip, err);
    if (rc != DP_OK)
        return rc;
    out->nonce = nonce;
    out->gas = gas + gas / 5;           //  20 % headroom over the estimate
    if (!dp_chain_fees (base_fee, tip, fee_bump_of, self->max_fee, &out->tip, &out->max_fee))
        return dp_error_set (err, DP_LIMIT, "a replacement would offer more than the max fee of %llu wei per gas",
                             (unsigned long long) self->max_fee);
    dp_ethtx_t tx = {
        .type = 2, .chain_id = self->chain_id, .nonce = nonce, .gas_limit = out->gas,
        .has_to = 1, .data = data, .data_len = len
    };
    memcpy (tx.to, self->contract, 20);
    memcpy (tx.value, value, 32);
    dp_ethtx_u256_from_u64 (out->tip, tx.max_priority_fee);
    dp_ethtx_u256_from_u64 (out->max_fee, tx.max_fee);
    uint8_t *raw = NULL, hash [32];
    size_t raw_len = 0;
    rc = dp_ethtx_sign (&tx, self->key, &raw, &raw_len, hash, err);
    if (rc != DP_OK)
        return rc;
    out->raw_hex = malloc (2 * raw_len + 3);
    if (!out->raw_hex) {
        free (raw);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    strcpy (out->raw_hex, "0x");
    dp_hex_encode (raw, raw_len, out->raw_hex + 2);
    strcpy (out->hash, "0x");
    dp_hex_encode (hash, 32, out->hash + 2);
    free (raw);
    return DP_OK;
}

dp_status
dp_chain_send (dp_chain_t *self, const dp_chain_tx_t *tx, dp_error_t *err)
{
    json_object *params = json_object_new_array (), *result = NULL;
    json_object_array_add (params, json_object_new_string (tx->raw_hex));
    dp_status rc = dp_rpc_call (self->rpc, "eth_sendRawTransaction", params, &result, NULL, err);
    json_object_put (result);
    //  Error texts differ per node (notes/eth-toolchain.md): a resend of a
    //  known or mined transaction is not a failure; the receipt decides.
    if (rc == DP_INVALID && (strstr (err->text, "already known") || strstr (err->text, "nonce too low")
                          || strstr (err->text, "already imported")))
        return DP_EXISTS;
    return rc;
}

dp_status
dp_chain_receipt_of (dp_chain_t *self, const char *hash, dp_chain_receipt *out, dp_error_t *err)
{
    json_object *params = json_object_new_array (), *receipt = NULL, *status = NULL;
    json_object_array_add (params, json_object_new_string (hash));
    dp_status rc = dp_rpc_call (self->rpc, "eth_getTransactionReceipt", params, &receipt, NULL, err);
    if (rc != DP_OK)
        return rc;
    *out = DP_CHAIN_PENDING;
    if (receipt && json_object_object_get_ex (receipt, "status", &status))
        *out = strcmp (json_object_get_string (status), "0x1") == 0? DP_CHAIN_MINED_OK: DP_CHAIN_REVERTED;
    json_object_put (receipt);
    return DP_OK;
}
