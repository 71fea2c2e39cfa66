/*  dp_dkim_tags.h — the tag=value list of RFC 6376 s3.2, and strict base64.

    One parser serves both DKIM-Signature field values and key records. It
    follows the grammar exactly: a tag name is ALPHA *(ALPHA / DIGIT / "_"),
    values are VALCHARs (%x21-3A / %x3C-7E) separated by folding white
    space, a tag may appear once, and only the last tag-spec may be followed
    by a bare ";". Anything else is a syntax error that names the offset.

    The parsed tags point into the caller's text (borrowed, no allocation):
    keep the text alive while the list is used. Thread-safe (no state). */

#ifndef DP_DKIM_TAGS_H_INCLUDED
#define DP_DKIM_TAGS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Longest tag list accepted. A signature has at most 14 defined tags and a
//  key record 7; 64 leaves room for unknown tags, which must be ignored.
#define DP_DKIM_TAGS_MAX 64

typedef struct {
    const char *name;       //  into the text; not NUL-terminated
    size_t name_len;
    const char *value;      //  without leading and trailing FWS
    size_t value_len;
    size_t raw_start;       //  offset just after '=' in the text
    size_t raw_end;         //  offset of the ';' that ends the tag, or the text's end
} dp_dkim_tag_t;

typedef struct {
    size_t count;
    dp_dkim_tag_t tags [DP_DKIM_TAGS_MAX];
} dp_dkim_tags_t;

//  Parses text[0..len) into out. DP_OK; DP_INVALID with "offset N: reason"
//  in err for a syntax error or a repeated tag; DP_LIMIT for more than
//  DP_DKIM_TAGS_MAX tags.
dp_status dp_dkim_tags_parse (const char *text, size_t len, dp_dkim_tags_t *out,
                              dp_error_t *err) DP_MUST_CHECK;

//  The tag with this exact (case-sensitive, RFC 6376 s3.2) name, or NULL.
const dp_dkim_tag_t *dp_dkim_tags_find (const dp_dkim_tags_t *self, const char *name);

//  True if the tag's value equals the NUL-terminated text exactly.
int dp_dkim_tag_is (const dp_dkim_tag_t *tag, const char *text);

//  Decodes base64 with folding white space allowed anywhere (RFC 6376
//  base64string): canonical alphabet, length a multiple of 4 after white
//  space is dropped, at most two '=' and only at the end. Writes at most
//  max bytes to out and the decoded size to *out_len. DP_INVALID (reason in
//  err) for bad input, DP_LIMIT when the result would exceed max.
dp_status dp_dkim_base64_decode (const char *text, size_t len, uint8_t *out, size_t max,
                                 size_t *out_len, dp_error_t *err) DP_MUST_CHECK;

//  True for the folding white space octets inside a tag list: SP, HTAB,
//  CR, LF (CR and LF only reach here as parts of CRLF folds).
static inline int
dp_dkim_is_fws (int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

//  True if the tag's colon-separated list value contains item (exact
//  match; FWS around members is allowed, RFC 6376 s3.6.1 grammar). Used
//  for h= of key records and signatures, and s= of key records.
int dp_dkim_tag_list_has (const dp_dkim_tag_t *tag, const char *item);

#endif
