#!/usr/bin/env bash
# tee_modes.sh — the real dp-worker program picks its TEE as SPEC §10 says
# and reports it (`dp-worker --version`: tee_mode, signer, sim_root), with
# fake guest agents (tests/tools/fake_tee.py) standing in for dstack/tappd:
#   - --tee-mode dstack on a unix socket: the key derived by the agent
#     (fake_tee.py's default key: web3's documented example, whose address
#     is known);
#   - the seed's setting, DSTACK_SIMULATOR_ENDPOINT at a legacy tappd
#     simulator over TCP: probed as tappd (key stored, the simulator has no
#     secp256k1 derivation);
#   - simulation: sim_root is SHA-256 of root.pem's DER, as openssl says;
#   - TEE_MODE=production without any agent (or a dstack endpoint nobody
#     answers): refuses to start with exit 2 (set-up; 3 is the broker's);
#   - an unknown mode: refused naming TEE_MODE;
#   - --anthropic-key refused (exit 2, pointing at ANTHROPIC_API_KEY).
# Env: DP_BIN_DIR, DP_SOURCE_DIR, DP_SHARED_DIR (set by ctest).
set -euo pipefail

bin="${DP_BIN_DIR:?}"
src="${DP_SOURCE_DIR:?}"
shared="${DP_SHARED_DIR:?}"
worker="$bin/dp-worker"
if [ ! -x "$worker" ]; then
  if [ -f "$src/worker/main.c" ]; then echo "tee_modes: FAIL: $worker not built" >&2; exit 1; fi
  echo "tee_modes: dp-worker not in this tree yet; nothing to run" >&2
  exit 0
fi

work=$(mktemp -d)
pids=()
cleanup () {
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail () { echo "tee_modes: FAIL: $*" >&2; failures=$((failures + 1)); }

# Starts fake_tee.py (in this shell, not a $(...) subshell: the agent exits
# when its parent does) and sets endpoint to its socket path or URL.
start_agent () {
  local api=$1 where=$2 quote=$3
  if [ "$where" = tcp ]; then
    python3 "$src/tests/tools/fake_tee.py" --api "$api" --quote "$quote" --lifetime 60 \
      --event-log "$shared/vectors/tdx/dstack/simulator_eventlog.json" --port-file "$work/port" &
  else
    python3 "$src/tests/tools/fake_tee.py" --api "$api" --quote "$quote" --lifetime 60 \
      --event-log "$shared/vectors/tdx/dstack/simulator_eventlog.json" --unix "$where" &
  fi
  pids+=($!)
  local wait_for=$where
  [ "$where" = tcp ] && wait_for="$work/port"
  for _ in $(seq 1 200); do [ -e "$wait_for" ] && break; sleep 0.025; done
  [ -e "$wait_for" ] || { echo "tee_modes: fake_tee.py did not start" >&2; exit 1; }
  endpoint=$where
  if [ "$where" = tcp ]; then endpoint="http://127.0.0.1:$(cat "$work/port")"; fi
}

# Runs dp-worker --version with a clean TEE environment plus "$@" (env
# assignments), isolated XDG data; prints stdout, returns its status.
version () {
  env -u TEE_MODE -u DSTACK_SIMULATOR_ENDPOINT -u TAPPD_SIMULATOR_ENDPOINT -u DP_SIM_ROOT \
      -u DP_KEY_FILE -u DP_DATA XDG_DATA_HOME="$work/xdg" LOG_LEVEL=error "$@" \
      "$worker" --version 2>"$work/stderr"
}

# 1. dstack over a unix socket, key derived by the agent.
start_agent dstack "$work/dstack.sock" "$shared/vectors/tdx/dstack/simulator_quote.hex"
out=$(version TEE_MODE=dstack DSTACK_SIMULATOR_ENDPOINT="$endpoint") || fail "dstack: exit $?: $(cat "$work/stderr")"
grep -q 'tee_mode=dstack' <<<"$out" || fail "dstack: got '$out'"
grep -q 'signer=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23' <<<"$out" || fail "dstack: signer not derived: '$out'"
grep -q 'sim_root=' <<<"$out" && fail "dstack: a sim_root outside simulation: '$out'"

# 2. The seed's DSTACK_SIMULATOR_ENDPOINT pointing at a legacy tappd simulator.
start_agent tappd-legacy tcp "$shared/vectors/tdx/dcap-qvl/tdx_quote_v4_from_tappd.hex"
out=$(version DSTACK_SIMULATOR_ENDPOINT="$endpoint") || fail "seed endpoint: exit $?: $(cat "$work/stderr")"
grep -q 'tee_mode=tappd' <<<"$out" || fail "seed endpoint: expected tappd, got '$out'"
[ -f "$work/xdg/dealproof/worker-key" ] || fail "seed endpoint: no stored key for a simulator without DeriveK256Key"

# 3. Simulation: sim_root is the SHA-256 of the root certificate's DER.
out=$(version TEE_MODE=simulation DP_SIM_ROOT="$work/sim-root") || fail "simulation: exit $?: $(cat "$work/stderr")"
want=$(openssl x509 -in "$work/sim-root/root.pem" -outform DER | sha256sum | cut -d' ' -f1)
grep -q "tee_mode=simulation" <<<"$out" || fail "simulation: got '$out'"
grep -q "sim_root=$want" <<<"$out" || fail "simulation: sim_root is not sha256(DER) $want: '$out'"
[ "$(stat -c %a "$work/sim-root")" = 700 ] || fail "simulation: sim root is not mode 0700"

# 4. production without an agent: no simulation fallback. (Skipped on a
# machine that really has a guest agent socket.)
if ! ls /var/run/dstack.sock /run/dstack.sock /var/run/tappd.sock /run/tappd.sock \
        /var/run/dstack/dstack.sock /run/dstack/dstack.sock /var/run/dstack/tappd.sock \
        /run/dstack/tappd.sock >/dev/null 2>&1; then
  rc=0; out=$(version TEE_MODE=production) || rc=$?
  # 2, a set-up error (SPEC §10): 3 means "broker unreachable".
  [ "$rc" = 2 ] || fail "production without a TEE: exit $rc, want 2 ('$out')"
  grep -q 'production' "$work/stderr" || fail "production: unclear error: $(cat "$work/stderr")"
  # The same with a dstack endpoint that nobody answers: still set-up, 2.
  rc=0; version TEE_MODE=dstack DSTACK_SIMULATOR_ENDPOINT="$work/nobody.sock" >/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "dstack endpoint nobody answers: exit $rc, want 2: $(cat "$work/stderr")"
fi

# 6. No API key on the command line (/proc/PID/cmdline is world-readable):
# --anthropic-key is refused with exit 2, pointing at the environment, and
# the key it was given is not echoed; the environment variable works.
for form in "--anthropic-key sk-ant-cmdline-secret" "--anthropic-key=sk-ant-cmdline-secret"; do
  rc=0
  # shellcheck disable=SC2086
  TEE_MODE=simulation DP_SIM_ROOT="$work/sim-root" XDG_DATA_HOME="$work/xdg" \
    "$worker" $form --version >/dev/null 2>"$work/stderr" || rc=$?
  [ "$rc" = 2 ] || fail "$form: exit $rc, want 2"
  grep -q 'ANTHROPIC_API_KEY' "$work/stderr" || fail "$form: the refusal does not name ANTHROPIC_API_KEY: $(cat "$work/stderr")"
  grep -q 'sk-ant-cmdline-secret' "$work/stderr" && fail "$form: the refusal echoes the key"
done
"$worker" --help | grep -q 'anthropic-key' && fail "--help still offers --anthropic-key"
version TEE_MODE=simulation DP_SIM_ROOT="$work/sim-root" ANTHROPIC_API_KEY=sk-ant-env >/dev/null \
  || fail "ANTHROPIC_API_KEY in the environment: exit $?: $(cat "$work/stderr")"

# 5. An unknown mode.
if version TEE_MODE=sgx >/dev/null; then fail "TEE_MODE=sgx accepted"; fi
grep -q 'TEE_MODE' "$work/stderr" || fail "TEE_MODE=sgx: unclear error: $(cat "$work/stderr")"

if [ "$failures" -gt 0 ]; then
  echo "tee_modes: $failures failure(s)" >&2
  exit 1
fi
echo "tee_modes: ok"
