/*  dp_dkim_sig.h — one DKIM-Signature field value, parsed and checked
    against every tag rule of RFC 6376 s3.5 (with RFC 8301 and RFC 8463).

    Required: v=1, a= (rsa-sha256 or ed25519-sha256; rsa-sha1 is refused
    by RFC 8301 s3.1), b=, bh= (32 bytes), d=, h= (must name From), s=.
    Optional: c=, i= (its domain must be d= or a subdomain of it, at a
    label boundary), l= (decimal), q= (a list that must contain dns/txt),
    t=, x= (decimal, x= after t=), z=; unknown tags are ignored.

    The parsed signature points into the caller's text for h= names. Time
    (t= in the future, x= expired) is judged by the caller, who holds the
    clock. Thread-safe (no state). */

#ifndef DP_DKIM_SIG_H_INCLUDED
#define DP_DKIM_SIG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_dkim_canon.h"
#include "dp_dkim_key.h"
#include "dp_status.h"

//  Most h= entries accepted (over-signing a dozen fields twice is ~30).
#define DP_DKIM_H_MAX 128
//  b= of an 8192-bit RSA key.
#define DP_DKIM_B_MAX 1024

typedef struct {
    const char *name;
    size_t len;
} dp_dkim_hname_t;

typedef struct {
    dp_dkim_key_type_t key_type;    //  from a=
    dp_dkim_canon_t header_canon;
    dp_dkim_canon_t body_canon;
    char algorithm [32];            //  a= as written, truncated
    char domain [256];              //  d=, lower case
    char selector [256];            //  s=, lower case
    char auid_domain [256];         //  domain of i= (default d=), lower case
    uint8_t bh [32];
    uint8_t b [DP_DKIM_B_MAX];
    size_t b_len;
    uint64_t length;                //  l=, or UINT64_MAX when absent
    int has_t, has_x;
    int64_t t, x;
    size_t b_start, b_end;          //  raw span of b='s value in the text
    size_t h_count;
    dp_dkim_hname_t h [DP_DKIM_H_MAX];
} dp_dkim_sig_t;

//  Parses the field value text[0..len) (after "DKIM-Signature:"). DP_OK;
//  DP_INVALID / DP_LIMIT with "tag=: reason" in err. Even on error,
//  algorithm, domain and selector are filled when their tags were readable
//  (for reporting), else left empty.
dp_status dp_dkim_sig_parse (const char *text, size_t len, dp_dkim_sig_t *sig,
                             dp_error_t *err) DP_MUST_CHECK;

//  True if name is a syntactically valid RFC 5321 domain, as d= must be
//  (letters, digits and inner hyphens in labels of 1 to 63 octets, at most
//  253 in all).
int dp_dkim_sig_domain_ok (const char *name, size_t len);

//  The same, but labels may also hold underscores, as selectors (s=) do.
int dp_dkim_sig_selector_ok (const char *name, size_t len);

#endif
