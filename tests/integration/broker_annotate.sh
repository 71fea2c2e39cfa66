#!/usr/bin/env bash
# Annotations (SPEC §4, §6; docs/protocol.md `annotate`): escrow_tx and
# completion_tx set on a deal are stored, published as durable
# `annotation` events (seen live and in a replay), returned with the
# result (result_reply) and with the status, and kept across a restart;
# they never touch the stored signed result, whose bytes are compared
# before and after. An annotation made while the deal is pending survives
# its result. A key other than the two, or a value with a quote, is
# refused and changes nothing. (An annotation for an unknown deal is not
# tested here.)
source "$(dirname "$0")/lib/broker_common.bash"
ESC=0x$(printf 'e%.0s' $(seq 1 64))
COMP=0x$(printf 'c%.0s' $(seq 1 64))
PEND_ESC=0x$(printf '7%.0s' $(seq 1 64))

start_broker --heartbeat-ms 200
start_worker w1 --capacity 2 --heartbeat-ms 200
W1=$WORKER
client submit --prefix ann --count 2 >/dev/null
wait_for agreed 2 20
out=$(client result --id ann-0 --out "$WORK/before.json")
[ "$out" = "agreed escrow_tx= completion_tx=" ] || fail "ann-0 before any annotation: $out"
grep -q '"deal_id":"ann-0"' "$WORK/before.json" || fail "ann-0's stored result: $(cat "$WORK/before.json")"

# --- annotate a finished deal, with a live subscriber ----------------------------
client watch --all 1 --final 0 --idle-ms 2000 --timeout-ms 20000 >"$WORK/live" &
WATCH=$!
PIDS+=("$WATCH")
for i in $(seq 1 100); do grep -q '^subscribed' "$WORK/live" 2>/dev/null && break; sleep 0.05; done
sleep 0.3       # the subscription reaches the PUB
client annotate --id ann-0 --key escrow_tx --value "$ESC" || fail "annotate escrow_tx"
client annotate --id ann-0 --key completion_tx --value "$COMP" || fail "annotate completion_tx"
wait "$WATCH" || fail "the live subscriber: $(tail -3 "$WORK/live")"
for source in live replay; do
    if [ "$source" = live ]; then lines=$(grep '^event ' "$WORK/live" || true); else lines=$(events); fi
    grep -Eq "type=annotation deal=ann-0 .*data=\{\"escrow_tx\":\"$ESC\"\}" <<<"$lines" \
        || fail "no escrow_tx annotation event ($source): $(grep ann-0 <<<"$lines")"
    grep -Eq "type=annotation deal=ann-0 .*data=\{\"completion_tx\":\"$COMP\"\}" <<<"$lines" \
        || fail "no completion_tx annotation event ($source): $(grep ann-0 <<<"$lines")"
    grep ' type=annotation ' <<<"$lines" | grep -q ' seq=0 ' && fail "an annotation event is not durable ($source)"
done

out=$(client result --id ann-0 --out "$WORK/after.json")
[ "$out" = "agreed escrow_tx=$ESC completion_tx=$COMP" ] || fail "ann-0's result_reply: $out"
cmp "$WORK/before.json" "$WORK/after.json" >/dev/null \
    || fail "the stored result changed with an annotation: $(cat "$WORK/before.json") -> $(cat "$WORK/after.json")"
status=$(client status --id ann-0)
[ "$status" = "ann-0 agreed attempts=0 reason= escrow_tx=$ESC completion_tx=$COMP" ] || fail "ann-0 status: $status"
out=$(client result --id ann-1 --out "$WORK/other.json")
[ "$out" = "agreed escrow_tx= completion_tx=" ] || fail "ann-1 was not annotated: $out"

# --- refused annotations change nothing --------------------------------------------
seq_before=$(stat last_seq)
err=$(client annotate --id ann-0 --key signature --value 0x00 2>&1) && fail "key signature was accepted"
grep -q 'key' <<<"$err" || fail "refused key: the error should name the key: $err"
err=$(client annotate --id ann-0 --key escrow_tx --value '0x"1' 2>&1) && fail "a value with a quote was accepted"
grep -q 'value' <<<"$err" || fail "refused value: the error should name the value: $err"
[ "$(stat last_seq)" = "$seq_before" ] || fail "a refused annotation published an event"
[ "$(client status --id ann-0)" = "$status" ] || fail "a refused annotation changed ann-0: $(client status --id ann-0)"

# --- annotate a pending deal, then let it finish -------------------------------------
kill -TERM "$W1"; wait "$W1" || true
client submit --prefix pend --count 1 >/dev/null
client annotate --id pend-0 --key escrow_tx --value "$PEND_ESC" || fail "annotate a pending deal"
wait_status pend-0 "^pend-0 pending attempts=0 reason= escrow_tx=$PEND_ESC completion_tx=\$" 5
out=$(client result --id pend-0 --out "$WORK/pend-pending.json")
[ "$out" = "pending escrow_tx=$PEND_ESC completion_tx=" ] || fail "pend-0's result_reply while pending: $out"
[ ! -s "$WORK/pend-pending.json" ] || fail "pend-0 has a result before any worker ran it"
start_worker w2 --capacity 2 --heartbeat-ms 200
wait_for agreed 3 20
wait_status pend-0 "^pend-0 agreed attempts=0 reason= escrow_tx=$PEND_ESC completion_tx=\$" 5
out=$(client result --id pend-0 --out "$WORK/pend.json")
[ "$out" = "agreed escrow_tx=$PEND_ESC completion_tx=" ] || fail "pend-0's annotation was lost with its result: $out"
grep -q '"deal_id":"pend-0"' "$WORK/pend.json" || fail "pend-0's result: $(cat "$WORK/pend.json")"
grep -qF "$PEND_ESC" "$WORK/pend.json" && fail "pend-0's annotation went into its stored result: $(cat "$WORK/pend.json")"

# --- a restart keeps them ------------------------------------------------------------
kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "dp-broker exited $rc after SIGTERM"
start_broker --heartbeat-ms 200
out=$(client result --id ann-0 --out "$WORK/restarted.json")
[ "$out" = "agreed escrow_tx=$ESC completion_tx=$COMP" ] || fail "ann-0 after a restart: $out"
cmp "$WORK/before.json" "$WORK/restarted.json" >/dev/null || fail "ann-0's result changed across the restart"
[ "$(client status --id pend-0)" = "pend-0 agreed attempts=0 reason= escrow_tx=$PEND_ESC completion_tx=" ] \
    || fail "pend-0 after a restart: $(client status --id pend-0)"
echo "PASS broker_annotate (stored, published live and replayed, returned with result and status, result bytes unchanged, kept through a result and a restart)"
