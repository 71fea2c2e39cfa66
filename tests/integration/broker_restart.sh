#!/usr/bin/env bash
# The broker is killed (-9) while a worker runs leased jobs and restarted
# within the lease: the worker reconnects, names its leases, and its
# results are accepted under the same tokens (SPEC §2) — no attempt lost,
# no deal run twice. A SIGTERM'd broker drains and exits 0.
source "$(dirname "$0")/lib/broker_common.bash"

start_broker --heartbeat-ms 200 --lease-ms 30000
start_worker w1 --capacity 4 --delay-ms 2000 --heartbeat-ms 200
client submit --prefix rs --count 4 >/dev/null
wait_for negotiating 4 10
kill -9 "$BROKER"
wait "$BROKER" 2>/dev/null || true
start_broker --heartbeat-ms 200 --lease-ms 30000
wait_for agreed 4 20
for i in 0 1 2 3; do
    client status --id "rs-$i" | grep -q "agreed attempts=0" || fail "rs-$i: $(client status --id "rs-$i")"
done
[ "$(wc -l <"$WORK/results.w1")" = 4 ] || fail "a deal ran twice: $(cat "$WORK/results.w1")"
# A second broker on the same data directory (another port) is refused: exit 2.
rc=0
"$BIN/dp-broker" --data "$WORK/data" --listen "tcp://127.0.0.1:$(free_port)" \
    --events "tcp://127.0.0.1:$(free_port)" >"$WORK/second.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a second broker on the same data dir exited $rc: $(cat "$WORK/second.log")"
grep -q "in use by another dp-broker (pid $BROKER)" "$WORK/second.log" \
    || fail "second broker: $(cat "$WORK/second.log")"
kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "dp-broker exited $rc after SIGTERM"
# LOG_LEVEL (the seed's variable) is obeyed when --log-level is not given.
: >"$WORK/broker.log"
LOG_LEVEL=error start_broker
kill -TERM "$BROKER"; wait "$BROKER" || fail "dp-broker exited $? after SIGTERM"
grep -q " info: " "$WORK/broker.log" && fail "LOG_LEVEL=error still logged info lines"
grep -q "listening on" "$WORK/broker.log" || fail "no start line: $(cat "$WORK/broker.log")"
echo "PASS broker_restart"
