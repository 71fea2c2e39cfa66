#!/usr/bin/env bash
# quote_policy.sh — what `dp-submit inspect` and `verify` take besides the
# quote, on Intel's recorded quotes (../shared/vectors/tdx/dcap-qvl):
#   --collateral FOLDER picks each quote's collateral by FMSPC and TEE type;
#   --policy FILE (MRTD/RTMR allow-list, TCB statuses) accepts and refuses;
#   a --collateral, --root or --policy that cannot be used is bad input
#   (exit 2, the flag named), not a negative answer (exit 1).
# Env: DP_BIN_DIR, DP_SHARED_DIR (set by ctest).
set -euo pipefail
S="${DP_BIN_DIR:?}/dp-submit"
V="${DP_SHARED_DIR:?}/vectors/tdx/dcap-qvl"
work=$(mktemp -d /tmp/dp-quote-policy.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || fail "exit $got, not $want: $* :: $(tail -2 "$work/out") $(cat "$work/err")"
}

# --- a folder of collateral: each quote finds its own ----------------------
mkdir "$work/coll"
cp "$V"/*.collateral.json "$work/coll/"
expect_exit 0 "$S" inspect "$V/tdx_quote_v4.bin" --collateral "$work/coll" --now 1752919234
grep -q "✓ verified: chain to Intel's root, TCB UpToDate" "$work/out" || fail "v4 from a folder: $(cat "$work/out")"
expect_exit 0 "$S" inspect "$V/sgx_quote_v3.bin" --collateral "$work/coll" --now 1752919277
expect_exit 0 "$S" inspect "$(cat "$V/tdx_quote_v4_near.hex")" --collateral "$work/coll" --now 1759388630
# a folder with nothing for this quote: a negative answer, the reason named
mkdir "$work/empty"
expect_exit 1 "$S" inspect "$V/tdx_quote_v4.bin" --collateral "$work/empty" --now 1752919234
grep -q "no collateral for FMSPC b0c06f000000 (TDX)" "$work/out" || fail "empty folder: no reason: $(cat "$work/out")"

# --- files that cannot be used: exit 2, the flag named ---------------------
echo "not json" >"$work/bad.json"
expect_exit 2 "$S" inspect "$V/tdx_quote_v4.bin" --collateral "$work/bad.json" --json
grep -q -- "--collateral: $work/bad.json" "$work/err" || fail "bad collateral: $(cat "$work/err")"
expect_exit 2 "$S" inspect "$V/tdx_quote_v4.bin" --collateral "$work/missing.json"
expect_exit 2 "$S" inspect "$V/tdx_quote_v4.bin" --root "$work/bad.json"
grep -q -- "--root" "$work/err" || fail "bad root: $(cat "$work/err")"
echo '{"results":[]}' >"$work/result.json"
expect_exit 2 "$S" verify "$work/result.json" --collateral "$work/bad.json"
grep -q -- "--collateral" "$work/err" || fail "verify, bad collateral: $(cat "$work/err")"

# --- policies ----------------------------------------------------------------
"$S" inspect "$V/tdx_quote_v4.bin" --collateral "$V/tdx_quote_v4.collateral.json" --now 1752919234 --json \
  >"$work/report.json" || fail "inspect --json"
read -r mrtd rtmr3 < <(python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); print(d["mrtd"], d["rtmr3"])' "$work/report.json")
other=$(printf 'ab%.0s' $(seq 48))
policy() { echo "$1" >"$work/policy.json"; }
run() { "$S" inspect "$V/tdx_quote_v4.bin" --collateral "$V/tdx_quote_v4.collateral.json" --now 1752919234 \
          --policy "$work/policy.json" "$@"; }

policy "{\"tcb_statuses\":[\"UpToDate\"],\"measurements\":[{\"mrtd\":\"$mrtd\",\"rtmr3\":\"$rtmr3\"}]}"
expect_exit 0 run
policy "{\"measurements\":[{\"mrtd\":\"$other\"},{\"mrtd\":\"$mrtd\"}]}"
expect_exit 0 run                                   # any entry of the list will do
policy "{\"measurements\":[{\"mrtd\":\"$other\"}]}"
expect_exit 1 run --json
python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
assert d["failed_step"] == "policy", d["failed_step"]
assert d["verification_status"] != "verified", d' "$work/out" || fail "other MRTD: $(cat "$work/out")"
policy "{\"measurements\":[{\"mrtd\":\"$mrtd\",\"rtmr3\":\"$other\"}]}"
expect_exit 1 run                                   # the MRTD fits, RTMR3 (the app) does not
policy '{"tcb_statuses":["OutOfDate"]}'
expect_exit 1 run
# a typo must not widen a policy: bad input
policy '{"tcb_status":["UpToDate"]}'
expect_exit 2 run
grep -q -- "--policy" "$work/err" || fail "typo: $(cat "$work/err")"
# report_data fits one quote (inspect) and not every result (verify)
rd=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["report_data_hex"])' "$work/report.json")
policy "{\"report_data\":\"$rd\"}"
expect_exit 0 run
expect_exit 2 "$S" verify "$work/result.json" --policy "$work/policy.json"
grep -q "report_data fits one quote" "$work/err" || fail "verify, report_data policy: $(cat "$work/err")"
echo "quote_policy: ok"
