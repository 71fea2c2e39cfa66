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
