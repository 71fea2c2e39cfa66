#!/usr/bin/env bash
# A subscriber that stalls for 2 s during a busy run loses events on the
# PUB socket (its queues overflow), detects the gap, replays from the
# broker and ends with exactly the final state: one result per deal, the
# same statuses the broker lists, and the broker's last sequence number.
source "$(dirname "$0")/lib/broker_common.bash"
N=${DP_STALL_DEALS:-50000}

# Messages of up to 256 events (64 KiB), 10 queued on each side: with the
# subscriber's default 1000 its queue alone could hold a whole run of
# large commits (a sanitizer build's), and a 2 s stall would lose nothing.
start_broker --events-hwm 10
start_worker w1 --capacity 64
start_worker w2 --capacity 64
client watch --stall-ms 2000 --queue 10 --final "$N" --timeout-ms 120000 >"$WORK/watch" &
WATCH=$!
PIDS+=("$WATCH")
for i in $(seq 1 100); do grep -q '^subscribed' "$WORK/watch" 2>/dev/null && break; sleep 0.05; done
client submit --prefix st --count "$N" --batch 500 --body-size 256 >/dev/null
wait "$WATCH" || fail "the subscriber did not see all $N results: $(tail -1 "$WORK/watch")"
client list --batch st >"$WORK/list"
grep -v -e '^events=' -e '^subscribed' "$WORK/watch" | sort >"$WORK/watch.sorted"
sort "$WORK/list" >"$WORK/list.sorted"
[ "$(wc -l <"$WORK/watch.sorted")" = "$N" ] || fail "expected $N result events, got $(wc -l <"$WORK/watch.sorted")"
cmp -s "$WORK/watch.sorted" "$WORK/list.sorted" || fail "subscriber state differs from the broker's"
seq_seen=$(sed -n 's/^events=[0-9]* seq=\([0-9]*\).*/\1/p' "$WORK/watch")
replayed=$(sed -n 's/.*replayed=//p' "$WORK/watch")
[ "$replayed" -gt 0 ] || fail "no gap was repaired: the stall did not overflow the queues"
[ "$seq_seen" = $(( $(stat last_seq) + 1 )) ] || fail "subscriber stopped at seq $seq_seen"

last=$(stat last_seq)
echo "subscriber: $(tail -1 "$WORK/watch"); broker last_seq=$last"
[ "$seq_seen" -le $(( last + 1 )) ] || fail "subscriber is ahead of the broker?"
events=$(sed -n 's/^events=\([0-9]*\).*/\1/p' "$WORK/watch")
[ "$events" -ge $(( 3 * N )) ] || fail "expected at least $((3 * N)) durable events, saw $events"
echo "PASS broker_subscriber_stall"
