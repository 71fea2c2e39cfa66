/*  dp_dkim_dns.h — the two DNS messages the DoH path needs (RFC 1035):
    a TXT query, and the TXT answer read back from a response.

    Hand-written because Debian's DNS libraries either resolve themselves
    (libunbound, which cannot speak DoH) or are not in the image; only
    these two messages are needed, and the decoder is strict and fuzzed.
    Thread-safe (no state). */

#ifndef DP_DKIM_DNS_H_INCLUDED
#define DP_DKIM_DNS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Largest DNS message handled (RFC 8484 s6 allows 65535).
#define DP_DKIM_DNS_MAX 65535

//  Writes a recursive query for name's TXT records (class IN) with the
//  given id into out (cap bytes) and its size to *len. DP_INVALID for a
//  name that is not a valid DNS name; DP_LIMIT if cap is too small.
dp_status dp_dkim_dns_query (const char *name, uint16_t id, uint8_t *out, size_t cap,
                             size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  Reads the response msg[0..len) to that query. DP_OK with the record's
//  character-strings concatenated into a malloc'd NUL-terminated text
//  (caller frees) and its length (CNAMEs in the answer are followed).
//  DP_NOTFOUND for NXDOMAIN or no TXT record; DP_UNREACHABLE for SERVFAIL,
//  REFUSED and other error codes; DP_PROTO for a malformed or truncated
//  message or a wrong id or question (the resolver failed us); DP_INVALID
//  for more than one TXT record (the published data is at fault).
dp_status dp_dkim_dns_answer_txt (const uint8_t *msg, size_t len, const char *name,
                                  uint16_t id, char **txt, size_t *txt_len,
                                  dp_error_t *err) DP_MUST_CHECK;

#endif
