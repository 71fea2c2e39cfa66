#!/usr/bin/env bash
# Keccak-256, addresses, EIP-55 parsing, EIP-191 and SPEC §7's EIP-712
# Release digest and signatures of common/ against ethers 6 on random
# input (tests/fixtures/eth/ethers_crosscheck.mjs drives bin/dp_eth_tool).
# ethers is the contracts' npm dependency (scripts/setup.sh runs npm ci).
set -euo pipefail
src="${DP_SOURCE_DIR:?}"
if [ ! -d "$src/contracts/node_modules/ethers" ]; then
  echo "eth_crosscheck: contracts/node_modules missing; run scripts/setup.sh (it runs npm ci there)" >&2
  exit 1
fi
timeout 300 node "$src/tests/fixtures/eth/ethers_crosscheck.mjs" "${DP_BIN_DIR:?}/dp_eth_tool" "$src"
