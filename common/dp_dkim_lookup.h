/*  dp_dkim_lookup.h — where DKIM public keys come from, and how much that
    source can be trusted.

    Four paths (SPEC §4 `key_path`):

    - `doh`: DNS over HTTPS (RFC 8484, POST application/dns-message) to a
      configured resolver URL, TLS verified against the system CA store or
      a configured CA file. Authenticated: the host cannot forge answers
      without the resolver's TLS key. The default inside a TEE.
    - `dnssec`: a validating resolver (libunbound) with a configured trust
      anchor; only answers that validate as secure are used (insecure and
      bogus answers are refused). Authenticated.
    - `dns`: the plain resolver (the system's /etc/resolv.conf, or a given
      server), no validation. NOT authenticated: inside a CVM the host
      controls it. Allowed only when configured.
    - `file`: a local zone.txt (dp_dkim_zone.h), for tests and offline use.
      Reported as not authenticated: the key did not come from the
      domain's DNS over any checked channel.

    A dp_dkim_lookup_t also caches parsed keys by record text, so repeated
    verifications do not re-decode the same key. It is thread-safe: one
    object may serve every worker thread (DNS lookups through libunbound
    are serialised, and waiting for the others counts against a lookup's
    time; DoH lookups run in parallel). */

#ifndef DP_DKIM_LOOKUP_H_INCLUDED
#define DP_DKIM_LOOKUP_H_INCLUDED

#include <stdint.h>

#include "dp_dkim_key.h"
#include "dp_status.h"

typedef enum {
    DP_DKIM_PATH_FILE = 0,
    DP_DKIM_PATH_DOH,
    DP_DKIM_PATH_DNSSEC,
    DP_DKIM_PATH_DNS
} dp_dkim_path_t;

//  Default time for one key lookup, all retries included.
#define DP_DKIM_LOOKUP_TIMEOUT_MS 5000
//  The DNSSEC root trust anchor Debian's dns-root-data ships (used when the
//  dnssec path is given no anchor file).
#define DP_DKIM_ROOT_ANCHOR "/usr/share/dns/root.key"

typedef struct {
    dp_dkim_path_t path;
    const char *zone_file;          //  file: path of zone.txt
    const char *zone_text;          //  file: or the zone.txt text itself (copied)
    size_t zone_text_len;
    const char *doh_url;            //  doh: https:// URL of the resolver
    const char *ca_file;            //  doh: PEM CA bundle; NULL = system store
    const char *trust_anchor_file;  //  dnssec: DS/DNSKEY lines; NULL = DP_DKIM_ROOT_ANCHOR
    const char *server;             //  dnssec, dns: "ADDR[@PORT]"; NULL = recursion
                                    //  from the root (dnssec) / resolv.conf (dns)
    int timeout_ms;                 //  per lookup; <= 0: DP_DKIM_LOOKUP_TIMEOUT_MS
} dp_dkim_lookup_options_t;

typedef struct dp_dkim_lookup_t dp_dkim_lookup_t;

//  Creates a lookup path. NULL on error with the reason in err: DP_INVALID
//  for missing or bad options (the option named), DP_IO for an unreadable
//  file, DP_UNSUPPORTED for the dnssec/dns paths in a build without
//  libunbound. Options are copied.
dp_dkim_lookup_t *dp_dkim_lookup_new (const dp_dkim_lookup_options_t *options,
                                      dp_error_t *err);

void dp_dkim_lookup_destroy (dp_dkim_lookup_t **self_p);

dp_dkim_path_t dp_dkim_lookup_path (const dp_dkim_lookup_t *self);

//  True for the authenticated paths (doh, dnssec).
int dp_dkim_lookup_authenticated (const dp_dkim_lookup_t *self);

//  "file", "doh", "dnssec", "dns".
const char *dp_dkim_path_name (dp_dkim_path_t path);

//  The time one lookup may take (options' timeout_ms, or the default).
int dp_dkim_lookup_timeout_ms (const dp_dkim_lookup_t *self);

//  Now on the monotonic clock, in milliseconds: the clock of deadline_ms.
int64_t dp_dkim_lookup_clock_ms (void);

//  The TXT record at name (e.g. "sel._domainkey.example.com"), with the
//  character-strings of the record concatenated. The lookup ends at the
//  per-lookup timeout or at deadline_ms (dp_dkim_lookup_clock_ms; 0 = no
//  deadline), whichever comes first; a deadline already past is DP_TIMEOUT
//  at once (the file path ignores both: it does not wait). DP_OK with a
//  malloc'd NUL-terminated text (caller frees); otherwise, with the reason
//  in err:
//  DP_NOTFOUND   the name or its TXT record does not exist (NXDOMAIN, NODATA)
//  DP_TIMEOUT    no answer in time
//  DP_UNREACHABLE  the resolver failed (SERVFAIL, refused, connection or
//                TLS failure, HTTP error)
//  DP_PROTO      the answer is malformed or truncated, or (doh) not an
//                application/dns-message
//  DP_CRYPTO     dnssec: the answer is bogus or not secure
//  DP_INVALID    more than one TXT record
dp_status dp_dkim_lookup_txt (dp_dkim_lookup_t *self, const char *name, int64_t deadline_ms,
                              char **txt, size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  Looks up and parses the key at name, using the cache. DP_OK with a new
//  reference in *key (release with dp_dkim_key_destroy); the codes of
//  dp_dkim_lookup_txt; DP_INVALID for a record that does not parse.
dp_status dp_dkim_lookup_key (dp_dkim_lookup_t *self, const char *name, int64_t deadline_ms,
                              dp_dkim_key_t **key, dp_error_t *err) DP_MUST_CHECK;

#endif
