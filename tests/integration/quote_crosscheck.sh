#!/usr/bin/env bash
# quote_crosscheck.sh — every SPEC §9 row with collateral, verified by
# DealProof's C verifier (dp_quote_tool) and by Phala's pure-JavaScript
# dcap-qvl (@phala/dcap-qvl, bench/quote) on the same quote, collateral and
# time: both must accept with the same tcb_status and advisory IDs, or both
# refuse. The JavaScript verifier comes from `npm ci` in bench/quote (the
# only download; skipped with a message when npm cannot reach its registry).
set -euo pipefail
bin="${DP_BIN_DIR:?}"
src="${DP_SOURCE_DIR:?}"
vec="${DP_SHARED_DIR:?}/vectors/tdx"
js="$src/bench/quote"
if [ ! -d "$js/node_modules/@phala/dcap-qvl" ]; then
  if ! (cd "$js" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2; then
    echo "quote_crosscheck: skipped: @phala/dcap-qvl could not be installed with npm ci"
    exit 0
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

# One comparable line per verifier: "ok STATUS ADVISORIES" or "refused".
summarise_c() {
  python3 -c 'import json,sys
d=json.load(sys.stdin)
if d["verification_status"] in ("verified","simulation_only"):
    print("ok", d["tcb_status"], ",".join(d["advisory_ids"]))
else:
    print("refused")'
}
summarise_js() {
  python3 -c 'import json,sys
d=json.load(sys.stdin)
print("refused" if "error" in d else "ok %s %s" % (d["status"], ",".join(d["advisory_ids"])))'
}

passed=0 failed=0
for row in "${rows[@]}"; do
  read -r quote collateral now <<<"$row"
  c=$("$bin/dp_quote_tool" "$vec/$quote" "$vec/$collateral" "$now" | summarise_c || true)
  j=$(node "$js/dcap_qvl.js" verify "$vec/$quote" "$vec/$collateral" "$now" | summarise_js)
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
