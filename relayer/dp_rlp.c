/*  dp_rlp.c — RLP encoder. Written here because no Debian package
    provides RLP for C; it is ~100 lines and checked against the vectors
    (tests/unit/test_relayer_tx.c, shared/vectors/eth/rlp.json). */

#include "dp_rlp.h"

#include <stdlib.h>
#include <string.h>

void
dp_rlp_init (dp_rlp_t *self)
{
    memset (self, 0, sizeof *self);
}

void
dp_rlp_clear (dp_rlp_t *self)
{
    free (self->data);
    dp_rlp_init (self);
}

int
dp_rlp_failed (const dp_rlp_t *self)
{
    return self->failed;
}

static int
s_reserve (dp_rlp_t *self, size_t extra)
{
    if (self->failed)
        return 0;
    if (self->len + extra <= self->cap)
        return 1;
    size_t cap = self->cap? self->cap * 2: 256;
    while (cap < self->len + extra)
        cap *= 2;
    uint8_t *data = realloc (self->data, cap);
    if (!data) {
        self->failed = 1;
        return 0;
    }
    self->data = data;
    self->cap = cap;
    return 1;
}

void
dp_rlp_raw (dp_rlp_t *self, const uint8_t *data, size_t len)
{
    if (!s_reserve (self, len))
        return;
    if (len)
        memcpy (self->data + self->len, data, len);
    self->len += len;
}

//  Writes the prefix for a payload of len bytes: short form offset + len
//  below 56 bytes, else offset + 55 + the length's own byte count, then
//  the length big-endian. Returns the prefix size.
static size_t
s_prefix (uint8_t out [9], uint8_t offset, size_t len)
{
    if (len < 56) {
        out [0] = (uint8_t) (offset + len);
        return 1;
    }
    uint8_t be [8];
    size_t bytes = 0;
    for (size_t value = len; value; value >>= 8)
        be [7 - bytes++] = (uint8_t) (value & 0xff);
    out [0] = (uint8_t) (offset + 55 + bytes);
    memcpy (out + 1, be + 8 - bytes, bytes);
    return 1 + bytes;
}

void
dp_rlp_bytes (dp_rlp_t *self, const uint8_t *data, size_t len)
{
    if (len == 1 && data [0] < 0x80) {
        dp_rlp_raw (self, data, 1);
        return;
    }
    uint8_t prefix [9];
    dp_rlp_raw (self, prefix, s_prefix (prefix, 0x80, len));
    dp_rlp_raw (self, data, len);
}

void
dp_rlp_uint_be (dp_rlp_t *self, const uint8_t *be, size_t len)
{
    while (len && be [0] == 0) {
        be++;
        len--;
    }
    dp_rlp_bytes (self, be, len);
}

void
dp_rlp_uint64 (dp_rlp_t *self, uint64_t value)
{
    uint8_t be [8];
    for (int i = 7; i >= 0; i--, value >>= 8)
        be [i] = (uint8_t) (value & 0xff);
    dp_rlp_uint_be (self, be, 8);
}

size_t
dp_rlp_list_begin (dp_rlp_t *self)
{
    return self->len;
}

void
dp_rlp_list_end (dp_rlp_t *self, size_t mark)
{
    if (self->failed || mark > self->len)
        return;
    uint8_t prefix [9];
    size_t prefix_len = s_prefix (prefix, 0xc0, self->len - mark);
    if (!s_reserve (self, prefix_len))
        return;
    memmove (self->data + mark + prefix_len, self->data + mark, self->len - mark);
    memcpy (self->data + mark, prefix, prefix_len);
    self->len += prefix_len;
}
