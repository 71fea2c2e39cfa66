#!/usr/bin/env bash
# thread_end.sh — a detached thread (a CZMQ actor: the broker's reactor and
# committer, the worker's actor) that calls dp_sha256_thread_end before it
# ends loses none of OpenSSL's per-thread state when its owner exits first.
# Without the call, LeakSanitizer found 904 bytes (OpenSSL's error state)
# lost in about one broker exit in six under load; dp-threadend makes that
# ordering certain. In a sanitizer build the run without the call must
# fail, or this test could not see the leak at all.
# Env: DP_BIN_DIR (set by ctest).
set -euo pipefail
tool="${DP_BIN_DIR:?}/dp-threadend"

out=$("$tool") || { echo "FAIL: dp-threadend exited $? with dp_sha256_thread_end: $out" >&2; exit 1; }
echo "$out"
if grep -q "AddressSanitizer" <<<"$out"; then
    log=$(mktemp /tmp/dp-threadend.XXXXXX)
    trap 'rm -f "$log"' EXIT
    if ASAN_OPTIONS="${ASAN_OPTIONS:-}:abort_on_error=0" "$tool" --skip-end >/dev/null 2>"$log" || ! grep -q "LeakSanitizer: detected memory leaks" "$log"; then
        echo "FAIL: without dp_sha256_thread_end LeakSanitizer saw no leak: the check proves nothing" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "PASS thread_end (state freed; the same run without the call leaks)"
else
    echo "PASS thread_end (hashing works after the end; no LeakSanitizer in this build)"
fi
