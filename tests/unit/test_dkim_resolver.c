/*  test_dkim_resolver.c — the libunbound lookup path against a DNS server
    on loopback that this test runs itself: an answering one (each TXT
    record is the first label of the name asked), or a silent one.
    Failure paths that a real server cannot provoke use the resolver's
    process hook. */

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
    cr_assert_eq (dp_dkim_resolver_txt (resolver, "sel._domainkey.example.com", &txt, &len, &err),
                  DP_OK, "%s", err.text);
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
    cr_assert_eq (dp_dkim_resolver_txt (resolver, "first.example.com", &txt, &len, &err),
                  DP_UNREACHABLE);
    cr_assert_null (txt);
    dp_dkim_resolver_set_process_hook (NULL);
    cr_assert_eq (dp_dkim_resolver_txt (resolver, "second.example.com", &txt, &len, &err),
                  DP_OK, "%s", err.text);
    cr_assert_str_eq (txt, "second", "got the cancelled query's answer");
    free (txt);
    dp_dkim_resolver_destroy (&resolver);
    s_server_stop (&server);
}
