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

# sha256sum timed by GNU time when present (wall and CPU seconds), else by date.
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / (s > 0.001? s: 0.001) }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a)? b: a }'; }
best=0
best_cpu=0
sha_hash=""
for r in $(seq 1 "$reps"); do
  if [ -x /usr/bin/time ]; then
    times=$( { /usr/bin/time -f "%e %U %S" sha256sum "$file" >"$work/sum"; } 2>&1 | tail -1)
    seconds=$(awk '{ print $1 }' <<<"$times")
    cpu=$(awk '{ printf "%.2f", $2 + $3 }' <<<"$times")
  else
    start=$(date +%s.%N)
    sha256sum "$file" >"$work/sum"
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    cpu=$seconds
  fi
  sha_hash=$(cut -c1-64 "$work/sum")
  echo "sha256sum rep=$r seconds=$seconds mb_s=$(rate "$seconds") cpu_seconds=$cpu mb_per_cpu_s=$(rate "$cpu")"
  best=$(max "$best" "$(rate "$seconds")")
  best_cpu=$(max "$best_cpu" "$(rate "$cpu")")
done
echo "sha256sum best_mb_s=$best best_mb_per_cpu_s=$best_cpu (whole-file hash $sha_hash)"

summary() { "$bin/bench_prover" "$file" "$1" "$reps" | tee /dev/stderr | tail -1; }
one=$(summary 1)
all=$(summary 0)
field() { sed -n "s/.* $1=\([0-9a-f.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
one_best=$(field best_mb_s "$one"); one_cpu=$(field best_mb_per_cpu_s "$one")
all_best=$(field best_mb_s "$all"); all_cpu=$(field best_mb_per_cpu_s "$all")
root_one=$(field root "$one"); root_all=$(field root "$all")

echo
echo "== Props prover vs sha256sum: $size_mb MiB, chunk 1 MiB, $reps reps, best of each, $cpus CPUs =="
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall-clock figures)"
printf '%-22s %10s %14s   %s\n' "" "MB/s wall" "MB/CPU-second" "ratios"
printf '%-22s %10s %14s\n' "sha256sum (1 core)" "$best" "$best_cpu"
printf '%-22s %10s %14s   %sx sha256sum wall, %sx per CPU-second\n' "prover, 1 thread" "$one_best" "$one_cpu" \
  "$(ratio "$one_best" "$best")" "$(ratio "$one_cpu" "$best_cpu")"
printf '%-22s %10s %14s   %sx sha256sum wall, %sx the 1-thread wall figure\n' "prover, $cpus threads" "$all_best" "$all_cpu" \
  "$(ratio "$all_best" "$best")" "$(ratio "$all_best" "$one_best")"
[ "$root_one" = "$root_all" ] && echo "root (data_hash) identical across thread counts: $root_one" \
  || echo "WARNING: roots differ between 1 and $cpus threads"
