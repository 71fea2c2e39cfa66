/*  fuzz_dkim_sig.c — the RFC 6376 tag-list parser and the DKIM-Signature
    tag rules on arbitrary field values. Spans it returns must lie inside
    the input. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_dkim_sig.h"
#include "dp_dkim_tags.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';
    dp_dkim_tags_t tags;
    if (dp_dkim_tags_parse (text, size, &tags, NULL) == DP_OK)
        for (size_t i = 0; i < tags.count; i++) {
            const dp_dkim_tag_t *t = &tags.tags [i];
            if (t->raw_start > t->raw_end || t->raw_end > size
            ||  t->value < text || t->value + t->value_len > text + size)
                abort ();
        }
    dp_dkim_sig_t sig;
    if (dp_dkim_sig_parse (text, size, &sig, NULL) == DP_OK) {
        if (sig.b_end > size || sig.b_start > sig.b_end || sig.b_len == 0 || !sig.domain [0])
            abort ();
    }
    free (text);
    return 0;
}
