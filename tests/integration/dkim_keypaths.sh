#!/usr/bin/env bash
# dkim_keypaths.sh — the DKIM key lookup paths against real servers on loopback.
#
# Starts NSD (authoritative) serving zones built from the corpus's zone.txt:
#   example.com  DNSSEC-signed with ldns-signzone (its DS is the trust anchor)
#   example.org  signed, then one TXT record tampered after signing (bogus)
#   example.net  unsigned (insecure under the anchors)
# and a DNS-over-HTTPS server (Python stdlib https, a CA made here with openssl)
# that passes queries to NSD. Then runs `dp-submit dkim` (as bin/dp_dkim_cmd)
# over the dnssec, dns and doh paths, checking verdicts, key_path,
# authenticated, dns_unavailable and exit codes, and that a wrong DoH
# certificate, a tampered record, an unsigned zone and a dead resolver are
# refused within bounded time. Loopback only; everything started is killed
# by the trap.
set -euo pipefail

BIN="${DP_BIN_DIR:?}"
SHARED="${DP_SHARED_DIR:?}"
VEC="$SHARED/vectors/dkim"
CMD="$BIN/dp_dkim_cmd"
NOW=1700086400

for tool in nsd ldns-keygen ldns-signzone openssl python3 timeout; do
  command -v "$tool" >/dev/null || { echo "dkim_keypaths: $tool missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/dp-dkim-keypaths.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# --- zones from the corpus zone.txt -------------------------------------------------
make_zone() {  # zone-name file
  local zone=$1 out=$2
  {
    echo "\$ORIGIN $zone."
    echo "\$TTL 300"
    echo "@ IN SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 300"
    echo "@ IN NS ns.$zone."
    echo "ns IN A 127.0.0.1"
    grep -v '^#' "$VEC/zone.txt" | while read -r name type rest; do
      [ "$type" = "TXT" ] || continue
      case "$name" in
        *."$zone") echo "$name. IN TXT $rest" ;;
      esac
    done
  } >"$out"
}
cd "$WORK"
for z in example.com example.org example.net; do make_zone "$z" "$z.zone"; done

sign_zone() {  # zone
  local zone=$1 ksk zsk
  ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$zone")
  zsk=$(ldns-keygen -a ECDSAP256SHA256 "$zone")
  ldns-signzone -n -f "$zone.zone.signed" "$zone.zone" "$ksk" "$zsk" >/dev/null 2>&1 \
    || ldns-signzone -f "$zone.zone.signed" "$zone.zone" "$ksk" "$zsk"
  cp "$ksk.ds" "$zone.ds"
  cat "$ksk.ds" >>anchors.ds
}
: >anchors.ds
sign_zone example.com
sign_zone example.org
# Tamper with a signed record: one character of ed._domainkey.example.org's key.
python3 - <<'PY'
import re
p = "example.org.zone.signed"
s = open(p).read()
s2 = s.replace("Km8MDFi9J6goHRhf7HBSTqN", "Km8MDFi9J6goHRhf7HBSTqM", 1)
assert s2 != s, "tamper target not found"
open(p, "w").write(s2)
PY
cp example.net.zone example.net.zone.signed   # served unsigned

DNS_PORT=$(free_port)
cat >nsd.conf <<CONF
server:
  ip-address: 127.0.0.1@$DNS_PORT
  port: $DNS_PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$WORK"
  pidfile: "$WORK/nsd.pid"
  database: ""
  zonelistfile: "$WORK/zone.list"
  xfrdfile: "$WORK/xfrd.state"
  xfrdir: "$WORK"
  logfile: "$WORK/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: example.com
  zonefile: example.com.zone.signed
zone:
  name: example.org
  zonefile: example.org.zone.signed
zone:
  name: example.net
  zonefile: example.net.zone.signed
CONF
timeout 120 nsd -d -c nsd.conf >nsd.out 2>&1 &
PIDS+=($!)

# --- DoH server: TLS with a test CA, forwards the wire query to NSD over UDP ------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=DealProof test CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Other CA" -keyout other.key -out other.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile srv.ext -out srv.pem 2>/dev/null

# A stand-in "system" CA for the CA-replacement check below: a second DoH server
# presents a certificate from it, and it is installed (in a private mount
# namespace only) as /etc/ssl/certs, the store libcurl consults by default.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Stand-in system CA" -keyout sys.key -out sys.pem 2>/dev/null
openssl x509 -req -in srv.csr -CA sys.pem -CAkey sys.key -CAcreateserial -days 2 \
  -extfile srv.ext -out srv-sys.pem 2>/dev/null
mkdir syscerts
cp sys.pem syscerts/ca-certificates.crt
ln -s ca-certificates.crt "syscerts/$(openssl x509 -hash -noout -in sys.pem).0"

DOH_PORT=$(free_port)
SYS_DOH_PORT=$(free_port)
cat >doh.py <<'PY'
import http.server, socket, ssl, sys
port, dns_port, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
# /dns-query answers faithfully; the other paths break the answer the way a
# failing resolver would.
PATHS = ("/dns-query", "/servfail", "/wrong-type", "/cut-short")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path not in PATHS or self.headers.get("Content-Type") != "application/dns-message":
            self.send_error(400); return
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(3)
        sock.sendto(query, ("127.0.0.1", dns_port))
        answer, _ = sock.recvfrom(65535)
        sock.close()
        kind = "application/dns-message"
        if self.path == "/servfail":
            answer = answer[:3] + bytes([(answer[3] & 0xf0) | 2]) + answer[4:]
        elif self.path == "/wrong-type":
            kind = "text/html"
        elif self.path == "/cut-short":
            answer = answer[:len(answer) // 2]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
timeout 120 python3 doh.py "$DOH_PORT" "$DNS_PORT" srv.pem srv.key >doh.out 2>&1 &
PIDS+=($!)
timeout 120 python3 doh.py "$SYS_DOH_PORT" "$DNS_PORT" srv-sys.pem srv.key >doh-sys.out 2>&1 &
PIDS+=($!)

# Wait (bounded) until both servers answer.
for i in $(seq 1 50); do
  if python3 - "$DNS_PORT" "$DOH_PORT" "$SYS_DOH_PORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x06\x00\x01"
s.sendto(q, ("127.0.0.1", int(sys.argv[1]))); s.recvfrom(512)
c = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=0.2); c.close()
c = socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=0.2); c.close()
PY
  then break; fi
  [ "$i" = 50 ] && { echo "servers did not start"; cat nsd.out nsd.log doh.out 2>/dev/null; exit 1; }
  sleep 0.2
done

# --- checks -----------------------------------------------------------------------------
FAILS=0
# expect NAME WANT_EXIT JSON_FRAGMENT... -- ARGS...
expect() {
  local name=$1 want=$2; shift 2
  local frags=()
  while [ "$1" != "--" ]; do frags+=("$1"); shift; done
  shift
  local out rc=0 start end
  start=$(date +%s)
  out=$(timeout 30 $CMD --json --now "$NOW" "$@" 2>&1) || rc=$?
  end=$(date +%s)
  local ok=1
  [ "$rc" = "$want" ] || ok=0
  for f in "${frags[@]}"; do
    case "$out" in *"$f"*) ;; *) ok=0 ;; esac
  done
  if [ $ok = 1 ]; then
    echo "ok   $name (exit $rc, $((end - start)) s)"
  else
    echo "FAIL $name: exit $rc (want $want); output: $out"
    FAILS=$((FAILS + 1))
  fi
}

DNSSEC=(--dnssec --trust-anchor "$WORK/anchors.ds" --dns-server "127.0.0.1@$DNS_PORT" --timeout-ms 4000)
DNS=(--system-dns --dns-server "127.0.0.1@$DNS_PORT" --timeout-ms 4000)
DOH=(--doh "https://127.0.0.1:$DOH_PORT/dns-query" --doh-ca "$WORK/ca.pem" --timeout-ms 4000)

# dnssec: secure answer verifies and is authenticated
expect dnssec-rsa 0 '"verified":true' '"key_path":"dnssec"' '"authenticated":true' \
  '"domain":"example.com"' -- "${DNSSEC[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
expect dnssec-ed25519 0 '"verified":true' '"authenticated":true' \
  -- "${DNSSEC[@]}" "$VEC/ed25519-relaxed-relaxed.eml"
# dnssec: tampered record under a signed zone is bogus
expect dnssec-tampered 1 '"verified":false' 'bogus' '"dns_unavailable":false' \
  -- "${DNSSEC[@]}" "$VEC/dkimpy-signed-ed25519-relaxed-relaxed.eml"
# dnssec: an unsigned zone is insecure: not a verified key
expect dnssec-unsigned 1 '"verified":false' 'insecure' \
  -- "${DNSSEC[@]}" "$VEC/multi-malformed-then-good-other-domain.eml"
# dnssec: NXDOMAIN (no key at the selector) is dns_unavailable, as issue #8
# asks, with the reason
expect dnssec-nxdomain 1 '"verified":false' 'NXDOMAIN' '"dns_unavailable":true' \
  -- "${DNSSEC[@]}" "$VEC/no-key-wrong-selector.eml"
# dnssec with only example.org's anchor: example.com is insecure
expect dnssec-no-anchor 1 '"verified":false' 'insecure' \
  -- --dnssec --trust-anchor "$WORK/example.org.ds" --dns-server "127.0.0.1@$DNS_PORT" \
     --timeout-ms 4000 "$VEC/rsa2048-relaxed-relaxed.eml"

# plain dns: verifies, but says it is not authenticated
expect dns-plain 0 '"verified":true' '"key_path":"dns"' '"authenticated":false' \
  -- "${DNS[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
expect dns-unsigned-zone 0 '"verified":true' '"domain":"list.example.net"' '"authenticated":false' \
  -- "${DNS[@]}" "$VEC/multi-malformed-then-good-other-domain.eml"
expect dns-tampered-key 1 '"verified":false' 'signature did not verify' \
  -- "${DNS[@]}" "$VEC/dkimpy-signed-ed25519-relaxed-relaxed.eml"
# plain dns: a dead resolver is dns_unavailable, within the timeout
DEAD_PORT=$(free_port)
expect dns-dead-resolver 1 '"verified":false' '"dns_unavailable":true' \
  -- --system-dns --dns-server "127.0.0.1@$DEAD_PORT" --timeout-ms 1500 "$VEC/rsa2048-relaxed-relaxed.eml"

# doh: verified and authenticated over TLS with the test CA
expect doh-rsa 0 '"verified":true' '"key_path":"doh"' '"authenticated":true' \
  -- "${DOH[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
expect doh-ed25519 0 '"verified":true' '"authenticated":true' \
  -- "${DOH[@]}" "$VEC/ed25519-simple-simple.eml"
expect doh-nxdomain 1 '"verified":false' 'NXDOMAIN' '"dns_unavailable":true' \
  -- "${DOH[@]}" "$VEC/no-key-wrong-selector.eml"
# doh: a resolver that fails (SERVFAIL, wrong content type, an answer cut
# short) is dns_unavailable with the reason, never a failed signature
DOH_BASE=(--doh-ca "$WORK/ca.pem" --timeout-ms 4000)
expect doh-servfail 1 '"verified":false' 'SERVFAIL' '"dns_unavailable":true' \
  -- --doh "https://127.0.0.1:$DOH_PORT/servfail" "${DOH_BASE[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
expect doh-wrong-type 1 '"verified":false' 'not application/dns-message' '"dns_unavailable":true' \
  -- --doh "https://127.0.0.1:$DOH_PORT/wrong-type" "${DOH_BASE[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
expect doh-cut-short 1 '"verified":false' 'dns: ' '"dns_unavailable":true' \
  -- --doh "https://127.0.0.1:$DOH_PORT/cut-short" "${DOH_BASE[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
# a key record that is present but malformed is the domain's fault: invalid,
# not an outage
expect doh-bad-key-record 1 '"verified":false' '"dns_unavailable":false' \
  -- "${DOH[@]}" "$VEC/key-bad-version.eml"
# doh: a server whose certificate does not chain to the configured CA is refused
expect doh-wrong-ca 1 '"verified":false' '"dns_unavailable":true' 'TLS' \
  -- --doh "https://127.0.0.1:$DOH_PORT/dns-query" --doh-ca "$WORK/other.pem" --timeout-ms 4000 \
     "$VEC/rsa2048-relaxed-relaxed.eml"
# doh: plain http is not accepted at all (bad configuration: exit 2)
expect doh-http-refused 2 'https://' \
  -- --doh "http://127.0.0.1:$DOH_PORT/dns-query" "$VEC/rsa2048-relaxed-relaxed.eml"
# doh: nothing listening
expect doh-dead 1 '"dns_unavailable":true' \
  -- --doh "https://127.0.0.1:$DEAD_PORT/dns-query" --doh-ca "$WORK/ca.pem" --timeout-ms 1500 \
     "$VEC/rsa2048-relaxed-relaxed.eml"

# doh: a configured CA replaces the system store, it does not add to it. In a
# private mount namespace /etc/ssl/certs holds only the stand-in system CA; the
# server presents a certificate from that CA. Without --doh-ca it verifies
# (the control: libcurl does read that store); with --doh-ca naming the test CA
# it must be refused. Skipped where mount namespaces are not allowed.
if unshare -rm true 2>/dev/null; then
  cat >in-syscerts.sh <<SH
#!/bin/sh
exec unshare -rm sh -c 'mount --bind "\$0" /etc/ssl/certs && exec "\$@"' "$WORK/syscerts" $CMD "\$@"
SH
  chmod +x in-syscerts.sh
  CMD_PLAIN=$CMD
  CMD="$WORK/in-syscerts.sh"
  SYS_DOH=(--doh "https://127.0.0.1:$SYS_DOH_PORT/dns-query" --timeout-ms 4000)
  expect doh-system-store 0 '"verified":true' '"key_path":"doh"' \
    -- "${SYS_DOH[@]}" "$VEC/rsa2048-relaxed-relaxed.eml"
  expect doh-ca-replaces-system-store 1 '"verified":false' '"dns_unavailable":true' 'TLS' \
    -- "${SYS_DOH[@]}" --doh-ca "$WORK/ca.pem" "$VEC/rsa2048-relaxed-relaxed.eml"
  CMD=$CMD_PLAIN
else
  echo "skip doh-ca-replaces-system-store: no mount namespaces here (unshare -rm)"
fi

# file path, for completeness of the exit codes
expect file-verified 0 '"key_path":"file"' '"authenticated":false' \
  -- --keys "$VEC/zone.txt" "$VEC/rsa2048-relaxed-relaxed.eml"
expect file-missing-eml 2 'cannot open' -- --keys "$VEC/zone.txt" "$WORK/nonexistent.eml"
# SPEC §10: an e-mail that cannot be read as one is bad input (2), whether
# malformed or over a header limit; one with no signature is just not verified
expect file-malformed-eml 2 '"verified":false' 'malformed message' \
  -- --keys "$VEC/zone.txt" "$VEC/garbage-header-line.eml"
python3 -c 'import sys; sys.stdout.write("From: a@example.com\r\n" + "X-Pad: " + "x" * 998 + "\r\n" * 1 + ("X-Pad: " + "x" * 990 + "\r\n") * 1100 + "\r\nbody\r\n")' >big-header.eml
expect file-oversize-header 2 '"verified":false' 'header: ' \
  -- --keys "$VEC/zone.txt" "$WORK/big-header.eml"
printf 'From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n' >unsigned.eml
expect file-unsigned-eml 1 '"verified":false' 'no DKIM-Signature' \
  -- --keys "$VEC/zone.txt" "$WORK/unsigned.eml"
# the same command through dp-submit's dispatcher, when the program is built
if [ -x "$BIN/dp-submit" ]; then
  CMD="$BIN/dp-submit dkim"
  expect dp-submit-dkim-doh 0 '"verified":true' '"key_path":"doh"' -- "${DOH[@]}" "$VEC/ed25519-simple-simple.eml"
fi

if [ "$FAILS" -ne 0 ]; then
  echo "dkim_keypaths: $FAILS check(s) failed"
  echo "--- nsd.log"; cat nsd.log 2>/dev/null || true
  exit 1
fi
echo "dkim_keypaths: all checks passed"
