/*  dp_json.h — JSON import and the two exact JSON writers of DealProof.

    Parsed values are json-c (Debian's libjson-c) trees. We chose json-c
    over jansson because json-c keeps a number's source text (the userdata
    of a double made by json_object_new_double_s), while jansson hands
    numbers over as doubles only: SPEC §1 requires money to be read from
    the number's text, never through a binary double ("0.29" must be 29
    cents). json-c's own tokener is lax in a few places (leading zeros,
    NaN, clamped integers, raw control characters, lone surrogates,
    overlong UTF-8), so dp_json_parse uses our strict parser
    (dp_json_tree.h), which checks RFC 8259 and builds the same tree the
    tokener would, in one pass.

    Two writers:
    - dp_json_pydumps: byte-exact Python `json.dumps(value, sort_keys=True)`
      (separators ", " and ": ", keys sorted by code point at every level,
      everything outside printable ASCII escaped as \uXXXX with surrogate
      pairs, floats as Python's repr: 730.0, 1e-05, 1e+16, Infinity, NaN).
      Used for attestation payloads (SPEC §5), the transcript digest and
      the result hash (SPEC §6).
    - dp_json_canonical: SPEC §2's compact canonical body form: keys sorted
      the same way, no spaces (separators "," and ":"), strings escaped as
      above, numbers in their source text (a double without source text,
      e.g. one built in code, is written as Python's repr).

    Ownership: json_object values are json-c reference-counted objects; a
    returned object belongs to the caller (json_object_put). Strings
    written by the writers are malloc'd, NUL-terminated, caller frees.
    Threading: every function is reentrant; objects are not shared. */

#ifndef DP_JSON_H_INCLUDED
#define DP_JSON_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Default nesting limit of dp_json_parse (json-c's own default is 32).
#define DP_JSON_MAX_DEPTH 64

//  Bytes a formatted Python float repr needs at most, NUL included
//  ("-2.2250738585072014e-308" is 24 characters).
#define DP_JSON_FLOAT_MAX 32

//  Parses exactly one JSON value (RFC 8259, UTF-8, optional surrounding
//  whitespace) from text[0..len). On success *out is the value, NULL for
//  a JSON null. Integers must fit int64 or uint64 (json-c's range).
//  Returns DP_OK; DP_INVALID with "line L, column C: reason" (1-based,
//  columns in characters) for any syntax error, invalid UTF-8, raw
//  control character, lone surrogate escape, NaN/Infinity, out-of-range
//  integer or trailing data; DP_LIMIT when nesting exceeds max_depth;
//  DP_NOMEM. *out is untouched on error.
dp_status dp_json_parse (const char *text, size_t len, json_object **out,
                         dp_error_t *err) DP_MUST_CHECK;
dp_status dp_json_parse_depth (const char *text, size_t len, int max_depth,
                               json_object **out, dp_error_t *err) DP_MUST_CHECK;

//  Python json.dumps(value, sort_keys=True). value may be NULL (null).
//  *out is malloc'd and NUL-terminated, *len its length (len may be NULL).
//  DP_INVALID if a string or key is not valid UTF-8 (Python strings are
//  always valid text); DP_LIMIT if nesting exceeds 1000 (a cycle);
//  DP_NOMEM. *out is untouched on error.
dp_status dp_json_pydumps (json_object *value, char **out, size_t *len,
                           dp_error_t *err) DP_MUST_CHECK;

//  SPEC §2 compact canonical form (see above). Same ownership and errors
//  as dp_json_pydumps, plus DP_INVALID for a NaN/Infinity without source
//  text (not JSON).
dp_status dp_json_canonical (json_object *value, char **out, size_t *len,
                             dp_error_t *err) DP_MUST_CHECK;

//  The canonical form of an object whose members are keys[i]: values[i]
//  for each i with a non-NULL value (borrowed), without building that
//  object: the same text as dp_json_canonical on it. Keys must be
//  distinct; they are written in sorted order whatever their order here
//  (a list already sorted skips the sort). Same ownership and errors as
//  dp_json_canonical; DP_LIMIT beyond 64 members.
#define DP_JSON_MEMBERS_MAX 64
dp_status dp_json_canonical_members (const char *const *keys, json_object *const *values,
                                     size_t count, char **out, size_t *len,
                                     dp_error_t *err) DP_MUST_CHECK;

//  A price as SPEC §1 wants it to leave the system: the JSON float
//  cents / 100 (correctly rounded, as Python's `cents / 100`), printing
//  like Python's repr in every writer, json-c's own included: 73000 ->
//  730.0, 73050 -> 730.5, 29 -> 0.29. NULL if out of memory.
json_object *dp_json_price_new (int64_t cents);

//  Writes Python's repr(value) of a double into out (DP_JSON_FLOAT_MAX
//  bytes): shortest round-trip digits, fixed notation for exponents
//  -4 <= e < 16 with ".0" added to integral values, else d.ddde+XX;
//  "inf"/"-inf"/"nan" for non-finite values (json.dumps writes these as
//  Infinity/-Infinity/NaN). Returns out.
char *dp_json_float_repr (double value, char out [DP_JSON_FLOAT_MAX]);

//  The source text of a number parsed by dp_json_parse (a double keeps
//  it; an integer's text is its decimal value, identical to the source
//  since the strict lexer refuses leading zeros, except "-0" -> "0").
//  Writes into buf (size bytes) when it must format; returns a pointer
//  valid while the object lives and buf is untouched, or NULL if value
//  is not a number or buf is too small.
const char *dp_json_number_text (json_object *value, char *buf, size_t size);

#endif
