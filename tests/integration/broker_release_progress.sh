#!/usr/bin/env bash
# Release and progress (docs/protocol.md, "Release", "Events"):
#  1. a worker that releases a deal (its handler could not produce a
#     result) costs the deal no attempt: with --max-attempts 1 a deal
#     released twice still completes, at attempts=0, each delivery numbered
#     1; and it is offered again only after --release-delay-ms (measured
#     between the worker's deliveries), with a durable "pending" event
#     whose reason says it was released.
#  2. progress events a worker publishes reach a live subscriber (seq 0,
#     type progress, the worker's move as data) and are not durable: a
#     replay of the stored events holds none.
source "$(dirname "$0")/lib/broker_common.bash"
DELAY=1500

start_broker --heartbeat-ms 200 --release-delay-ms "$DELAY" --max-attempts 1

# --- 1. release ---------------------------------------------------------------
start_worker rel --capacity 1 --heartbeat-ms 200 --release-on rel-0 --release-times 2
REL=$WORKER
client submit --prefix rel --count 1 >/dev/null
wait_status rel-0 ' agreed ' 20
kill -TERM "$REL"; wait "$REL" || true
grep 'deal rel-0 attempt' "$WORK/worker.rel.log" >"$WORK/deliveries" || true
[ "$(wc -l <"$WORK/deliveries")" = 3 ] || fail "rel-0: expected 3 deliveries: $(cat "$WORK/deliveries")"
[ "$(sed -n 's/.*: \(release\|run\)$/\1/p' "$WORK/deliveries" | tr '\n' ' ')" = "release release run " ] \
    || fail "rel-0: expected release, release, run: $(cat "$WORK/deliveries")"
grep -v -q ' attempt 1 at ' "$WORK/deliveries" && fail "a release counted as an attempt: $(cat "$WORK/deliveries")"
times=($(sed -n 's/.* at \([0-9]*\) ms: .*/\1/p' "$WORK/deliveries"))
for i in 1 2; do
    gap=$(( times[i] - times[i - 1] ))
    echo "release $i: offered again after $gap ms (--release-delay-ms $DELAY)"
    # the broker counts whole ms of Unix time, so 1 ms of slack
    [ "$gap" -ge $(( DELAY - 1 )) ] || fail "rel-0 was offered again $gap ms after its release, before the $DELAY ms delay"
    [ "$gap" -lt $(( DELAY + 1500 )) ] || fail "rel-0 was offered again only $gap ms after its release"
done
client status --id rel-0 | grep -q 'rel-0 agreed attempts=0 ' \
    || fail "released deliveries must cost no attempt: $(client status --id rel-0)"
result=$(client result --id rel-0)
grep -q '"attempt":1,' <<<"$result" || fail "rel-0's completing delivery should be number 1: $result"
all=$(events)
released=$(grep -Ec 'type=status deal=rel-0 status=pending attempt=0 .*reason=released: ' <<<"$all" || true)
[ "$released" = 2 ] || fail "expected 2 'released' pending events for rel-0, got $released: $(grep rel-0 <<<"$all")"

# --- 2. progress ----------------------------------------------------------------
N=5
start_worker prog --capacity 2 --heartbeat-ms 200 --progress 1
client watch --all 1 --final "$N" --timeout-ms 20000 >"$WORK/watch" &
WATCH=$!
PIDS+=("$WATCH")
for i in $(seq 1 100); do grep -q '^subscribed' "$WORK/watch" 2>/dev/null && break; sleep 0.05; done
grep -q '^subscribed' "$WORK/watch" || fail "the subscriber did not start"
sleep 0.3       # the SUB socket's subscription reaches the PUB (a late joiner misses events)
client submit --prefix prog --count "$N" >/dev/null
wait "$WATCH" || fail "the subscriber did not see $N results: $(tail -3 "$WORK/watch")"
move='{"round":1,"role":"seller","action":"offer"}'
for i in $(seq 0 $(( N - 1 ))); do
    grep -qF "event seq=0 type=progress deal=prog-$i status=negotiating attempt=1 data=$move reason=" "$WORK/watch" \
        || fail "no progress event for prog-$i: $(grep "deal=prog-$i " "$WORK/watch")"
done
progress=$(grep -c ' type=progress ' "$WORK/watch" || true)
[ "$progress" = "$N" ] || fail "expected $N progress events, got $progress"
grep ' type=progress ' "$WORK/watch" | grep -qv ' seq=0 ' && fail "a progress event carried a sequence number"
all=$(events)
grep -q 'type=progress' <<<"$all" && fail "progress events were stored: $(grep type=progress <<<"$all" | head -3)"
grep -q 'type=result deal=prog-0 ' <<<"$all" || fail "the replay has no result for prog-0 (the check above tested nothing)"
echo "PASS broker_release_progress (2 releases cost no attempt and waited >= $DELAY ms; $N progress events live, none stored)"
