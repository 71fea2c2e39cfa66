#!/usr/bin/env bash
# SIGTERM under load (docs/operations.md, "Signals"): while a client submits
# a steady stream of batches and a worker completes deals, the broker is
# sent SIGTERM, in several rounds at random points. Each time it must exit
# 0, within 10 s. Afterwards, on a restarted broker:
#  - every deal the client saw acknowledged is stored (no false ack);
#  - every submit answered after the drain began was refused with `full`
#    ("broker is shutting down"), never another code, and none of the
#    refused deals is stored; no `ok` ack ever follows a refusal (acks come
#    in submit order: once the drain began, nothing more is accepted);
#  - the drain sent every ack it owed: each stored deal of the stream was
#    acknowledged to the client;
#  - the rest got no answer (the client saw the connection end).
source "$(dirname "$0")/lib/broker_common.bash"
ROUNDS=${DP_DRAIN_ROUNDS:-3}

start_worker w1 --capacity 16 --heartbeat-ms 200
refusals=0
for round in $(seq 1 "$ROUNDS"); do
    start_broker --heartbeat-ms 200
    "$BIN/dp-testclient" submit --broker "$EP" --prefix "d$round" --count 1000000 --batch 50 \
        --window 4 --body-size 1024 --acked "$WORK/acked.$round" \
        >"$WORK/submit.$round.out" 2>"$WORK/submit.$round.err" &
    SUBMITTER=$!
    PIDS+=("$SUBMITTER")
    for i in $(seq 1 200); do [ -s "$WORK/acked.$round" ] && break; sleep 0.02; done
    [ -s "$WORK/acked.$round" ] || fail "round $round: nothing was acknowledged before the SIGTERM"
    sleep "0.$(printf '%03d' $(( 50 + RANDOM % 250 )))"      # 50..300 ms into the stream
    kill -TERM "$BROKER"
    t0=$(date +%s%N)
    wait_gone "$BROKER" 10 "round $round: the broker did not exit within 10 s of SIGTERM"
    rc=0; wait "$BROKER" || rc=$?
    drain_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$rc" = 0 ] || fail "round $round: dp-broker exited $rc after SIGTERM"
    # The broker is gone: what the client still waits for will never come
    # (it has 0.5 s to read the last acks the broker sent).
    sleep 0.5
    kill -TERM "$SUBMITTER" 2>/dev/null || true
    wait "$SUBMITTER" 2>/dev/null || true
    # Every non-ok ack must be the drain's refusal.
    grep '^ack ' "$WORK/submit.$round.err" >"$WORK/nacks.$round" || true
    other=$(grep -v ': full: broker is shutting down' "$WORK/nacks.$round" | head -3 || true)
    [ -z "$other" ] || fail "round $round: a submit was refused with something else than the drain's 'full': $other"
    sed -n 's/^ack \([^:]*\): .*/\1/p' "$WORK/nacks.$round" >"$WORK/refused.$round"
    acked=$(wc -l <"$WORK/acked.$round")
    refused=$(wc -l <"$WORK/refused.$round")
    refusals=$(( refusals + refused ))
    if [ "$refused" -gt 0 ]; then
        last_ok=$(awk -F- '$NF > m { m = $NF } END { print m + 0 }' "$WORK/acked.$round")
        first_refused=$(awk -F- 'NR == 1 || $NF < m { m = $NF } END { print m + 0 }' "$WORK/refused.$round")
        [ "$last_ok" -lt "$first_refused" ] \
            || fail "round $round: d$round-$last_ok was acknowledged after d$round-$first_refused was refused"
    fi
    grep -q 'signal 15: draining' "$WORK/broker.log" || fail "round $round: no drain in the broker's log"
    echo "round $round: acknowledged=$acked refused=$refused drain=${drain_ms} ms"
done

start_broker --heartbeat-ms 200
total_acked=0
for round in $(seq 1 "$ROUNDS"); do
    # The stored deals of the round (its batch), one page of 1,000 per request.
    client list --batch "d$round" | awk '{ print $1 }' | sort >"$WORK/stored.$round"
    sort "$WORK/acked.$round" >"$WORK/acked.$round.sorted"
    lost=$(comm -23 "$WORK/acked.$round.sorted" "$WORK/stored.$round" | wc -l)
    [ "$lost" = 0 ] || fail "round $round: $lost acknowledged deals lost, e.g. $(comm -23 "$WORK/acked.$round.sorted" "$WORK/stored.$round" | head -3 | tr '\n' ' ')"
    total_acked=$(( total_acked + $(wc -l <"$WORK/acked.$round") ))
    sort "$WORK/refused.$round" >"$WORK/refused.$round.sorted"
    known=$(comm -12 "$WORK/refused.$round.sorted" "$WORK/stored.$round" | wc -l)
    [ "$known" = 0 ] || fail "round $round: $known deals refused as 'shutting down' were stored anyway"
    # The drain sends the acks it owes before the broker exits.
    owed=$(comm -13 "$WORK/acked.$round.sorted" "$WORK/stored.$round" | wc -l)
    [ "$owed" = 0 ] || fail "round $round: $owed deals were stored but their ack never came, e.g. $(comm -13 "$WORK/acked.$round.sorted" "$WORK/stored.$round" | head -3 | tr '\n' ' ')"
done
# (the listing itself, checked against status on a sample)
sample=$(head -1 "$WORK/acked.1")
client status --id "$sample" >/dev/null || fail "$sample is listed but has no status"
stored=$(cat "$WORK"/stored.* | wc -l)
echo "acknowledged=$total_acked lost=0 refused=$refusals stored=$stored"
echo "PASS broker_drain ($ROUNDS SIGTERMs under load: exit 0, $total_acked acknowledged deals all stored, $refusals refusals, none stored)"
