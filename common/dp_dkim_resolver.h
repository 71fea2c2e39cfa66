/*  dp_dkim_resolver.h — TXT lookups through libunbound: DNSSEC-validating
    (the `dnssec` path) or plain (the `dns` path).

    Validating: the trust anchor file (DS or DNSKEY records in zone-file
    format, e.g. Debian's /usr/share/dns/root.key) is the root of trust;
    an answer is used only if it validates as secure. Bogus answers
    (failed signatures, a tampered record) and insecure ones (no chain to
    the anchor) are refused with DP_CRYPTO.

    Where queries go: a given server "ADDR[@PORT]" (queries are forwarded
    to it; loopback allowed), else full recursion from the root (dnssec) or
    the servers of /etc/resolv.conf (dns).

    Each lookup is bounded by the timeout (asynchronous query, cancelled at
    the deadline). One libunbound context is shared; lookups are
    serialised by a mutex, so the object is thread-safe; the time spent
    waiting for that mutex counts against the lookup's timeout. */

#ifndef DP_DKIM_RESOLVER_H_INCLUDED
#define DP_DKIM_RESOLVER_H_INCLUDED

#include <stddef.h>

#include "dp_status.h"

typedef struct dp_dkim_resolver_t dp_dkim_resolver_t;

//  NULL on error: DP_IO for an unreadable anchor, DP_INVALID for a bad
//  server address, DP_UNSUPPORTED when built without libunbound.
dp_dkim_resolver_t *dp_dkim_resolver_new (int validate, const char *anchor_file,
                                          const char *server, int timeout_ms,
                                          dp_error_t *err);

void dp_dkim_resolver_destroy (dp_dkim_resolver_t **self_p);

//  As dp_dkim_lookup_txt. The lookup, waiting for other threads' lookups
//  included, takes at most timeout_ms, or the object's timeout if that is
//  shorter or timeout_ms <= 0.
dp_status dp_dkim_resolver_txt (dp_dkim_resolver_t *self, const char *name, int timeout_ms,
                                char **txt, size_t *len, dp_error_t *err) DP_MUST_CHECK;

//  For tests only (beanstalkd's habit of a swappable call to force rare
//  failures): replaces libunbound's ub_process, which delivers answers, with
//  process; NULL restores it. Not thread-safe: set it while no lookup runs.
struct ub_ctx;
void dp_dkim_resolver_set_process_hook (int (*process) (struct ub_ctx *ctx));

#endif
