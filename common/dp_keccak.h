/*  dp_keccak.h — Ethereum's Keccak-256.

    Keccak-256 as Ethereum uses it: the original Keccak submission's padding
    (domain byte 0x01), NOT FIPS-202 SHA3-256 (domain byte 0x06). The two
    differ on every input: keccak256("") = c5d24601…, sha3_256("") = a7ffc6f8….
    Debian 12's OpenSSL 3.0 has no Keccak, so the sponge is built here on
    nettle's Keccak-f[1600] permutation (see dp_keccak.c).

    One-shot and incremental forms. dp_keccak_t is a plain struct so that it
    can live on the stack (hashing a few fields must not allocate); its fields
    are private. Thread-safe: contexts are not shared. */

#ifndef DP_KECCAK_H_INCLUDED
#define DP_KECCAK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define DP_KECCAK256_SIZE 32
//  Rate of Keccak-256: 1600 - 2*256 bits = 136 bytes.
#define DP_KECCAK256_RATE 136

typedef struct {
    uint64_t lanes [25];        //  the Keccak-f[1600] state
    size_t position;            //  bytes absorbed into the current block
} dp_keccak_t;

//  out = keccak256(data[0..len)). data may be NULL when len is 0.
void dp_keccak256 (const void *data, size_t len, uint8_t out [DP_KECCAK256_SIZE]);

//  Starts an incremental Keccak-256.
void dp_keccak_init (dp_keccak_t *self);

//  Absorbs len more bytes. data may be NULL when len is 0.
void dp_keccak_update (dp_keccak_t *self, const void *data, size_t len);

//  Writes the digest and wipes the context; call dp_keccak_init to reuse it.
void dp_keccak_final (dp_keccak_t *self, uint8_t out [DP_KECCAK256_SIZE]);

#endif
