#!/usr/bin/env bash
# A worker killed with -9 while holding leases: its deals complete on
# another worker. A worker stopped with SIGSTOP: its leases expire and move;
# when it resumes, its results are refused as stale and no deal has two
# results (checked on the results and on the replayed event stream).
source "$(dirname "$0")/lib/broker_common.bash"

start_broker --heartbeat-ms 200 --liveness 3 --lease-ms 2000

# --- kill -9 -------------------------------------------------------------
start_worker slowA --capacity 4 --delay-ms 60000 --heartbeat-ms 200
A=$WORKER
client submit --prefix k --count 4 >/dev/null
wait_for negotiating 4 10
start_worker fastB --capacity 8 --heartbeat-ms 200
B=$WORKER
kill -9 "$A"
t0=$(date +%s%N)
wait_for agreed 4 10
echo "kill -9: deals moved and completed in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
for i in 0 1 2 3; do
    r=$(client result --id "k-$i")
    echo "$r" | grep -q '"worker":"fastB"' || fail "k-$i not completed by fastB: $r"
    client status --id "k-$i" | grep -q "attempts=1" || fail "k-$i: the lost lease must count once"
done

# --- SIGSTOP ---------------------------------------------------------------
start_worker stopC --capacity 4 --delay-ms 1500 --heartbeat-ms 200
C=$WORKER
sleep 0.5      # C is welcomed before the deals arrive
kill -9 "$B"                # by its own pid: a pattern could match another test's worker
wait "$B" 2>/dev/null || true
client submit --prefix s --count 4 >/dev/null
wait_for negotiating 4 10
kill -STOP "$C"
start_worker fastD --capacity 8 --heartbeat-ms 200
wait_for agreed 8 15
kill -CONT "$C"
sleep 2.5      # C finishes its 1.5 s jobs and sends results under stale leases
for i in 0 1 2 3; do
    r=$(client result --id "s-$i")
    echo "$r" | grep -q '"worker":"fastD"' || fail "s-$i: result not from fastD: $r"
done
grep -q "s-" "$WORK/results.stopC" || fail "stopC produced no results (nothing stale was tested)"
grep -q "result refused deal=s-" "$WORK/broker.log" || fail "the broker did not refuse stopC's stale results"
# Exactly one result event per deal in the whole durable event stream.
client watch --from 1 --final 8 --timeout-ms 10000 >"$WORK/events" || fail "watch"
dups=$(grep -v -e '^events=' -e '^subscribed' "$WORK/events" | awk '{print $1}' | sort | uniq -d)
[ -z "$dups" ] || fail "deals with two result events: $dups"
[ "$(grep -vc -e '^events=' -e '^subscribed' "$WORK/events")" = 8 ] || fail "expected 8 result events"
echo "PASS broker_worker_faults"
