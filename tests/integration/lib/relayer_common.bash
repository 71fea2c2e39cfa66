# relayer_common.bash — the escrow tests' set-up (sourced): a local anvil
# node (npm) with DealProof.sol deployed, dp-broker, two dp-workers signing
# releases, and helpers to start dp-relayer, make batches and wait for
# releases. Every process it starts is killed, and its folder removed, at exit.

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

# Its events port is chosen too: the default (listen port + 1) may be
# anvil's or another test's. Waits until it answers: a broker that could
# not start must say so here, not as a client timeout later.
# start_broker again after a kill restarts it on the same ports and store.
events="tcp://127.0.0.1:$(port)"
start_broker() {   # [extra dp-broker flags]
  "$bin/dp-broker" --data "$work/broker" --listen "$broker" --events "$events" "$@" \
    2>>"$work/broker.log" & broker_pid=$!; pids+=($broker_pid)
  for _ in $(seq 100); do "$bin/dp-submit" stats --broker "$broker" --timeout 200 >/dev/null 2>&1 && break; sleep 0.1; done
  "$bin/dp-submit" stats --broker "$broker" --timeout 2000 >/dev/null 2>&1 \
    || { echo "relayer: dp-broker does not answer (pid $broker_pid $(kill -0 $broker_pid 2>/dev/null && echo running || echo exited)): $(cat "$work/broker.log")" >&2; exit 1; }
}
start_broker
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
  relayer_pid=$!; pids+=($relayer_pid)
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

