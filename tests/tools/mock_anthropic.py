#!/usr/bin/env python3
"""A scripted Anthropic Messages API server for the Claude backend tests.

Usage: mock_anthropic.py SCRIPT.jsonl LOG.jsonl
Binds 127.0.0.1 on a free port and prints the port on the first line of
stdout. POST /v1/messages answers request n with line n of the script (the
last line repeats once the script is used up). A script line is a JSON
object with any of:
  status        HTTP status (200)
  headers       extra response headers {name: value}
  move          shortcut: a 200 message whose one content block is the
                tool_use `submit_move` with this input
  text          shortcut: a 200 message with one text block
  body          a JSON value sent as the body
  raw           a string sent as the body as is
  content_type  (application/json)
  delay_ms      wait before the status line
  trickle_bps   send the body this many bytes per second
  close_after   close the connection after this many body bytes
                (Content-Length still announces the whole body)
  pad_bytes     append this many spaces to a JSON body (size cap tests)
  stop_reason   for move/text shortcuts (tool_use / end_turn)
Every request is appended to LOG as {"n", "path", "headers", "body"}.
Python standard library only; exits when stdin closes or on SIGTERM.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPT = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
LOG = open(sys.argv[2], "a", buffering=1)
LOCK = threading.Lock()
COUNT = [0]


def message(entry):
    usage = {"input_tokens": 100, "output_tokens": 20}
    if "move" in entry:
        content = [{"type": "tool_use", "id": "toolu_mock", "name": "submit_move",
                    "input": entry["move"]}]
        stop = entry.get("stop_reason", "tool_use")
    else:
        content = [{"type": "text", "text": entry["text"]}]
        stop = entry.get("stop_reason", "end_turn")
    return {"id": "msg_mock", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-6", "content": content, "stop_reason": stop,
            "stop_sequence": None, "usage": usage}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        with LOCK:
            n = COUNT[0]
            COUNT[0] += 1
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            LOG.write(json.dumps({"n": n, "path": self.path,
                                  "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body}) + "\n")
        entry = SCRIPT[min(n, len(SCRIPT) - 1)]
        if entry.get("delay_ms"):
            time.sleep(entry["delay_ms"] / 1000.0)
        if "raw" in entry:
            data = entry["raw"].encode()
        elif "body" in entry:
            data = json.dumps(entry["body"]).encode()
        else:
            data = json.dumps(message(entry)).encode()
        data += b" " * entry.get("pad_bytes", 0)
        try:
            self.send_response(entry.get("status", 200))
            self.send_header("content-type", entry.get("content_type", "application/json"))
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_mock_%d" % n)
            for k, v in entry.get("headers", {}).items():
                self.send_header(k, str(v))
            self.end_headers()
            self.send_body(entry, data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_body(self, entry, data):
        if "close_after" in entry:
            self.wfile.write(data[:entry["close_after"]])
            self.wfile.flush()
            self.close_connection = True
            return
        bps = entry.get("trickle_bps")
        if not bps:
            self.wfile.write(data)
            return
        for i in range(0, len(data), max(1, bps // 10)):
            self.wfile.write(data[i:i + max(1, bps // 10)])
            self.wfile.flush()
            time.sleep(0.1)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    try:
        sys.stdout.write("%d\n" % server.server_address[1])
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()        # the test closes our stdin (or kills us) to stop
    server.shutdown()


if __name__ == "__main__":
    main()
