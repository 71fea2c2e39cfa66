/*  dp_hex.c — strict hexadecimal encode and decode. */

#include "dp_hex.h"

#include <string.h>

int
dp_hex_digit (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *
dp_hex_encode (const uint8_t *data, size_t size, char *out)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        out [2 * i] = digits [data [i] >> 4];
        out [2 * i + 1] = digits [data [i] & 15];
    }
    out [2 * size] = '\0';
    return out;
}

int
dp_hex_is_valid (const char *text, size_t len)
{
    if (!text)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (dp_hex_digit (text [i]) < 0)
            return 0;
    return 1;
}

dp_status
dp_hex_decode (const char *text, size_t text_len, uint8_t *out, size_t size, dp_error_t *err)
{
    if (text_len != 2 * size)
        return dp_error_set (err, DP_INVALID, "expected %zu hex digits, got %zu", 2 * size, text_len);
    for (size_t i = 0; i < text_len; i++)
        if (dp_hex_digit (text [i]) < 0)
            return dp_error_set (err, DP_INVALID, "not a hex digit at offset %zu", i);
    for (size_t i = 0; i < size; i++)
        out [i] = (uint8_t) (dp_hex_digit (text [2 * i]) << 4 | dp_hex_digit (text [2 * i + 1]));
    return DP_OK;
}

dp_status
dp_hex_decode_0x (const char *text, uint8_t *out, size_t size, dp_error_t *err)
{
    if (!text)
        return dp_error_set (err, DP_INVALID, "missing hex string");
    if (text [0] == '0' && (text [1] == 'x' || text [1] == 'X'))
        text += 2;
    return dp_hex_decode (text, strlen (text), out, size, err);
}
