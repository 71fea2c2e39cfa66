/*  test_dkim_resolver.c — key lookups against servers on loopback that this
    test runs itself: a DNS server for the libunbound path, answering (each
    TXT record is the first label of the name asked) or silent, and a TCP
    listener that drops every connection for the DoH path. Failure paths
    that a real server cannot provoke use the resolver's process hook; the
    time budget of one message's lookups is checked with generous bounds. */

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_dkim.h"
#include "dp_dkim_resolver.h"

typedef struct {
    int fd;
    int port;
    atomic_int stop;
    pthread_t thread;
} s_server_t;

//  The answer to query q[0..len): the question copied, one TXT record
//  holding the first label of the name. 0 if q is not a plain query.
static size_t
s_answer (const uint8_t *q, size_t len, uint8_t *out, size_t cap)
{
    size_t pos = 12;
    while (pos < len && q [pos] != 0)
        pos += 1 + q [pos];
    if (len < 12 || pos + 5 > len || q [12] == 0 || pos + 5 + 12 + 64 > cap)
        return 0;
    size_t qend = pos + 5;      //  root label, type, class
    memcpy (out, q, qend);
    out [2] = 0x81;             //  QR, RD
    out [3] = 0x80;             //  RA, NOERROR
    out [6] = 0; out [7] = 1;   //  one answer
    out [8] = out [9] = out [10] = out [11] = 0;
    uint8_t label = q [12];
    const uint8_t rr [] = { 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, (uint8_t) (label + 1), label };
    memcpy (out + qend, rr, sizeof rr);
    memcpy (out + qend + sizeof rr, q + 13, label);
    return qend + sizeof rr + label;
}

static void *
s_serve (void *arg)
{
    s_server_t *server = arg;
    while (!atomic_load (&server->stop)) {
        struct pollfd pfd = { .fd = server->fd, .events = POLLIN };
        if (poll (&pfd, 1, 50) <= 0)
            continue;
        uint8_t q [512], a [1024];
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom (server->fd, q, sizeof q, 0, (struct sockaddr *) &from, &from_len);
        size_t alen = n > 0? s_answer (q, (size_t) n, a, sizeof a): 0;
        if (alen)
            sendto (server->fd, a, alen, 0, (struct sockaddr *) &from, from_len);
    }
    return NULL;
}

//  A UDP socket on a free loopback port; answering starts a thread.
static void
s_server_start (s_server_t *server, int answering)
{
    memset (server, 0, sizeof *server);
    server->fd = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t addr_len = sizeof addr;
    cr_assert (server->fd >= 0 && bind (server->fd, (struct sockaddr *) &addr, sizeof addr) == 0);
    cr_assert (getsockname (server->fd, (struct sockaddr *) &addr, &addr_len) == 0);
    server->port = ntohs (addr.sin_port);
    server->thread = 0;
    if (answering)
        cr_assert (pthread_create (&server->thread, NULL, s_serve, server) == 0);
}

static void
s_server_stop (s_server_t *server)
{
    atomic_store (&server->stop, 1);
    if (server->thread)
        pthread_join (server->thread, NULL);
    close (server->fd);
}

static dp_dkim_resolver_t *
s_resolver (const s_server_t *server, int timeout_ms)
{
    char where [64];
    snprintf (where, sizeof where, "127.0.0.1@%d", server->port);
    dp_error_t err;
    dp_dkim_resolver_t *resolver = dp_dkim_resolver_new (0, NULL, where, timeout_ms, &err);
    cr_assert (resolver, "%s", err.text);
    return resolver;
}

Test (dkim_resolver, answers_from_loopback)
{
    s_server_t server;
    s_server_start (&server, 1);
    dp_dkim_resolver_t *resolver = s_resolver (&server, 3000);
    char *txt = NULL;
    size_t len = 0;
    dp_error_t err;
    cr_assert_eq (dp_dkim_resolver_txt (resolver, "sel._domainkey.example.com", 0, &txt, &len,
                                        &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (txt, "sel");
    free (txt);
    dp_dkim_resolver_destroy (&resolver);
    s_server_stop (&server);
}

static int
s_process_fails (struct ub_ctx *ctx)
{
    return -1;      //  as if reading the answer pipe failed; the answer stays queued
}

//  When delivering answers fails, the query is cancelled: its answer, still
//  queued, must not be handed to the next lookup (whose frame sits where the
//  failed one's did) as if it were that lookup's answer.
Test (dkim_resolver, failed_processing_cancels_the_query)
{
    s_server_t server;
    s_server_start (&server, 1);
    dp_dkim_resolver_t *resolver = s_resolver (&server, 3000);
    char *txt = NULL;
    size_t len = 0;
    dp_error_t err;
    dp_dkim_resolver_set_process_hook (s_process_fails);
    cr_assert_eq (dp_dkim_resolver_txt (resolver, "first.example.com", 0, &txt, &len, &err),
                  DP_UNREACHABLE);
    cr_assert_null (txt);
    dp_dkim_resolver_set_process_hook (NULL);
    cr_assert_eq (dp_dkim_resolver_txt (resolver, "second.example.com", 0, &txt, &len, &err),
                  DP_OK, "%s", err.text);
    cr_assert_str_eq (txt, "second", "got the cancelled query's answer");
    free (txt);
    dp_dkim_resolver_destroy (&resolver);
    s_server_stop (&server);
}

//  A message with count DKIM-Signature fields, each naming the key
//  sel._domainkey.d<i % keys>.example.com: keys distinct keys in all.
//  The signatures are well formed but can never verify (the lookups fail).
static char *
s_message (int count, int keys, size_t *len)
{
    size_t cap = 256 + (size_t) count * 256;
    char *eml = malloc (cap);
    size_t n = 0;
    for (int i = 0; i < count; i++)
        n += (size_t) snprintf (eml + n, cap - n,
                 "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=d%d.example.com;"
                 " s=sel; h=from; bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; b=AAAA\r\n",
                 i % keys);
    n += (size_t) snprintf (eml + n, cap - n, "From: a@d0.example.com\r\n\r\nbody\r\n");
    *len = n;
    return eml;
}

static int64_t
s_verify_ms (dp_dkim_lookup_t *lookup, const char *eml, size_t len, dp_dkim_result_t *r)
{
    dp_dkim_options_t o = { .lookup = lookup, .now = 1700086400, .clock_skew = -1 };
    int64_t start = dp_dkim_lookup_clock_ms ();
    cr_assert_eq (dp_dkim_verify ((const uint8_t *) eml, len, &o, r, NULL), DP_OK);
    return dp_dkim_lookup_clock_ms () - start;
}

static dp_dkim_lookup_t *
s_dns_lookup (const s_server_t *server, int timeout_ms)
{
    char where [64];
    snprintf (where, sizeof where, "127.0.0.1@%d", server->port);
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_DNS, .server = where,
                                    .timeout_ms = timeout_ms };
    dp_error_t err;
    dp_dkim_lookup_t *lookup = dp_dkim_lookup_new (&lo, &err);
    cr_assert (lookup, "%s", err.text);
    return lookup;
}

//  16 signatures with 16 different keys on a resolver that never answers:
//  the message's lookups stop at its budget (2 timeouts), not 16 timeouts.
//  Asserted with room to spare: under 3 budgets.
Test (dkim_resolver, one_message_stays_within_its_budget)
{
    s_server_t server;
    s_server_start (&server, 0);
    const int timeout = 300, budget = DP_DKIM_LOOKUP_BUDGET * timeout;
    dp_dkim_lookup_t *lookup = s_dns_lookup (&server, timeout);
    size_t len;
    char *eml = s_message (DP_DKIM_SIGNATURES_MAX, DP_DKIM_SIGNATURES_MAX, &len);
    dp_dkim_result_t r;
    int64_t took = s_verify_ms (lookup, eml, len, &r);
    cr_assert (!r.verified && r.dns_unavailable);
    cr_assert_eq (r.count, DP_DKIM_SIGNATURES_MAX);
    for (size_t i = 0; i < r.count; i++)
        cr_assert_eq (r.signatures [i].status, DP_DKIM_SIG_TEMPERROR, "%s",
                      r.signatures [i].reason);
    cr_assert_lt (took, 3 * budget, "took %lld ms; budget %d ms", (long long) took, budget);
    free (eml);
    dp_dkim_lookup_destroy (&lookup);
    s_server_stop (&server);
}

typedef struct {
    dp_dkim_lookup_t *lookup;
    int index;
    int64_t took;
} s_verifier_t;

static void *
s_verify_one (void *arg)
{
    s_verifier_t *v = arg;
    char eml [512];
    size_t len = (size_t) snprintf (eml, sizeof eml,
        "DKIM-Signature: v=1; a=rsa-sha256; d=t%d.example.com; s=sel; h=from;"
        " bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=; b=AAAA\r\n"
        "From: a@example.com\r\n\r\nbody\r\n", v->index);
    dp_dkim_result_t r;
    v->took = s_verify_ms (v->lookup, eml, len, &r);
    return NULL;
}

//  Ten threads verify at once through one dns lookup (libunbound lookups
//  are serialised) against a resolver that never answers. Waiting for the
//  resolver counts against each lookup's time, so no thread waits for the
//  nine before it: every one ends within its own budget (asserted: under 3
//  budgets; queued one after the other the last would take 10 timeouts).
Test (dkim_resolver, waiting_for_the_resolver_counts)
{
    s_server_t server;
    s_server_start (&server, 0);
    const int timeout = 300, budget = DP_DKIM_LOOKUP_BUDGET * timeout;
    dp_dkim_lookup_t *lookup = s_dns_lookup (&server, timeout);
    s_verifier_t v [10];
    pthread_t threads [10];
    for (int i = 0; i < 10; i++) {
        v [i] = (s_verifier_t) { .lookup = lookup, .index = i };
        cr_assert (pthread_create (&threads [i], NULL, s_verify_one, &v [i]) == 0);
    }
    for (int i = 0; i < 10; i++) {
        pthread_join (threads [i], NULL);
        cr_assert_lt (v [i].took, 3 * budget, "thread %d took %lld ms; budget %d ms", i,
                      (long long) v [i].took, budget);
    }
    dp_dkim_lookup_destroy (&lookup);
    s_server_stop (&server);
}

typedef struct {
    int fd;
    atomic_int accepted;
    atomic_int stop;
    pthread_t thread;
} s_dropper_t;

//  Accepts and at once closes every connection: each DoH lookup fails fast
//  (no TLS handshake) and costs exactly one connection, so connections
//  count lookups.
static void *
s_drop (void *arg)
{
    s_dropper_t *d = arg;
    while (!atomic_load (&d->stop)) {
        struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
        if (poll (&pfd, 1, 50) <= 0)
            continue;
        int fd = accept (d->fd, NULL, NULL);
        if (fd >= 0) {
            atomic_fetch_add (&d->accepted, 1);
            close (fd);
        }
    }
    return NULL;
}

//  Ten signatures naming two keys: two lookups, not ten.
Test (dkim_resolver, signatures_share_a_key_lookup)
{
    s_dropper_t d = { .fd = socket (AF_INET, SOCK_STREAM, 0) };
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t addr_len = sizeof addr;
    cr_assert (bind (d.fd, (struct sockaddr *) &addr, sizeof addr) == 0 && listen (d.fd, 32) == 0);
    cr_assert (getsockname (d.fd, (struct sockaddr *) &addr, &addr_len) == 0);
    cr_assert (pthread_create (&d.thread, NULL, s_drop, &d) == 0);
    char url [64];
    snprintf (url, sizeof url, "https://127.0.0.1:%d/dns-query", ntohs (addr.sin_port));
    dp_dkim_lookup_options_t lo = { .path = DP_DKIM_PATH_DOH, .doh_url = url,
                                    .timeout_ms = 2000 };
    dp_error_t err;
    dp_dkim_lookup_t *lookup = dp_dkim_lookup_new (&lo, &err);
    cr_assert (lookup, "%s", err.text);
    size_t len;
    char *eml = s_message (10, 2, &len);
    dp_dkim_result_t r;
    s_verify_ms (lookup, eml, len, &r);
    cr_assert (!r.verified && r.dns_unavailable);
    cr_assert_eq (r.count, 10);
    for (size_t i = 0; i < r.count; i++)
        cr_assert_eq (r.signatures [i].status, DP_DKIM_SIG_TEMPERROR, "%s",
                      r.signatures [i].reason);
    //  Every connection was made before verify returned; give the dropper
    //  time to accept them all.
    for (int i = 0; i < 20 && atomic_load (&d.accepted) < 2; i++)
        usleep (50 * 1000);
    usleep (200 * 1000);
    cr_assert_eq (atomic_load (&d.accepted), 2, "%d connections", atomic_load (&d.accepted));
    atomic_store (&d.stop, 1);
    pthread_join (d.thread, NULL);
    close (d.fd);
    free (eml);
    dp_dkim_lookup_destroy (&lookup);
}
