#!/usr/bin/env bash
# dkim_dkimpy_crosscheck.sh — fresh messages signed by an independent
# implementation (Debian's dkimpy, under /usr/bin/python3: SPEC §11) must
# verify with ours, and the same messages tampered must fail with both.
#
# A seeded generator makes messages the corpus does not contain: random
# header sets with folding, tabs and odd spacing, bodies with trailing
# white space, empty lines, long lines and UTF-8; all four canonicalization
# pairs; rsa-sha256 (1024/2048/4096) and ed25519-sha256; over-signed h=
# lists and l=; each also stored with LF line ends, after an mbox line and
# with a header name's case changed. Keys and zone.txt are the corpus's. Our verdict and dkimpy's
# must agree on every message. No network; bounded by timeout.
set -euo pipefail
BIN="${DP_BIN_DIR:?}"
SHARED="${DP_SHARED_DIR:?}"
PY=/usr/bin/python3
"$PY" -c 'import dkim, nacl' 2>/dev/null || { echo "dkim_dkimpy_crosscheck: python3-dkim missing (scripts/setup.sh installs it)"; exit 1; }
WORK=$(mktemp -d /tmp/dp-dkim-cross.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

timeout 600 "$PY" - "$SHARED/vectors/dkim" "$BIN/dp_dkim_cmd" "$WORK" "${DKIM_CROSSCHECK_COUNT:-60}" "${DKIM_CROSSCHECK_SEED:-20231114}" <<'PY'
import random, re, subprocess, sys
import dkim

vec, cmd, work, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# dkim.sign stamps t= with the real clock, so both sides use the real clock.
zone = {}
for line in open(f"{vec}/zone.txt"):
    if line.startswith("#") or not line.strip():
        continue
    name, _, rest = line.split(None, 2)
    zone[name.lower()] = "".join(re.findall(r'"([^"]*)"', rest)).encode()

def dnsfunc(name, timeout=5):
    return zone.get(name.decode().rstrip(".").lower(), b"")

keys = [
    (b"rsa1024", b"example.com", b"rsa-sha256", open(f"{vec}/keys/rsa1024.pem", "rb").read()),
    (b"rsa2048", b"example.com", b"rsa-sha256", open(f"{vec}/keys/rsa2048.pem", "rb").read()),
    (b"rsa4096", b"example.net", b"rsa-sha256", open(f"{vec}/keys/rsa4096.pem", "rb").read()),
    (b"ed", b"example.com", b"ed25519-sha256", open(f"{vec}/keys/ed25519.key", "rb").read().strip()),
]
rng = random.Random(int(sys.argv[5]))
words = ["alpha", "beta", "gamma", "d\u00e9j\u00e0", "\u00fcber", "data", "deal", "price", "x" * 90]

def ws():
    return rng.choice([" ", "  ", "\t", " \t "])

def text(n):
    return ws().join(rng.choice(words) for _ in range(n))

def header(name, value):
    if rng.random() < 0.3:      # fold
        parts = value.split(" ")
        value = parts[0] + "".join(rng.choice(["\r\n ", "\r\n\t", " "]) + p for p in parts[1:])
    sep = rng.choice([": ", ":", ":\t", ":  "])
    return f"{name}{sep}{value}{rng.choice(['', ' ', chr(9), '  '])}\r\n"

def message():
    hs = [header("From", "Seller <seller@example.com>"), header("To", "buyer@example.org"),
          header("Subject", text(rng.randint(1, 12))), header("Date", "Tue, 14 Nov 2023 22:13:20 +0000"),
          header("Message-ID", f"<{rng.randint(1, 10**9)}@example.com>")]
    for i in range(rng.randint(0, 4)):
        hs.append(header(rng.choice(["X-Note", "X-Empty", "Reply-To"]), text(rng.randint(0, 5))))
    rng.shuffle(hs[1:])
    lines = []
    for i in range(rng.randint(0, 30)):
        kind = rng.random()
        if kind < 0.15:
            lines.append("")
        elif kind < 0.25:
            lines.append(rng.choice([" ", "\t", "  \t"]))
        elif kind < 0.3:
            lines.append("y" * rng.randint(990, 3000))
        else:
            lines.append(text(rng.randint(1, 10)) + rng.choice(["", " ", "\t", "  "]))
    body = "\r\n".join(lines) + rng.choice(["\r\n", "", "\r\n\r\n\r\n", "\r\n \r\n"])
    return ("".join(hs) + "\r\n" + body).encode()

def ours(path):
    r = subprocess.run([cmd, "--keys", f"{vec}/zone.txt", path],
                       capture_output=True, timeout=60)
    if r.returncode not in (0, 1):
        raise SystemExit(f"{path}: exit {r.returncode}: {r.stderr.decode()}")
    return r.returncode == 0, r.stdout.decode().strip()

failures = checked = 0
for n in range(count):
    sel, dom, alg, key = rng.choice(keys)
    canon = (rng.choice([b"simple", b"relaxed"]), rng.choice([b"simple", b"relaxed"]))
    msg = message()
    include = [b"from", b"to", b"subject", b"date", b"message-id"]
    include += rng.sample([b"from", b"subject", b"x-note", b"x-empty", b"reply-to", b"to"], rng.randint(0, 4))
    length = rng.random() < 0.2
    sig = dkim.sign(msg, sel, dom, key, canonicalize=canon, signature_algorithm=alg,
                    include_headers=include, length=length)
    signed = sig + msg
    variants = [("signed", signed), ("lf-only", signed.replace(b"\r\n", b"\n")),
                ("mbox", b"From seller@example.com Tue Nov 14 22:13:20 2023\r\n" + signed),
                ("name-case", signed.replace(b"\r\nSubject", b"\r\nSUBJECT", 1))]
    head, _, body = signed.partition(b"\r\n\r\n")
    if len(body) > 4 and not length:
        i = rng.randrange(len(body))
        c = body[i:i + 1]
        if c not in (b"\r", b"\n", b" ", b"\t"):
            variants.append(("body-tampered", head + b"\r\n\r\n" + body[:i] + b"Z" + body[i + 1:]))
    variants.append(("subject-tampered", signed.replace(b"Subject", b"Subject", 1).replace(b"alpha", b"alphA", 1))
                    if b"alpha" in signed.split(b"\r\n\r\n")[0] else ("subject-added", b"Subject: forged\r\n" + signed))
    for label, data in variants:
        path = f"{work}/m{n:03d}-{label}.eml"
        open(path, "wb").write(data)
        want = bool(dkim.verify(data, dnsfunc=dnsfunc))
        got, detail = ours(path)
        checked += 1
        if label == "signed" and not want:
            print(f"generator problem: dkimpy fails its own signature on {path}")
            failures += 1
        elif got != want:
            failures += 1
            print(f"DISAGREE {path} ({sel.decode()} {canon} l={length}): dkimpy {want}, ours {got}: {detail}")
print(f"dkim_dkimpy_crosscheck: {checked} messages, {failures} disagreements")
sys.exit(1 if failures else 0)
PY
