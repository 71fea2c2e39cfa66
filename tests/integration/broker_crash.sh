#!/usr/bin/env bash
# kill -9 the broker at 20 random points during a saturating submit stream.
# After the last restart every deal the client saw acknowledged must be
# known (pending or final): 0 lost. Reports how many unacknowledged deals
# were stored too (allowed: the ack was in flight when the broker died).
source "$(dirname "$0")/lib/broker_common.bash"
ROUNDS=${DP_CRASH_ROUNDS:-20}

start_worker w1 --capacity 16 --heartbeat-ms 200
for round in $(seq 1 "$ROUNDS"); do
    start_broker --heartbeat-ms 200
    "$BIN/dp-testclient" submit --broker "$EP" --prefix "r$round" --count 1000000 --batch 50 \
        --window 4 --body-size 1024 --acked "$WORK/acked" >/dev/null 2>&1 &
    SUBMITTER=$!
    PIDS+=("$SUBMITTER")
    # a random point 50..500 ms into the stream
    sleep "0.$(printf '%03d' $(( 50 + RANDOM % 450 )))"
    kill -9 "$BROKER"
    wait "$BROKER" 2>/dev/null || true
    kill -9 "$SUBMITTER" 2>/dev/null || true
    wait "$SUBMITTER" 2>/dev/null || true
done

start_broker
acked=$(wc -l <"$WORK/acked")
[ "$acked" -gt 0 ] || fail "nothing was acknowledged: the test tested nothing"
check=$(client check --ids "$WORK/acked") || fail "acknowledged deals lost: $check"
# One stats snapshot: four separate calls double-count deals that move
# between statuses in between while a worker runs.
total=$(client stats | tr ' ' '\n' | awk -F= '$1 ~ /^(pending|negotiating|agreed|failed|verification_failed)$/ { n += $2 } END { print n }')
echo "rounds=$ROUNDS acknowledged=$acked lost=0 stored=$total unacknowledged_but_stored=$(( total - acked ))"
echo "PASS broker_crash"
