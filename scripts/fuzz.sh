#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] — build the libFuzzer targets with clang and run
# each for SECONDS (default 60) from its corpus. New crash inputs are left in
# build/fuzz/crashes/; copy them into tests/fuzz/corpus/<target>/ so the
# replay tests keep them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DDP_FUZZ=ON -DDP_TESTS=OFF >/dev/null
cmake --build build/fuzz -j "$(nproc)"
mkdir -p build/fuzz/crashes
status=0
for target in build/fuzz/bin/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="tests/fuzz/corpus/$name"
  work="build/fuzz/corpus/$name"
  mkdir -p "$work"
  [ -d "$corpus" ] && cp -n "$corpus"/* "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$target" "$work" -max_total_time="$seconds" -rss_limit_mb=2048 \
       -artifact_prefix="build/fuzz/crashes/$name-" >"build/fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; see build/fuzz/$name.log" >&2
    tail -30 "build/fuzz/$name.log" >&2
    status=1
  else
    grep -E '^Done [0-9]+ runs' "build/fuzz/$name.log" | tail -1 >&2 || true
  fi
done
exit $status
