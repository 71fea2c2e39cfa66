/*  fuzz_json_tree.c — the strict parser against json-c's own strict
    tokener: whatever dp_json_parse accepts, json-c accepts too and builds
    the same tree (types, int64/uint64, doubles with their source text,
    strings byte for byte, key order). Inputs with surrogate-pair escapes
    are only parsed, not compared: json-c 0.16 decodes some valid pairs to
    U+FFFD (see dp_json.c), ours decodes them right. */

#define _GNU_SOURCE             //  memmem
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_json.h"
#include "../unit/json_same_tree.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    const char *text = (const char *) data;
    json_object *ours = NULL;
    if (dp_json_parse (text, size, &ours, NULL) != DP_OK)
        return 0;
    if (memmem (text, size, "\\ud", 3) || memmem (text, size, "\\uD", 3)) {
        json_object_put (ours);
        return 0;
    }
    json_tokener *tok = json_tokener_new_ex (DP_JSON_MAX_DEPTH);
    if (!tok)
        abort ();
    json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
    json_object *theirs = json_tokener_parse_ex (tok, text, (int) size);
    if (json_tokener_get_error (tok) == json_tokener_continue)
        theirs = json_tokener_parse_ex (tok, "", 1);        //  a bare number ends at the end
    if (json_tokener_get_error (tok) != json_tokener_success || !same_tree (ours, theirs))
        abort ();
    json_tokener_free (tok);
    json_object_put (theirs);
    json_object_put (ours);
    return 0;
}
