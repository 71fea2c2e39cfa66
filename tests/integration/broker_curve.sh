#!/usr/bin/env bash
# CURVE on the broker's sockets (docs/operations.md, "Authentication"): with
# --curve-secret and --curve-allow, a client and a worker whose public keys
# are in the folder work as before, events included (the PUB socket is a
# CURVE server too); a client or worker without keys, or with a key not in
# the folder, gets nothing (no answer, no job), and the broker logs the
# refusals; half a client configuration is refused at start with the
# variable named.
source "$(dirname "$0")/lib/broker_common.bash"

keys="$WORK/keys"; mkdir -p "$keys/allow"
for name in broker client worker stranger; do
    "$BIN/dp-broker" --curve-keygen "$keys/$name" >/dev/null || fail "keygen $name"
done
[ "$(command stat -c %a "$keys/client_secret")" = 600 ] || fail "a secret key file is not 0600"
cp "$keys/client" "$keys/worker" "$keys/allow/"

as() {  # as NAME CMD...: run CMD with NAME's keys
    local name=$1; shift
    DP_CURVE_CERT="$keys/${name}_secret" DP_CURVE_BROKER="$keys/broker" "$@"
}

"$BIN/dp-broker" --data "$WORK/data" --listen "$EP" --events "tcp://127.0.0.1:$EPORT" \
    --heartbeat-ms 200 --curve-secret "$keys/broker_secret" --curve-allow "$keys/allow" \
    >>"$WORK/broker.log" 2>&1 &
BROKER=$!; PIDS+=("$BROKER")
for i in $(seq 1 100); do
    as client "$BIN/dp-testclient" stats --broker "$EP" >/dev/null 2>&1 && break
    kill -0 "$BROKER" 2>/dev/null || fail "dp-broker exited at start"
    sleep 0.05
done
grep -q "CURVE on, public key" "$WORK/broker.log" || fail "no CURVE line in the log"

# Without keys, or with a key the broker does not know: no answer (exit 3).
rc=0; "$BIN/dp-testclient" stats --broker "$EP" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a client without keys got exit $rc, not 3 (no answer)"
rc=0; as stranger "$BIN/dp-testclient" stats --broker "$EP" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a client with an unknown key got exit $rc, not 3 (no answer)"
# Half a configuration: refused before connecting, naming what is missing.
rc=0; DP_CURVE_CERT="$keys/client_secret" "$BIN/dp-testclient" stats --broker "$EP" \
    >/dev/null 2>"$WORK/half.err" || rc=$?
grep -q "DP_CURVE_BROKER is not" "$WORK/half.err" || fail "half a configuration: $(cat "$WORK/half.err")"

# A worker with an unknown key gets no job.
DP_CURVE_CERT="$keys/stranger_secret" DP_CURVE_BROKER="$keys/broker" \
    "$BIN/dp-testworker" --broker "$EP" --name stranger --results "$WORK/results.stranger" \
    --heartbeat-ms 200 >>"$WORK/worker.stranger.log" 2>&1 &
PIDS+=($!)
as client "$BIN/dp-testclient" submit --broker "$EP" --prefix cv --count 20 --batch 5 >/dev/null \
    || fail "submit with the client's keys"
sleep 1
stats=$(as client "$BIN/dp-testclient" stats --broker "$EP")
case "$stats" in *"pending=20 "*"workers=0 "*) ;; *) fail "a worker with an unknown key took jobs: $stats";; esac
[ ! -s "$WORK/results.stranger" ] || fail "the stranger ran deals: $(cat "$WORK/results.stranger")"

# A subscriber with keys sees every result; a worker with keys runs them.
as client "$BIN/dp-testclient" watch --broker "$EP" --final 20 --timeout-ms 30000 >"$WORK/watch" &
WATCH=$!; PIDS+=("$WATCH")
for i in $(seq 1 100); do grep -q '^subscribed' "$WORK/watch" 2>/dev/null && break; sleep 0.05; done
DP_CURVE_CERT="$keys/worker_secret" DP_CURVE_BROKER="$keys/broker" \
    "$BIN/dp-testworker" --broker "$EP" --name w1 --results "$WORK/results.w1" --capacity 4 \
    --heartbeat-ms 200 >>"$WORK/worker.w1.log" 2>&1 &
PIDS+=($!)
wait "$WATCH" || fail "the subscriber with keys did not see the 20 results: $(tail -2 "$WORK/watch")"
[ "$(wc -l <"$WORK/results.w1")" = 20 ] || fail "the worker with keys ran $(wc -l <"$WORK/results.w1") deals"
grep -q "refused by CURVE" "$WORK/broker.log" || fail "the refusals were not logged"
# The folder is watched: a key added while the broker runs is accepted.
cp "$keys/stranger" "$keys/allow/"
sleep 1.2       # the folder's modification time must change visibly
as stranger "$BIN/dp-testclient" stats --broker "$EP" >/dev/null || fail "a key added later is refused"

# It drains and exits 0 on SIGTERM like a plain one (and, in the sanitizer
# build, leaves nothing of the authenticator behind).
kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "dp-broker with CURVE exited $rc after SIGTERM"

# A broker given half the server configuration refuses to start (exit 2).
rc=0; timeout 20 "$BIN/dp-broker" --data "$WORK/data2" --listen "tcp://127.0.0.1:$(free_port)" \
    --events "tcp://127.0.0.1:$(free_port)" --curve-secret "$keys/broker_secret" \
    >"$WORK/half-broker.log" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "curve-secret and curve-allow go together" "$WORK/half-broker.log" \
    || fail "half a server configuration: exit $rc: $(cat "$WORK/half-broker.log")"
# (CZMQ reads PATH_secret beside PATH when there is one: a public file alone.)
mkdir "$WORK/public-only"; cp "$keys/broker" "$WORK/public-only/"
rc=0; timeout 20 "$BIN/dp-broker" --data "$WORK/data3" --listen "tcp://127.0.0.1:$(free_port)" \
    --events "tcp://127.0.0.1:$(free_port)" --curve-secret "$WORK/public-only/broker" \
    --curve-allow "$keys/allow" >"$WORK/public-broker.log" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "holds no secret key" "$WORK/public-broker.log" \
    || fail "a public key as the secret: exit $rc: $(cat "$WORK/public-broker.log")"
echo "PASS broker_curve (keys accepted, unknown and missing keys refused and logged, events over CURVE)"
