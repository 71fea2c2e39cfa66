/*  dp_dkim_canon.h — RFC 6376 s3.4 canonicalisation and the body hash.

    Header canonicalisation writes into a caller buffer; body
    canonicalisation streams straight into SHA-256 so a large body is never
    copied. Thread-safe (no shared state). */

#ifndef DP_DKIM_CANON_H_INCLUDED
#define DP_DKIM_CANON_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

typedef enum {
    DP_DKIM_CANON_SIMPLE = 0,
    DP_DKIM_CANON_RELAXED = 1
} dp_dkim_canon_t;

//  Canonical form of one header field "name:value" (CRLF folds inside,
//  no final CRLF) into out, which must hold len + 2 bytes. Appends the
//  final CRLF unless with_crlf is 0 (the signature field itself, s3.7).
//  Returns the number of bytes written.
size_t dp_dkim_canon_header (dp_dkim_canon_t canon, const char *field, size_t len,
                             int with_crlf, char *out);

//  SHA-256 of the canonical body of body[0..len) (lines split on LF with an
//  optional CR, as dp_dkim_msg), hashing at most limit octets of the
//  canonical form (UINT64_MAX: no l=). Writes the canonical body length
//  (all of it, not only the hashed part) to *canon_len, so the caller can
//  apply s3.5's "l= MUST NOT exceed the body". DP_OK or DP_NOMEM.
dp_status dp_dkim_canon_body (dp_dkim_canon_t canon, const uint8_t *body, size_t len,
                              uint64_t limit, uint8_t digest [32], uint64_t *canon_len)
    DP_MUST_CHECK;

#endif
