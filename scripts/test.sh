#!/usr/bin/env bash
# scripts/test.sh — the whole test suite (README command 2; .ci/run calls it).
#
# Installs what is missing and builds (scripts/setup.sh), runs every test in
# the release build, then again under AddressSanitizer + UndefinedBehavior-
# Sanitizer, then each fuzz target for a bounded time under libFuzzer.
# Ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
export DP_WERROR="${DP_WERROR:-1}"
#  CI reaches the npm registry: a cross-check that cannot install its
#  JavaScript verifier fails there instead of being skipped.
[ "${CI:-}" = true ] && export DP_REQUIRE_CROSSCHECK="${DP_REQUIRE_CROSSCHECK:-1}"
scripts/setup.sh

jobs=$(nproc)
status=0

echo "== fuzz: libFuzzer targets, bounded time each ==" >&2
scripts/fuzz.sh "${DP_FUZZ_SECONDS:-20}" || status=1

echo "== release build ==" >&2
(cd build/release && ctest --output-on-failure -j "$jobs") || status=1

echo "== ASan + UBSan build ==" >&2
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build/sanitize && ctest --output-on-failure -j "$jobs") || status=1
exit $status
