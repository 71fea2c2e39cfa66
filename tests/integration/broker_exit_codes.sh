#!/usr/bin/env bash
# dp-broker's exit codes, as broker/main.c and docs/operations.md give them
# (SPEC §10): 0 stopped by SIGTERM after draining (and --help); 1 the store
# failed while running; 2 bad flags (a bad value, a value out of range, a
# missing value, an unknown flag, a bad environment value), an unusable
# data directory, a store of another format; 3 an endpoint cannot be bound
# (the ROUTER's or the PUB's port already taken). Each refusal names its
# cause on stderr.
source "$(dirname "$0")/lib/broker_common.bash"

# expect_exit CODE PATTERN COMMAND...: COMMAND (bounded to 10 s: a broker
# that starts when it should not is stopped and exits 124 from timeout)
# exits CODE and its output matches the extended regular expression PATTERN.
expect_exit() {
    local want=$1 pattern=$2 rc=0
    shift 2
    timeout 10 "$@" >"$WORK/out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || fail "'${*#$BIN/}' exited $rc, expected $want: $(cat "$WORK/out")"
    grep -Eq -- "$pattern" "$WORK/out" || fail "'${*#$BIN/}': no message matching '$pattern': $(cat "$WORK/out")"
    echo "exit $rc: ${*#$BIN/}"
}

tcp() { echo "tcp://127.0.0.1:$(free_port)"; }
broker=("$BIN/dp-broker")

# --- 3: endpoints taken (a running broker holds $PORT and $EPORT) ---------------
start_broker
expect_exit 3 "listen: cannot bind $EP" "${broker[@]}" --data "$WORK/d3a" --listen "$EP" --events "$(tcp)"
expect_exit 3 "events: cannot bind tcp://127.0.0.1:$EPORT" \
    "${broker[@]}" --data "$WORK/d3b" --listen "$(tcp)" --events "tcp://127.0.0.1:$EPORT"

# --- 2: bad flags ---------------------------------------------------------------
expect_exit 2 "--lease-ms: 'abc' is not an integer" "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)" --lease-ms abc
expect_exit 2 "--lease-ms: 5 is out of range" "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)" --lease-ms 5
expect_exit 2 "--max-attempts: 0 is out of range" "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)" --max-attempts=0
expect_exit 2 "--log-level: must be" "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)" --log-level loud
expect_exit 2 "--release-delay-ms: missing value" "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)" --release-delay-ms
expect_exit 2 "--max-atempts: unknown flag" "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)" --max-atempts 3
expect_exit 2 "--heartbeat-ms: 'fast' is not an integer" \
    env DP_HEARTBEAT_MS=fast "${broker[@]}" --data "$WORK/d2" --listen "$(tcp)"
expect_exit 2 "listen: cannot bind nonsense" "${broker[@]}" --data "$WORK/d2" --listen nonsense
expect_exit 2 "unexpected argument '-listen'" "${broker[@]}" --data "$WORK/d2" -listen "$(tcp)"
expect_exit 0 "--release-delay-ms" "${broker[@]}" --help

# --- 2: an unusable data directory ---------------------------------------------------
: >"$WORK/a-file"
expect_exit 2 "data dir $WORK/a-file" "${broker[@]}" --data "$WORK/a-file" --listen "$(tcp)" --events "$(tcp)"
expect_exit 2 "data: a data directory is required" "${broker[@]}" --data "" --listen "$(tcp)" --events "$(tcp)"

# --- 2: a store of another format ------------------------------------------------------
# meta.format is a native-endian u64 (little-endian here): 99 = 63 00 .. 00.
kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: dp-broker exited $rc, expected 0"
echo "exit 0: dp-broker stopped by SIGTERM"
mdb_dump -s meta "$WORK/data" >"$WORK/meta.dump"
grep -qx ' 666f726d6174' "$WORK/meta.dump" || fail "no meta.format in the store: $(cat "$WORK/meta.dump")"
awk 'prev == " 666f726d6174" { $0 = " 6300000000000000" } { print; prev = $0 }' "$WORK/meta.dump" >"$WORK/meta.99"
mdb_load -s meta "$WORK/data" <"$WORK/meta.99" 2>/dev/null || fail "mdb_load of meta"
mdb_dump -s meta "$WORK/data" >"$WORK/meta.before"
expect_exit 2 "store format 99: this broker reads formats 1 to 3" \
    "${broker[@]}" --data "$WORK/data" --listen "$(tcp)" --events "$(tcp)"
mdb_dump -s meta "$WORK/data" >"$WORK/meta.after"
cmp -s "$WORK/meta.before" "$WORK/meta.after" || fail "the refused store was changed (epoch bumped?)"

# --- 1: the store fails while running ----------------------------------------------------
# The data file may not grow past its size at start + 2 MiB (RLIMIT_FSIZE,
# with SIGXFSZ ignored so that the write fails with EFBIG instead): it has
# 64 MiB of head room, so the commit that needs more than that fails.
FULL=$WORK/full
FEP=$(tcp)
"$BIN/dp-broker" --data "$FULL" --listen "$FEP" --events "$(tcp)" >>"$WORK/full.log" 2>&1 &
FB=$!
PIDS+=("$FB")
wait_answer "$FEP" "$FB"
kill -TERM "$FB"; wait "$FB" || fail "SIGTERM: dp-broker exited $?"
limit_kib=$(( $(wc -c <"$FULL/data.mdb") / 1024 + 2048 ))
( trap '' XFSZ; ulimit -f "$limit_kib"; exec "$BIN/dp-broker" --data "$FULL" --listen "$FEP" --events "$(tcp)" ) \
    >>"$WORK/full.log" 2>&1 &
FB=$!
PIDS+=("$FB")
wait_answer "$FEP" "$FB"
"$BIN/dp-testclient" submit --broker "$FEP" --prefix big --count 200 --batch 4 --window 1 \
    --body-size 1048576 --acked "$WORK/full.acked" >/dev/null 2>&1 &
SUBMITTER=$!
PIDS+=("$SUBMITTER")
wait_gone "$FB" 30 "the broker did not stop when its store could not grow"
rc=0; wait "$FB" || rc=$?
kill -9 "$SUBMITTER" 2>/dev/null || true
wait "$SUBMITTER" 2>/dev/null || true
[ "$rc" = 1 ] || fail "store failure: dp-broker exited $rc, expected 1: $(tail -5 "$WORK/full.log")"
grep -q 'store failed, stopping' "$WORK/full.log" || fail "store failure not logged: $(tail -5 "$WORK/full.log")"
echo "exit 1: the store failed while running ($(wc -l <"$WORK/full.acked") MiB-deals acknowledged before)"
# What was acknowledged before the failure is still there.
"$BIN/dp-broker" --data "$FULL" --listen "$FEP" --events "$(tcp)" >>"$WORK/full.log" 2>&1 &
FB=$!
PIDS+=("$FB")
wait_answer "$FEP" "$FB"
[ -s "$WORK/full.acked" ] || fail "nothing was acknowledged before the store failed"
check=$("$BIN/dp-testclient" check --broker "$FEP" --ids "$WORK/full.acked") \
    || fail "deals acknowledged before the store failed are lost: $check"
kill -TERM "$FB"; wait "$FB" || fail "SIGTERM: dp-broker exited $?"
echo "PASS broker_exit_codes (0 SIGTERM and --help, 1 store failure, 2 bad flags/env/data dir/store format, 3 endpoints taken)"
