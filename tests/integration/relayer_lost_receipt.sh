#!/usr/bin/env bash
# A deposit the contract shows made while the relayer never sees a receipt
# for it: as after a node restarts from a state dump, which keeps the
# contract's storage and the account's nonce but not the receipts. Here the
# relayer's transaction is dropped from the pool and the same account
# funds the deal with another transaction of the same nonce. After
# --receipt-timeout the relayer settles the deposit from the contract's
# state instead of replacing it (a replacement could only revert with
# DealExists, for ever: the test fails so without the fix), and releases.
source "$(dirname "$0")/lib/relayer_common.bash"

rpc_call() {   # method params-json
  curl -s -X POST -H 'Content-Type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$rpc"
}

make_batch lost 1
read -r deal_id seller wei < "$work/lost.expect"
data_hash=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$deal_id")

rpc_call evm_setAutomine '[false]' >/dev/null
start_relayer --receipt-timeout 1500
"$bin/dp-submit" submit "$work/lost.jsonl" --broker "$broker" --progress off >/dev/null
hash=""
for _ in $(seq 300); do
  hash=$(sed -n "s/.*deal=$deal_id deposit tx=\(0x[0-9a-f]*\).*/\1/p" "$work/relayer.log" | head -1)
  [ -n "$hash" ] && break
  sleep 0.1
done
[ -n "$hash" ] || { echo "FAIL: the relayer sent no deposit"; tail -20 "$work/relayer.log"; exit 1; }
rpc_call anvil_dropTransaction "[\"$hash\"]" >/dev/null

# The relayer's account (anvil's second default, unlocked) funds the deal
# with a transaction of its own at the same nonce.
other=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
calldata=$(cd "$src/contracts" && node -e '
const { Interface, keccak256, toUtf8Bytes } = require("ethers");
const abi = ["function createDeal(bytes32,address,bytes32,uint256) payable"];
const [id, seller, hash] = process.argv.slice(1);
console.log(new Interface(abi).encodeFunctionData("createDeal", [keccak256(toUtf8Bytes(id)), seller, "0x" + hash, 3600]));
' "$deal_id" "$seller" "$data_hash")
value=$(printf '0x%x' "$wei")
rpc_call eth_sendTransaction "[{\"from\":\"$other\",\"to\":\"$contract\",\"value\":\"$value\",\"data\":\"$calldata\"}]" >/dev/null
rpc_call evm_mine '[]' >/dev/null
rpc_call evm_setAutomine '[true]' >/dev/null

wait_released lost 1 30 || { echo "FAIL: the deal was not released"; tail -20 "$work/relayer.log"; exit 1; }
grep -q "deal=$deal_id no receipt for the deposit, but the contract shows it done" "$work/relayer.log" \
  || { echo "FAIL: the deposit was not settled from the contract's state"; tail -20 "$work/relayer.log"; exit 1; }
if grep -q "DealExists\|0xba683b96" "$work/relayer.log"; then
  echo "FAIL: the relayer tried to deposit again"; exit 1
fi
echo "PASS relayer_lost_receipt"
