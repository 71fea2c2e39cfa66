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
set -euo pipefail
bin="${DP_BIN_DIR:?}"; src="${DP_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/dp-relayer-test.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

anvil="$src/contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
[ -x "$anvil" ] || { echo "relayer: anvil missing; run scripts/setup.sh" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rpc_port=$(port); broker_port=$(port)
rpc="http://127.0.0.1:$rpc_port"; broker="tcp://127.0.0.1:$broker_port"
# anvil's default accounts (public test keys): 0 deploys and owns, 1 relays.
owner_key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
relayer_key=59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d

# --state: anvil keeps its chain across a restart only with it (SPEC §11).
start_anvil() {
  "$anvil" --chain-id 1337 --host 127.0.0.1 --port "$rpc_port" --silent --state "$work/anvil-state.json" &
  anvil_pid=$!; pids+=($anvil_pid)
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$rpc" && break
    sleep 0.1
  done
}
start_anvil

export XDG_DATA_HOME="$work/xdg" DP_SIM_ROOT="$work/sim-root"
key_file="$work/worker-key"
signer=$("$bin/dp-worker" --version --tee-mode simulation --key-file "$key_file" 2>/dev/null \
         | sed -n 's/.*signer=\(0x[0-9a-fA-F]*\).*/\1/p')
[ -n "$signer" ] || { echo "relayer: no worker signer" >&2; exit 1; }
contract=$(node "$src/contracts/deploy.mjs" --rpc "$rpc" --key "$owner_key" --signer "$signer")
echo "contract $contract, enclave signer $signer"

"$bin/dp-broker" --data "$work/broker" --listen "$broker" 2>"$work/broker.log" & pids+=($!)
worker_pids=()
for i in 1 2; do
  CHAIN_ID=1337 CONTRACT_ADDRESS="$contract" "$bin/dp-worker" --broker "$broker" \
    --tee-mode simulation --key-file "$key_file" --name "w$i" 2>"$work/worker$i.log" &
  pids+=($!); worker_pids+=($!)
done
echo "$relayer_key" > "$work/relayer-key"; chmod 600 "$work/relayer-key"

start_relayer() {
  "$bin/dp-relayer" --broker "$broker" --rpc-url "$rpc" --contract "$contract" \
    --key-file "$work/relayer-key" --data "$work/relayer" --allow-simulation \
    --window 3600 "$@" 2>>"$work/relayer.log" &
  relayer_pid=$!
}

# deals.jsonl + expect.txt ("deal_id seller amount_wei") for N deals.
make_batch() {
  python3 - "$1" "$2" "$work" <<'EOF'
import hashlib, json, os, sys
prefix, count, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(f"{work}/{prefix}.jsonl", "w") as deals, open(f"{work}/{prefix}.expect", "w") as expect:
    for i in range(count):
        seller = "0x" + os.urandom(20).hex()
        wei = (i + 1) * 10**15
        data_hash = hashlib.sha256(f"{prefix}-{i}".encode()).hexdigest()
        deals.write(json.dumps({
            "deal_id": f"{prefix}-{i}", "buyer_budget": 1000 + i, "floor_price": 600,
            "buyer_requirements": "images", "data_description": "dataset",
            "data_hash": data_hash, "seller_address": seller,
            "escrow_amount_eth": f"{(i + 1) / 1000}"}) + "\n")
        expect.write(f"{prefix}-{i} {seller} {wei}\n")
EOF
}

wait_released() {   # prefix count timeout_s
  for _ in $(seq $(( $3 * 5 ))); do
    out=$(timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/$1.expect" || true)
    case "$out" in *"\"Completed\":$2}"*) echo "$out"; return 0;; esac
    sleep 0.2
  done
  echo "$out"; return 1
}

# 1. a batch with escrow
make_batch a 12
start_relayer
"$bin/dp-submit" submit "$work/a.jsonl" --broker "$broker" --wait --progress off --out "$work/a.results" >/dev/null
wait_released a 12 60 || { echo "FAIL: batch a not released"; tail -20 "$work/relayer.log"; exit 1; }
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
