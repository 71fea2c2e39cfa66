/*  dp_rlp.h — Recursive Length Prefix encoding (Ethereum yellow paper,
    appendix B), for signing transactions.

    An encoder appends items to a growable buffer. Lists are written by
    marking where the payload starts and closing the list afterwards,
    which inserts the length prefix in front of the payload. Integers are
    big-endian with leading zero bytes stripped (0 encodes as 0x80).

    Allocation failure is sticky: every later call is a no-op and
    dp_rlp_failed() returns 1, so a caller checks once at the end.
    Decoding is not needed by the relayer and is not provided. */

#ifndef DP_RLP_H_INCLUDED
#define DP_RLP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;      //  owned; free with dp_rlp_clear
    size_t len;
    size_t cap;
    int failed;
} dp_rlp_t;

void dp_rlp_init (dp_rlp_t *self);
void dp_rlp_clear (dp_rlp_t *self);
int dp_rlp_failed (const dp_rlp_t *self);

//  A byte string item.
void dp_rlp_bytes (dp_rlp_t *self, const uint8_t *data, size_t len);
//  An unsigned integer given as big-endian bytes (leading zeros stripped).
void dp_rlp_uint_be (dp_rlp_t *self, const uint8_t *be, size_t len);
void dp_rlp_uint64 (dp_rlp_t *self, uint64_t value);
//  Raw bytes appended as they are (an already encoded item, or a type byte).
void dp_rlp_raw (dp_rlp_t *self, const uint8_t *data, size_t len);

//  Starts a list; returns the mark to give to dp_rlp_list_end.
size_t dp_rlp_list_begin (dp_rlp_t *self);
//  Ends the list started at mark (everything appended since is its payload).
void dp_rlp_list_end (dp_rlp_t *self, size_t mark);

#endif
