/*  fuzz_pydumps.c — any JSON the parser accepts can be written in both
    forms; the Python form is pure ASCII and reads back to itself; the
    canonical form is idempotent; and the float repr of any 8 bytes reads
    back as the same double. */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_json.h"

static void
s_check_float (const uint8_t *data, size_t size)
{
    if (size < 8)
        return;
    double value;
    memcpy (&value, data, 8);
    char text [DP_JSON_FLOAT_MAX];
    dp_json_float_repr (value, text);
    if (strlen (text) >= DP_JSON_FLOAT_MAX - 1)
        abort ();
    if (isfinite (value) && strtod (text, NULL) != value)
        abort ();
    if (isfinite (value) && !strpbrk (text, ".e"))
        abort ();       //  Python's repr always marks a float
}

//  Writes value with writer, parses the result and writes it again.
static void
s_check_fixpoint (json_object *value, int canonical)
{
    char *text = NULL, *again = NULL;
    size_t len = 0, again_len = 0;
    dp_status rc = canonical? dp_json_canonical (value, &text, &len, NULL)
                            : dp_json_pydumps (value, &text, &len, NULL);
    if (rc != DP_OK)
        abort ();       //  parsed input is always valid UTF-8 and finite
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text [i] >= 0x80 || (unsigned char) text [i] < 0x20)
            abort ();
    json_object *reread = NULL;
    if (dp_json_parse_depth (text, len, 1000, &reread, NULL) != DP_OK)
        abort ();
    rc = canonical? dp_json_canonical (reread, &again, &again_len, NULL)
                  : dp_json_pydumps (reread, &again, &again_len, NULL);
    if (rc != DP_OK || again_len != len || memcmp (text, again, len) != 0)
        abort ();
    json_object_put (reread);
    free (text);
    free (again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_check_float (data, size);
    if (size > 1 << 20)
        return 0;
    json_object *value = NULL;
    if (dp_json_parse ((const char *) data, size, &value, NULL) != DP_OK)
        return 0;
    s_check_fixpoint (value, 1);
    //  The Python form writes 1e400 as Infinity, which is not JSON.
    char *text = NULL;
    if (dp_json_pydumps (value, &text, NULL, NULL) != DP_OK)
        abort ();
    if (!strstr (text, "Infinity") && !strstr (text, "NaN"))
        s_check_fixpoint (value, 0);
    free (text);
    json_object_put (value);
    return 0;
}
