/*  dp_dkim.h — strict DKIM verification (RFC 6376 as updated by RFC 8301
    and RFC 8463) of a seller's e-mail.

    Verifies every DKIM-Signature of a message (up to DP_DKIM_SIGNATURES_MAX,
    top first) and reports each one's outcome; the message is verified when
    one signature passes, and the result names the first that did. Keys
    come from a dp_dkim_lookup_t (dp_dkim_lookup.h), whose path decides
    whether the result is `authenticated`.

    Strictness (see docs/dkim.md): rsa-sha1 fails (RFC 8301 s3.1); RSA keys
    under 1024 bits fail; h= must sign From; a message must have exactly one
    From field; l= may not exceed the body; x= in the past and t= in the
    future (beyond the allowed clock skew) fail; key h=, k=, s= and t=s are
    enforced; every tag follows the RFC 6376 grammar.

    Privacy: the message is read in place and never stored or logged; the
    header copy made while verifying is wiped. Only the result leaves.

    Thread-safe: dp_dkim_verify keeps no state; several threads may verify
    at once with the same lookup. */

#ifndef DP_DKIM_H_INCLUDED
#define DP_DKIM_H_INCLUDED

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_dkim_lookup.h"
#include "dp_status.h"

//  Signatures examined per message (RFC 6376 s6.1 lets a verifier limit
//  them); further ones are ignored and do not count.
#define DP_DKIM_SIGNATURES_MAX 16
//  Largest message accepted: SPEC §1's decoded e-mail limit.
#define DP_DKIM_MESSAGE_MAX (10 * 1024 * 1024)
//  Default allowance for clocks that disagree (t= ahead of us, x= just
//  passed).
#define DP_DKIM_CLOCK_SKEW 300
//  All key lookups of one message share a time budget of this many
//  per-lookup timeouts (dp_dkim_lookup_options_t.timeout_ms; 2 x 5 s by
//  default): the first key may take a whole timeout and a second key still
//  gets one, but 16 signatures on a dead resolver cost 2 timeouts, not 16.
//  Signatures naming the same key (s= and d=) share one lookup.
#define DP_DKIM_LOOKUP_BUDGET 2

typedef struct {
    dp_dkim_lookup_t *lookup;   //  borrowed; required
    int64_t now;                //  Unix time to judge t= and x=; 0 = the clock
    int64_t clock_skew;         //  seconds; < 0 = DP_DKIM_CLOCK_SKEW
    size_t max_size;            //  0 = DP_DKIM_MESSAGE_MAX
} dp_dkim_options_t;

typedef enum {
    DP_DKIM_SIG_PASS = 0,   //  verified
    DP_DKIM_SIG_FAIL,       //  the body hash or the signature did not match
    DP_DKIM_SIG_INVALID,    //  unusable: syntax, policy, missing or bad key
    DP_DKIM_SIG_TEMPERROR   //  no key could be had: any resolver failure, NXDOMAIN
                            //  included (DNS unavailable)
} dp_dkim_sig_status_t;

#define DP_DKIM_NAME_MAX 256
#define DP_DKIM_REASON_MAX 256

typedef struct {
    dp_dkim_sig_status_t status;
    char domain [DP_DKIM_NAME_MAX];     //  d=, lower case; "" if unreadable
    char selector [DP_DKIM_NAME_MAX];   //  s=; "" if unreadable
    char algorithm [32];                //  a= as written (truncated); "" if absent
    int key_bits;                       //  0 when no key was used
    int testing;                        //  the key has t=y
    uint64_t body_length;               //  l= if present, else UINT64_MAX
    char reason [DP_DKIM_REASON_MAX];   //  why it did not pass; "" on pass
} dp_dkim_signature_t;

//  SPEC §4 dkim_verification plus every signature's outcome.
typedef struct {
    int verified;
    int dns_unavailable;        //  not verified and a key lookup failed (temperror)
    int authenticated;          //  verified with a key from an authenticated path
    int malformed;              //  the message itself is malformed or over a header
                                //  limit (error says where): bad input, not judged
    int testing;                //  verified, but the named signature's key has t=y
                                //  (no other passing signature has a normal key)
    dp_dkim_path_t key_path;
    char domain [DP_DKIM_NAME_MAX];     //  d= of the first passing signature
                                        //  whose key is not in testing mode, else
                                        //  of the first passing one, else of the
                                        //  first one; "" if none
    char selector [DP_DKIM_NAME_MAX];
    char algorithm [32];
    char error [512];           //  "" when verified
    size_t count;               //  signatures examined
    size_t total;               //  DKIM-Signature fields in the message
    dp_dkim_signature_t signatures [DP_DKIM_SIGNATURES_MAX];
} dp_dkim_result_t;

//  Verifies eml[0..len). Always fills *out (zeroed first). Returns DP_OK
//  when the message was judged (see out->verified; a malformed message is
//  judged "not verified" with the line named in out->error); DP_LIMIT when
//  it is larger than the size limit (also not verified); DP_INVALID for
//  missing options; DP_NOMEM. err gets the same text as out->error.
dp_status dp_dkim_verify (const uint8_t *eml, size_t len, const dp_dkim_options_t *options,
                          dp_dkim_result_t *out, dp_error_t *err) DP_MUST_CHECK;

//  SPEC §4 `dkim_verification`: {domain, verified, dns_unavailable, error,
//  selector, algorithm, key_path, authenticated}; absent values are null
//  (domain, selector, algorithm when no signature was readable; error when
//  verified). With with_signatures, adds "signatures": [{status, domain,
//  selector, algorithm, reason}] (for dp-submit dkim --json; not part of
//  the signed result). New object (caller puts it), NULL on allocation
//  failure.
json_object *dp_dkim_result_to_json (const dp_dkim_result_t *result, int with_signatures);

//  The domain a result proves, for use as the seller's credential: the
//  result's domain when it is verified, authenticated and its signature's
//  key is not in testing mode (RFC 6376 s3.6.1: treat t=y as unsigned);
//  else NULL, with why (if given) set to a static reason.
const char *dp_dkim_result_credential (const dp_dkim_result_t *result, const char **why);

//  "pass", "fail", "invalid", "temperror".
const char *dp_dkim_sig_status_name (dp_dkim_sig_status_t status);

#endif
