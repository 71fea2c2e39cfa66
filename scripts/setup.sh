#!/usr/bin/env bash
# scripts/setup.sh — install what is missing and build DealProof.
#
# Idempotent, no prompts, no standard input. Runs `apt-get update` only when
# a package is missing. Never installs nodejs/npm (the machine has them;
# Debian's are older and conflict: SPEC §11).
#
# Usage: scripts/setup.sh [--release-only]
#   builds build/release (RelWithDebInfo) and, unless --release-only,
#   build/sanitize (ASan + UBSan). DP_WERROR=1 adds -Werror (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libczmq-dev libzmq3-dev libmsgpack-dev liblmdb-dev lmdb-utils
  libssl-dev libcurl4-openssl-dev libsecp256k1-dev libjson-c-dev nettle-dev
  libunbound-dev libevent-dev libcriterion-dev
  nsd ldnsutils libopendkim-dev dns-root-data
  beanstalkd python3-dkim systemd
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# npm packages (solc-js, anvil, ethers) for the contract and escrow tests.
# The machine's Node.js 20 and npm are used as they are (SPEC §11).
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -x contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
    echo "setup: npm ci in contracts/" >&2
    (cd contracts && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  fi
else
  echo "setup: warning: node/npm not found; the contract tests need the machine's Node.js 20" >&2
fi

release_only=0
[ "${1:-}" = "--release-only" ] && release_only=1
werror=OFF
[ "${DP_WERROR:-0}" = "1" ] && werror=ON
jobs=$(nproc)

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDP_WERROR=$werror >/dev/null
cmake --build build/release -j "$jobs"
if [ "$release_only" -eq 0 ]; then
  cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DDP_SANITIZE=ON -DDP_WERROR=$werror >/dev/null
  cmake --build build/sanitize -j "$jobs"
fi
