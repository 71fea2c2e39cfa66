# broker_common.bash — helpers for the broker integration tests (sourced).
#
# Every test gets its own temporary folder, free loopback ports, and a trap
# that kills every process it started (by pid) and removes the folder.
set -euo pipefail
BIN=${DP_BIN_DIR:?DP_BIN_DIR must point at the build bin folder}
WORK=$(mktemp -d /tmp/dp-broker-test.XXXXXX)
PIDS=()
KEEP=${DP_KEEP_WORK:-0}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        # a restart loop's current worker too: its pid, by parent, before
        # the loop dies (afterwards it would be re-parented)
        local kids
        kids=$(pgrep -P "$pid" 2>/dev/null || true)
        kill -CONT "$pid" 2>/dev/null || true
        kill -9 "$pid" 2>/dev/null || true
        for kid in $kids; do kill -9 "$kid" 2>/dev/null || true; done
    done
    wait 2>/dev/null || true
    if [ "$KEEP" = 1 ]; then echo "work kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    echo "--- broker log (tail)" >&2
    tail -n 30 "$WORK/broker.log" >&2 2>/dev/null || true
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

PORT=$(free_port)
EPORT=$(free_port)
EP=tcp://127.0.0.1:$PORT

# start_broker [extra flags...]: starts dp-broker on $EP with $WORK/data,
# sets BROKER to its pid, waits until it answers.
start_broker() {
    "$BIN/dp-broker" --data "$WORK/data" --listen "$EP" --events "tcp://127.0.0.1:$EPORT" \
        "$@" >>"$WORK/broker.log" 2>&1 &
    BROKER=$!
    PIDS+=("$BROKER")
    wait_answer "$EP" "$BROKER"
}

# wait_answer ENDPOINT PID: until the broker PID answers on ENDPOINT.
wait_answer() {
    local i
    for i in $(seq 1 200); do
        if "$BIN/dp-testclient" stats --broker "$1" >/dev/null 2>&1; then return 0; fi
        kill -0 "$2" 2>/dev/null || fail "the broker on $1 exited at start"
        sleep 0.05
    done
    fail "the broker on $1 did not answer"
}

# wait_gone PID SECONDS WHAT: until PID has exited, or fail naming WHAT.
wait_gone() {
    local deadline=$(( $(date +%s) + $2 ))
    while kill -0 "$1" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$3"
        sleep 0.01
    done
}

# start_worker NAME [extra flags...]: sets WORKER to the pid.
start_worker() {
    local name=$1; shift
    "$BIN/dp-testworker" --broker "$EP" --name "$name" --results "$WORK/results.$name" "$@" \
        >>"$WORK/worker.$name.log" 2>&1 &
    WORKER=$!
    PIDS+=("$WORKER")
}

client() { "$BIN/dp-testclient" "$1" --broker "$EP" "${@:2}"; }

# stat NAME: one number from the stats line.
stat() { client stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# wait_for NAME VALUE [timeout_s]: until stat NAME >= VALUE.
wait_for() {
    local deadline=$(( $(date +%s) + ${3:-30} ))
    while [ "$(stat "$1")" -lt "$2" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $1 >= $2 (now $(stat "$1"))"
        sleep 0.05
    done
}

# wait_status ID PATTERN [timeout_s]: until `client status --id ID` (its one
# line: "ID STATUS attempts=A reason=R escrow_tx=E completion_tx=C")
# matches the extended regular expression PATTERN.
wait_status() {
    local deadline=$(( $(date +%s) + ${3:-30} )) line
    while true; do
        line=$(client status --id "$1" 2>&1 || true)
        if grep -Eq -- "$2" <<<"$line"; then return 0; fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $1 to match '$2' (now: $line)"
        sleep 0.05
    done
}

# events [FROM_SEQ]: the durable events the broker has published from
# FROM_SEQ (default 1) on, replayed from its store, one line each:
# "event seq=S type=T deal=D status=ST attempt=A data=DATA reason=R".
events() {
    client watch --from "${1:-1}" --all 1 --final 0 --idle-ms 300 --timeout-ms 20000 | grep '^event ' || true
}

# wait_event PATTERN [timeout_s]: until a durable event line matches the
# extended regular expression PATTERN (it is then stored: events are
# published only after their commit).
wait_event() {
    local deadline=$(( $(date +%s) + ${2:-30} )) all
    while true; do
        all=$(events)
        if grep -Eq -- "$1" <<<"$all"; then return 0; fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for an event matching '$1'"
        sleep 0.1
    done
}
