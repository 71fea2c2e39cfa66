#!/usr/bin/env bash
# bench/broker.sh — dp-broker beside beanstalkd, interleaved, 5 repetitions.
#
# Usage: bench/broker.sh [BUILD_DIR] [extra bench_broker flags]
# Builds nothing; run scripts/setup.sh first. Installs Debian's beanstalkd
# if it is missing (as root; setup.sh installs it too). Prints a Markdown
# table of medians of per-repetition ratios [min..max]; never fails on the
# figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
shift || true
if [ ! -x /usr/bin/beanstalkd ]; then
    [ "$(id -u)" = 0 ] || { echo "bench: beanstalkd is not installed; as root: apt-get install beanstalkd" >&2; exit 2; }
    echo "bench: installing Debian's beanstalkd" >&2
    { apt-get install -y --no-install-recommends beanstalkd >/dev/null \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends beanstalkd >/dev/null; }; } \
      || { echo "bench: cannot install beanstalkd" >&2; exit 2; }
fi
[ -x "$build/bin/bench_broker" ] || { echo "bench: $build/bin/bench_broker not built" >&2; exit 2; }
exec "$build/bin/bench_broker" --bin "$build/bin" --reps 5 "$@"
