/*  dp_ethtx.h — Ethereum transactions signed with the relayer's key:
    EIP-1559 (type 2) and legacy EIP-155, RLP-encoded, signed with
    libsecp256k1 through dp_eth (RFC 6979, low s).

    Amounts are 32-byte big-endian unsigned integers (uint256). */

#ifndef DP_ETHTX_H_INCLUDED
#define DP_ETHTX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef struct {
    uint8_t address [20];
    const uint8_t (*storage_keys) [32];
    size_t storage_key_count;
} dp_ethtx_access_t;

typedef struct {
    int type;                           //  2 (EIP-1559) or 0 (legacy, EIP-155)
    uint64_t chain_id;
    uint64_t nonce;
    uint8_t max_priority_fee [32];      //  type 2
    uint8_t max_fee [32];               //  type 2
    uint8_t gas_price [32];             //  type 0
    uint64_t gas_limit;
    int has_to;                         //  0: contract creation
    uint8_t to [20];
    uint8_t value [32];
    const uint8_t *data;                //  calldata, borrowed
    size_t data_len;
    const dp_ethtx_access_t *access;    //  type 2 access list, borrowed
    size_t access_count;
} dp_ethtx_t;

//  The bytes that are hashed for signing (type 2: 0x02 ‖ RLP(...)).
//  *payload is malloc'd. DP_INVALID for an unknown type; DP_NOMEM.
dp_status dp_ethtx_signing_payload (const dp_ethtx_t *tx, uint8_t **payload, size_t *len,
                                    dp_error_t *err) DP_MUST_CHECK;

//  Signs tx with key: *raw is the malloc'd raw transaction for
//  eth_sendRawTransaction, hash its transaction hash (keccak of raw).
dp_status dp_ethtx_sign (const dp_ethtx_t *tx, const uint8_t key [32], uint8_t **raw,
                         size_t *raw_len, uint8_t hash [32], dp_error_t *err) DP_MUST_CHECK;

//  Parses a JSON-RPC QUANTITY ("0x1a", minimal hex, "0x0") or a decimal
//  string into a uint256. DP_INVALID naming the problem.
dp_status dp_ethtx_u256_parse (const char *text, uint8_t out [32], dp_error_t *err) DP_MUST_CHECK;

//  Writes a uint256 as a QUANTITY ("0x0", "0x1a"); out holds 67 bytes.
char *dp_ethtx_u256_quantity (const uint8_t value [32], char out [67]);

//  A uint256 from a uint64 (fees: a gas price in wei fits 64 bits).
void dp_ethtx_u256_from_u64 (uint64_t value, uint8_t out [32]);

#endif
