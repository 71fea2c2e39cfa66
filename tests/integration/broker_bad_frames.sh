#!/usr/bin/env bash
# Bad frames of every kind from a raw ZeroMQ client: each gets an error
# reply naming the problem and the broker keeps serving everyone else
# (a worker and a client run beside the bad client throughout).
source "$(dirname "$0")/lib/broker_common.bash"

start_broker --max-frame 131072 --max-batch 10 --max-batch-bytes 30000 --max-body 20000
start_worker w1 --capacity 4
"$BIN/dp-rawclient" --broker "$EP" --max-frame 131072 --max-batch 10 \
    --max-batch-bytes 30000 --max-body 20000 | tee "$WORK/raw" \
    || fail "some bad frame was not answered as expected"
client submit --prefix after --count 20 --batch 10 >/dev/null || fail "submit after bad frames"
wait_for agreed 21 20      # the raw client's one valid deal + these 20
kill -0 "$BROKER" || fail "the broker died"
echo "PASS broker_bad_frames"
