/*  dp_text.c — bounded copies into fixed-size text fields. */

#include "dp_text.h"

size_t
dp_text_copy (char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src && i + 1 < size && src [i]; i++)
        dst [i] = src [i];
    dst [i] = '\0';
    return i;
}

uint64_t
dp_text_hash (const char *text)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h? h: 1;
}
