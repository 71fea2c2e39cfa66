#!/usr/bin/env bash
# bench/quote.sh [SECONDS] — DCAP quote verifications per second, one core:
# DealProof's C verifier (bench_quote: cold / full / cached) beside Phala's
# pure-JavaScript dcap-qvl (@phala/dcap-qvl from npm, installed in
# bench/quote by `npm ci`) on the same quotes, collateral and time, in the
# same run. Prints figures only; never judges them.
#
# Needs a release build (scripts/setup.sh --release-only, or DP_BIN_DIR)
# and Node.js. Nothing is downloaded except by `npm ci` when
# bench/quote/node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3}"
bin="${DP_BIN_DIR:-build/release/bin}"
shared="${DP_SHARED_DIR:-../shared}"
vec="$shared/vectors/tdx"
if [ ! -x "$bin/bench_quote" ]; then
  echo "bench/quote.sh: $bin/bench_quote not found; build first (scripts/setup.sh --release-only)" >&2
  exit 2
fi
if [ ! -d bench/quote/node_modules/@phala/dcap-qvl ]; then
  (cd bench/quote && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

cases=(
  "tdx_v4 dcap-qvl/tdx_quote_v4.bin dcap-qvl/tdx_quote_v4.collateral.json 1752919234"
  "sgx_v3 dcap-qvl/sgx_quote_v3.bin dcap-qvl/sgx_quote_v3.collateral.json 1752919277"
  "tdx_v5 go-tdx-guest/quote_v5_sample.dat dcap-qvl/tdx_quote_v5_td15.collateral.json 1774003274"
)

rate() { sed -n 's/.*per_second \([0-9.]*\).*/\1/p'; }

echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version), $(openssl version | cut -d' ' -f1-2)"
echo "# verifications per second (one thread each, ${seconds}s per figure)"
printf '%-8s %12s %12s %12s %12s %10s %10s\n' quote js_dcap_qvl c_cold c_full c_cached full/js cached/js
for entry in "${cases[@]}"; do
  read -r name quote collateral now <<<"$entry"
  js=$(node bench/quote/dcap_qvl.js bench "$vec/$quote" "$vec/$collateral" "$now" "$seconds" | rate)
  c=$("$bin/bench_quote" "$vec/$quote" "$vec/$collateral" "$now" "$seconds")
  cold=$(grep '^cold' <<<"$c" | rate)
  full=$(grep '^full' <<<"$c" | rate)
  cached=$(grep '^cached' <<<"$c" | rate)
  printf '%-8s %12s %12s %12s %12s %10s %10s\n' "$name" "$js" "$cold" "$full" "$cached" \
    "$(awk -v a="$full" -v b="$js" 'BEGIN { printf "%.1fx", a / b }')" \
    "$(awk -v a="$cached" -v b="$js" 'BEGIN { printf "%.1fx", a / b }')"
done
