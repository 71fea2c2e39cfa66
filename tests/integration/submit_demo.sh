#!/usr/bin/env bash
# submit_demo.sh — README command 1's program: `dp-submit demo` in
# embedded mode runs the seed's five scenarios; every one agrees with
# verified bindings; with --json each line is a full result whose report
# data is Python's own sha256(json.dumps(payload, sort_keys=True)) and
# whose seller proof root is the seed's data_hash.
source "$(dirname "$0")/lib/submit_lib.sh"
S="$BIN/dp-submit"

# CURVE keys meant for a remote broker do not apply to the embedded one
# (were they read, this bogus path would stop the demo).
DP_CURVE_CERT=/nonexistent DP_CURVE_BROKER=/nonexistent \
"$S" demo >"$WORK/demo.out" 2>"$WORK/demo.err" || fail "demo: $(tail -20 "$WORK/demo.out") $(cat "$WORK/demo.err")"
grep -q "5 of 5 scenarios agreed with verified bindings" "$WORK/demo.out" || fail "demo summary: $(tail -5 "$WORK/demo.out")"
for label in "Labelled Vision Dataset" "Medical Imaging Dataset" "Autonomous Vehicle LiDAR Data" "FX Trading Time Series" "NLP Training Corpus"; do
  grep -q "Scenario: $label" "$WORK/demo.out" || fail "scenario $label missing"
done
grep -q "^\[Round 1\] SELLER" "$WORK/demo.out" || fail "no transcript lines"
! grep -q "✗" "$WORK/demo.out" || fail "a failed check: $(grep "✗" "$WORK/demo.out")"

"$S" demo --json >"$WORK/demo.jsonl" 2>"$WORK/demo.err" || fail "demo --json: $(cat "$WORK/demo.err")"
python3 - "$WORK/demo.jsonl" "$DP_SHARED_DIR/seed/demo_scenarios.json" <<'PY' || fail "demo --json results"
import hashlib, json, sys
lines = open(sys.argv[1]).read().splitlines()
seed = json.load(open(sys.argv[2]))
assert len(lines) == 5, len(lines)
hashes = {s["data_hash"] for s in seed.values()}
for line in lines:
    r = json.loads(line)              # every stdout line is one whole result
    assert r["agreed"] is True and r["status"] == "agreed", r["status"]
    assert r["data_hash"] in hashes
    payload = {"final_price": r["final_price"], "terms": r["terms"],
               "data_hash": r["data_hash"], "data_verified": True}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    assert r["report_data"][:64] == digest, (r["deal_id"], r["report_data"][:64], digest)
    assert r["tee_mode"] == "simulation" and r["signature"] and r["data_verification_attestation"]
PY
"$S" verify --sim-root "$DP_SIM_ROOT" "$WORK/demo.jsonl" >/dev/null || fail "verify of the demo's results"
"$S" demo --scenario lidar --json >"$WORK/lidar.jsonl" 2>/dev/null || fail "demo --scenario lidar"
[ "$(wc -l <"$WORK/lidar.jsonl")" -eq 1 ] || fail "one scenario, one line"
expect_exit 2 "$S" demo --scenario weather
expect_exit 2 "$S" demo --engine gpt
echo "submit_demo: ok"
