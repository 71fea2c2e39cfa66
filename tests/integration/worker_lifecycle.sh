#!/usr/bin/env bash
# worker_lifecycle.sh — the real dp-worker process around its deals:
# 1. Drain deadline: a worker holding a deal whose Claude turn never
#    answers (tests/tools/mock_anthropic.py with a 300 s delay) gets
#    SIGTERM with --drain-timeout 1. It exits 0 well before the turn could
#    end (deadline + a generous 20 s margin), and the deal was released,
#    not lost: a second worker runs it to agreed with attempts=0 (a
#    vanished worker would have counted one).
# 2. No core dumps: a dp-worker started with a raised core limit and an
#    API key in its environment shows "Max core file size 0 0" in
#    /proc/PID/limits, and is not dumpable: /proc/PID/environ (where the
#    key is) belongs to root and its own uid cannot read it.
#    Run as nobody (setpriv) when the test runs as root, since root reads
#    any process's environ anyway.
# Env: DP_BIN_DIR, DP_SOURCE_DIR, DP_SHARED_DIR (set by ctest).
set -euo pipefail
bin="${DP_BIN_DIR:?}"; src="${DP_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/dp-worker-lifecycle.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "worker_lifecycle: FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($SECONDS s)"; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
broker="tcp://127.0.0.1:$(port)"
export XDG_DATA_HOME="$work/xdg" DP_SIM_ROOT="$work/sim-root" DP_KEY_FILE="$work/worker-key"
export TEE_MODE=simulation DP_BROKER="$broker" LOG_LEVEL=info
unset TAPPD_SIMULATOR_ENDPOINT DSTACK_SIMULATOR_ENDPOINT ANTHROPIC_API_KEY ANTHROPIC_BASE_URL ANTHROPIC_API_KEY_FILE
S="$bin/dp-submit"

"$bin/dp-broker" --data "$work/broker" --listen "$broker" --events "tcp://127.0.0.1:$(port)" \
  --release-delay-ms 100 2>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do "$S" stats --timeout 200 >/dev/null 2>&1 && break; sleep 0.1; done
"$S" stats --timeout 500 >/dev/null 2>&1 || fail "the broker does not answer: $(cat "$work/broker.log")"

# start_mock NAME SCRIPT_LINE: a mock Anthropic API; its URL in $mock_url.
start_mock() {
  printf '%s\n' "$2" >"$work/$1.script"
  python3 "$src/tests/tools/mock_anthropic.py" "$work/$1.script" "$work/$1.log" \
    <"$work/$1.stdin" >"$work/$1.port" 2>"$work/$1.err" & pids+=($!)
  for _ in $(seq 100); do [ -s "$work/$1.port" ] && break; sleep 0.05; done
  [ -s "$work/$1.port" ] || fail "mock $1 did not start: $(cat "$work/$1.err")"
  mock_url="http://127.0.0.1:$(head -1 "$work/$1.port")"
}
# leased NAME: the deals the broker has leased to worker NAME.
leased() {
  "$S" stats --json 2>/dev/null | python3 -c '
import json, sys
for w in json.load(sys.stdin).get("workers") or []:
    if w.get("name") == sys.argv[1]: print(w["leased"]); break
else: print(0)' "$1" 2>/dev/null || echo 0
}

# ---------------------------------------------------------------------------
step "1. SIGTERM past the drain deadline while a Claude turn hangs"
mkfifo "$work/hang.stdin" "$work/quick.stdin"
exec 7<>"$work/hang.stdin" 8<>"$work/quick.stdin"      # the mocks live while we hold these
start_mock hang '{"delay_ms":300000,"move":{"action":"accept","reasoning":"late"}}'
ANTHROPIC_BASE_URL="$mock_url" ANTHROPIC_API_KEY=sk-test-mock \
  "$bin/dp-worker" --name w1 --drain-timeout 1 2>"$work/w1.log" & w1=$!; pids+=("$w1")
python3 -c 'import json; print(json.dumps({"deal_id": "hang-1", "buyer_budget": 1000,
  "floor_price": 600, "buyer_requirements": "r", "data_description": "d",
  "data_hash": "%064x" % 1, "buyer_engine": "claude", "seller_engine": "claude"}))' >"$work/hang.jsonl"
"$S" submit "$work/hang.jsonl" --progress off >/dev/null 2>"$work/submit.err" \
  || fail "submit: $(cat "$work/submit.err")"
for _ in $(seq 200); do [ -s "$work/hang.log" ] && [ "$(leased w1)" -ge 1 ] && break; sleep 0.05; done
[ -s "$work/hang.log" ] || fail "w1 never called the Claude mock: $(tail -5 "$work/w1.log")"
t0=$(date +%s%N)
kill -TERM "$w1"
rc=0
for _ in $(seq 420); do kill -0 "$w1" 2>/dev/null || break; sleep 0.05; done     # 21 s
kill -0 "$w1" 2>/dev/null && fail "w1 still running $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM with --drain-timeout 1"
wait "$w1" || rc=$?
stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || fail "w1 exited $rc after SIGTERM: $(tail -5 "$work/w1.log")"
grep -q 'unfinished deals released' "$work/w1.log" || fail "w1 did not say it released: $(tail -5 "$work/w1.log")"
echo "w1 exited 0 ${stop_ms} ms after SIGTERM (drain timeout 1 s)"

start_mock quick '{"move":{"action":"accept","reasoning":"fine"}}'
ANTHROPIC_BASE_URL="$mock_url" ANTHROPIC_API_KEY=sk-test-mock \
  "$bin/dp-worker" --name w2 2>"$work/w2.log" & pids+=($!)
status=""
for _ in $(seq 300); do
  status=$("$S" status hang-1 2>/dev/null || true)
  case "$status" in *" agreed"*) break;; esac
  sleep 0.05
done
case "$status" in
  *" agreed"*"attempts=0"*) ;;
  *) fail "hang-1 after the drain deadline: '$status' (want agreed with attempts=0: released, not lost)";;
esac
echo "hang-1 redelivered: $status"

# ---------------------------------------------------------------------------
step "2. Core dumps off, not dumpable"
as_user=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || fail "running as root needs setpriv (util-linux) to start the worker as nobody"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  mkdir -p "$work/nobody"; chown 65534:65534 "$work/nobody"; chmod 711 "$work"
fi
home="$work/nobody"; mkdir -p "$home"
( ulimit -S -c unlimited 2>/dev/null || ulimit -S -c "$(ulimit -H -c)"
  exec env XDG_DATA_HOME="$home/xdg" DP_SIM_ROOT="$home/sim-root" DP_KEY_FILE="$home/worker-key" \
    ANTHROPIC_API_KEY=sk-test-not-in-a-core "${as_user[@]}" "$bin/dp-worker" --name w3 ) \
  2>"$home/w3.log" & w3=$!; pids+=("$w3")
for _ in $(seq 200); do grep -q 'worker running' "$home/w3.log" 2>/dev/null && break; sleep 0.05; done
grep -q 'worker running' "$home/w3.log" || fail "w3 did not start: $(tail -5 "$home/w3.log")"
limits=$(grep 'Max core file size' "/proc/$w3/limits") || fail "no /proc/$w3/limits"
read -r soft hard <<<"$(awk '{ print $5, $6 }' <<<"$limits")"
[ "$soft" = 0 ] && [ "$hard" = 0 ] || fail "w3's core limit: $limits (want soft 0, hard 0)"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$w3/status")
owner=$(stat -c %u "/proc/$w3/environ")
if [ "$uid" = 0 ]; then
  echo "w3 runs as root: dumpable not checkable here"
else
  [ "$owner" = 0 ] || fail "/proc/$w3/environ belongs to uid $owner, not root: w3 is dumpable"
  if "${as_user[@]}" cat "/proc/$w3/environ" >/dev/null 2>&1; then
    fail "uid $uid can read w3's environment (its API key)"
  fi
fi
kill -TERM "$w3"; rc=0; wait "$w3" || rc=$?
[ "$rc" = 0 ] || fail "w3 exited $rc after SIGTERM"
echo "w3 (uid $uid): $limits; /proc/PID/environ owner uid $owner, unreadable to uid $uid"
echo "PASS worker_lifecycle"
