#!/usr/bin/env bash
# quote_crosscheck.sh — every SPEC §9 row with collateral, verified by
# DealProof's C verifier (dp_quote_tool) and by Phala's pure-JavaScript
# dcap-qvl (@phala/dcap-qvl, bench/quote) on the same quote, collateral and
# time: both must accept with the same tcb_status, advisory IDs and report
# body fields (MRTD, RTMR0-3, report data, TD attributes, … or MRENCLAVE,
# MRSIGNER, … for SGX), or both refuse. The JavaScript verifier comes from
# `npm ci` in bench/quote (the only download). When npm cannot reach its
# registry the test is reported as skipped (ctest's SKIP_RETURN_CODE 77),
# never as passed; DP_REQUIRE_CROSSCHECK=1 (CI) makes that a failure.
set -euo pipefail
bin="${DP_BIN_DIR:?}"
src="${DP_SOURCE_DIR:?}"
vec="${DP_SHARED_DIR:?}/vectors/tdx"
js="$src/bench/quote"
if [ ! -d "$js/node_modules/@phala/dcap-qvl" ]; then
  if ! (cd "$js" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2; then
    echo "quote_crosscheck: skipped: @phala/dcap-qvl could not be installed with npm ci"
    [ "${DP_REQUIRE_CROSSCHECK:-0}" = 1 ] && exit 1
    exit 77
  fi
fi

rows=(
  "dcap-qvl/tdx_quote_v4.bin dcap-qvl/tdx_quote_v4.collateral.json 1752919234"
  "dcap-qvl/sgx_quote_v3.bin dcap-qvl/sgx_quote_v3.collateral.json 1752919277"
  "dcap-qvl/tdx_quote_v4_near.hex dcap-qvl/tdx_quote_v4_near.collateral.json 1759388630"
  "dcap-qvl/tdx_quote_v5_td15.bin dcap-qvl/tdx_quote_v5_td15.collateral.json 1774003274"
  "go-tdx-guest/quote_v5_sample.dat dcap-qvl/tdx_quote_v5_td15.collateral.json 1774003274"
  "dcap-qvl/tdx_quote_v4.bin dcap-qvl/tdx_quote_v5_td15.collateral.json 1774003274"
  "dcap-qvl/tdx_quote_v4.bin dcap-qvl/tdx_quote_v4.collateral.json 2000000000"
)

# One comparable line per verifier: "ok STATUS ADVISORIES FIELDS" (the
# JavaScript report's fields, each with C's value for the same name) or
# "refused". The JavaScript side goes first: it names the fields compared.
summarise_js() {
  python3 -c 'import json,sys
d=json.load(sys.stdin)
if "error" in d:
    print("refused")
else:
    f=d["fields"]
    json.dump(sorted(f), open(sys.argv[1], "w"))
    print("ok", d["status"], ",".join(d["advisory_ids"]), " ".join("%s=%s" % (k, str(f[k]).lower()) for k in sorted(f)))' "$1"
}
summarise_c() {
  python3 -c 'import json,sys
d=json.load(sys.stdin)
names=json.load(open(sys.argv[1]))
if d["verification_status"] in ("verified","simulation_only"):
    print("ok", d["tcb_status"], ",".join(d["advisory_ids"]), " ".join("%s=%s" % (k, str(d.get(k)).lower()) for k in names))
else:
    print("refused")' "$1"
}

names=$(mktemp /tmp/dp-crosscheck-names.XXXXXX)
trap 'rm -f "$names"' EXIT
passed=0 failed=0
for row in "${rows[@]}"; do
  read -r quote collateral now <<<"$row"
  echo '[]' >"$names"
  j=$(node "$js/dcap_qvl.js" verify "$vec/$quote" "$vec/$collateral" "$now" | summarise_js "$names")
  c=$("$bin/dp_quote_tool" "$vec/$quote" "$vec/$collateral" "$now" | summarise_c "$names" || true)
  if [ "$c" = "$j" ] && [ -n "$c" ]; then
    passed=$((passed + 1))
    echo "same: $quote @ $now: $c"
  else
    failed=$((failed + 1))
    echo "DIFFERENT: $quote + $collateral @ $now: C '$c', dcap-qvl '$j'"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
