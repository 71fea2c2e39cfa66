# submit_lib.sh — shared set-up for the dp-submit integration tests
# (sourced, not run: ctest only runs tests/integration/*.sh).
#
# Gives: $BIN (build's bin folder), $WORK (a temporary folder removed at
# exit), free_port, start_broker, stop_broker, start_worker, stop_workers,
# fail, expect_exit. Everything started is killed at exit (trap), by pid.
set -euo pipefail

BIN="${DP_BIN_DIR:?DP_BIN_DIR is not set (run through ctest)}"
SHARED="${DP_SHARED_DIR:-}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dp-submit-test.XXXXXX")"
export DP_SIM_ROOT="$WORK/sim-root"
export DP_KEY_FILE="$WORK/worker-key"
export XDG_DATA_HOME="$WORK/xdg"     # nothing of the tests lands in the real home
export TEE_MODE=simulation
unset DP_BROKER
PIDS=()
BROKER_PID=""
WORKER_PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_broker DATA_DIR PORT EVENTS_PORT: starts dp-broker, waits until it answers.
start_broker() {
  local data="$1" port="$2" events="$3"
  mkdir -p "$data"
  "$BIN/dp-broker" --data "$data" --listen "tcp://127.0.0.1:$port" \
    --events "tcp://127.0.0.1:$events" >>"$WORK/broker.log" 2>&1 &
  BROKER_PID=$!
  PIDS+=("$BROKER_PID")
  export DP_BROKER="tcp://127.0.0.1:$port"
  local i
  for i in $(seq 1 100); do
    if "$BIN/dp-submit" stats --timeout 200 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  cat "$WORK/broker.log" >&2
  fail "the broker did not answer on port $port"
}

# stop_broker [SIGNAL]: stops the broker (TERM by default, KILL for a crash).
stop_broker() {
  if [ -n "$BROKER_PID" ]; then
    kill "-${1:-TERM}" "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=""
  fi
}

# start_worker PROGRAM [FLAGS…]: one worker (dp-worker or dp-testworker) on $DP_BROKER.
start_worker() {
  local program="$1"; shift
  "$BIN/$program" --broker "$DP_BROKER" "$@" >>"$WORK/worker.log" 2>&1 &
  WORKER_PIDS+=($!)
  PIDS+=($!)
}

stop_workers() {
  local pid
  for pid in "${WORKER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  WORKER_PIDS=()
}

# expect_exit CODE COMMAND…: runs the command, fails unless it exits CODE.
expect_exit() {
  local want="$1"; shift
  local got=0
  "$@" || got=$?
  [ "$got" -eq "$want" ] || fail "expected exit $want, got $got: $*"
}

# deal_line ID [BUDGET] [FLOOR]: one valid deal as a JSON line.
deal_line() {
  local id="$1" budget="${2:-1000.0}" floor="${3:-600.0}"
  printf '{"deal_id": "%s", "buyer_budget": %s, "floor_price": %s, "buyer_requirements": "images", "data_description": "a dataset", "data_hash": "%s"}\n' \
    "$id" "$budget" "$floor" "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f"
}
