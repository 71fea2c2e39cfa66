#!/usr/bin/env bash
# scripts/demo.sh — README command 1: build the release binaries and run
# the seed's five demo scenarios end to end.
#
#   scripts/demo.sh [dp-submit demo flags…]     e.g. --scenario lidar, --json
#
# Installs what is missing and builds build/release (scripts/setup.sh
# --release-only), then runs `build/release/bin/dp-submit demo`, which
# starts a broker and two workers inside the process (simulated TDX
# quotes under the simulation root of SPEC §8), negotiates each scenario,
# and prints the transcripts, results and binding checks. Exit code is
# the demo's: 0 when every scenario agreed with verified bindings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --release-only >&2
exec build/release/bin/dp-submit demo "$@"
