#!/usr/bin/env python3
"""fake_tee.py - a dstack / tappd guest-agent stand-in for the TEE client tests.

Speaks the pRPC-over-HTTP JSON protocol of ../shared/notes/tdx.md section 3 on a
unix socket (--unix PATH) or on 127.0.0.1 (--port-file FILE: an ephemeral port,
written to FILE once listening). Standard library only.

APIs (--api):
  dstack        POST /GetQuote, /GetKey, /Info            (DstackGuest)
  tappd         POST /prpc/Tappd.RawQuote, .TdxQuote, .DeriveK256Key, .Info
  tappd-legacy  like the phalanetwork/tappd-simulator: only Tappd.TdxQuote and
                Tappd.DeriveKey (RawQuote and Info answer 404)

Quotes are the recorded quote in --quote (hex file) with bytes 568..632 replaced
by the report data, exactly as the dstack simulator does; TdxQuote applies the
real hash_algorithm rules (default sha512 over "app-data:" || data, "raw" needs
exactly 64 bytes), so a client that forgets "raw" gets the wrong REPORTDATA.

Every request is appended to --log as one JSON line {path, method, content_type,
body} so the C test can check the exact requests. Faults: --fail N (first N
requests answer HTTP 500), --garbage (200 with a broken JSON body), --delay S
(sleep before answering), --no-patch (quote keeps its recorded REPORTDATA).

The server exits after --lifetime seconds (default 60) or when its parent dies,
so a crashed test never leaves it running.
"""

import argparse
import hashlib
import json
import os
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler


class Config:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = 0
        with open(args.quote) as f:
            text = f.read().strip()
        if text.startswith("0x"):
            text = text[2:]
        self.quote = bytearray(bytes.fromhex(text))
        self.event_log = "[]"
        if args.event_log:
            with open(args.event_log) as f:
                self.event_log = json.dumps(json.load(f))


def tappd_report_data(data, algorithm, prefix):
    """REPORTDATA the way the tappd TdxQuote handler computes it."""
    if algorithm == "raw":
        if len(data) != 64:
            raise ValueError("invalid content length")
        return data
    tag = (prefix or "app-data").encode()
    hashers = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512,
               "sha3-256": hashlib.sha3_256, "sha3-384": hashlib.sha3_384,
               "sha3-512": hashlib.sha3_512}
    if algorithm not in hashers:
        raise ValueError("unsupported hash algorithm")
    return hashers[algorithm](tag + b":" + data).digest().ljust(64, b"\0")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def address_string(self):
        return "test"

    def reply(self, status, obj=None, raw=None):
        payload = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.reply(405, {"error": "tests expect POST"})

    def do_POST(self):
        cfg = self.server.cfg
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        ctype = self.headers.get("Content-Type")
        with cfg.lock:
            cfg.count += 1
            n = cfg.count
            if cfg.args.log:
                with open(cfg.args.log, "a") as f:
                    f.write(json.dumps({"path": self.path, "method": "POST", "content_type": ctype,
                                        "body": body.decode("utf-8", "replace")}) + "\n")
        if cfg.args.delay:
            time.sleep(cfg.args.delay)
        if n <= cfg.args.fail:
            return self.reply(500, {"error": "injected failure %d" % n})
        if cfg.args.garbage:
            return self.reply(200, raw=b'{"quote": "0400' + b"\x00\xff garbage")
        if ctype != "application/json":
            return self.reply(400, {"error": "expected application/json, got %s" % ctype})
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return self.reply(400, {"error": "bad json"})
        route = self.server.routes.get(self.path)
        if route is None:
            return self.reply(404, {"error": "Method not found: %s" % self.path})
        try:
            status, answer = route(self, request)
        except (ValueError, KeyError) as exc:
            return self.reply(400, {"error": str(exc)})
        self.reply(status, answer)

    # --- answers -----------------------------------------------------------

    def quote_for(self, report_data):
        cfg = self.server.cfg
        quote = bytearray(cfg.quote)
        if not cfg.args.no_patch:
            quote[568:632] = report_data
        return quote.hex()

    def dstack_quote(self, request):
        data = bytes.fromhex(request["report_data"].removeprefix("0x"))
        if len(data) > 64:
            raise ValueError("report data too long")
        data = data.ljust(64, b"\0")
        return 200, {"quote": self.quote_for(data), "event_log": self.server.cfg.event_log,
                     "report_data": data.hex(), "vm_config": "{}"}

    def tappd_raw_quote(self, request):
        data = bytes.fromhex(request["report_data"].removeprefix("0x"))
        if len(data) != 64:
            raise ValueError("invalid content length")
        return 200, {"quote": self.quote_for(data), "event_log": self.server.cfg.event_log}

    def tappd_tdx_quote(self, request):
        data = bytes.fromhex(request["report_data"].removeprefix("0x"))
        algorithm = request.get("hash_algorithm") or "sha512"
        report = tappd_report_data(data, algorithm, request.get("prefix"))
        return 200, {"quote": self.quote_for(report), "event_log": self.server.cfg.event_log,
                     "hash_algorithm": algorithm, "prefix": "" if algorithm == "raw" else "app-data"}

    def dstack_key(self, request):
        if not request.get("path"):
            raise ValueError("path is required")
        if request.get("algorithm", "secp256k1") not in ("secp256k1", "k256"):
            raise ValueError("unsupported algorithm")
        return 200, {"key": self.server.cfg.args.key, "signature_chain": ["00" * 65, "00" * 65]}

    def tappd_k256_key(self, request):
        if not request.get("path"):
            raise ValueError("path is required")
        return 200, {"k256_key": self.server.cfg.args.key, "k256_signature_chain": ["00" * 65]}

    def tappd_derive_key(self, request):
        return 200, {"key": "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
                     "certificate_chain": []}

    def info(self, request):
        return 200, {"app_id": "ab" * 20, "instance_id": "cd" * 20, "app_name": "dealproof-test",
                     "tcb_info": json.dumps({"mrtd": "00" * 48, "rtmr3": "00" * 48})}


ROUTES = {
    "dstack": {"/GetQuote": Handler.dstack_quote, "/GetKey": Handler.dstack_key,
               "/Info": Handler.info},
    "tappd": {"/prpc/Tappd.RawQuote": Handler.tappd_raw_quote,
              "/prpc/Tappd.TdxQuote": Handler.tappd_tdx_quote,
              "/prpc/Tappd.DeriveK256Key": Handler.tappd_k256_key,
              "/prpc/Tappd.Info": Handler.info},
    "tappd-legacy": {"/prpc/Tappd.TdxQuote": Handler.tappd_tdx_quote,
                     "/prpc/Tappd.DeriveKey": Handler.tappd_derive_key},
}


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("unix", 0)


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=sorted(ROUTES), required=True)
    parser.add_argument("--unix")
    parser.add_argument("--port-file")
    parser.add_argument("--quote", required=True)
    parser.add_argument("--event-log")
    parser.add_argument("--key", default="4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    parser.add_argument("--log")
    parser.add_argument("--fail", type=int, default=0)
    parser.add_argument("--garbage", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--no-patch", action="store_true")
    parser.add_argument("--lifetime", type=float, default=60.0)
    args = parser.parse_args()
    if bool(args.unix) == bool(args.port_file):
        parser.error("give exactly one of --unix and --port-file")

    if args.unix:
        # Bind and listen under a temporary name, then rename: the socket
        # appears only once it accepts connections (no start-up race).
        temp = args.unix + ".starting"
        server = UnixServer(temp, Handler)
        os.rename(temp, args.unix)
    else:
        server = TcpServer(("127.0.0.1", 0), Handler)
    server.cfg = Config(args)
    server.routes = ROUTES[args.api]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.port_file)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    parent = os.getppid()
    deadline = time.monotonic() + args.lifetime
    try:
        while time.monotonic() < deadline and os.getppid() == parent:
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    if args.unix:
        try:
            os.unlink(args.unix)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
