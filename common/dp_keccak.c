/*  dp_keccak.c — Keccak-256 (Ethereum) as a sponge over nettle's permutation.

    Why this shape: Debian 12's OpenSSL 3.0 has SHA3-256 but no Keccak-256
    (the KECCAK-256 digest arrived in OpenSSL 3.2), and nettle's sha3_256_*
    functions hard-wire the FIPS-202 padding. nettle does export the bare
    Keccak-f[1600] permutation (nettle_sha3_permute), which is the hard,
    performance-sensitive part. What is left here is the sponge: XOR input
    into the first 136 bytes (the rate) of the state, permute per full block,
    pad with Keccak's 0x01 … 0x80 and squeeze 32 bytes. */

#include "dp_keccak.h"

#include <nettle/sha3.h>
#include <openssl/crypto.h>
#include <string.h>

//  The state must be exactly nettle's layout so we can hand it over.
_Static_assert (sizeof (struct sha3_state) == sizeof (((dp_keccak_t *) 0)->lanes),
                "nettle sha3_state layout changed");

//  Keccak lanes are little-endian 64-bit words; byte i of the state is byte
//  i%8 of lane i/8. Written out so the code is right on any host.
static void
s_xor_byte (dp_keccak_t *self, size_t index, uint8_t value)
{
    self->lanes [index / 8] ^= (uint64_t) value << (8 * (index % 8));
}

static void
s_permute (dp_keccak_t *self)
{
    nettle_sha3_permute ((struct sha3_state *) self->lanes);
    self->position = 0;
}

void
dp_keccak_init (dp_keccak_t *self)
{
    memset (self, 0, sizeof *self);
}

void
dp_keccak_update (dp_keccak_t *self, const void *data, size_t len)
{
    const uint8_t *bytes = data;
    //  Whole aligned lanes at a time when we can: eight bytes per XOR.
    while (len > 0) {
        if (self->position % 8 == 0 && len >= 8) {
            uint64_t lane = 0;
            for (int i = 7; i >= 0; i--)
                lane = (lane << 8) | bytes [i];
            self->lanes [self->position / 8] ^= lane;
            self->position += 8;
            bytes += 8;
            len -= 8;
        }
        else {
            s_xor_byte (self, self->position++, *bytes++);
            len--;
        }
        if (self->position == DP_KECCAK256_RATE)
            s_permute (self);
    }
}

void
dp_keccak_final (dp_keccak_t *self, uint8_t out [DP_KECCAK256_SIZE])
{
    //  Keccak's pad10*1 with the original domain byte 0x01 (SHA3 uses 0x06).
    //  If position is the last byte of the block, both bits land in it (0x81).
    s_xor_byte (self, self->position, 0x01);
    s_xor_byte (self, DP_KECCAK256_RATE - 1, 0x80);
    s_permute (self);
    for (size_t i = 0; i < DP_KECCAK256_SIZE; i++)
        out [i] = (uint8_t) (self->lanes [i / 8] >> (8 * (i % 8)));
    //  The state may be derived from secret input (key derivation, MACs).
    OPENSSL_cleanse (self, sizeof *self);
}

void
dp_keccak256 (const void *data, size_t len, uint8_t out [DP_KECCAK256_SIZE])
{
    dp_keccak_t ctx;
    dp_keccak_init (&ctx);
    dp_keccak_update (&ctx, data, len);
    dp_keccak_final (&ctx, out);
}
