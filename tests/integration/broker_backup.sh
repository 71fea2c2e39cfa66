#!/usr/bin/env bash
# The backup and restore of docs/operations.md, with Debian's mdb_copy: a
# compacted copy taken while the broker runs and deals flow, restored by
# replacing data.mdb, holds every deal acknowledged before it (finished
# ones with their results, pending ones with their own bodies, which a
# worker then checks against their envelopes) and none submitted after it.
source "$(dirname "$0")/lib/broker_common.bash"

start_broker --heartbeat-ms 200
start_worker w1 --capacity 4 --heartbeat-ms 200
client submit --prefix done --count 50 --batch 10 >/dev/null
wait_for agreed 50 30
kill -TERM "$WORKER"; wait "$WORKER" || true
client submit --prefix wait --count 20 --batch 7 >/dev/null
wait_for pending 20 10

mkdir "$WORK/backup"             # mdb_copy writes into an existing directory
mdb_copy -c "$WORK/data" "$WORK/backup" || fail "mdb_copy of a running broker's store"
client submit --prefix late --count 5 >/dev/null         # after the snapshot
kill -TERM "$BROKER"
rc=0; wait "$BROKER" || rc=$?
[ "$rc" = 0 ] || fail "dp-broker exited $rc after SIGTERM"

# Restore: stop the broker, replace data.mdb with the copy's, start it.
cp "$WORK/backup/data.mdb" "$WORK/data/data.mdb"
start_broker --heartbeat-ms 200
[ "$(stat agreed)" = 50 ] || fail "restored agreed: $(stat agreed)"
[ "$(stat pending)" = 20 ] || fail "restored pending: $(stat pending)"
client status --id done-7 | grep -q "done-7 agreed" || fail "done-7: $(client status --id done-7)"
client result --id done-7 | grep -q '"deal_id":"done-7"' || fail "done-7 result: $(client result --id done-7)"
if client status --id late-0 >/dev/null 2>&1; then fail "late-0 was submitted after the snapshot"; fi
start_worker w2 --capacity 4 --heartbeat-ms 200
wait_for agreed 70 30
[ "$(stat failed)" = 0 ] || fail "$(stat failed) restored deals failed (a body that is not theirs?)"
echo "PASS broker_backup (50 finished and 20 pending deals restored, 5 later ones absent)"
