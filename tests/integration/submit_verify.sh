#!/usr/bin/env bash
# submit_verify.sh — real dp-broker and dp-worker (simulated TDX quotes
# under a test simulation root): a deal with a seller proof made by
# `dp-submit prove`, its result verified offline and by id; then copies
# with one byte changed in the price, the terms, the report data or the
# signature, each failing with the right check named; the payload hash
# checked against Python's own json.dumps; inspect, attestation,
# verification.
source "$(dirname "$0")/lib/submit_lib.sh"
S="$BIN/dp-submit"
port=$(free_port); events=$(free_port)
start_broker "$WORK/broker" "$port" "$events"
start_worker dp-worker --tee-mode simulation --sim-root "$DP_SIM_ROOT" --key-file "$DP_KEY_FILE" --capacity 4

# a seller proof for a file, then a deal that uses it
head -c 200000 /dev/urandom >"$WORK/data.bin"
"$S" prove --chunk-size 65536 "$WORK/data.bin" >"$WORK/proof.json" 2>/dev/null || fail "prove"
python3 - "$WORK/proof.json" >"$WORK/deal.jsonl" <<'PY'
import json, sys
proof = json.load(open(sys.argv[1]))
print(json.dumps({"deal_id": "v-1", "buyer_budget": 1000.0, "floor_price": 600.0,
                  "buyer_requirements": "labelled images", "data_description": "a dataset",
                  "data_hash": proof["data_hash"], "seller_proof": proof["seller_proof"]}))
PY
"$S" run --out "$WORK/result.jsonl" --progress off "$WORK/deal.jsonl" >/dev/null 2>"$WORK/err" \
  || fail "run: $(cat "$WORK/err")"
head -1 "$WORK/result.jsonl" >"$WORK/good.json"

# the good result verifies offline and by id, every check passing
"$S" verify --sim-root "$DP_SIM_ROOT" "$WORK/good.json" >"$WORK/out" || fail "verify good: $(cat "$WORK/out")"
for check in "payload hash" "transcript digest" "binding" "quote report data" "quote chain" "data payload hash" "data binding" "result signature"; do
  grep -q "✓ $check" "$WORK/out" || fail "check '$check' not passed: $(cat "$WORK/out")"
done
"$S" verify --sim-root "$DP_SIM_ROOT" v-1 >/dev/null || fail "verify by id"
"$S" verify --json --sim-root "$DP_SIM_ROOT" "$WORK/good.json" | python3 -c '
import json, sys; d = json.load(sys.stdin); assert d["verified"] is True and d["deal_id"] == "v-1", d' \
  || fail "verify --json"

# the payload hash is Python's sha256(json.dumps(payload, sort_keys=True))
python3 - "$WORK/good.json" <<'PY' || fail "payload hash differs from Python's"
import hashlib, json, sys
r = json.load(open(sys.argv[1]))
payload = {"final_price": r["final_price"], "terms": r["terms"]}
if r.get("data_verification_attestation"):
    payload.update({"data_hash": r["data_hash"], "data_verified": True})
digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
assert r["report_data"][:64] == digest, (r["report_data"][:64], digest)
assert r["transcript_digest"] == hashlib.sha256(json.dumps(r["transcript"], sort_keys=True).encode()).hexdigest()
PY

# one byte changed: each fails, naming the check that covers it
tamper() {   # tamper NAME PYTHON-EXPRESSION-ON-r
  python3 - "$WORK/good.json" "$WORK/$1.json" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def flip(hextext, at):
    c = hextext[at]
    return hextext[:at] + ("1" if c == "0" else "0") + hextext[at + 1:]
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PY
}
tamper price 'r["final_price"] = r["final_price"] + 0.01'
tamper terms 'r["terms"]["duration_days"] = r["terms"]["duration_days"] + 1'
tamper report_data 'r["report_data"] = flip(r["report_data"], 70)'
tamper signature 'r["signature"] = flip(r["signature"], 20)'
expect_check() {   # expect_check NAME CHECK
  local code=0
  "$S" verify --sim-root "$DP_SIM_ROOT" "$WORK/$1.json" >"$WORK/$1.out" 2>&1 || code=$?
  [ "$code" -eq 1 ] || fail "$1: exit $code, not 1: $(cat "$WORK/$1.out")"
  grep -q "✗ $2" "$WORK/$1.out" || fail "$1: check '$2' did not fail: $(cat "$WORK/$1.out")"
}
# SPEC §6 checked without DealProof's code (Python's json.dumps + SHA-256,
# ethers' EIP-191 recovery): the genuine result recovers to its signer, a
# changed price does not
python3 "$(dirname "$0")/lib/result_signers.py" "$WORK/result.jsonl" >"$WORK/signers.out" \
  || fail "independent SPEC §6 check: $(cat "$WORK/signers.out")"
grep -q "^ok v-1 " "$WORK/signers.out" || fail "independent SPEC §6 check: $(cat "$WORK/signers.out")"
if python3 "$(dirname "$0")/lib/result_signers.py" "$WORK/price.json" >"$WORK/signers.out"; then
  fail "independent SPEC §6 check accepted a changed price: $(cat "$WORK/signers.out")"
fi
expect_check price "payload hash"
expect_check terms "payload hash"
expect_check report_data "binding"
expect_check report_data "quote report data"
expect_check signature "result signature"
grep -q "✓ payload hash" "$WORK/signature.out" || fail "signature change broke the payload check"
# against another simulation root the quote chain fails
mkdir -p "$WORK/other-root"
code=0; "$S" verify --sim-root "$WORK/other-root/x" "$WORK/good.json" >"$WORK/other.out" 2>&1 || code=$?
[ "$code" -eq 1 ] && grep -q "✗ quote chain" "$WORK/other.out" || fail "other root: $(cat "$WORK/other.out")"

# inspect, attestation, verification
"$S" attestation v-1 | grep -Eq '^0x[0-9a-f]{1000,}$' || fail "attestation"
"$S" inspect --sim-root "$DP_SIM_ROOT" --json v-1 | python3 -c '
import json, sys; d = json.load(sys.stdin)
assert d["verification_status"] == "simulation_only" and d["tee_type"] == "TDX", d' || fail "inspect"
"$S" verification --json v-1 | python3 -c '
import json, sys; d = json.load(sys.stdin)["verification"]
assert d["verified"] is True and d["chunk_count"] == 4, d' || fail "verification"
expect_exit 2 "$S" inspect "$WORK/deal.jsonl"

# --- a stalled subscriber loses live events and catches up ---------------------
# Real results carry two quotes (~10 KB each) and each deal ~17 progress
# events, so 2,000 deals overflow the
# socket buffers and the broker's PUB queue while dp-submit is stopped:
# the live stream drops events and the client must replay them.
stop_workers
for i in $(seq 1 2000); do deal_line stall-$i; done >"$WORK/stall.jsonl"
"$S" submit --wait --out "$WORK/stall.out" --progress off "$WORK/stall.jsonl" >/dev/null 2>"$WORK/stall.err" &
waiter=$!; PIDS+=($waiter)
for i in $(seq 1 300); do grep -q acknowledged "$WORK/stall.err" && break; sleep 0.1; done
kill -STOP "$waiter"
start_worker dp-worker --tee-mode simulation --sim-root "$DP_SIM_ROOT" --key-file "$DP_KEY_FILE" --capacity 16
for i in $(seq 1 600); do
  "$S" stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin)["deals"]; sys.exit(0 if d["pending"] + d["negotiating"] == 0 else 1)' && break
  sleep 0.2
done
kill -CONT "$waiter"
wait "$waiter" || fail "--wait after a stall: $(cat "$WORK/stall.err")"
python3 - "$WORK/stall.out" <<'PY' || fail "results after the stall"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["deal_id"] for r in rows]
assert len(ids) == 2000 and len(set(ids)) == 2000, (len(ids), len(set(ids)))
assert all(r["status"] == "agreed" and r["signature"] for r in rows)
PY
echo "submit_verify: ok"
