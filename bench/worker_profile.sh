#!/usr/bin/env bash
# bench/worker_profile.sh — where a worker's instructions go per deal, by
# pipeline step (time including callees), with valgrind's callgrind: one
# dp-worker under callgrind, N deals (built-in engine, simulated quotes)
# through a dp-broker, then the inclusive cost of the pipeline's steps and
# the runtime. Instruction counts do not depend on the machine's load, so
# this is the stable companion of bench/worker_e2e.sh's timings.
# Figures only: nothing passes or fails.
#
# Usage: bench/worker_profile.sh [BUILD_DIR] [N]   (default build/release, 400)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"; n="${2:-400}"
bin="$build/bin"
command -v valgrind >/dev/null || { echo "worker_profile: valgrind missing" >&2; exit 2; }
for p in dp-submit dp-broker dp-worker; do
  [ -x "$bin/$p" ] || { echo "worker_profile: $bin/$p missing (build first)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-profile.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export DP_SIM_ROOT="$work/sim-root" XDG_DATA_HOME="$work/xdg" DP_KEY_FILE="$work/worker-key"
export TEE_MODE=simulation LOG_LEVEL=warn
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
broker="tcp://127.0.0.1:$(port)"
"$bin/dp-broker" --data "$work/broker" --listen "$broker" --events "tcp://127.0.0.1:$(port)" \
  2>"$work/broker.log" & pids+=($!)
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
  "$bin/dp-worker" --broker "$broker" --capacity 2 --name profile 2>"$work/valgrind.log" &
worker_pid=$!; pids+=("$worker_pid")
python3 - "$n" >"$work/deals.jsonl" <<'EOF'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"deal_id": f"p-{i}", "buyer_budget": 1000 + i % 50, "floor_price": 600,
                      "buyer_requirements": "10 GB labelled images, 2023 or newer",
                      "data_description": "COCO-style dataset, 520k images",
                      "data_hash": "%064x" % (i + 1)}))
EOF
"$bin/dp-submit" submit "$work/deals.jsonl" --broker "$broker" --wait --progress off \
  --timeout 600000 >/dev/null 2>&1 || true
kill -TERM "$worker_pid"; wait "$worker_pid" 2>/dev/null || true

callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null >"$work/inclusive.txt"
python3 - "$work/inclusive.txt" "$n" <<'EOF'
import re, sys
path, n = sys.argv[1], int(sys.argv[2])
cost = {}
for line in open(path):
    m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(\S+)", line)
    if m and "PROGRAM TOTALS" in line:
        cost["TOTALS"] = int(m.group(1).replace(",", ""))
    elif m:
        name = m.group(2).split(":")[-1]
        cost.setdefault(name, int(m.group(1).replace(",", "")))
total = cost.get("TOTALS") or max(cost.values())
rows = [
    ("worker process, total", "TOTALS"),
    ("pipeline (dp_pipeline_handle)", "dp_pipeline_handle"),
    ("  result signed text + hash, SPEC 6 (dp_result_signed_text)", "dp_result_signed_text"),
    ("  result to text for the wire (dp_result_text)", "dp_result_text"),
    ("  negotiation (dp_negotiate_run)", "dp_negotiate_run"),
    ("  signature (dp_eth_sign)", "dp_eth_sign"),
    ("  deal quote (s_quote)", "s_quote.constprop.0"),
    ("    of which the simulator (dp_tee_quote)", "dp_tee_quote"),
    ("  deal parse + validate (dp_deal_from_json)", "dp_deal_from_json"),
    ("other json-c text (progress events, records)", "json_object_to_json_string_length"),
    ("runtime actor: wire, broker round trips (s_actor)", "s_actor"),
]
print(f"callgrind, {n} deals, built-in engine, simulated quotes (instructions, inclusive):")
for label, key in rows:
    c = cost.get(key)
    if c is None:
        continue
    print(f"  {label:52s} {c / n / 1e3:9.0f} k per deal  {100 * c / total:5.1f} %")
EOF
