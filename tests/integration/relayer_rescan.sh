#!/usr/bin/env bash
# relayer_rescan.sh — a relayer stopped for longer than the broker keeps
# events (--event-window 10) misses none of the deals made meanwhile: at
# start its subscription finds the events gone, and it rescans the
# broker's state instead: every deal's deposit and release, exactly once.
# Before, it exited 2 at every start from then on.
source "$(dirname "$0")/lib/relayer_common.bash"

kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
start_broker --event-window 10

# one deal with the relayer running: it has a last seen sequence number
make_batch first 1
start_relayer
"$bin/dp-submit" submit "$work/first.jsonl" --broker "$broker" --wait --progress off >/dev/null
wait_released first 1 60 >/dev/null || { echo "FAIL: the first deal not released"; tail -20 "$work/relayer.log"; exit 1; }
kill "$relayer_pid"; wait "$relayer_pid" || true

# 20 deals (60 events and more) while it is stopped: the broker keeps 10
make_batch gap 20
"$bin/dp-submit" submit "$work/gap.jsonl" --broker "$broker" --wait --progress off >/dev/null
start_relayer
wait_released gap 20 120 || { echo "FAIL: deals made while the relayer was stopped not all released"; tail -30 "$work/relayer.log"; exit 1; }
kill -0 "$relayer_pid" || { echo "FAIL: the relayer exited"; tail -20 "$work/relayer.log"; exit 1; }
grep -q "are no longer kept" "$work/relayer.log" || { echo "FAIL: no gap seen (the test did not test)"; exit 1; }
grep -q "rescan: .* deal(s) checked" "$work/relayer.log" || { echo "FAIL: no rescan logged"; exit 1; }
# exactly once: a second start rescans again (nothing newer kept) and pays nothing more
kill "$relayer_pid"; wait "$relayer_pid" || true
start_relayer
sleep 3
out=$(timeout 30 node "$src/contracts/check_escrow.mjs" --rpc "$rpc" --contract "$contract" < "$work/gap.expect")
case "$out" in *'"Completed":20}'*) ;; *) echo "FAIL: after a second start: $out"; exit 1;; esac
kill "$relayer_pid"; wait "$relayer_pid" || true
echo "PASS relayer_rescan"
