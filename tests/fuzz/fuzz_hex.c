/*  fuzz_hex.c — the strict hex decoder never reads out of bounds and
    round-trips every input it accepts. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_hex.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';
    uint8_t out [2048];
    size_t want = size / 2;
    if (dp_hex_decode (text, size, out, want, NULL) == DP_OK) {
        char back [4097];
        dp_hex_encode (out, want, back);
        for (size_t i = 0; i < size; i++)
            if ((text [i] | 0x20) != back [i] && text [i] != back [i])
                abort ();
    }
    if (dp_hex_decode_0x (text, out, 32, NULL) == DP_OK && size < 64)
        abort ();   //  32 bytes need at least 64 digits
    free (text);
    return 0;
}
