/*  dp_hex.h — strict hexadecimal encode and decode. */

#ifndef DP_HEX_H_INCLUDED
#define DP_HEX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Writes 2*size lower-case hex digits and a terminating NUL to out, which
//  must hold 2*size+1 bytes. Returns out.
char *dp_hex_encode (const uint8_t *data, size_t size, char *out);

//  Decodes exactly 2*size hex digits (either case, no prefix, no spaces)
//  from text of length text_len into out[size]. DP_INVALID (with the
//  offset of the first bad character in err) if the length is wrong or a
//  character is not a hex digit. out is untouched on error.
dp_status dp_hex_decode (const char *text, size_t text_len, uint8_t *out, size_t size,
                         dp_error_t *err) DP_MUST_CHECK;

//  Like dp_hex_decode for a NUL-terminated string that may start with
//  "0x"/"0X" (the prefix is optional).
dp_status dp_hex_decode_0x (const char *text, uint8_t *out, size_t size,
                            dp_error_t *err) DP_MUST_CHECK;

//  The value of one hex digit (either case), or -1 if c is not one.
int dp_hex_digit (int c);

//  True if text is exactly len hex digits (no prefix).
int dp_hex_is_valid (const char *text, size_t len);

#endif
