#!/usr/bin/env bash
# worker_pipeline.sh — the enclave pipeline on real processes: dp-broker,
# dp-worker processes and dp-submit (issue 5, "Tests and benchmark").
#
# 1. The seed's five demo scenarios, with seller proofs built here from
#    their chunks (root = SHA-256(uint32_be(N) || chunk hashes)), on two
#    simulation workers: all agree; check_results.py recomputes every
#    report_data in Python; `dp-submit verify` passes on each line.
# 2. Invalid seller proofs end verification_failed with the reason and no
#    negotiation; bad emails (garbage bytes, an unsigned message) are
#    recorded as dkim_verification.verified = false and the deal still
#    negotiates; base64 that does not decode is refused naming the field.
# 3. SIGTERM on idle workers: both exit 0.
# 4. TEE errors: a worker in TEE_MODE=tappd on tests/tools/fake_tee.py;
#    while the agent answers HTTP 500 the deals end failed with a reason
#    starting "tee:" after the client's retries; the same worker process
#    then serves the next deal once the agent answers again.
# 5. A worker killed with SIGKILL while it holds deals (Claude-engine
#    deals against tests/tools/mock_anthropic.py, 400 ms per turn): every
#    deal still ends with exactly one result, from the other worker.
# 6. SIGTERM while the remaining worker holds 6 deals: they finish on it,
#    their results arrive, and it exits 0.
# Env: DP_BIN_DIR, DP_SOURCE_DIR, DP_SHARED_DIR (set by ctest).
set -euo pipefail
bin="${DP_BIN_DIR:?}"; src="${DP_SOURCE_DIR:?}"; shared="${DP_SHARED_DIR:?}"
work=$(mktemp -d /tmp/dp-worker-pipeline.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "worker_pipeline: FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($SECONDS s)"; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
broker="tcp://127.0.0.1:$(port)"
export XDG_DATA_HOME="$work/xdg" DP_SIM_ROOT="$work/sim-root" DP_KEY_FILE="$work/worker-key"
export TEE_MODE=simulation DP_BROKER="$broker" LOG_LEVEL=info
unset TAPPD_SIMULATOR_ENDPOINT DSTACK_SIMULATOR_ENDPOINT ANTHROPIC_API_KEY ANTHROPIC_BASE_URL
S="$bin/dp-submit"

"$bin/dp-broker" --data "$work/broker" --listen "$broker" --events "tcp://127.0.0.1:$(port)" --release-delay-ms 100 \
  2>"$work/broker.log" & pids+=($!)
for _ in $(seq 100); do "$S" stats --timeout 200 >/dev/null 2>&1 && break; sleep 0.1; done
"$S" stats --timeout 500 >/dev/null 2>&1 || fail "the broker does not answer: $(cat "$work/broker.log")"

# start_worker NAME [FLAGS…]: a dp-worker on the broker; its pid in $worker_pid.
start_worker() {
  local name="$1"; shift
  "$bin/dp-worker" --broker "$broker" --name "$name" "$@" 2>>"$work/$name.log" &
  worker_pid=$!; pids+=("$worker_pid")
}
# wait_workers NAME…: until the broker lists every named worker as connected.
wait_workers() {
  local names="$*"
  for _ in $(seq 150); do
    "$S" stats --json 2>/dev/null | python3 -c '
import json, sys
names = set(sys.argv[1].split())
seen = {w.get("name") for w in json.load(sys.stdin).get("workers") or []}
sys.exit(0 if names <= seen else 1)' "$names" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "workers $names did not connect"
}
# field FILE DEAL_ID EXPR: a Python expression over result r of that deal.
field() {
  python3 - "$@" <<'EOF'
import json, sys
path, deal, expr = sys.argv[1:4]
for line in open(path):
    r = json.loads(line)
    if r["deal_id"] == deal:
        print(eval(expr, {"r": r}))
        break
else:
    sys.exit("no result for " + deal)
EOF
}

start_worker w1; w1=$worker_pid
start_worker w2; w2=$worker_pid
wait_workers w1 w2

# ---------------------------------------------------------------------------
step "1. the seed's five demo scenarios with seller proofs built from their chunks"
python3 - "$shared/seed/demo_scenarios.json" "$work/demo.jsonl" <<'EOF'
import hashlib, json, struct, sys
seed = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for name, s in seed.items():
        hashes = [hashlib.sha256(c.encode("utf-8")).digest() for c in s["chunks"]]
        root = hashlib.sha256(struct.pack(">I", len(hashes)) + b"".join(hashes)).hexdigest()
        assert root == s["data_hash"], f"{name}: root {root} != seed data_hash {s['data_hash']}"
        out.write(json.dumps({
            "deal_id": f"demo-{name}", "buyer_budget": s["buyer_budget"],
            "floor_price": s["floor_price"], "buyer_requirements": s["buyer_requirements"],
            "data_description": s["data_description"], "data_hash": s["data_hash"],
            "seller_proof": {"root_hash": root, "chunk_hashes": [h.hex() for h in hashes],
                             "chunk_count": len(hashes), "algorithm": "sha256"}}) + "\n")
EOF
[ "$(wc -l <"$work/demo.jsonl")" -eq 5 ] || fail "expected 5 demo scenarios"
"$S" submit "$work/demo.jsonl" --wait --progress off --out "$work/demo.results" >"$work/demo.out" 2>&1 \
  || fail "demo submit: $(tail -5 "$work/demo.out")"
python3 "$src/tests/integration/lib/check_results.py" "$work/demo.results" --expect-agreed 5 --proof \
  || fail "check_results.py on the demo results"
i=0
while IFS= read -r line; do
  i=$((i + 1)); printf '%s\n' "$line" >"$work/line$i.json"
  "$S" verify --sim-root "$DP_SIM_ROOT" "$work/line$i.json" >"$work/verify$i.out" 2>&1 \
    || fail "dp-submit verify on result line $i: $(cat "$work/verify$i.out")"
done <"$work/demo.results"
[ "$i" -eq 5 ] || fail "$i result lines, expected 5"
# Both workers took part, and every result names the same enclave signer.
python3 - "$work/demo.results" <<'EOF' || fail "demo results: signers"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len({r["signer"] for r in rs}) == 1, "one key file, one signer"
assert all(r["tee_mode"] == "simulation" and r["sim_root"] for r in rs)
print("workers:", sorted({r["worker"] if isinstance(r["worker"], str) else json.dumps(r["worker"]) for r in rs}))
EOF

# ---------------------------------------------------------------------------
step "2. invalid seller proofs and bad emails"
python3 - "$work/bad.jsonl" <<'EOF'
import base64, hashlib, json, os, struct, sys
chunks = [f"chunk-{i}".encode() for i in range(4)]
hashes = [hashlib.sha256(c).digest() for c in chunks]
root = hashlib.sha256(struct.pack(">I", 4) + b"".join(hashes)).hexdigest()
good = {"root_hash": root, "chunk_hashes": [h.hex() for h in hashes], "chunk_count": 4,
        "algorithm": "sha256"}
def deal(i, **extra):
    d = {"deal_id": i, "buyer_budget": 1000, "floor_price": 600, "buyer_requirements": "rows",
         "data_description": "a table", "data_hash": root}
    d.update(extra)
    return json.dumps(d)
other = hashlib.sha256(b"other").hexdigest()
unsigned = (b"From: seller@example.com\r\nTo: buyer@example.org\r\nSubject: data\r\n"
            b"Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n\r\nThe dataset is ours.\r\n")
lines = [
    deal("proof-ok", seller_proof=good),
    deal("proof-root", seller_proof=dict(good, root_hash=other)),
    deal("proof-count", seller_proof=dict(good, chunk_count=5)),
    deal("proof-chunk", seller_proof=dict(good, chunk_hashes=["zz" * 32] + good["chunk_hashes"][1:])),
    deal("proof-algo", seller_proof=dict(good, algorithm="md5")),
    deal("proof-datahash", data_hash=other, seller_proof=good),
    deal("email-garbage", seller_email_eml=base64.b64encode(os.urandom(300)).decode()),
    deal("email-unsigned", seller_email_eml=base64.b64encode(unsigned).decode()),
]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
rc=0
"$S" submit "$work/bad.jsonl" --wait --progress off --out "$work/bad.results" >"$work/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a batch with failed deals should exit 1, got $rc: $(tail -5 "$work/bad.out")"
[ "$(wc -l <"$work/bad.results")" -eq 8 ] || fail "expected 8 results: $(cat "$work/bad.results")"
[ "$(field "$work/bad.results" proof-ok 'r["status"]')" = agreed ] || fail "the good proof did not agree"
for id in proof-root proof-count proof-chunk proof-algo proof-datahash; do
  got=$(field "$work/bad.results" "$id" 'r["status"], r.get("reason"), len(r["transcript"]), r.get("attestation")')
  echo "$id: $got"
  case "$got" in
    "('verification_failed', 'seller_proof"*"', 0, None)") ;;
    *) fail "$id: expected verification_failed with a seller_proof reason and no negotiation, got $got";;
  esac
  grep "\"$id\"" "$work/bad.results" >"$work/$id.json"
  rc=0; "$S" verify --sim-root "$DP_SIM_ROOT" "$work/$id.json" >"$work/$id.verify" 2>&1 || rc=$?
  # A signed negative result: no check fails (no ✗; the exit code is
  # verify's to choose) and the signature recovers to the enclave's signer.
  [ "$rc" -le 1 ] && ! grep -q "✗" "$work/$id.verify" && grep -q "✓ result signature" "$work/$id.verify" \
    || fail "verify $id: exit $rc: $(cat "$work/$id.verify")"
done
# Python recomputes every transcript digest, agreed or not (an empty
# transcript included), and the three agreed deals' report data.
python3 "$src/tests/integration/lib/check_results.py" "$work/bad.results" --expect-agreed 3 >/dev/null \
  || fail "check_results.py on the bad-input results: $(python3 "$src/tests/integration/lib/check_results.py" "$work/bad.results" | tail -1)"
# Each bad proof is refused for its own reason.
[ "$(python3 -c 'import json,sys; print(len({json.loads(l).get("reason") for l in open(sys.argv[1]) if json.loads(l)["deal_id"].startswith("proof-") and json.loads(l)["deal_id"] != "proof-ok"}))' "$work/bad.results")" -eq 5 ] \
  || fail "the five bad proofs do not have five different reasons"
for id in email-garbage email-unsigned; do
  got=$(field "$work/bad.results" "$id" 'r["status"], r["dkim_verification"]["verified"], bool(r["dkim_verification"].get("error")), len(r["transcript"]) > 0')
  echo "$id: $got"
  [ "$got" = "('agreed', False, True, True)" ] || fail "$id: expected an agreed deal with dkim verified false and an error, got $got"
done
# Base64 that does not decode is bad input, refused with the field named.
printf '{"deal_id":"email-b64","buyer_budget":10,"floor_price":5,"buyer_requirements":"r","data_description":"d","data_hash":"%s","seller_email_eml":"!!not base64!!"}\n' \
  "$(printf '%064d' 0)" >"$work/b64.jsonl"
rc=0; "$S" submit "$work/b64.jsonl" --wait --progress off >"$work/b64.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "undecodable base64: expected exit 2, got $rc: $(cat "$work/b64.out")"
grep -q "seller_email_eml" "$work/b64.out" || fail "undecodable base64: the field is not named: $(cat "$work/b64.out")"

# ---------------------------------------------------------------------------
step "3. SIGTERM stops idle workers cleanly"
kill -TERM "$w1" "$w2"
for pid in "$w1" "$w2"; do
  rc=0; wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || fail "worker $pid exited $rc after SIGTERM"
done
grep -q "draining" "$work/w1.log" || fail "w1 did not log its drain"

# ---------------------------------------------------------------------------
step "4. TEE errors: a tappd worker whose agent answers HTTP 500"
sock="$work/tappd.sock"
start_agent() {   # start_agent [fake_tee.py flags…]: a tappd agent on $sock
  rm -f "$sock"
  python3 "$src/tests/tools/fake_tee.py" --api tappd --unix "$sock" --lifetime 80 \
    --quote "$shared/vectors/tdx/dcap-qvl/tdx_quote_v4_from_tappd.hex" --log "$work/agent.log" "$@" &
  agent_pid=$!; pids+=("$agent_pid")
  for _ in $(seq 200); do [ -S "$sock" ] && return 0; sleep 0.025; done
  fail "fake_tee.py did not start"
}
stop_agent() { kill "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; }
deal() { printf '{"deal_id":"%s","buyer_budget":1000,"floor_price":600,"buyer_requirements":"r","data_description":"d","data_hash":"%064d"}\n' "$1" 0; }

start_agent
TEE_MODE=tappd TAPPD_SIMULATOR_ENDPOINT="$sock" start_worker w3 --key-file "$work/tappd-key"; w3=$worker_pid
wait_workers w3
grep -q "tee mode=tappd" "$work/w3.log" || fail "w3 is not in tappd mode: $(cat "$work/w3.log")"
deal tee-before >"$work/t1.jsonl"
"$S" submit "$work/t1.jsonl" --wait --progress off --out "$work/t1.results" >/dev/null 2>&1 \
  || fail "a deal on a working tappd agent: $(cat "$work/t1.results")"
[ "$(field "$work/t1.results" tee-before 'r["tee_mode"]')" = tappd ] || fail "tee_mode is not tappd"

stop_agent
start_agent --fail 1000000
: >"$work/agent.log"
{ deal tee-err-1; deal tee-err-2; } >"$work/t2.jsonl"
rc=0; "$S" submit "$work/t2.jsonl" --wait --progress off --out "$work/t2.results" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "TEE errors: expected exit 1, got $rc"
for id in tee-err-1 tee-err-2; do
  got=$(field "$work/t2.results" "$id" 'r["status"], r.get("reason", "")[:4], bool(r.get("signature"))')
  [ "$got" = "('failed', 'tee:', True)" ] || fail "$id: expected a signed failed result with a tee: reason, got $got"
done
echo "tee-err-1 reason: $(field "$work/t2.results" tee-err-1 'r["reason"]')"
quote_calls=$(grep -c Quote "$work/agent.log" || true)
[ "$quote_calls" -ge 8 ] || fail "TEE errors: $quote_calls quote requests for 2 deals, expected 4 attempts each"
echo "quote requests to the failing agent for 2 deals: $quote_calls"
kill -0 "$w3" 2>/dev/null || fail "w3 died on TEE errors"

stop_agent
start_agent
deal tee-after >"$work/t3.jsonl"
"$S" submit "$work/t3.jsonl" --wait --progress off --out "$work/t3.results" >/dev/null 2>&1 \
  || fail "the worker does not serve after the agent came back: $(cat "$work/t3.results")"
kill -TERM "$w3"; wait "$w3" || fail "w3 did not drain cleanly"
stop_agent

# ---------------------------------------------------------------------------
step "5. SIGKILL a worker that holds Claude-engine deals"
printf '%s\n' '{"delay_ms":400,"move":{"action":"accept","reasoning":"fine"}}' >"$work/script.jsonl"
# (its stderr: a request cut by the SIGKILL below prints a Python traceback)
coproc MOCK { exec python3 "$src/tests/tools/mock_anthropic.py" "$work/script.jsonl" "$work/mock.log" 2>"$work/mock.err"; }
pids+=("$MOCK_PID")
read -r mock_port <&"${MOCK[0]}" || fail "mock_anthropic.py did not start"
claude=(--anthropic-url "http://127.0.0.1:$mock_port")
export ANTHROPIC_API_KEY=sk-test-mock      # never a flag (docs/worker.md)
start_worker w4 "${claude[@]}"; w4=$worker_pid
start_worker w5 "${claude[@]}"; w5=$worker_pid
wait_workers w4 w5
python3 - "$work/kill.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(24):
        out.write(json.dumps({"deal_id": f"kill-{i}", "buyer_budget": 1000, "floor_price": 600,
                              "buyer_requirements": "r", "data_description": "d",
                              "data_hash": "%064x" % i, "buyer_engine": "claude",
                              "seller_engine": "claude"}) + "\n")
EOF
"$S" submit "$work/kill.jsonl" --wait --progress off --timeout 60000 --out "$work/kill.results" \
  >"$work/kill.out" 2>&1 & submit_pid=$!; pids+=("$submit_pid")
# Kill w4 once the broker shows it holding deals.
held=0
for _ in $(seq 50); do
  held=$("$S" stats --json 2>/dev/null | python3 -c '
import json, sys
for w in json.load(sys.stdin).get("workers") or []:
    if w.get("name") == "w4": print(w["leased"]); break
else: print(0)' 2>/dev/null || echo 0)
  [ "$held" -gt 0 ] && break
  sleep 0.05
done
[ "$held" -gt 0 ] || fail "w4 never held a deal"
kill -9 "$w4"; wait "$w4" 2>/dev/null || true
echo "killed w4 while it held $held deals"
rc=0; wait "$submit_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "after the kill: submit exit $rc: $(tail -5 "$work/kill.out")"
python3 - "$work/kill.results" <<'EOF' || fail "results after the kill"
import collections, json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
count = collections.Counter(r["deal_id"] for r in rs)
assert sorted(count) == sorted(f"kill-{i}" for i in range(24)), sorted(count)
assert set(count.values()) == {1}, count
assert all(r["status"] == "agreed" for r in rs), [r["status"] for r in rs]
workers = collections.Counter(json.dumps(r.get("worker")) for r in rs)
print("results by worker:", dict(workers))
EOF
# The broker agrees: 24 final deals, none negotiating, none pending.
"$S" list --status negotiating >"$work/neg.out" 2>&1 || true
grep -q "kill-" "$work/neg.out" && fail "deals still negotiating: $(cat "$work/neg.out")"
# The broker saw w4 vanish while it still held leases, so those deals were
# leased again, to w5, and still have exactly one result each (above).
gone=$(grep -o "worker gone worker=w4 leases=[0-9]*" "$work/broker.log" || true)
echo "broker: $gone"
case "$gone" in *"leases="[1-9]*) ;; *) fail "the broker did not lose w4 with leases: $(grep gone "$work/broker.log")";; esac

step "6. SIGTERM while a worker holds deals: they finish, then it exits 0"
python3 - "$work/drain.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(6):
        out.write(json.dumps({"deal_id": f"drain-{i}", "buyer_budget": 1000, "floor_price": 600,
                              "buyer_requirements": "r", "data_description": "d",
                              "data_hash": "%064x" % (100 + i), "buyer_engine": "claude",
                              "seller_engine": "claude"}) + "\n")
EOF
"$S" submit "$work/drain.jsonl" --wait --progress off --timeout 60000 --out "$work/drain.results" \
  >"$work/drain.out" 2>&1 & submit_pid=$!; pids+=("$submit_pid")
held=0
for _ in $(seq 50); do
  held=$("$S" stats --json 2>/dev/null | python3 -c '
import json, sys
for w in json.load(sys.stdin).get("workers") or []:
    if w.get("name") == "w5": print(w["leased"]); break
else: print(0)' 2>/dev/null || echo 0)
  [ "$held" -ge 6 ] && break
  sleep 0.05
done
[ "$held" -ge 6 ] || fail "w5 did not take the 6 drain deals (holds $held)"
kill -TERM "$w5"
rc=0; wait "$w5" || rc=$?
[ "$rc" -eq 0 ] || fail "w5 exited $rc after SIGTERM"
rc=0; wait "$submit_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "drain: submit exit $rc: $(tail -3 "$work/drain.out")"
python3 - "$work/drain.results" <<'EOF' || fail "drain results"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["deal_id"] for r in rs) == [f"drain-{i}" for i in range(6)], [r["deal_id"] for r in rs]
assert all(r["status"] == "agreed" and r["worker"] == "w5" for r in rs), [(r["status"], r["worker"]) for r in rs]
EOF
echo "w5 drained 6 deals in flight and exited 0"
exec {MOCK[1]}>&-
echo "worker_pipeline: ok ($SECONDS s)"
