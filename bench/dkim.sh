#!/usr/bin/env bash
# bench/dkim.sh [BUILD_DIR] — DKIM verification speed, DealProof beside
# libopendkim in the same run, on one core, keys from the corpus zone.txt for
# both (no DNS timed). Builds ../shared/tools/opendkim_verify.c against
# Debian's libopendkim-dev. Prints figures only (never pass/fail on time).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
shared="${DP_SHARED_DIR:-$(cd .. && pwd)/shared}"
vec="$shared/vectors/dkim"
ours="$build/bin/bench_dkim"
theirs="$build/bin/opendkim_verify"
[ -x "$ours" ] || { echo "bench/dkim.sh: build $ours first (cmake --build $build)" >&2; exit 2; }
if [ ! -x "$theirs" ] || [ "$shared/tools/opendkim_verify.c" -nt "$theirs" ]; then
  cc -O2 -o "$theirs" "$shared/tools/opendkim_verify.c" -lopendkim
fi
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

rate() { sed -n 's/.* = \([0-9.]*\) msg\/s.*/\1/p'; }
row() {  # label rounds files...
  local label=$1 rounds=$2; shift 2
  local a b
  a=$("${pin[@]}" "$ours" -r "$rounds" "$vec/zone.txt" "$@" | rate)
  b=$("${pin[@]}" "$theirs" -q -r "$rounds" "$vec/zone.txt" "$@" | rate)
  awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN { printf "| %-34s | %10s | %11s | %5.2fx |\n", l, a, b, a / b }'
}
echo "DKIM verification, one core, msg/s (keys from zone.txt)"
echo "| workload                           |  DealProof | libopendkim | ratio |"
echo "|------------------------------------|------------|-------------|-------|"
row "corpus ($(ls "$vec"/*.eml | wc -l) messages) x 50" 50 "$vec"/*.eml
row "rsa2048-relaxed-relaxed x 2000" 2000 "$vec/rsa2048-relaxed-relaxed.eml"
row "ed25519-relaxed-relaxed x 2000" 2000 "$vec/ed25519-relaxed-relaxed.eml"
row "large-body-200k x 300" 300 "$vec/large-body-200k.eml"
