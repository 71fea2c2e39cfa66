#!/usr/bin/env bash
# DealProof.sol on a real local EVM node (anvil from npm): every path of
# SPEC §7 (release, wrong signer, replays across deal/chain/contract,
# amount mismatch, malleable signatures, refund window, double release).
set -euo pipefail
cd "${DP_SOURCE_DIR:?}/contracts"
if [ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
  echo "contracts: node_modules missing; run scripts/setup.sh (it runs npm ci here)" >&2
  exit 1
fi
node --test --test-reporter=spec test/*.test.mjs
