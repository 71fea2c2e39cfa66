/*  dp_submit_show.h — how results and negotiation moves look on a
    terminal: the seed demo's transcript lines and result block.

    Pure formatting over SPEC §4 JSON (borrowed); writes to the stream
    given. Threading: reentrant. */

#ifndef DP_SUBMIT_SHOW_H_INCLUDED
#define DP_SUBMIT_SHOW_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

//  Writes "$1,234.50" (cents may be negative) into out[size]; returns out.
char *dp_submit_show_money (int64_t cents, char *out, size_t size);

//  A JSON price (a float such as 730.0, or a number's text) in cents,
//  rounded to the nearest cent; -1 when value is null or not a number.
int64_t dp_submit_show_cents (json_object *value);

//  One transcript entry as the seed's demo printed it:
//  "[Round 1] SELLER OFFER     $840.00  Premium curated dataset…"
//  The reasoning is cut to `width` characters (UTF-8 aware; 0 = 60).
void dp_submit_show_move (FILE *out, json_object *entry, int width);

//  The transcript section: a rule line, then every entry.
void dp_submit_show_transcript (FILE *out, json_object *result);

//  The result block: agreed price and terms (or the failure reason),
//  both attestations (shortened quote hex with size and TEE), the signer
//  and the TEE mode.
void dp_submit_show_result (FILE *out, json_object *result);

//  A centred rule with a title: "───── RESULT ─────".
void dp_submit_show_rule (FILE *out, const char *title);

#endif
