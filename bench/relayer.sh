#!/usr/bin/env bash
# bench/relayer.sh — escrow transactions per second dp-relayer sustains
# against a local anvil node, and where its time goes.
#
# Set-up as tests/integration/relayer.sh: anvil (npm, contracts/node_modules),
# DealProof.sol deployed by contracts/deploy.mjs with the worker's signer
# registered, dp-broker, 2 dp-workers signing releases (CHAIN_ID,
# CONTRACT_ADDRESS), dp-relayer --allow-simulation. N deals with escrow are
# submitted at once; every deal costs the relayer one deposit (at creation)
# and one release (on the agreed result). Prints: deposits and releases
# per second from the relayer's own log timestamps, the JSON-RPC calls per
# release by method (anvil's request log), and the relayer's CPU use.
# Figures only: nothing passes or fails on time.
#
# Usage: bench/relayer.sh [BUILD_DIR] [N]   (default build/release, 200)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"; n="${2:-200}"
bin="$build/bin"; src="$PWD"
anvil="contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
[ -x "$anvil" ] || { echo "relayer bench: anvil missing; run scripts/setup.sh" >&2; exit 2; }
for p in dp-submit dp-broker dp-worker dp-relayer; do
  [ -x "$bin/$p" ] || { echo "relayer bench: $bin/$p missing (build first)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-relayer.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rpc_port=$(port); rpc="http://127.0.0.1:$rpc_port"
broker="tcp://127.0.0.1:$(port)"
owner_key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80     # anvil's public test keys
relayer_key=59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $n deals"

# Without --silent anvil logs one line per JSON-RPC method called.
"$anvil" --chain-id 1337 --host 127.0.0.1 --port "$rpc_port" ${ANVIL_SILENT:+--silent} >"$work/anvil.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$rpc" && break
  sleep 0.1
done
export XDG_DATA_HOME="$work/xdg" DP_SIM_ROOT="$work/sim-root" LOG_LEVEL=info
signer=$("$bin/dp-worker" --version --tee-mode simulation --key-file "$work/worker-key" 2>/dev/null \
         | sed -n 's/.*signer=\(0x[0-9a-fA-F]*\).*/\1/p')
contract=$(node contracts/deploy.mjs --rpc "$rpc" --key "$owner_key" --signer "$signer")
"$bin/dp-broker" --data "$work/broker" --listen "$broker" --events "tcp://127.0.0.1:$(port)" \
  2>"$work/broker.log" & pids+=($!)
for i in 1 2; do
  CHAIN_ID=1337 CONTRACT_ADDRESS="$contract" "$bin/dp-worker" --broker "$broker" \
    --tee-mode simulation --key-file "$work/worker-key" --name "w$i" 2>"$work/worker$i.log" & pids+=($!)
done
echo "$relayer_key" >"$work/relayer-key"; chmod 600 "$work/relayer-key"
"$bin/dp-relayer" --broker "$broker" --rpc-url "$rpc" --contract "$contract" \
  --key-file "$work/relayer-key" --data "$work/relayer" --allow-simulation --window 3600 \
  2>"$work/relayer.log" & relayer_pid=$!; pids+=($!)
for _ in $(seq 100); do grep -q "relayer ready" "$work/relayer.log" && break; sleep 0.1; done

python3 - "$n" "$work" <<'EOF'
import hashlib, json, os, sys
n, work = int(sys.argv[1]), sys.argv[2]
with open(f"{work}/deals.jsonl", "w") as deals, open(f"{work}/expect", "w") as expect:
    for i in range(n):
        seller = "0x" + os.urandom(20).hex()
        deals.write(json.dumps({
            "deal_id": f"r-{i}", "buyer_budget": 1000, "floor_price": 600,
            "buyer_requirements": "images", "data_description": "dataset",
            "data_hash": hashlib.sha256(f"r-{i}".encode()).hexdigest(),
            "seller_address": seller, "escrow_amount_eth": "0.001"}) + "\n")
        expect.write(f"r-{i} {seller} {10**15}\n")
EOF
anvil_before=$(wc -l <"$work/anvil.log")
clk=$(getconf CLK_TCK)
c0=$(awk '{print $14 + $15}' "/proc/$relayer_pid/stat")
t0=$(date +%s.%N)
"$bin/dp-submit" submit "$work/deals.jsonl" --broker "$broker" --progress off >/dev/null
# Until the relayer has sent every release and seen its receipt (completion
# annotations reach the broker after the receipt).
for _ in $(seq 1200); do
  done_n=$(grep -c " release tx=" "$work/relayer.log" || true)
  [ "$done_n" -ge "$n" ] && break
  sleep 0.25
done
for _ in $(seq 200); do
  "$bin/dp-submit" status "r-$((n - 1))" --broker "$broker" --json 2>/dev/null | grep -q '"completion_tx": *"0x' && break
  sleep 0.1
done
t1=$(date +%s.%N)
c1=$(awk '{print $14 + $15}' "/proc/$relayer_pid/stat")
tail -n +"$((anvil_before + 1))" "$work/anvil.log" >"$work/anvil.run"
node contracts/check_escrow.mjs --rpc "$rpc" --contract "$contract" <"$work/expect" >"$work/escrow.out" 2>&1 || true

python3 - "$work/relayer.log" "$work/anvil.run" "$n" "$t0" "$t1" "$c0" "$c1" "$clk" "$work/escrow.out" <<'EOF'
import collections, datetime, re, sys
log, anvil, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0, t1, c0, c1, clk = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
stamps = collections.defaultdict(list)
for line in open(log):
    m = re.match(r"(\S+Z) .* deal=\S+ (deposit|release) tx=", line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        stamps[m.group(2)].append(t)
wall = t1 - t0
print(f"chain after the run: {open(sys.argv[9]).read().strip()}")
for kind in ("deposit", "release"):
    s = sorted(stamps[kind])
    if len(s) > 1:
        span = s[-1] - s[0]
        print(f"{kind}s sent: {len(s)} in {span:.2f} s (first to last): {(len(s) - 1) / span:.1f}/s")
    else:
        print(f"{kind}s sent: {len(s)}")
tx = len(stamps["deposit"]) + len(stamps["release"])
print(f"submit to last completion: {wall:.2f} s for {n} deals ({n / wall:.1f} deals/s, {tx / wall:.1f} transactions/s)")
methods = collections.Counter(l.strip() for l in open(anvil) if re.fullmatch(r"\s*[a-z]+_[A-Za-z]+\s*", l))
calls = sum(methods.values())
print(f"JSON-RPC calls during the run: {calls} = {calls / max(tx, 1):.1f} per transaction:")
for m, c in methods.most_common():
    print(f"  {m:28s} {c:6d}  ({c / max(tx, 1):.2f} per transaction)")
print(f"relayer CPU: {(c1 - c0) / clk:.2f} s = {100 * (c1 - c0) / clk / wall:.1f} % of one core")
EOF
