#!/usr/bin/env bash
# A deal that kills every worker it reaches is failed as poison after
# exactly max_attempts deliveries, with the broker's unsigned result, while
# the other deals keep flowing.
source "$(dirname "$0")/lib/broker_common.bash"

start_broker --heartbeat-ms 200 --liveness 3 --max-attempts 3

# Two crash-prone workers, each restarted when it dies (capacity 1, so a
# crash loses no other deal's lease), and one healthy worker... that also
# crashes on the poison deal: every worker does.
crash_loop() {
    local name=$1
    while true; do
        "$BIN/dp-testworker" --broker "$EP" --name "$name" --capacity 1 --heartbeat-ms 200 \
            --crash-on poison-0 --results "$WORK/results.$name" >>"$WORK/crash.$name.log" 2>&1 || true
        [ -e "$WORK/stop" ] && break
    done
}
crash_loop c1 & PIDS+=($!)
crash_loop c2 & PIDS+=($!)

client submit --prefix poison --count 1 >/dev/null
client submit --prefix ok --count 300 --batch 50 >/dev/null
wait_for agreed 300 60
wait_for failed 1 30
touch "$WORK/stop"

status=$(client status --id poison-0)
echo "$status" | grep -q "poison-0 failed attempts=3 reason=poison: 3 attempts" || fail "poison status: $status"
result=$(client result --id poison-0)
echo "$result" | grep -q '"signature":null' || fail "poison result must be unsigned: $result"
echo "$result" | grep -q '"signer":null' || fail "poison result must have no signer: $result"
echo "$result" | grep -q '"reason":"poison: 3 attempts"' || fail "poison reason: $result"
deliveries=$(cat "$WORK"/crash.*.log | grep -c "crashing on deal poison-0" || true)
[ "$deliveries" = 3 ] || fail "poison deal delivered $deliveries times, expected exactly 3"
[ "$(stat agreed)" = 300 ] || fail "the other deals did not all complete"
# Every result, the broker's poison one too, deleted its deal's body.
bodies=$(mdb_stat -s bodies_by_order "$WORK/data" | sed -n 's/^ *Entries: //p')
[ "$bodies" = 0 ] || fail "$bodies bodies kept after every deal has its result"
echo "PASS broker_poison (3 deliveries, 300 others agreed)"
