#!/usr/bin/env bash
# bench/broker.sh — dp-broker beside beanstalkd, interleaved, 5 repetitions.
#
# Usage: bench/broker.sh [BUILD_DIR] [extra bench_broker flags]
# Builds nothing; run scripts/setup.sh first. Needs Debian's beanstalkd
# (in setup.sh's package list). Prints a Markdown table of medians of
# per-repetition ratios [min..max]; never fails on the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
shift || true
[ -x /usr/bin/beanstalkd ] || { echo "bench: beanstalkd is not installed (scripts/setup.sh)" >&2; exit 2; }
[ -x "$build/bin/bench_broker" ] || { echo "bench: $build/bin/bench_broker not built" >&2; exit 2; }
exec "$build/bin/bench_broker" --bin "$build/bin" --reps 5 "$@"
