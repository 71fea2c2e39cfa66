/*  dp_claude_parse.c — reading a move out of a Messages API response (the
    part of dp_claude.h that touches untrusted model output; the fuzz target
    fuzz_claude_response drives it). Declared in dp_claude.h.

    Strict: a tool_use `submit_move` input, or else the first balanced
    {...} in the text blocks, parsed by json-c in strict mode; prices must be
    JSON integers (no guessing at "$1,200", 1.5e3 or 12.345). */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dp_claude.h"

static void
s_unusable (dp_nego_proposal_t *out, const char *why)
{
    out->usable = 0;
    snprintf (out->problem, sizeof out->problem, "%s", why);
}

//  Finds the first balanced {...} in text, skipping braces inside strings.
static int
s_find_object (const char *text, size_t len, size_t *start, size_t *end)
{
    for (size_t i = 0; i < len; i++) {
        if (text [i] != '{')
            continue;
        int depth = 0, in_str = 0, esc = 0;
        for (size_t j = i; j < len; j++) {
            char c = text [j];
            if (in_str) {
                if (esc)
                    esc = 0;
                else if (c == '\\')
                    esc = 1;
                else if (c == '"')
                    in_str = 0;
                continue;
            }
            if (c == '"')
                in_str = 1;
            else if (c == '{')
                depth++;
            else if (c == '}' && --depth == 0) {
                *start = i;
                *end = j + 1;
                return 1;
            }
        }
        return 0;       //  unbalanced from the first brace on: give up
    }
    return 0;
}

static int
s_action (const char *text, dp_nego_action_t *out)
{
    static const char *names [] = { "offer", "counter", "accept", "reject" };
    for (int i = 0; i < 4; i++)
        if (text && strcasecmp (text, names [i]) == 0) {
            *out = (dp_nego_action_t) i;
            return 1;
        }
    return 0;
}

static void
s_copy_reasoning (char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n + 1 < size; p++)
        out [n++] = ((unsigned char) *p < 0x20) ? ' ' : *p;
    out [n] = '\0';
}

//  Reads the move object. For accept and reject a missing price or terms
//  means "the standing offer"; G4 compares what is given.
static void
s_read_move (json_object *o, const dp_nego_public_t *pub, dp_nego_proposal_t *out)
{
    json_object *v;
    if (!json_object_is_type (o, json_type_object))
        return s_unusable (out, "move is not a JSON object");
    if (!json_object_object_get_ex (o, "action", &v) || !json_object_is_type (v, json_type_string)
    ||  !s_action (json_object_get_string (v), &out->action))
        return s_unusable (out, "action missing or not offer/counter/accept/reject");
    const dp_nego_move_t *standing = dp_nego_standing (pub);
    int closing = out->action == DP_ACT_ACCEPT || out->action == DP_ACT_REJECT;
    out->price = closing && standing ? standing->price : 0;
    out->package = closing && standing ? standing->package : -1;
    if (json_object_object_get_ex (o, "price_cents", &v) && !json_object_is_type (v, json_type_null)) {
        if (!json_object_is_type (v, json_type_int))
            return s_unusable (out, "price_cents is not an integer");
        out->price = json_object_get_int64 (v);
    }
    else if (!closing)
        return s_unusable (out, "price_cents missing");
    json_object *s = NULL, *d = NULL;
    int has_s = json_object_object_get_ex (o, "access_scope", &s) && !json_object_is_type (s, json_type_null);
    int has_d = json_object_object_get_ex (o, "duration_days", &d) && !json_object_is_type (d, json_type_null);
    if (has_s || has_d || !closing) {
        if (!has_s || !has_d || !json_object_is_type (s, json_type_string)
        ||  !json_object_is_type (d, json_type_int))
            return s_unusable (out, "access_scope or duration_days missing or of the wrong type");
        out->package = -1;
        for (size_t k = 0; k < pub->package_count; k++)
            if (strcmp (pub->packages [k].access_scope, json_object_get_string (s)) == 0
            &&  pub->packages [k].duration_days == json_object_get_int64 (d))
                out->package = (int) k;
    }
    if (json_object_object_get_ex (o, "reasoning", &v) && json_object_is_type (v, json_type_string))
        s_copy_reasoning (out->reasoning, sizeof out->reasoning, json_object_get_string (v));
    out->usable = 1;
}

static void
s_read_text_blocks (json_object *content, const dp_nego_public_t *pub, dp_nego_proposal_t *out)
{
    size_t n = json_object_array_length (content);
    for (size_t i = 0; i < n; i++) {
        json_object *block = json_object_array_get_idx (content, i), *type, *text;
        if (!json_object_object_get_ex (block, "type", &type)
        ||  strcmp (json_object_get_string (type), "text") != 0
        ||  !json_object_object_get_ex (block, "text", &text))
            continue;
        const char *t = json_object_get_string (text);
        size_t start, end;
        if (!t || !s_find_object (t, strlen (t), &start, &end))
            continue;
        json_tokener *tok = json_tokener_new ();
        json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
        json_object *move = json_tokener_parse_ex (tok, t + start, (int) (end - start));
        int ok = move && json_tokener_get_error (tok) == json_tokener_success;
        json_tokener_free (tok);
        if (!ok) {
            json_object_put (move);
            return s_unusable (out, "malformed JSON in the text answer");
        }
        s_read_move (move, pub, out);
        json_object_put (move);
        return;
    }
    s_unusable (out, "no move in the answer");
}

static void
s_read_usage (json_object *msg, dp_claude_usage_t *usage)
{
    json_object *u, *v;
    if (!usage || !json_object_object_get_ex (msg, "usage", &u))
        return;
    if (json_object_object_get_ex (u, "input_tokens", &v) && json_object_is_type (v, json_type_int))
        usage->input_tokens += json_object_get_int64 (v);
    if (json_object_object_get_ex (u, "output_tokens", &v) && json_object_is_type (v, json_type_int))
        usage->output_tokens += json_object_get_int64 (v);
}

static void
s_read_message (json_object *msg, const dp_nego_public_t *pub, dp_nego_proposal_t *out)
{
    json_object *v, *content;
    if (!json_object_object_get_ex (msg, "stop_reason", &v)
    ||  !json_object_is_type (v, json_type_string))
        return s_unusable (out, "answer has no stop_reason");
    const char *stop = json_object_get_string (v);
    if (strcmp (stop, "tool_use") != 0 && strcmp (stop, "end_turn") != 0) {
        char why [96];
        snprintf (why, sizeof why, "stop_reason %.60s", stop);
        return s_unusable (out, why);
    }
    if (!json_object_object_get_ex (msg, "content", &content)
    ||  !json_object_is_type (content, json_type_array) || !json_object_array_length (content))
        return s_unusable (out, "answer has no content");
    json_object *tool_input = NULL;
    int tools = 0;
    for (size_t i = 0; i < json_object_array_length (content); i++) {
        json_object *block = json_object_array_get_idx (content, i), *type, *name;
        if (!json_object_object_get_ex (block, "type", &type)
        ||  !json_object_is_type (type, json_type_string)
        ||  strcmp (json_object_get_string (type), "tool_use") != 0)
            continue;
        tools++;
        if (!json_object_object_get_ex (block, "name", &name)
        ||  !json_object_is_type (name, json_type_string)
        ||  strcmp (json_object_get_string (name), "submit_move") != 0)
            return s_unusable (out, "tool_use of an unknown tool");
        json_object_object_get_ex (block, "input", &tool_input);
    }
    if (tools > 1)
        return s_unusable (out, "more than one tool_use in the answer");
    if (tools == 1)
        return s_read_move (tool_input, pub, out);
    s_read_text_blocks (content, pub, out);
}

void
dp_claude_parse_response (const char *body, size_t len, const dp_nego_public_t *pub,
                          dp_nego_proposal_t *out, dp_claude_usage_t *usage)
{
    memset (out, 0, sizeof *out);
    json_tokener *tok = json_tokener_new ();
    if (!tok || len > INT32_MAX)
        return s_unusable (out, "answer too large");
    json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
    json_object *msg = json_tokener_parse_ex (tok, body, (int) len);
    int ok = msg && json_tokener_get_error (tok) == json_tokener_success;
    json_tokener_free (tok);
    if (!ok || !json_object_is_type (msg, json_type_object)) {
        json_object_put (msg);
        return s_unusable (out, "answer is not a JSON object");
    }
    s_read_usage (msg, usage);
    s_read_message (msg, pub, out);
    json_object_put (msg);
}

