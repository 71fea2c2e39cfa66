/*  dp_submit_show.c — the demo's transcript lines and result block. */

#include "dp_submit_show.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_RULE_WIDTH 62

char *
dp_submit_show_money (int64_t cents, char *out, size_t size)
{
    char digits [32];
    uint64_t magnitude = cents < 0? (uint64_t) -(cents + 1) + 1: (uint64_t) cents;
    snprintf (digits, sizeof digits, "%llu", (unsigned long long) (magnitude / 100));
    //  Thousands separators, as the seed's f"{x:,.2f}".
    char grouped [48];
    size_t len = strlen (digits), at = 0;
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped [at++] = ',';
        grouped [at++] = digits [i];
    }
    grouped [at] = '\0';
    snprintf (out, size, "%s$%s.%02u", cents < 0? "-": "", grouped,
              (unsigned) (magnitude % 100));
    return out;
}

int64_t
dp_submit_show_cents (json_object *value)
{
    if (!value)
        return -1;
    if (json_object_is_type (value, json_type_int))
        return json_object_get_int64 (value) * 100;
    if (!json_object_is_type (value, json_type_double))
        return -1;
    double d = json_object_get_double (value);
    if (!isfinite (d) || d < 0 || d > 9e15)
        return -1;
    return (int64_t) llround (d * 100.0);
}

static const char *
s_field_text (json_object *object, const char *key, const char *otherwise)
{
    json_object *value;
    if (!json_object_object_get_ex (object, key, &value) || !value)
        return otherwise;
    return json_object_get_string (value);
}

//  Copies at most width characters of UTF-8 text (never cutting a
//  character), newlines as spaces, with "…" when cut.
static void
s_cut (const char *text, int width, char *out, size_t size)
{
    size_t at = 0;
    int chars = 0;
    const unsigned char *p = (const unsigned char *) text;
    while (*p && at + 8 < size) {
        if (chars == width) {
            memcpy (out + at, "…", 3);
            at += 3;
            break;
        }
        size_t n = *p < 0x80? 1: (*p >> 5) == 6? 2: (*p >> 4) == 14? 3: 4;
        for (size_t i = 0; i < n && p [i]; i++)
            out [at++] = (p [i] == '\n' || p [i] == '\r' || p [i] == '\t')? ' ': (char) p [i];
        p += n;
        chars++;
    }
    out [at] = '\0';
}

void
dp_submit_show_move (FILE *out, json_object *entry, int width)
{
    json_object *round = NULL, *price = NULL;
    json_object_object_get_ex (entry, "round", &round);
    json_object_object_get_ex (entry, "price", &price);
    char role [16], action [16], money [48] = "", reasoning [512];
    snprintf (role, sizeof role, "%s", s_field_text (entry, "role", "?"));
    snprintf (action, sizeof action, "%s", s_field_text (entry, "action", "?"));
    for (char *p = role; *p; p++)
        *p = (char) toupper ((unsigned char) *p);
    for (char *p = action; *p; p++)
        *p = (char) toupper ((unsigned char) *p);
    int64_t cents = dp_submit_show_cents (price);
    if (cents >= 0)
        dp_submit_show_money (cents, money, sizeof money);
    s_cut (s_field_text (entry, "reasoning", ""), width > 0? width: 60, reasoning, sizeof reasoning);
    fprintf (out, "[Round %d] %-6s %-8s %11s  %s\n", round? json_object_get_int (round): 0,
             role, action, money, reasoning);
}

void
dp_submit_show_rule (FILE *out, const char *title)
{
    int len = (int) strlen (title) + 2;
    int left = (S_RULE_WIDTH - len) / 2, right = S_RULE_WIDTH - len - left;
    for (int i = 0; i < left; i++)
        fputs ("─", out);
    fprintf (out, " %s ", title);
    for (int i = 0; i < right; i++)
        fputs ("─", out);
    fputc ('\n', out);
}

void
dp_submit_show_transcript (FILE *out, json_object *result)
{
    json_object *transcript = NULL;
    dp_submit_show_rule (out, "TRANSCRIPT");
    if (!json_object_object_get_ex (result, "transcript", &transcript)
    ||  !json_object_is_type (transcript, json_type_array)
    ||  json_object_array_length (transcript) == 0) {
        fprintf (out, "(no moves)\n");
        return;
    }
    for (size_t i = 0; i < json_object_array_length (transcript); i++)
        dp_submit_show_move (out, json_object_array_get_idx (transcript, i), 0);
}

//  "0x04000200000081000000…  [5006 bytes, Intel TDX quote, simulation]"
static void
s_show_quote (FILE *out, const char *title, const char *hex, const char *tee_mode)
{
    fprintf (out, "  %s:\n", title);
    if (!hex || !*hex) {
        fprintf (out, "    (none)\n");
        return;
    }
    const char *digits = strncmp (hex, "0x", 2) == 0? hex + 2: hex;
    fprintf (out, "    0x%.24s…  [%zu bytes, Intel TDX quote%s%s]\n", digits, strlen (digits) / 2,
             tee_mode? ", ": "", tee_mode? tee_mode: "");
}

void
dp_submit_show_result (FILE *out, json_object *result)
{
    dp_submit_show_rule (out, "RESULT");
    json_object *agreed = NULL, *price = NULL, *terms = NULL;
    json_object_object_get_ex (result, "agreed", &agreed);
    json_object_object_get_ex (result, "final_price", &price);
    json_object_object_get_ex (result, "terms", &terms);
    const char *tee_mode = s_field_text (result, "tee_mode", NULL);
    if (json_object_get_boolean (agreed)) {
        char money [48];
        fprintf (out, "✓ Deal agreed at %s\n",
                 dp_submit_show_money (dp_submit_show_cents (price), money, sizeof money));
        fprintf (out, "  Access scope: %s   Duration: %s days\n",
                 s_field_text (terms, "access_scope", "?"), s_field_text (terms, "duration_days", "?"));
    }
    else
        fprintf (out, "✗ No deal: %s (%s)\n", s_field_text (result, "status", "failed"),
                 s_field_text (result, "reason", "no reason given"));
    s_show_quote (out, "Data Verification Attestation (Props / TDX)",
                  s_field_text (result, "data_verification_attestation", NULL), tee_mode);
    s_show_quote (out, "Deal Attestation (Negotiation / TDX)",
                  s_field_text (result, "attestation", NULL), tee_mode);
    fprintf (out, "  Signer: %s   TEE mode: %s\n", s_field_text (result, "signer", "(unsigned)"),
             tee_mode? tee_mode: "?");
}
