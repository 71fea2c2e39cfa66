/*  dp_ethtx.c — EIP-1559 and legacy EIP-155 transactions. */

#include "dp_ethtx.h"

#include <stdlib.h>
#include <string.h>

#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_keccak.h"
#include "dp_rlp.h"

void
dp_ethtx_u256_from_u64 (uint64_t value, uint8_t out [32])
{
    memset (out, 0, 32);
    for (int i = 31; i >= 24; i--, value >>= 8)
        out [i] = (uint8_t) (value & 0xff);
}

//  out = out * base + digit over 32 big-endian bytes; -1 on overflow.
static int
s_mul_add (uint8_t out [32], unsigned base, unsigned digit)
{
    unsigned carry = digit;
    for (int i = 31; i >= 0; i--) {
        unsigned value = out [i] * base + carry;
        out [i] = (uint8_t) (value & 0xff);
        carry = value >> 8;
    }
    return carry? -1: 0;
}

dp_status
dp_ethtx_u256_parse (const char *text, uint8_t out [32], dp_error_t *err)
{
    if (!text || !*text)
        return dp_error_set (err, DP_INVALID, "empty number");
    unsigned base = 10;
    if (text [0] == '0' && (text [1] == 'x' || text [1] == 'X')) {
        base = 16;
        text += 2;
        if (!*text)
            return dp_error_set (err, DP_INVALID, "'0x' without digits");
    }
    uint8_t value [32] = { 0 };
    for (const char *c = text; *c; c++) {
        int digit = base == 16? dp_hex_digit (*c): (*c >= '0' && *c <= '9'? *c - '0': -1);
        if (digit < 0)
            return dp_error_set (err, DP_INVALID, "'%c' is not a base-%u digit", *c, base);
        if (s_mul_add (value, base, (unsigned) digit) != 0)
            return dp_error_set (err, DP_INVALID, "number exceeds 2^256 - 1");
    }
    memcpy (out, value, 32);
    return DP_OK;
}

char *
dp_ethtx_u256_quantity (const uint8_t value [32], char out [67])
{
    static const char digits [] = "0123456789abcdef";
    char *cursor = out;
    *cursor++ = '0';
    *cursor++ = 'x';
    int started = 0;
    for (int i = 0; i < 64; i++) {
        int nibble = (value [i / 2] >> (i % 2? 0: 4)) & 15;
        if (!started && nibble == 0 && i < 63)
            continue;
        started = 1;
        *cursor++ = digits [nibble];
    }
    *cursor = '\0';
    return out;
}

static void
s_access_list (dp_rlp_t *rlp, const dp_ethtx_t *tx)
{
    size_t list = dp_rlp_list_begin (rlp);
    for (size_t i = 0; i < tx->access_count; i++) {
        const dp_ethtx_access_t *entry = &tx->access [i];
        size_t item = dp_rlp_list_begin (rlp);
        dp_rlp_bytes (rlp, entry->address, 20);
        size_t keys = dp_rlp_list_begin (rlp);
        for (size_t k = 0; k < entry->storage_key_count; k++)
            dp_rlp_bytes (rlp, entry->storage_keys [k], 32);
        dp_rlp_list_end (rlp, keys);
        dp_rlp_list_end (rlp, item);
    }
    dp_rlp_list_end (rlp, list);
}

//  The fields every form shares, in the type's order. For type 2:
//  chainId, nonce, tip, fee cap, gas, to, value, data, access list.
//  For legacy: nonce, gasPrice, gas, to, value, data.
static void
s_fields (dp_rlp_t *rlp, const dp_ethtx_t *tx)
{
    if (tx->type == 2) {
        dp_rlp_uint64 (rlp, tx->chain_id);
        dp_rlp_uint64 (rlp, tx->nonce);
        dp_rlp_uint_be (rlp, tx->max_priority_fee, 32);
        dp_rlp_uint_be (rlp, tx->max_fee, 32);
    }
    else {
        dp_rlp_uint64 (rlp, tx->nonce);
        dp_rlp_uint_be (rlp, tx->gas_price, 32);
    }
    dp_rlp_uint64 (rlp, tx->gas_limit);
    dp_rlp_bytes (rlp, tx->has_to? tx->to: NULL, tx->has_to? 20: 0);
    dp_rlp_uint_be (rlp, tx->value, 32);
    dp_rlp_bytes (rlp, tx->data, tx->data_len);
    if (tx->type == 2)
        s_access_list (rlp, tx);
}

//  Encodes the transaction; with sig NULL the signing payload, else the
//  signed form (type 2: y_parity, r, s; legacy: v = chainId*2+35+parity).
static dp_status
s_encode (const dp_ethtx_t *tx, const uint8_t *sig, uint8_t **out, size_t *len, dp_error_t *err)
{
    if (tx->type != 2 && tx->type != 0)
        return dp_error_set (err, DP_INVALID, "transaction type %d: only 0 and 2 are supported", tx->type);
    dp_rlp_t rlp;
    dp_rlp_init (&rlp);
    if (tx->type == 2) {
        const uint8_t type = 0x02;
        dp_rlp_raw (&rlp, &type, 1);
    }
    size_t list = dp_rlp_list_begin (&rlp);
    s_fields (&rlp, tx);
    if (sig) {
        uint64_t parity = (uint64_t) (sig [64] - 27);
        dp_rlp_uint64 (&rlp, tx->type == 2? parity: tx->chain_id * 2 + 35 + parity);
        dp_rlp_uint_be (&rlp, sig, 32);
        dp_rlp_uint_be (&rlp, sig + 32, 32);
    }
    else
    if (tx->type == 0) {
        dp_rlp_uint64 (&rlp, tx->chain_id);    //  EIP-155: chainId, 0, 0
        dp_rlp_uint64 (&rlp, 0);
        dp_rlp_uint64 (&rlp, 0);
    }
    dp_rlp_list_end (&rlp, list);
    if (dp_rlp_failed (&rlp)) {
        dp_rlp_clear (&rlp);
        return dp_error_set (err, DP_NOMEM, "out of memory");
    }
    *out = rlp.data;
    *len = rlp.len;
    return DP_OK;
}

dp_status
dp_ethtx_signing_payload (const dp_ethtx_t *tx, uint8_t **payload, size_t *len, dp_error_t *err)
{
    return s_encode (tx, NULL, payload, len, err);
}

dp_status
dp_ethtx_sign (const dp_ethtx_t *tx, const uint8_t key [32], uint8_t **raw, size_t *raw_len,
               uint8_t hash [32], dp_error_t *err)
{
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    dp_status rc = s_encode (tx, NULL, &payload, &payload_len, err);
    if (rc != DP_OK)
        return rc;
    uint8_t digest [32], sig [65];
    dp_keccak256 (payload, payload_len, digest);
    free (payload);
    rc = dp_eth_sign (key, digest, sig, err);
    if (rc != DP_OK)
        return rc;
    rc = s_encode (tx, sig, raw, raw_len, err);
    if (rc == DP_OK)
        dp_keccak256 (*raw, *raw_len, hash);
    return rc;
}
