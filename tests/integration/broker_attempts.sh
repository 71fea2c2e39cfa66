#!/usr/bin/env bash
# Attempts survive broker restarts (SPEC §2, issue 4 "Liveness"):
#  1. a deal that killed its worker twice is still at attempts=2 after the
#     broker is killed -9 and restarted, and again after a SIGTERM restart;
#     exactly one more delivery (the third, numbered 3) then makes it
#     `failed` with "poison: 3 attempts" (max_attempts default 3).
#  2. an orphan lease: the broker is killed -9 while a deal is leased by a
#     worker that never comes back; the restarted broker (--lease-ms 500)
#     lets the lease expire, counts it as one attempt, and the deal
#     completes on another worker (delivery number 2).
source "$(dirname "$0")/lib/broker_common.bash"

# crash_once N: one worker that dies (SIGKILL) when handed att-0; waits for
# its death. (Started from a subshell whose stderr, where bash reports the
# kill, is dropped.)
crash_once() {
    ( "$BIN/dp-testworker" --broker "$EP" --name "crash$1" --capacity 1 --heartbeat-ms 200 \
        --crash-on att-0 >>"$WORK/crash.log" 2>&1; true ) 2>/dev/null &
    local pid=$! deadline=$(( $(date +%s) + 15 ))
    PIDS+=("$pid")
    while kill -0 "$pid" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "worker crash$1 was not handed att-0 (attempts: $(client status --id att-0))"
        sleep 0.05
    done
    wait "$pid" 2>/dev/null || true
}

# --- 1. attempts across restarts ---------------------------------------------
start_broker --heartbeat-ms 200
client submit --prefix att --count 1 >/dev/null
crash_once 1
wait_status att-0 ' pending attempts=1 ' 10
crash_once 2
wait_status att-0 ' pending attempts=2 ' 10
# The second lost lease is on disk once its event is published.
wait_event 'type=status deal=att-0 status=pending attempt=2 .*reason=worker vanished' 10

kill -9 "$BROKER"; wait "$BROKER" 2>/dev/null || true
start_broker --heartbeat-ms 200
client status --id att-0 | grep -q ' pending attempts=2 ' \
    || fail "after kill -9 and restart: $(client status --id att-0) (attempts=2 expected)"

kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "dp-broker exited $rc after SIGTERM"
start_broker --heartbeat-ms 200
client status --id att-0 | grep -q ' pending attempts=2 ' \
    || fail "after SIGTERM and restart: $(client status --id att-0) (attempts=2 expected)"

crash_once 3
wait_status att-0 ' failed attempts=3 reason=poison: 3 attempts' 10 \
    || fail "one more delivery did not poison att-0"
deliveries=$(grep -c 'crashing on deal att-0' "$WORK/crash.log" || true)
[ "$deliveries" = 3 ] || fail "att-0 delivered $deliveries times, expected exactly 3: $(cat "$WORK/crash.log")"
numbers=$(sed -n 's/.*crashing on deal att-0 as told: attempt \([0-9]*\) .*/\1/p' "$WORK/crash.log" | tr '\n' ' ')
[ "$numbers" = "1 2 3 " ] || fail "delivery numbers handed to the workers: $numbers (expected 1 2 3)"
result=$(client result --id att-0)
grep -q '"reason":"poison: 3 attempts"' <<<"$result" || fail "poison result: $result"
grep -q '"signature":null' <<<"$result" || fail "the poison result must be unsigned: $result"

# --- 2. an orphan lease after a restart ---------------------------------------
kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "dp-broker exited $rc after SIGTERM"
start_broker --heartbeat-ms 200 --lease-ms 500
start_worker gone --capacity 1 --delay-ms 60000 --heartbeat-ms 200
GONE=$WORKER
client submit --prefix orph --count 1 >/dev/null
wait_status orph-0 ' negotiating attempts=0 ' 10
wait_event 'type=status deal=orph-0 status=negotiating attempt=1 ' 10     # the lease is on disk
kill -9 "$BROKER"; wait "$BROKER" 2>/dev/null || true
kill -9 "$GONE"; wait "$GONE" 2>/dev/null || true         # and never comes back
t0=$(date +%s%N)
start_broker --heartbeat-ms 200 --lease-ms 500
start_worker other --capacity 1 --heartbeat-ms 200
wait_status orph-0 ' agreed ' 10
echo "orphan lease: expired and completed $(( ($(date +%s%N) - t0) / 1000000 )) ms after the restart began"
client status --id orph-0 | grep -q ' agreed attempts=1 ' \
    || fail "the expired orphan lease must count as one attempt: $(client status --id orph-0)"
result=$(client result --id orph-0)
grep -q '"worker":"other"' <<<"$result" || fail "orph-0 not completed by the other worker: $result"
grep -q '"attempt":2' <<<"$result" || fail "orph-0's completing delivery should be number 2: $result"
all=$(events)
grep -Eq 'type=status deal=orph-0 status=pending attempt=1 .*reason=lease expired' <<<"$all" \
    || fail "no 'lease expired' event for orph-0: $(grep orph-0 <<<"$all")"
[ "$(grep -c 'type=result deal=orph-0 ' <<<"$all")" = 1 ] || fail "orph-0 must have one result event"
[ ! -s "$WORK/results.gone" ] || fail "the vanished worker produced a result?"
echo "PASS broker_attempts (attempts=2 kept across kill -9 and SIGTERM restarts, poisoned on delivery 3; orphan lease expired as attempt 1, done by another worker)"
