#!/usr/bin/env bash
# submit_batch.sh — dp-submit against a real dp-broker and dp-testworker
# processes: a batch of mixed valid and invalid lines, --ids, idempotent
# resubmission, a changed body refused with its line, --strict, --wait and
# run --out, the query commands, --wait through a broker crash and
# restart, through a stalled (dropped) subscriber, and Ctrl-C.
source "$(dirname "$0")/lib/submit_lib.sh"
S="$BIN/dp-submit"
port=$(free_port); events=$(free_port)
start_broker "$WORK/broker" "$port" "$events"

# --- mixed lines, --ids, no worker yet --------------------------------------
f="$WORK/mixed.jsonl"
{ deal_line m-1; echo '{"deal_id": "m-bad", "buyer_budget": -1}'; deal_line m-2; echo 'not json'; deal_line m-3; } >"$f"
expect_exit 2 "$S" submit --ids "$WORK/ids.txt" "$f"
[ "$(cat "$WORK/ids.txt")" = "$(printf 'm-1\nm-2\nm-3')" ] || fail "ids file: $(cat "$WORK/ids.txt")"
"$S" status m-2 | grep -q "^m-2  pending" || fail "status of m-2: $("$S" status m-2)"
"$S" status --json m-1 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"]=="pending" and d["batch"].endswith("mixed.jsonl"), d' \
  || fail "status --json"
expect_exit 1 "$S" status no-such-deal
expect_exit 1 "$S" result m-1                     # no result yet

# --- resubmission is idempotent; a changed body is refused with its line ---------
grep -v "not json\|m-bad" "$f" >"$WORK/valid.jsonl"
"$S" submit "$WORK/valid.jsonl" >"$WORK/out" || fail "idempotent resubmission failed"
[ "$(sort "$WORK/out")" = "$(printf 'm-1\nm-2\nm-3')" ] || fail "resubmitted ids: $(cat "$WORK/out")"
deal_line m-2 999.0 >"$WORK/changed.jsonl"
"$S" submit "$WORK/changed.jsonl" 2>"$WORK/err" && fail "changed body accepted"
grep -q "changed.jsonl:1: .*exists with different content" "$WORK/err" || fail "refusal: $(cat "$WORK/err")"
# --strict: nothing at all is sent
{ deal_line s-1; echo '{}'; } >"$WORK/strict.jsonl"
expect_exit 2 "$S" submit --strict "$WORK/strict.jsonl"
expect_exit 1 "$S" status s-1

# --- a worker finishes them: --wait, result, list, stats, verify of an unsigned result ---
start_worker dp-testworker --capacity 16
for i in $(seq 1 50); do deal_line w-$i; done >"$WORK/wait.jsonl"
"$S" submit --wait --out "$WORK/results.jsonl" --progress plain "$WORK/wait.jsonl" >"$WORK/out" 2>"$WORK/err" \
  || fail "submit --wait: $(cat "$WORK/err")"
[ "$(wc -l <"$WORK/results.jsonl")" -eq 50 ] || fail "results: $(wc -l <"$WORK/results.jsonl")"
grep -q "^agreed  *50" "$WORK/out" || fail "summary: $(cat "$WORK/out")"
"$S" result m-1 | python3 -c 'import json,sys; assert json.load(sys.stdin)["deal_id"] == "m-1"' || fail "result m-1"
"$S" list --status agreed --json | python3 -c '
import json, sys
ids = {json.loads(l)["deal_id"] for l in sys.stdin}
assert {"m-1", "m-2", "m-3", "w-1", "w-50"} <= ids, sorted(ids)[:5]' || fail "list --status agreed"
[ "$("$S" list --batch valid.jsonl | wc -l)" -eq 0 ] || fail "list --batch: resubmission moved deals"
"$S" stats | grep -q "^workers    1" || fail "stats: $("$S" stats)"
expect_exit 1 "$S" verify "$WORK/results.jsonl"      # the test worker does not sign

# watch: live progress moves and results, as lines and as JSON
stop_workers
start_worker dp-testworker --capacity 16 --progress 1
"$S" watch --json >"$WORK/watch.jsonl" 2>"$WORK/watch.err" &
watcher=$!; PIDS+=($watcher)
"$S" watch x-2 >"$WORK/watch.txt" 2>&1 &
watcher2=$!; PIDS+=($watcher2)
sleep 1
for i in 1 2 3; do deal_line x-$i; done >"$WORK/watch-deals.jsonl"
"$S" submit --wait --progress off "$WORK/watch-deals.jsonl" >/dev/null 2>&1 || fail "submit for watch"
sleep 1
kill -INT "$watcher" "$watcher2"
wait "$watcher" || fail "watch exit code: $(cat "$WORK/watch.err")"
wait "$watcher2" || true
python3 - "$WORK/watch.jsonl" <<'PY' || fail "watch --json events: $(head -5 "$WORK/watch.jsonl")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
results = {e["deal_id"] for e in events if e["type"] == "result"}
moves = [e for e in events if e["type"] == "progress"]
assert {"x-1", "x-2", "x-3"} <= results, results
assert moves and moves[0]["data"]["role"] == "seller", moves[:1]
assert all(e["seq"] > 0 for e in events if e["type"] == "result")
PY
grep -q "^x-2 \[Round 1\] SELLER OFFER" "$WORK/watch.txt" || fail "watch lines: $(cat "$WORK/watch.txt")"
! grep -q "^x-1 " "$WORK/watch.txt" || fail "watch x-2 showed x-1"

# run --json through the broker: exactly one result per line on stdout
for i in $(seq 1 20); do deal_line r-$i; done >"$WORK/run.jsonl"
"$S" run --json "$WORK/run.jsonl" >"$WORK/run.out" 2>"$WORK/err" || fail "run --json: $(cat "$WORK/err")"
python3 - "$WORK/run.out" <<'PY' || fail "run --json output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 20 and len({r["deal_id"] for r in rows}) == 20, len(rows)
PY
# resubmitting finished deals returns their results at once
"$S" run --out "$WORK/again.jsonl" "$WORK/run.jsonl" >/dev/null 2>&1 || fail "run of finished deals"
[ "$(wc -l <"$WORK/again.jsonl")" -eq 20 ] || fail "results of finished deals"

# --- --wait through a broker crash and restart --------------------------------
stop_workers
for i in $(seq 1 300); do deal_line b-$i; done >"$WORK/restart.jsonl"
"$S" submit --wait --out "$WORK/restart.out" --progress off "$WORK/restart.jsonl" >/dev/null 2>"$WORK/wait.err" &
waiter=$!; PIDS+=($waiter)
for i in $(seq 1 100); do [ "$("$S" list --batch restart.jsonl 2>/dev/null | wc -l)" -eq 300 ] && break; sleep 0.1; done
stop_broker KILL
sleep 1
start_broker "$WORK/broker" "$port" "$events"
start_worker dp-testworker --capacity 32
wait "$waiter" || fail "--wait across a broker restart: $(cat "$WORK/wait.err")"
python3 - "$WORK/restart.out" <<'PY' || fail "results after the restart"
import json, sys
ids = [json.loads(l)["deal_id"] for l in open(sys.argv[1])]
assert len(ids) == 300 and len(set(ids)) == 300, (len(ids), len(set(ids)))
PY

# --- a stalled subscriber misses live events and catches up -------------------
stop_workers
for i in $(seq 1 3000); do deal_line d-$i; done >"$WORK/drop.jsonl"
"$S" submit --wait --out "$WORK/drop.out" --progress off "$WORK/drop.jsonl" >/dev/null 2>"$WORK/drop.err" &
waiter=$!; PIDS+=($waiter)
for i in $(seq 1 200); do [ -n "$(tail -c 1 "$WORK/drop.err" 2>/dev/null)" ] && grep -q acknowledged "$WORK/drop.err" && break; sleep 0.1; done
kill -STOP "$waiter"
start_worker dp-testworker --capacity 64
for i in $(seq 1 100); do "$S" stats --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["deals"]["pending"] == 0 else 1)' && break; sleep 0.2; done
kill -CONT "$waiter"
wait "$waiter" || fail "--wait after a stall: $(cat "$WORK/drop.err")"
python3 - "$WORK/drop.out" <<'PY' || fail "results after the stall"
import json, sys
ids = [json.loads(l)["deal_id"] for l in open(sys.argv[1])]
assert len(ids) == 3000 and len(set(ids)) == 3000, (len(ids), len(set(ids)))
PY

# --- Ctrl-C while waiting leaves the deals running and says how to follow them ----
stop_workers
deal_line c-1 >"$WORK/ctrlc.jsonl"
"$S" submit --wait --progress off "$WORK/ctrlc.jsonl" >/dev/null 2>"$WORK/ctrlc.err" &
waiter=$!; PIDS+=($waiter)
for i in $(seq 1 100); do grep -q acknowledged "$WORK/ctrlc.err" && break; sleep 0.1; done
kill -INT "$waiter"
code=0; wait "$waiter" || code=$?
[ "$code" -ne 0 ] || fail "Ctrl-C exit code 0"
grep -q "dp-submit watch" "$WORK/ctrlc.err" || fail "Ctrl-C message: $(cat "$WORK/ctrlc.err")"
"$S" status c-1 | grep -q pending || fail "c-1 not left running"
echo "submit_batch: ok"
