#!/usr/bin/env bash
# bench/curve.sh — what CURVE (docs/operations.md, "Authentication") costs:
# deals/s end to end through dp-broker, one dp-testworker (capacity 256)
# and dp-testclient (batches of 500, 1 KB bodies), plain TCP and CURVE
# interleaved, REPS pairs (default 5). Prints each run and the median of
# the per-pair ratios [min..max]; never fails on the figures.
#
# Usage: bench/curve.sh [BUILD_DIR] [DEALS]   (default build/release, 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; deals=${2:-20000}; reps=${REPS:-5}
bin="$build/bin"
for tool in dp-broker dp-testworker dp-testclient; do
    [ -x "$bin/$tool" ] || { echo "bench: $bin/$tool not built" >&2; exit 2; }
done
work=$(mktemp -d /tmp/dp-bench-curve.XXXXXX)
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/allow"
"$bin/dp-broker" --curve-keygen "$work/broker" >/dev/null
"$bin/dp-broker" --curve-keygen "$work/peer" >/dev/null
cp "$work/peer" "$work/allow/"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run MODE: prints deals/s
run() {
    local mode=$1 dir="$work/run.$RANDOM" ep="tcp://127.0.0.1:$(port)" flags=() keys=()
    if [ "$mode" = curve ]; then
        flags=(--curve-secret "$work/broker_secret" --curve-allow "$work/allow")
        keys=(DP_CURVE_CERT="$work/peer_secret" DP_CURVE_BROKER="$work/broker")
    fi
    "$bin/dp-broker" --data "$dir" --listen "$ep" --events "tcp://127.0.0.1:$(port)" \
        --log-level warn "${flags[@]}" >/dev/null 2>&1 &
    local broker=$!; pids+=("$broker")
    env "${keys[@]}" "$bin/dp-testworker" --broker "$ep" --capacity 256 >/dev/null 2>&1 &
    local worker=$!; pids+=("$worker")
    for _ in $(seq 100); do env "${keys[@]}" "$bin/dp-testclient" stats --broker "$ep" >/dev/null 2>&1 && break; sleep 0.05; done
    local start end
    start=$(date +%s.%N)
    env "${keys[@]}" "$bin/dp-testclient" submit --broker "$ep" --count "$deals" --batch 500 --prefix b >/dev/null
    env "${keys[@]}" "$bin/dp-testclient" wait --broker "$ep" --final "$deals" --timeout-ms 120000 >/dev/null
    end=$(date +%s.%N)
    kill "$worker" "$broker"; wait "$worker" "$broker" 2>/dev/null || true
    rm -rf "$dir"
    python3 -c "print('%.1f' % ($deals / ($end - $start)))"
}

echo "$reps pairs, $deals deals each, 1 KB bodies, one worker (capacity 256), loopback TCP"
ratios=()
for i in $(seq "$reps"); do
    plain=$(run plain); curve=$(run curve)
    echo "pair $i: plain $plain deals/s, curve $curve deals/s"
    ratios+=("$(python3 -c "print($curve / $plain)")")
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print("CURVE / plain deals/s: median %.2fx [%.2f..%.2f]" % (statistics.median(r), min(r), max(r)))
PY
