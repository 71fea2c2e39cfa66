/*  dp-testclient — drives a broker through dp_client for the tests.

    dp-testclient submit  --broker E --count N [--batch B] [--prefix P]
                          [--body-size S] [--acked FILE] [--window W] [--priority N]
        submits synthetic deals; appends each acknowledged id to FILE as
        soon as its ack arrives (the kill -9 test compares it with the store)
    dp-testclient wait    --broker E --final N [--timeout-ms T]
        waits until N deals are final (stats); exit 1 on timeout
    dp-testclient check   --broker E --ids FILE
        every id in FILE must be known (pending, negotiating or final);
        prints "known=K missing=M" and exits 1 if any is missing
    dp-testclient status|result --broker E --id ID [--out FILE]
        status prints "ID STATUS attempts=A reason=R escrow_tx=E completion_tx=C";
        result prints "STATUS JSON", or with --out writes the stored result's
        bytes exactly to FILE and prints "STATUS escrow_tx=E completion_tx=C"
    dp-testclient stats   --broker E
    dp-testclient list    --broker E [--status S] [--batch B] [--limit L]
        prints every page: "deal_id status"
    dp-testclient annotate --broker E --id ID --key K --value V
    dp-testclient watch   --broker E [--stall-ms MS] --final N [--timeout-ms T] [--from SEQ]
                          [--all 1] [--idle-ms MS] [--queue MESSAGES]
        subscribes (--queue: its receive queue, dp_client_set_events_queue),
        optionally stalls (the queues overflow), then
        reads events until N distinct deals have a result event; prints
        "deal_id status" for each result event and "events=E seq=S" at the end.
        --all 1 prints every event instead (progress ones too), one line each:
        "event seq=S type=T deal=D status=ST attempt=A data=DATA reason=R".
        --idle-ms: also stop when no event came for MS (then --final may be 0)

    Exit: 0 ok, 1 negative answer, 2 usage, 3 broker unreachable. */

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_client.h"
#include "dp_sha256.h"

typedef struct {
    const char *cmd, *broker, *prefix, *acked, *ids, *id, *status, *batch, *key, *value, *out;
    long count, batch_size, body_size, window, final, timeout_ms, stall_ms, limit, priority, queue;
    long all, idle_ms;
    long long from;
} s_args_t;

static int
s_parse (int argc, char **argv, s_args_t *a)
{
    memset (a, 0, sizeof *a);
    a->prefix = "deal";
    a->batch_size = 100;
    a->body_size = 1024;
    a->window = 4;
    a->timeout_ms = 60000;
    a->limit = 1000;
    a->status = "";
    a->batch = "";
    if (argc < 2)
        return -1;
    a->cmd = argv [1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *f = argv [i], *v = argv [i + 1];
        if (!strcmp (f, "--broker")) a->broker = v;
        else if (!strcmp (f, "--count")) a->count = atol (v);
        else if (!strcmp (f, "--batch")) a->batch_size = atol (v), a->batch = v;
        else if (!strcmp (f, "--prefix")) a->prefix = v;
        else if (!strcmp (f, "--body-size")) a->body_size = atol (v);
        else if (!strcmp (f, "--acked")) a->acked = v;
        else if (!strcmp (f, "--window")) a->window = atol (v);
        else if (!strcmp (f, "--priority")) a->priority = atol (v);
        else if (!strcmp (f, "--final")) a->final = atol (v);
        else if (!strcmp (f, "--timeout-ms")) a->timeout_ms = atol (v);
        else if (!strcmp (f, "--stall-ms")) a->stall_ms = atol (v);
        else if (!strcmp (f, "--queue")) a->queue = atol (v);
        else if (!strcmp (f, "--from")) a->from = atoll (v);
        else if (!strcmp (f, "--ids")) a->ids = v;
        else if (!strcmp (f, "--id")) a->id = v;
        else if (!strcmp (f, "--status")) a->status = v;
        else if (!strcmp (f, "--limit")) a->limit = atol (v);
        else if (!strcmp (f, "--key")) a->key = v;
        else if (!strcmp (f, "--value")) a->value = v;
        else if (!strcmp (f, "--out")) a->out = v;
        else if (!strcmp (f, "--all")) a->all = atol (v);
        else if (!strcmp (f, "--idle-ms")) a->idle_ms = atol (v);
        else return -1;
    }
    return a->broker? 0: -1;
}

//  A synthetic deal: the body is JSON-shaped bytes of the requested size.
static void
s_make_item (dp_wire_item_t *item, uint8_t *body, const char *prefix, long n, long body_size,
             int priority)
{
    memset (&item->envelope, 0, sizeof item->envelope);
    snprintf (item->envelope.deal_id, sizeof item->envelope.deal_id, "%s-%ld", prefix, n);
    snprintf (item->envelope.batch, sizeof item->envelope.batch, "%s", prefix);
    snprintf (item->envelope.buyer_engine, sizeof item->envelope.buyer_engine, "builtin");
    snprintf (item->envelope.seller_engine, sizeof item->envelope.seller_engine, "builtin");
    item->envelope.priority = (uint8_t) priority;
    int head = snprintf ((char *) body, (size_t) body_size, "{\"deal_id\":\"%s\",\"pad\":\"",
                         item->envelope.deal_id);
    long len = body_size > head + 2? body_size: head + 2;
    memset (body + head, 'x', (size_t) (len - head - 2));
    memcpy (body + len - 2, "\"}", 2);
    item->body = body;
    item->body_len = (size_t) len;
    item->envelope.body_size = (uint64_t) len;
    dp_sha256 (body, (size_t) len, item->envelope.body_sha256);
}

static int
s_write_acks (FILE *out, const dp_wire_ack_t *acks, size_t n, long *ok)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (acks [i].code == DP_OK) {
            (*ok)++;
            if (out)
                fprintf (out, "%s\n", acks [i].deal_id);
        }
        else {
            fprintf (stderr, "ack %s: %s: %s\n", acks [i].deal_id, dp_status_name (acks [i].code),
                     acks [i].text);
            bad = 1;
        }
    }
    if (out)
        fflush (out);
    return bad;
}

static int
s_submit (dp_client_t *client, s_args_t *a)
{
    FILE *out = a->acked? fopen (a->acked, "a"): NULL;
    long batch = a->batch_size < 1? 1: a->batch_size, sent = 0, ok = 0;
    size_t body_cap = (size_t) (a->body_size > 200? a->body_size: 200) + 64;
    dp_wire_item_t *items = calloc ((size_t) batch, sizeof *items);
    uint8_t *bodies = malloc ((size_t) batch * body_cap * (size_t) a->window);
    dp_wire_ack_t *acks = calloc ((size_t) batch, sizeof *acks);
    dp_error_t err;
    int bad = 0, slot = 0;
    while (sent < a->count || dp_client_outstanding (client)) {
        if (sent < a->count && dp_client_outstanding (client) < (size_t) a->window) {
            long n = a->count - sent < batch? a->count - sent: batch;
            for (long i = 0; i < n; i++)
                s_make_item (&items [i], bodies + ((size_t) slot * batch + i) * body_cap,
                             a->prefix, sent + i, a->body_size, (int) a->priority);
            slot = (slot + 1) % (int) a->window;
            if (dp_client_submit_send (client, items, (size_t) n, &err) != DP_OK)
                break;
            sent += n;
            continue;
        }
        size_t got;
        if (dp_client_submit_recv (client, acks, &got, &err) != DP_OK) {
            fprintf (stderr, "dp-testclient: %s\n", err.text);
            bad = 3;
            break;
        }
        bad |= s_write_acks (out, acks, got, &ok);
    }
    printf ("acked=%ld\n", ok);
    if (out)
        fclose (out);
    free (items), free (bodies), free (acks);
    return bad;
}

static int
s_wait (dp_client_t *client, s_args_t *a)
{
    int64_t deadline = zclock_mono () + a->timeout_ms;
    dp_wire_stats_t stats;
    dp_error_t err;
    while (zclock_mono () < deadline) {
        if (dp_client_stats (client, &stats, &err) != DP_OK) {
            fprintf (stderr, "dp-testclient: %s\n", err.text);
            return 3;
        }
        uint64_t final = stats.agreed + stats.failed + stats.verification_failed;
        dp_client_stats_clear (&stats);
        if (final >= (uint64_t) a->final) {
            printf ("final=%llu\n", (unsigned long long) final);
            return 0;
        }
        zclock_sleep (50);
    }
    fprintf (stderr, "dp-testclient: timed out waiting for %ld final deals\n", a->final);
    return 1;
}

static int
s_check (dp_client_t *client, s_args_t *a)
{
    FILE *in = fopen (a->ids, "r");
    if (!in)
        return 2;
    char line [256];
    long known = 0, missing = 0;
    dp_client_deal_t deal;
    dp_error_t err;
    while (fgets (line, sizeof line, in)) {
        line [strcspn (line, "\n")] = '\0';
        if (!*line)
            continue;
        if (dp_client_status (client, line, &deal, &err) == DP_OK)
            known++;
        else {
            missing++;
            fprintf (stderr, "missing %s: %s\n", line, err.text);
        }
    }
    fclose (in);
    printf ("known=%ld missing=%ld\n", known, missing);
    return missing? 1: 0;
}

static int
s_show (dp_client_t *client, s_args_t *a)
{
    dp_error_t err;
    if (!strcmp (a->cmd, "status")) {
        dp_client_deal_t deal;
        if (dp_client_status (client, a->id, &deal, &err) != DP_OK)
            return fprintf (stderr, "%s\n", err.text), 1;
        printf ("%s %s attempts=%u reason=%s escrow_tx=%s completion_tx=%s\n",
                deal.envelope.deal_id, deal.status, deal.attempts, deal.reason, deal.escrow_tx,
                deal.completion_tx);
        return 0;
    }
    if (!strcmp (a->cmd, "result")) {
        dp_client_result_t result;
        if (dp_client_result (client, a->id, &result, &err) != DP_OK)
            return fprintf (stderr, "%s\n", err.text), 1;
        if (a->out) {
            FILE *out = fopen (a->out, "wb");
            size_t wrote = out && result.json? fwrite (result.json, 1, result.json_len, out): 0;
            int failed = !out || wrote != (result.json? result.json_len: 0);
            if (out && fclose (out) != 0)
                failed = 1;
            if (failed) {
                fprintf (stderr, "dp-testclient: cannot write %s\n", a->out);
                dp_client_result_clear (&result);
                return 2;
            }
            printf ("%s escrow_tx=%s completion_tx=%s\n", result.status, result.escrow_tx,
                    result.completion_tx);
        }
        else
            printf ("%s %s\n", result.status, result.json? result.json: "null");
        dp_client_result_clear (&result);
        return 0;
    }
    if (!strcmp (a->cmd, "annotate")) {
        if (dp_client_annotate (client, a->id, a->key, a->value, &err) != DP_OK)
            return fprintf (stderr, "%s\n", err.text), 1;
        return 0;
    }
    dp_wire_stats_t s;
    if (dp_client_stats (client, &s, &err) != DP_OK)
        return fprintf (stderr, "%s\n", err.text), 1;
    printf ("pending=%llu negotiating=%llu agreed=%llu failed=%llu verification_failed=%llu "
            "workers=%u last_seq=%llu epoch=%llu commits=%llu commit_avg_ms=%.2f map_used=%llu\n", (unsigned long long) s.pending,
            (unsigned long long) s.negotiating, (unsigned long long) s.agreed,
            (unsigned long long) s.failed, (unsigned long long) s.verification_failed,
            s.worker_count, (unsigned long long) s.last_seq, (unsigned long long) s.epoch,
            (unsigned long long) s.commits, s.commit_avg_ms, (unsigned long long) s.map_used);
    dp_client_stats_clear (&s);
    return 0;
}

static int
s_list (dp_client_t *client, s_args_t *a)
{
    char after [DP_DEAL_ID_MAX + 1] = "", next [DP_DEAL_ID_MAX + 1];
    dp_error_t err;
    do {
        dp_wire_entry_t *entries;
        size_t count;
        if (dp_client_list (client, a->status, a->batch, after, (uint32_t) a->limit, &entries,
                            &count, next, &err) != DP_OK)
            return fprintf (stderr, "%s\n", err.text), 1;
        for (size_t i = 0; i < count; i++)
            printf ("%s %s\n", entries [i].deal_id, entries [i].status);
        free (entries);
        snprintf (after, sizeof after, "%s", next);
    } while (*after);
    return 0;
}

static int
s_watch (dp_client_t *client, s_args_t *a)
{
    dp_error_t err;
    if (a->queue)
        dp_client_set_events_queue (client, (int) a->queue);
    if (dp_client_subscribe (client, (uint64_t) a->from, &err) != DP_OK)
        return fprintf (stderr, "%s\n", err.text), 3;
    printf ("subscribed seq=%llu\n", (unsigned long long) dp_client_next_seq (client));
    fflush (stdout);
    if (a->stall_ms)
        zclock_sleep ((int) a->stall_ms);
    zhashx_t *seen = zhashx_new ();
    long events = 0;
    int64_t deadline = zclock_mono () + a->timeout_ms, last_event = zclock_mono ();
    while ((long) zhashx_size (seen) < a->final || (a->idle_ms && !a->final)) {
        int64_t now = zclock_mono ();
        if (now >= deadline || (a->idle_ms && now - last_event >= a->idle_ms))
            break;
        dp_wire_event_t event;
        dp_status rc = dp_client_next_event (client, a->idle_ms && a->idle_ms < 500?
                                             (int) a->idle_ms: 500, &event, &err);
        if (rc == DP_TIMEOUT)
            continue;
        if (rc != DP_OK) {
            fprintf (stderr, "watch: %s\n", err.text);
            continue;
        }
        events++;
        last_event = zclock_mono ();
        if (a->all) {
            printf ("event seq=%llu type=%s deal=%s status=%s attempt=%u data=%.*s reason=%s\n",
                    (unsigned long long) event.seq, event.type, event.deal_id, event.status,
                    event.attempt, (int) event.data_len, event.data? (const char *) event.data: "",
                    event.reason);
            fflush (stdout);
        }
        if (strcmp (event.type, "result") == 0) {
            if (!a->all)
                printf ("%s %s\n", event.deal_id, event.status);
            zhashx_insert (seen, event.deal_id, (void *) 1);
        }
    }
    printf ("events=%ld seq=%llu replayed=%llu\n", events,
            (unsigned long long) dp_client_next_seq (client),
            (unsigned long long) dp_client_replayed (client));
    int ok = (long) zhashx_size (seen) >= a->final;
    zhashx_destroy (&seen);
    return ok? 0: 1;
}

int
main (int argc, char **argv)
{
    s_args_t a;
    if (s_parse (argc, argv, &a) != 0) {
        fprintf (stderr, "usage: dp-testclient submit|wait|check|status|result|stats|list|annotate|watch "
                 "--broker ENDPOINT [flags]\n");
        return 2;
    }
    dp_error_t err;
    dp_client_t *client = dp_client_new (a.broker, 5000, &err);
    if (!client) {
        fprintf (stderr, "dp-testclient: %s\n", err.text);
        return 3;
    }
    int rc = 2;
    if (!strcmp (a.cmd, "submit")) rc = s_submit (client, &a);
    else if (!strcmp (a.cmd, "wait")) rc = s_wait (client, &a);
    else if (!strcmp (a.cmd, "check")) rc = s_check (client, &a);
    else if (!strcmp (a.cmd, "list")) rc = s_list (client, &a);
    else if (!strcmp (a.cmd, "watch")) rc = s_watch (client, &a);
    else if (!strcmp (a.cmd, "status") || !strcmp (a.cmd, "result") || !strcmp (a.cmd, "stats")
             || !strcmp (a.cmd, "annotate"))
        rc = s_show (client, &a);
    dp_client_destroy (&client);
    return rc;
}
