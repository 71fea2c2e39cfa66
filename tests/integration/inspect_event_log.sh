#!/usr/bin/env bash
# inspect_event_log.sh — `dp-submit inspect QUOTE --event-log LOG` replays a
# dstack event log against the quote's RTMR0-3 (the recorded simulator
# quote and its log from ../shared/vectors/tdx/dstack) and lists dstack's
# own events; a log changed in one digest no longer matches and is
# reported naming the register; an unreadable log is bad input (exit 2).
# Env: DP_BIN_DIR, DP_SHARED_DIR (set by ctest).
set -euo pipefail
S="${DP_BIN_DIR:?}/dp-submit"
V="${DP_SHARED_DIR:?}/vectors/tdx/dstack"
work=$(mktemp -d /tmp/dp-eventlog-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The quote has no collateral here (exit 1 for that); the log part is what is checked.
"$S" inspect "$V/simulator_quote.hex" --event-log "$V/simulator_eventlog.json" --json >"$work/ok.json" || true
python3 - "$work/ok.json" <<'PY' || fail "event log report: $(cat "$work/ok.json")"
import json, sys
log = json.load(open(sys.argv[1]))["event_log"]
assert log["rtmr_replay"] == "match", log["rtmr_replay"]
assert log["events"] == 27, log["events"]
names = [e["event"] for e in log["runtime_events"]]
assert names == ["system-preparing", "app-id", "compose-hash", "instance-id", "boot-mr-done",
                 "key-provider", "system-ready"], names
payload = {e["event"]: e["payload"] for e in log["runtime_events"]}
assert payload["app-id"] == "ea549f02e1a25fabd1cb788380e033ec5461b2ff", payload["app-id"]
assert len(payload["compose-hash"]) == 64
PY
"$S" inspect "$V/simulator_quote.hex" --event-log "$V/simulator_eventlog.json" >"$work/ok.txt" || true
grep -q "^✓ event log: RTMR0-3 replayed to the quote's" "$work/ok.txt" || fail "no ✓ line: $(tail -3 "$work/ok.txt")"

# One boot digest changed: RTMR0 no longer matches; exit 1 and a ✗ line.
python3 - "$V/simulator_eventlog.json" "$work/changed.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
d = log[0]["digest"]
log[0]["digest"] = ("1" if d[0] == "0" else "0") + d[1:]
json.dump(log, open(sys.argv[2], "w"))
PY
rc=0; "$S" inspect "$V/simulator_quote.hex" --event-log "$work/changed.json" >"$work/bad.txt" || rc=$?
[ "$rc" = 1 ] || fail "a changed log: exit $rc, expected 1"
grep -q "^✗ event_log: rtmr0 replays to" "$work/bad.txt" || fail "no ✗ rtmr0 line: $(tail -3 "$work/bad.txt")"

rc=0; "$S" inspect "$V/simulator_quote.hex" --event-log "$work/none.json" >/dev/null 2>"$work/none.err" || rc=$?
[ "$rc" = 2 ] && grep -q "cannot be read" "$work/none.err" || fail "missing log: exit $rc: $(cat "$work/none.err")"
echo "PASS inspect_event_log (replay matches the quote, a changed digest does not, dstack's events listed)"
