#!/usr/bin/env bash
# bench/prover.sh — Props prover throughput beside sha256sum, same file, same run.
#
# Usage: bench/prover.sh [BIN_DIR]   (default build/release/bin)
# Environment: DP_BENCH_SIZE_MB (default 1024: a 1 GiB file), DP_BENCH_REPS
# (default 3), TMPDIR (where the file is written; it is removed on exit).
#
# The file is written once with real pseudo-random bytes (AES-CTR keystream
# from openssl, or /dev/urandom without it): a sparse file would let the
# kernel hand back zero pages without touching storage, and zeros would give
# identical chunks, which the seed's rules refuse anyway. Both programs read
# it from the page cache after one warm-up pass, so the comparison is CPU
# work against CPU work. Prints figures; never fails on timing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release/bin}"
size_mb="${DP_BENCH_SIZE_MB:-1024}"
reps="${DP_BENCH_REPS:-3}"
cpus=$(nproc)
[ -x "$bin/bench_prover" ] || { echo "prover.sh: $bin/bench_prover not built" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-prover.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
file="$work/data.bin"
bytes=$((size_mb * 1024 * 1024))

echo "prover.sh: writing $size_mb MiB of pseudo-random data to $file" >&2
if command -v openssl >/dev/null 2>&1; then
  head -c "$bytes" /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:dealproof-bench >"$file"
else
  head -c "$bytes" /dev/urandom >"$file"
fi
cat "$file" >/dev/null                         # warm the page cache once
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

now() { date +%s.%N; }
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
best=0
sha_hash=""
for r in $(seq 1 "$reps"); do
  start=$(now)
  sha_hash=$(sha256sum "$file" | cut -c1-64)
  end=$(now)
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  mb_s=$(rate "$seconds")
  echo "sha256sum rep=$r seconds=$seconds mb_s=$mb_s"
  best=$(awk -v a="$best" -v b="$mb_s" 'BEGIN { print (b > a)? b: a }')
done
echo "sha256sum best_mb_s=$best (whole-file hash $sha_hash)"

summary() { "$bin/bench_prover" "$file" "$1" "$reps" | tee /dev/stderr | tail -1; }
one=$(summary 1)
all=$(summary 0)
one_best=$(sed -n 's/.*best_mb_s=\([0-9.]*\).*/\1/p' <<<"$one")
all_best=$(sed -n 's/.*best_mb_s=\([0-9.]*\).*/\1/p' <<<"$all")
root_one=$(sed -n 's/.*root=\([0-9a-f]*\).*/\1/p' <<<"$one")
root_all=$(sed -n 's/.*root=\([0-9a-f]*\).*/\1/p' <<<"$all")

echo
echo "== Props prover vs sha256sum: $size_mb MiB, chunk 1 MiB, $reps reps, best of each, $cpus CPUs =="
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
printf '%-28s %10s MB/s\n' "sha256sum (1 core)" "$best"
printf '%-28s %10s MB/s   %s x sha256sum\n' "prover, 1 thread" "$one_best" \
  "$(awk -v a="$one_best" -v b="$best" 'BEGIN { printf "%.2f", a / b }')"
printf '%-28s %10s MB/s   %s x sha256sum, %s x 1 thread\n' "prover, $cpus threads" "$all_best" \
  "$(awk -v a="$all_best" -v b="$best" 'BEGIN { printf "%.2f", a / b }')" \
  "$(awk -v a="$all_best" -v b="$one_best" 'BEGIN { printf "%.2f", a / b }')"
[ "$root_one" = "$root_all" ] && echo "root (data_hash) identical across thread counts: $root_one" \
  || echo "WARNING: roots differ between 1 and $cpus threads"
