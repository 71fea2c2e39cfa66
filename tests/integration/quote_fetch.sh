#!/usr/bin/env bash
# quote_fetch.sh — collateral fetched over HTTP from a PCCS-style service
# (a fake one on 127.0.0.1 serving the vectors' collateral in Intel's API
# shape: PEM issuer chains percent-encoded in headers, DER PCK CRL, hex root
# CRL, {"tcbInfo":...,"signature":...} bodies), verified, cached on disk and
# reused while fresh; an unreachable service is a clear error; `dp-submit
# inspect --pccs` uses it; a forged answer is refused and never cached;
# plain http is refused unless the service is on loopback.
set -euo pipefail
bin="${DP_BIN_DIR:?}"
vec="${DP_SHARED_DIR:?}/vectors/tdx"
work=$(mktemp -d /tmp/dp-quote-fetch.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/pccs.py" <<'PY'
import http.server, json, sys, urllib.parse
collateral = json.load(open(sys.argv[1]))
log = open(sys.argv[2], "a")
if len(sys.argv) > 3 and sys.argv[3] == "forge":
    # what a man in the middle would send: valid JSON, the same signature
    collateral["tcb_info"] = collateral["tcb_info"].replace("UpToDate", "OutOfDate", 1)
class Handler(http.server.BaseHTTPRequestHandler):
    def send(self, body, header=None, value=None):
        self.send_response(200)
        if header:
            self.send_header(header, urllib.parse.quote(value, safe=""))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        log.write(self.path + "\n"); log.flush()
        c = collateral
        if url.path == "/sgx/certification/v4/pckcrl" and query.get("ca") == ["platform"]:
            self.send(bytes.fromhex(c["pck_crl"]), "SGX-PCK-CRL-Issuer-Chain", c["pck_crl_issuer_chain"])
        elif url.path == "/tdx/certification/v4/tcb" and query.get("fmspc", [""])[0].lower() == "b0c06f000000":
            body = '{"tcbInfo":' + c["tcb_info"] + ',"signature":"' + c["tcb_info_signature"] + '"}'
            self.send(body.encode(), "TCB-Info-Issuer-Chain", c["tcb_info_issuer_chain"])
        elif url.path == "/tdx/certification/v4/qe/identity":
            body = '{"enclaveIdentity":' + c["qe_identity"] + ',"signature":"' + c["qe_identity_signature"] + '"}'
            self.send(body.encode(), "SGX-Enclave-Identity-Issuer-Chain", c["qe_identity_issuer_chain"])
        elif url.path == "/sgx/certification/v4/rootcacrl":
            self.send(c["root_ca_crl"].encode())
        else:
            self.send_error(404)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.timeout = 1
import time
deadline = time.time() + 120          # never outlives the test
while time.time() < deadline:
    server.handle_request()
PY

python3 "$work/pccs.py" "$vec/dcap-qvl/tdx_quote_v4.collateral.json" "$work/requests.log" >"$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
url="http://127.0.0.1:$port"
passed=0 failed=0
check() {  # name, condition
  if eval "$2"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

export DP_QUOTE_CACHE="$work/cache"
out=$("$bin/dp_quote_tool" "$vec/dcap-qvl/tdx_quote_v4.bin" "$url" 1752919234 || true)
check "fetched collateral verifies the quote as UpToDate" \
  'grep -q "\"verification_status\":\"verified\"" <<<"$(tr -d " \n" <<<"$out")" && grep -q UpToDate <<<"$out"'
check "four requests, one per collateral item" '[ "$(wc -l <"$work/requests.log")" -eq 4 ]'
check "cache file written with mode 0600" \
  '[ "$(stat -c %a "$work/cache/tdx-B0C06F000000-platform.json")" = 600 ]'

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
out=$("$bin/dp_quote_tool" "$vec/dcap-qvl/tdx_quote_v4.bin" "$url" 1752919234 || true)
check "fresh cache used while the service is down" 'grep -q UpToDate <<<"$out"'
set +e
err=$("$bin/dp_quote_tool" "$vec/dcap-qvl/tdx_quote_v4.bin" "$url" 1752930000 2>&1 >/dev/null)
rc=$?
set -e
check "expired cache refetches; unreachable service is exit 2 naming the URL" \
  '[ "$rc" -eq 2 ] && grep -q "127.0.0.1:$port/sgx/certification/v4/pckcrl" <<<"$err"'
# --- dp-submit inspect --pccs -------------------------------------------------
S="$bin/dp-submit"
python3 "$work/pccs.py" "$vec/dcap-qvl/tdx_quote_v4.collateral.json" "$work/requests.log" >"$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")"
set +e
XDG_CACHE_HOME="$work/xdg" "$S" inspect "$vec/dcap-qvl/tdx_quote_v4.bin" --pccs "$url" --now 1752919234 >"$work/out" 2>&1
rc=$?
set -e
check "inspect --pccs verifies UpToDate" '[ "$rc" -eq 0 ] && grep -q "✓ verified: chain to Intel.s root, TCB UpToDate" "$work/out"'
check "inspect --pccs caches under XDG_CACHE_HOME" '[ -f "$work/xdg/dealproof/collateral/tdx-B0C06F000000-platform.json" ]'
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

python3 "$work/pccs.py" "$vec/dcap-qvl/tdx_quote_v4.collateral.json" "$work/forged.log" forge >"$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")"
set +e
XDG_CACHE_HOME="$work/xdg2" "$S" inspect "$vec/dcap-qvl/tdx_quote_v4.bin" --pccs "$url" --now 1752919234 >"$work/out" 2>&1
rc=$?
set -e
check "a forged TCB info is refused, naming why" \
  '[ "$rc" -eq 1 ] && grep -q "the collateral received does not verify: tcb_info: signature over the JSON does not verify" "$work/out"'
check "a forged TCB info is not cached" '[ -z "$(ls -A "$work/xdg2/dealproof/collateral" 2>/dev/null)" ]'
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

set +e
"$S" inspect "$vec/dcap-qvl/tdx_quote_v4.bin" --pccs "http://pccs.example.invalid" --now 1752919234 >"$work/out" 2>&1
rc=$?
set -e
check "plain http to a host that is not loopback is refused" '[ "$rc" -eq 1 ] && grep -q "https only" "$work/out"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
