#!/usr/bin/env bash
# The relayer's money safety on real processes (anvil, broker, workers,
# dp-relayer): what it refuses to spend and what it gets back.
#
# 1. Caps: a deal whose deposit is over --max-deposit-eth, or would take the
#    relayer's unsettled deposits over --max-outstanding-eth, is not funded
#    (its seller, whoever submitted it, cannot be paid from the relayer's
#    wallet); a deal within both is funded and released as usual.
# 3. (run before 2, with the genuine workers) Annotations are not lost: the
#    broker dies while the relayer's deposit waits to be mined, so the
#    escrow_tx annotation cannot be sent, and the relayer is killed before
#    the broker is back. Restarted, the relayer attaches it (before the fix
#    the record was final and the annotation never made).
# 4. (before 2) A node error that is not the contract's refusal (here
#    insufficient funds: the relayer's balance is set to 0) keeps the deal
#    for a later try instead of dropping it with its event: once the
#    balance is back, the deal is deposited and released.
# 2. Nothing stranded: a result the relayer's own checks refuse (signed by
#    an impostor worker's key) leaves the relayer's deposit in the contract;
#    once the window has passed on chain it is refunded, like the failed
#    deal's (before the fix a refused deal's deposit stayed there for ever).
source "$(dirname "$0")/lib/relayer_common.bash"

rpc_call() { curl -s -X POST -H 'Content-Type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$rpc" >/dev/null; }
status_of() {   # deal_id seller wei -> the chain's status counts for that deal
  echo "$1 $2 $3" | timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract"
}
# one deal: id amount_eth agree|fail; writes $work/<id>.jsonl and prints "id seller wei"
one_deal() {
  python3 - "$work" "$1" "$2" "$3" <<'EOF2'
import decimal, hashlib, json, os, sys
work, deal_id, eth, outcome = sys.argv[1:5]
seller = "0x" + os.urandom(20).hex()
deal = {"deal_id": deal_id, "buyer_budget": 1000, "floor_price": 600, "buyer_requirements": "images",
        "data_description": "dataset", "data_hash": hashlib.sha256(deal_id.encode()).hexdigest(),
        "seller_address": seller, "escrow_amount_eth": eth}
if outcome == "fail":     # a seller proof that does not verify: the deal fails
    deal["seller_proof"] = {"root_hash": "11" * 32, "chunk_hashes": [hashlib.sha256(b"x").hexdigest()],
                            "chunk_count": 1, "algorithm": "sha256"}
open(f"{work}/{deal_id}.jsonl", "w").write(json.dumps(deal) + "\n")
print(deal_id, seller, int(decimal.Decimal(eth) * 10**18))
EOF2
}
submit() { "$bin/dp-submit" submit "$work/$1.jsonl" --broker "$broker" --wait --progress off >/dev/null || true; }
wait_status() {   # "id seller wei" status timeout_s
  for _ in $(seq $(( $3 * 5 ))); do
    out=$(status_of $1)
    case "$out" in *"\"$2\":1"*) return 0;; esac
    sleep 0.2
  done
  return 1
}

# 1. caps: 0.005 a deal, 0.006 unsettled in all
start_relayer --max-deposit-eth 0.005 --max-outstanding-eth 0.006
f0=$(one_deal f-0 0.004 fail);  submit f-0   # funded, then waits for its window: 0.004 unsettled
wait_status "$f0" Active 30 || { echo "FAIL: f-0 not funded: $out"; tail -20 "$work/relayer.log"; exit 1; }
big=$(one_deal big-0 0.01 agree); submit big-0
m0=$(one_deal m-0 0.003 agree);   submit m-0  # 0.004 + 0.003 > 0.006
m1=$(one_deal m-1 0.002 agree);   submit m-1  # 0.004 + 0.002 = 0.006: within
wait_status "$m1" Completed 30 || { echo "FAIL: m-1 within the caps not released: $out"; tail -20 "$work/relayer.log"; exit 1; }
for deal in "$big" "$m0"; do
  out=$(status_of $deal)
  case "$out" in *'"None":1'*) ;; *) echo "FAIL: over-cap deal ${deal%% *} was funded: $out"; exit 1;; esac
done
grep -q "deal=big-0 deposit refused: deposit 10000000000000000 wei is over --max-deposit-eth (5000000000000000 wei)" "$work/relayer.log" \
  || { echo "FAIL: big-0 not refused by --max-deposit-eth"; tail -20 "$work/relayer.log"; exit 1; }
grep -q "deal=m-0 deposit refused: .*over --max-outstanding-eth" "$work/relayer.log" \
  || { echo "FAIL: m-0 not refused by --max-outstanding-eth"; tail -20 "$work/relayer.log"; exit 1; }
echo "caps: over-cap deals unfunded, the deal within them released"

# 3. a broker away when a transaction is mined, then a relayer crash:
#    the annotation is still made
rpc_call evm_setAutomine '[false]'
n0=$(one_deal n-0 0.001 agree)
"$bin/dp-submit" submit "$work/n-0.jsonl" --broker "$broker" --wait --progress off >/dev/null
for _ in $(seq 100); do grep -q "deal=n-0 deposit tx=" "$work/relayer.log" && break; sleep 0.1; done
grep -q "deal=n-0 deposit tx=" "$work/relayer.log" || { echo "FAIL: no deposit for n-0"; tail -20 "$work/relayer.log"; exit 1; }
kill -9 "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
rpc_call evm_mine '[]'
rpc_call evm_setAutomine '[true]'
wait_status "$n0" Active 30 || { echo "FAIL: the deposit of n-0 not mined: $out"; exit 1; }
sleep 3                               # the relayer sees the receipt (polls <= 1 s) and settles
kill -9 "$relayer_pid"; wait "$relayer_pid" 2>/dev/null || true
start_broker
start_relayer --max-deposit-eth 0.005 --max-outstanding-eth 0.006
wait_status "$n0" Completed 60 || { echo "FAIL: n-0 not released: $out"; tail -20 "$work/relayer.log"; exit 1; }
annotated=""
for _ in $(seq 50); do
  annotated=$("$bin/dp-submit" status n-0 --broker "$broker" --json || true)
  grep -q '"escrow_tx": *"0x' <<<"$annotated" && break
  sleep 0.2
done
grep -q '"escrow_tx": *"0x' <<<"$annotated" \
  || { echo "FAIL: escrow_tx of n-0 never annotated: $annotated"; tail -20 "$work/relayer.log"; exit 1; }
echo "annotation: escrow_tx attached after the broker and the relayer came back"

# 4. insufficient funds for a while: retried, not dropped
relayer_address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8    # anvil's account 1: relayer_key
balance=$(curl -s -X POST -H 'Content-Type: application/json' \
  --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"$relayer_address\",\"latest\"]}" "$rpc" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
rpc_call anvil_setBalance "[\"$relayer_address\", \"0x0\"]"
p0=$(one_deal p-0 0.001 agree); submit p-0
for _ in $(seq 100); do grep -q "deal=p-0 deposit: retrying" "$work/relayer.log" && break; sleep 0.1; done
grep -q "deal=p-0 deposit: retrying" "$work/relayer.log" \
  || { echo "FAIL: the deposit error was not kept for a retry"; tail -20 "$work/relayer.log"; rpc_call anvil_setBalance "[\"$relayer_address\", \"$balance\"]"; exit 1; }
rpc_call anvil_setBalance "[\"$relayer_address\", \"$balance\"]"
wait_status "$p0" Completed 60 || { echo "FAIL: p-0 not released after its retry: $out"; tail -20 "$work/relayer.log"; exit 1; }
echo "node error: the deal retried and released"

# 2. a forged result is refused, and the deposit comes back after the window
kill -9 "${worker_pids[@]}" 2>/dev/null || true
CHAIN_ID=1337 CONTRACT_ADDRESS="$contract" "$bin/dp-worker" --broker "$broker" \
  --tee-mode simulation --key-file "$work/impostor-key" --name impostor 2>"$work/impostor.log" & pids+=($!)
x0=$(one_deal x-0 0.001 agree); submit x-0
for _ in $(seq 100); do grep -q "deal=x-0 release refused" "$work/relayer.log" && break; sleep 0.2; done
grep -q "deal=x-0 release refused: signer" "$work/relayer.log" \
  || { echo "FAIL: the relayer did not refuse the forged result"; tail -20 "$work/relayer.log"; exit 1; }
out=$(status_of $x0)
case "$out" in *'"Active":1'*) ;; *) echo "FAIL: x-0 before its window: $out"; exit 1;; esac
rpc_call evm_increaseTime '[3700]'
rpc_call evm_mine '[]'
for deal in "$x0" "$f0"; do
  wait_status "$deal" Refunded 30 || { echo "FAIL: ${deal%% *} not refunded after its window: $out"; tail -20 "$work/relayer.log"; exit 1; }
done
echo "refused result: the relayer's deposit refunded after the window"

kill "$relayer_pid"; wait "$relayer_pid" || true
echo "PASS relayer_money"
