#!/usr/bin/env bash
# Escrow end to end on real processes: a local anvil node (npm), DealProof.sol,
# dp-broker, two dp-workers signing releases, dp-submit, and dp-relayer.
#
# 1. A batch with escrow: every agreed deal's seller receives exactly that
#    deal's deposit, once.
# 2. The relayer is killed with SIGKILL at random points during a second
#    batch and restarted each time: still no deal paid twice, none forgotten.
# 3. The node is stopped and restarted (with its state) during a batch.
# 4. A forged result (valid shape, signed by a key that is not the enclave's)
#    is refused by the relayer's own checks: nothing is paid.
# 5. A deal that fails is refunded after its window, not before.
source "$(dirname "$0")/lib/relayer_common.bash"

# 1. a batch with escrow
make_batch a 12
start_relayer
"$bin/dp-submit" submit "$work/a.jsonl" --broker "$broker" --wait --progress off --out "$work/a.results" >/dev/null
wait_released a 12 60 || { echo "FAIL: batch a not released"; tail -20 "$work/relayer.log"; exit 1; }
# a second relayer on the same data directory is refused (it would reuse nonces): exit 2
rc=0
timeout 20 "$bin/dp-relayer" --broker "$broker" --rpc-url "$rpc" --contract "$contract" \
  --key-file "$work/relayer-key" --data "$work/relayer" --allow-simulation 2>"$work/relayer2.log" || rc=$?
[ "$rc" = 2 ] && grep -q "in use by another dp-relayer (pid $relayer_pid)" "$work/relayer2.log" \
  || { echo "FAIL: a second relayer on the same data dir: exit $rc: $(cat "$work/relayer2.log")"; exit 1; }
timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/a.expect"
# completion_tx annotations reached the broker
"$bin/dp-submit" status a-0 --broker "$broker" --json | grep -q '"completion_tx": *"0x' \
  || { echo "FAIL: no completion_tx annotation on a-0"; exit 1; }

# 2. SIGKILL the relayer at random points during a second batch
make_batch b 30
"$bin/dp-submit" submit "$work/b.jsonl" --broker "$broker" --progress off >/dev/null &
submit_pid=$!
for round in 1 2 3 4 5; do
  sleep "0.$(( RANDOM % 8 + 1 ))"
  kill -9 "$relayer_pid" 2>/dev/null || true
  wait "$relayer_pid" 2>/dev/null || true
  echo "killed the relayer (round $round)"
  start_relayer
done
wait "$submit_pid"
wait_released b 30 90 || { echo "FAIL: batch b not all released after restarts"; tail -30 "$work/relayer.log"; exit 1; }
timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/b.expect"
timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/a.expect"

# 3. the node restarts in the middle of a batch: the relayer waits it out
#    (backoff) and finishes every deal, none paid twice.
make_batch e 30
"$bin/dp-submit" submit "$work/e.jsonl" --broker "$broker" --progress off >/dev/null &
submit_pid=$!
sleep 0.3
kill -TERM "$anvil_pid"; wait "$anvil_pid" 2>/dev/null || true
echo "stopped the node"
sleep 1.5
start_anvil
echo "restarted the node"
wait "$submit_pid"
wait_released e 30 90 || { echo "FAIL: batch e not all released after the node restart"; tail -30 "$work/relayer.log"; exit 1; }
echo "the relayer waited for the node $(grep -c 'waiting' "$work/relayer.log" || true) time(s)"
for batch in a b e; do
  timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/$batch.expect"
done

# 4. a forged result: a worker with its own key (not registered on chain,
#    and not the key the relayer expects to match the quote's binding) —
#    the contract would refuse it; the relayer must refuse it first.
kill -9 "${worker_pids[@]}" 2>/dev/null || true
CHAIN_ID=1337 CONTRACT_ADDRESS="$contract" "$bin/dp-worker" --broker "$broker" \
  --tee-mode simulation --key-file "$work/impostor-key" --name impostor 2>"$work/impostor.log" & pids+=($!)
make_batch c 2
"$bin/dp-submit" submit "$work/c.jsonl" --broker "$broker" --wait --progress off >/dev/null
sleep 2
out=$(timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/c.expect")
echo "forged: $out"
case "$out" in *Completed*) echo "FAIL: a result from an unregistered key was paid"; exit 1;; esac
grep -q "deal=c-0 release refused: signer" "$work/relayer.log" \
  || { echo "FAIL: the relayer did not refuse the forged result itself"; tail -5 "$work/relayer.log"; exit 1; }

# 5. a deal that fails (its seller proof does not verify) is refunded to the
#    buyer once the window has passed on chain, and not before.
python3 - "$work" <<'EOF2'
import hashlib, json, sys
work = sys.argv[1]
chunk = hashlib.sha256(b"x").hexdigest()
deal = {"deal_id": "d-0", "buyer_budget": 100, "floor_price": 50, "buyer_requirements": "r",
        "data_description": "d", "data_hash": "11" * 32,
        "seller_proof": {"root_hash": "11" * 32, "chunk_hashes": [chunk], "chunk_count": 1, "algorithm": "sha256"},
        "seller_address": "0x" + "ab" * 20, "escrow_amount_eth": "0.002"}
open(f"{work}/d.jsonl", "w").write(json.dumps(deal) + "\n")
open(f"{work}/d.expect", "w").write("d-0 0x" + "ab" * 20 + " 2000000000000000\n")
EOF2
"$bin/dp-submit" submit "$work/d.jsonl" --broker "$broker" --wait --progress off >/dev/null || true
sleep 1.5
out=$(timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/d.expect")
case "$out" in *'"Active":1'*) ;; *) echo "FAIL: failed deal before its window: $out"; exit 1;; esac
rpc_call() { curl -s -X POST -H 'Content-Type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$rpc" >/dev/null; }
rpc_call evm_increaseTime '[3700]'
rpc_call evm_mine '[]'
for _ in $(seq 50); do
  out=$(timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/d.expect")
  case "$out" in *'"Refunded":1'*) break;; esac
  sleep 0.2
done
echo "refund: $out"
case "$out" in *'"Refunded":1'*) ;; *) echo "FAIL: failed deal not refunded after its window"; exit 1;; esac

kill "$relayer_pid"; wait "$relayer_pid" || true
echo "relayer: all escrow checks passed"
