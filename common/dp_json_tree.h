/*  dp_json_tree.h — the strict JSON parser behind dp_json_parse: one pass
    over the text that checks it (RFC 8259, UTF-8, the rules dp_json.h
    lists) and builds the json-c tree as it goes.

    Why not json-c's own tokener: dp_json_parse must lex every byte itself
    to be strict (json-c's lexer is lax, see dp_json.c), and letting the
    tokener lex it all a second time cost more than the rest of a deal's
    validation; it also switched the thread's locale on every call.

    The tree is exactly what json-c's strict tokener builds for the same
    text (tests/unit/test_json_tree.c compares them): int64 for integers
    up to INT64_MAX and negatives, uint64 above; doubles carry their
    source text as userdata (json_object_new_double_s); duplicate keys keep
    the first key's place and the last value; a JSON null is a NULL
    member. Errors carry the offset and reason json-c would give for a
    structural fault, and a lexical fault anywhere in the text wins over a
    structural one before it (the lexical check used to run first).

    Ownership: *out belongs to the caller (json_object_put). Reasons are
    static strings. Threading: reentrant, no shared state after the first
    call's one-time set-up. */

#ifndef DP_JSON_TREE_H_INCLUDED
#define DP_JSON_TREE_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Parses exactly one JSON value from text[0..len) with containers nested
//  at most max_depth deep (json-c's meaning: a container at depth
//  max_depth - 1, the top being 0, must be empty; <= 0 means
//  DP_JSON_TREE_DEPTH). On success *out is the value (NULL for null).
//  On failure *where is the byte offset of the fault and *reason says
//  what it is; returns DP_INVALID (syntax), DP_LIMIT (nesting too deep)
//  or DP_NOMEM; *out untouched.
#define DP_JSON_TREE_DEPTH 64
dp_status dp_json_tree_parse (const char *text, size_t len, int max_depth, json_object **out,
                              size_t *where, const char **reason) DP_MUST_CHECK;

//  Decodes one UTF-8 sequence from s[0..avail) (avail >= 1): returns its
//  length (1..4) with the code point in *cp, or 0 if it is malformed
//  (truncated, overlong, a surrogate, beyond U+10FFFF).
size_t dp_json_tree_utf8_decode (const unsigned char *s, size_t avail, uint32_t *cp);

//  The length of the run at the start of s[0..len) of bytes a JSON
//  string holds and writes as themselves: printable ASCII 0x20..0x7E
//  other than '"' and '\\'. Checks 8 bytes at a time (strings are most
//  of a deal's bytes, and both the parser and the writers scan them).
size_t dp_json_tree_plain_run (const unsigned char *s, size_t len);

#endif
