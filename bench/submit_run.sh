#!/usr/bin/env bash
# bench/submit_run.sh — dp-submit's throughput, side by side in one run:
#   1. validation: bench_submit_validate on 100,000 deal lines (read, parse,
#      full validation) — lines/s;
#   2. submission: `dp-submit submit` of N deals to a dp-broker with no
#      worker (validation + batches acknowledged after fsync) — deals/s;
#   3. end to end: `dp-submit run` of N deals, built-in engine, simulated
#      quotes, (a) embedded (broker + 2 workers in-process) and (b) a
#      dp-broker and 2 dp-worker processes — deals/s.
# Prints figures only; never passes or fails on time.
#
# Usage: bench/submit_run.sh [BUILD_DIR] [N]   (default build/release, 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"; n="${2:-5000}"
bin="$build/bin"
for p in dp-submit dp-broker dp-worker bench_submit_validate; do
  [ -x "$bin/$p" ] || { echo "submit_run: $bin/$p missing (build first)" >&2; exit 2; }
done
work="$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-submit.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export DP_SIM_ROOT="$work/sim-root" DP_KEY_FILE="$work/worker-key" XDG_DATA_HOME="$work/xdg"
export LOG_LEVEL=warn
unset DP_BROKER

python3 - "$n" >"$work/deals.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"buyer_budget": 1000.0 + i % 50, "floor_price": 600.0,
                      "buyer_requirements": "10 GB labelled images, 2023 or newer",
                      "data_description": "COCO-style dataset, 520k images",
                      "data_hash": "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f"}))
PY
now() { date +%s.%N; }
rate() { python3 -c "import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print(f'{n} deals in {b - a:.2f} s: {n / (b - a):,.0f} deals/s')" "$@"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. validation (100,000 lines) =="
"$bin/bench_submit_validate" 100000

start_broker() {
  local p1 p2; p1=$(port); p2=$(port)
  "$bin/dp-broker" --data "$work/broker-$1" --listen "tcp://127.0.0.1:$p1" --events "tcp://127.0.0.1:$p2" \
    >>"$work/broker.log" 2>&1 &
  pids+=($!)
  export DP_BROKER="tcp://127.0.0.1:$p1"
  for i in $(seq 1 100); do "$bin/dp-submit" stats --timeout 200 >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "broker did not start" >&2; exit 1
}

echo "== 2. submission to a dp-broker (no worker) =="
start_broker submit
a=$(now); "$bin/dp-submit" submit --ids "$work/ids.txt" "$work/deals.jsonl" 2>/dev/null; b=$(now)
echo "submit: $(rate "$n" "$a" "$b") ($(wc -l <"$work/ids.txt") ids acknowledged)"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
unset DP_BROKER

echo "== 3a. run, embedded broker + 2 workers =="
a=$(now); "$bin/dp-submit" run --progress off --workers 2 --capacity 16 "$work/deals.jsonl" >"$work/run-a.txt" 2>/dev/null || true; b=$(now)
echo "run (embedded): $(rate "$n" "$a" "$b"); $(grep -E '^agreed' "$work/run-a.txt" | tr -s ' ')"

echo "== 3b. run, dp-broker + 2 dp-worker processes =="
start_broker run
for w in 1 2; do
  "$bin/dp-worker" --broker "$DP_BROKER" --tee-mode simulation --capacity 16 --name "bench-$w" >>"$work/worker.log" 2>&1 &
  pids+=($!)
done
a=$(now); "$bin/dp-submit" run --progress off "$work/deals.jsonl" >"$work/run-b.txt" 2>/dev/null || true; b=$(now)
echo "run (processes): $(rate "$n" "$a" "$b"); $(grep -E '^agreed' "$work/run-b.txt" | tr -s ' ')"
