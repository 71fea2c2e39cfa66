/*  dp_text.h — bounded copies into the fixed-size text fields of our
    message and record structs.

    glibc 2.36 (Debian 12) has no strlcpy, and snprintf ("%s") parses a
    format on every call, which showed in the broker's and the worker's
    per-deal paths (several fields per message, several messages per deal). */

#ifndef DP_TEXT_H_INCLUDED
#define DP_TEXT_H_INCLUDED

#include <stddef.h>

//  Copies src into dst (size bytes, size >= 1), cut to size - 1 bytes and
//  always NUL-terminated. Returns the length copied. src NULL copies "".
size_t dp_text_copy (char *dst, size_t size, const char *src);

#endif
