#!/usr/bin/env bash
# submit_cli.sh — dp-submit without a broker: usage and exit codes, input
# validation (FILE:LINE messages, JSON Lines and arrays, stdin, --strict,
# --dry-run), an unreachable broker (exit 3), and `prove` against Python's
# own computation of the seed's Props snippet.
source "$(dirname "$0")/lib/submit_lib.sh"
S="$BIN/dp-submit"

# --- usage and exit codes -------------------------------------------------
expect_exit 0 "$S" --help
expect_exit 2 "$S"
expect_exit 2 "$S" frobnicate
expect_exit 0 "$S" submit --help
expect_exit 0 "$S" help verify
expect_exit 2 "$S" submit
expect_exit 2 "$S" submit --no-such-flag x.jsonl
"$S" frobnicate 2>"$WORK/err" || true
grep -q "unknown command 'frobnicate'" "$WORK/err" || fail "unknown command not named"
"$S" submit --help | grep -q -- "--dry-run" || fail "submit --help lacks --dry-run"

# --- validation: mixed lines ----------------------------------------------
deals="$WORK/mixed.jsonl"
{
  deal_line good-1
  echo '{"deal_id": "bad-floor", "buyer_budget": 100.0, "floor_price": 0, "buyer_requirements": "x", "data_description": "y", "data_hash": "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f"}'
  echo ''
  deal_line good-2
  echo '{"deal_id": "bad-json", "buyer_budget": 1'
  echo '{"deal_id": "bad-hash", "buyer_budget": 100.0, "floor_price": 10.0, "buyer_requirements": "x", "data_description": "y", "data_hash": "abc"}'
  deal_line good-3 0.29 0.29
} >"$deals"
expect_exit 2 "$S" submit --dry-run "$deals"
"$S" submit --dry-run "$deals" >"$WORK/out" 2>"$WORK/err" || true
[ "$(cat "$WORK/out")" = "$(printf 'good-1\ngood-2\ngood-3')" ] || fail "dry-run ids: $(cat "$WORK/out")"
grep -q "^$deals:2: floor_price" "$WORK/err" || fail "line 2 not reported: $(cat "$WORK/err")"
grep -q "^$deals:5: " "$WORK/err" || fail "line 5 (bad JSON) not reported"
grep -q "^$deals:6: data_hash" "$WORK/err" || fail "line 6 not reported"
grep -q "3 valid, 3 invalid" "$WORK/err" || fail "counts: $(cat "$WORK/err")"

# all valid: exit 0; ids assigned when absent are UUIDv4
printf '%s\n' "$(deal_line only-1)" '{"buyer_budget": 10.0, "floor_price": 5.0, "buyer_requirements": "x", "data_description": "y", "data_hash": "BAB5BE0D0C6BF806ABC221E5B11AE1E1CE358A36CAF475A12F01BA28C100CD7F"}' >"$WORK/ok.jsonl"
"$S" submit --dry-run "$WORK/ok.jsonl" >"$WORK/out" || fail "valid file refused"
sed -n 2p "$WORK/out" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
  || fail "assigned id is not a UUIDv4: $(sed -n 2p "$WORK/out")"

# --json dry-run: one object per line naming file and line
"$S" submit --dry-run --json "$deals" >"$WORK/json.out" 2>/dev/null || true
python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["line"] for r in rows] == [1, 4, 7], rows
assert rows[0]["deal_id"] == "good-1"
' <"$WORK/json.out" || fail "--json dry-run output"

# a JSON array and stdin give the same deals
python3 - "$WORK/ok.jsonl" >"$WORK/array.json" <<'PY'
import json, sys
print(json.dumps([json.loads(l) for l in open(sys.argv[1])], indent=2))
PY
"$S" submit --dry-run "$WORK/array.json" 2>/dev/null | head -1 | grep -qx only-1 || fail "array input"
deal_line from-stdin | "$S" submit --dry-run - 2>/dev/null | grep -qx from-stdin || fail "stdin input"
# a malformed array reports its line and keeps the elements before it
printf '[\n%s,\n%s\n%s]\n' "$(deal_line a-1)" "$(deal_line a-2)" "$(deal_line a-3)" >"$WORK/broken.json"
"$S" submit --dry-run "$WORK/broken.json" >"$WORK/out" 2>"$WORK/err" && fail "broken array accepted"
grep -q "broken.json:4: JSON array" "$WORK/err" || fail "broken array line: $(cat "$WORK/err")"

# engines: bad value is a usage error
expect_exit 2 "$S" submit --dry-run --engine gpt "$WORK/ok.jsonl"

# --- no broker / unreachable broker -----------------------------------------
"$S" submit "$WORK/ok.jsonl" 2>"$WORK/err" && fail "submit without a broker succeeded"
grep -q "no broker" "$WORK/err" || fail "missing broker not explained"
port=$(free_port)
expect_exit 3 "$S" submit --broker "tcp://127.0.0.1:$port" --timeout 500 "$WORK/ok.jsonl"
expect_exit 2 "$S" submit --strict --broker "tcp://127.0.0.1:$port" --timeout 500 "$deals"
expect_exit 3 "$S" status --broker "tcp://127.0.0.1:$port" --timeout 500 some-id

# --- prove: the seed's Props root, as Python computes it ----------------------
head -c 300000 /dev/urandom >"$WORK/data.bin"
want=$(python3 - "$WORK/data.bin" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
size = 65536
chunks = [data[i:i+size] for i in range(0, len(data), size)]
hashes = [hashlib.sha256(c).hexdigest() for c in chunks]
raw = len(hashes).to_bytes(4, "big") + b"".join(bytes.fromhex(h) for h in hashes)
print(hashlib.sha256(raw).hexdigest(), len(chunks))
PY
)
"$S" prove "$WORK/data.bin" --chunk-size 65536 2>/dev/null | python3 -c '
import json, sys
out = json.load(sys.stdin)
root, count = sys.argv[1], int(sys.argv[2])
assert out["data_hash"] == root, (out["data_hash"], root)
p = out["seller_proof"]
assert p["root_hash"] == root and p["chunk_count"] == count == len(p["chunk_hashes"]) and p["algorithm"] == "sha256"
' $want || fail "prove differs from Python"
expect_exit 2 "$S" prove "$WORK/missing.bin"
expect_exit 2 "$S" prove "$WORK/data.bin" --chunk-size 0
# --- inspect a real Intel quote from the vectors ---------------------------------
V="$DP_SHARED_DIR/vectors/tdx/dcap-qvl"
"$S" inspect "$V/tdx_quote_v4.bin" --collateral "$V/tdx_quote_v4.collateral.json" --now 1752919234 --json \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["verification_status"] == "verified" and d["tcb_status"] == "UpToDate", d' \
  || fail "inspect of the v4 vector with its collateral"
expect_exit 1 "$S" inspect "$V/tdx_quote_v4.bin"          # no collateral: negative (SPEC §10)
expect_exit 0 "$S" inspect "$(cat "$V/tdx_quote_v4_near.hex")" --collateral "$V/tdx_quote_v4_near.collateral.json" --now 1759388630
head -c 100 "$V/tdx_quote_v4.bin" >"$WORK/short.bin"
expect_exit 2 "$S" inspect "$WORK/short.bin"
echo "submit_cli: ok"
