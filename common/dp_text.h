/*  dp_text.h — bounded copies into the fixed-size text fields of our
    message and record structs, and the hash our tables of ids use.

    glibc 2.36 (Debian 12) has no strlcpy, and snprintf ("%s") parses a
    format on every call, which showed in the broker's and the worker's
    per-deal paths (several fields per message, several messages per deal). */

#ifndef DP_TEXT_H_INCLUDED
#define DP_TEXT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Copies src into dst (size bytes, size >= 1), cut to size - 1 bytes and
//  always NUL-terminated. Returns the length copied. src NULL copies "".
size_t dp_text_copy (char *dst, size_t size, const char *src);

//  A 64-bit hash of a NUL-terminated string, never 0 (tables may use 0 for
//  an empty slot): FNV-1a, then MurmurHash3's fmix64 finaliser, because
//  FNV's low bits depend only on the low bits of each byte and sequential
//  ids ("batch-000123") would cluster in a table indexed by those bits.
uint64_t dp_text_hash (const char *text);

#endif
