/*  dp_dkim_doh.h — TXT lookups over DNS over HTTPS (RFC 8484).

    POSTs an application/dns-message query to an https:// resolver URL with
    libcurl; the server's certificate is verified (host name and chain)
    against the system CA store or, when given, only a PEM bundle (the
    system store is then not consulted at all), redirects are not
    followed, and the whole exchange is bounded by the timeout. Each lookup
    uses its own connection, so one object serves many threads at once. */

#ifndef DP_DKIM_DOH_H_INCLUDED
#define DP_DKIM_DOH_H_INCLUDED

#include <stddef.h>

#include "dp_status.h"

typedef struct dp_dkim_doh_t dp_dkim_doh_t;

//  url must start with "https://"; ca_file NULL = the system CA store,
//  else that bundle alone is trusted.
//  NULL on error (DP_INVALID naming the option, DP_IO for an unreadable
//  CA file).
dp_dkim_doh_t *dp_dkim_doh_new (const char *url, const char *ca_file, int timeout_ms,
                                dp_error_t *err);

void dp_dkim_doh_destroy (dp_dkim_doh_t **self_p);

//  As dp_dkim_lookup_txt (DP_TIMEOUT, DP_UNREACHABLE for connection, TLS
//  and HTTP failures, DP_PROTO for a response that is not a well-formed
//  application/dns-message answer, DP_NOTFOUND, DP_INVALID). The exchange
//  takes at most timeout_ms, or the object's timeout if that is shorter or
//  timeout_ms <= 0.
dp_status dp_dkim_doh_txt (dp_dkim_doh_t *self, const char *name, int timeout_ms, char **txt,
                           size_t *len, dp_error_t *err) DP_MUST_CHECK;

#endif
