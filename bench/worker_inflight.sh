#!/usr/bin/env bash
# bench/worker_inflight.sh — issue 5's concurrency goal: with a backend that
# takes 1 s per turn, one worker holds >= 50 deals in flight on 2 cores.
#
# One dp-broker, one dp-worker (--capacity 64) whose both engines are
# `claude`, against tests/tools/mock_anthropic.py answering every request
# after DELAY_MS (default 1000). N deals (default 100, max_rounds 3: up to
# six turns each) are submitted at once; every 0.25 s the script samples
# the deals the broker counts as leased to the worker (`dp-submit stats
# --json`, the worker's load) and the worker's CPU time (/proc/PID/stat).
# Prints max/median in flight, the worker's CPU use over the run and the
# backend's request rate. Figures only: nothing passes or fails on time.
#
# Usage: bench/worker_inflight.sh [BUILD_DIR] [N] [DELAY_MS]
#        (default build/release, 100, 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"; n="${2:-100}"; delay_ms="${3:-1000}"
bin="$build/bin"
for p in dp-submit dp-broker dp-worker; do
  [ -x "$bin/$p" ] || { echo "worker_inflight: $bin/$p missing (build first)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-inflight.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export DP_SIM_ROOT="$work/sim-root" DP_KEY_FILE="$work/worker-key" XDG_DATA_HOME="$work/xdg"
export TEE_MODE=simulation LOG_LEVEL=warn
unset ANTHROPIC_API_KEY ANTHROPIC_BASE_URL
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
export DP_BROKER="tcp://127.0.0.1:$(port)"
S="$bin/dp-submit"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Every turn: a counter at 800.00, inside both sides' limits, after delay_ms.
printf '{"delay_ms":%d,"move":{"action":"counter","price_cents":80000,"access_scope":"full","duration_days":365,"reasoning":"hold"}}\n' \
  "$delay_ms" >"$work/script.jsonl"
coproc MOCK { exec python3 tests/tools/mock_anthropic.py "$work/script.jsonl" "$work/mock.log"; }
pids+=("$MOCK_PID")
read -r mock_port <&"${MOCK[0]}"

"$bin/dp-broker" --data "$work/broker" --listen "$DP_BROKER" --events "tcp://127.0.0.1:$(port)" 2>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do "$S" stats --timeout 200 >/dev/null 2>&1 && break; sleep 0.1; done
ANTHROPIC_API_KEY=sk-bench-mock \
  "$bin/dp-worker" --capacity 64 --name inflight --anthropic-url "http://127.0.0.1:$mock_port" \
  2>"$work/worker.log" &
worker_pid=$!; pids+=("$worker_pid")
for _ in $(seq 100); do
  "$S" stats --json 2>/dev/null | grep -q inflight && break; sleep 0.1
done

python3 - "$n" >"$work/deals.jsonl" <<'EOF'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"deal_id": f"inflight-{i}", "buyer_budget": 1000, "floor_price": 600,
                      "buyer_requirements": "r", "data_description": "d",
                      "data_hash": "%064x" % (i + 1), "max_rounds": 3,
                      "buyer_engine": "claude", "seller_engine": "claude"}))
EOF

clk=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0=$(date +%s.%N); c0=$(cpu_ticks "$worker_pid"); m0=$(cpu_ticks "$MOCK_PID")
"$S" submit "$work/deals.jsonl" --progress off --wait --timeout 600000 --out "$work/results.jsonl" \
  >"$work/submit.out" 2>&1 & submit_pid=$!; pids+=("$submit_pid")
# One sample: seconds since start, deals leased to the worker, backend
# requests so far.
: >"$work/samples"
while kill -0 "$submit_pid" 2>/dev/null; do
  leased=$("$S" stats --json 2>/dev/null | python3 -c '
import json, sys
for w in json.load(sys.stdin).get("workers") or []:
    if w.get("name") == "inflight": print(w["leased"])' 2>/dev/null || true)
  [ -n "$leased" ] && echo "$(date +%s.%N) $leased $(wc -l <"$work/mock.log")" >>"$work/samples"
  sleep 0.25
done
wait "$submit_pid" || true
t1=$(date +%s.%N); c1=$(cpu_ticks "$worker_pid"); m1=$(cpu_ticks "$MOCK_PID")

python3 - "$work/samples" "$work/results.jsonl" "$work/mock.log" "$t0" "$t1" "$c0" "$c1" "$clk" "$n" "$delay_ms" "$m0" "$m1" <<'PY'
import collections, json, statistics, sys
samples_path, results_path, mock_log = sys.argv[1:4]
t0, t1 = float(sys.argv[4]), float(sys.argv[5])
c0, c1, clk, n, delay = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])
m0, m1 = int(sys.argv[11]), int(sys.argv[12])
samples = [(float(t) - t0, int(l), int(r)) for t, l, r in (line.split() for line in open(samples_path))]
loads = [l for _, l, _ in samples]
results = [json.loads(l) for l in open(results_path)]
statuses = collections.Counter(r["status"] for r in results)
requests = sum(1 for _ in open(mock_log))
wall = t1 - t0
cpu = (c1 - c0) / clk
print(f"deals: {n}, backend {delay} ms per turn, worker capacity 64, results {dict(statuses)}")
print(f"in flight (deals leased to the worker per the broker, {len(loads)} samples):")
print(f"  max {max(loads) if loads else 0}, median {statistics.median(loads) if loads else 0}   (goal: >= 50)")
print(f"wall {wall:.1f} s; worker CPU {cpu:.2f} s = {100 * cpu / wall:.1f} % of one core "
      f"({100 * cpu / wall / 2:.1f} % of 2 cores); backend (Python mock) CPU "
      f"{100 * (m1 - m0) / clk / wall:.1f} % of one core")
print(f"backend requests: {requests} ({requests / wall:.1f}/s)")
print("timeline (s, in flight, backend requests done):")
last = -10.0
for t, l, r in samples:
    if t - last >= 2.0:
        print(f"  {t:5.1f} {l:4d} {r:5d}")
        last = t
PY
kill -TERM "$worker_pid"; wait "$worker_pid" || true
exec {MOCK[1]}>&-
