#!/usr/bin/env python3
"""result_signers.py RESULT.json|jsonl ... — SPEC §6 done independently of
DealProof's C code: for each result, result_hash = SHA-256 of Python's
json.dumps(sort_keys=True) of the result without the unsigned keys, then
ethers 6 (contracts/node_modules, via recover_signers.mjs) recovers the
EIP-191 signer of that hash. Prints "ok DEAL_ID SIGNER" per result whose
recovered address is its `signer`, "BAD DEAL_ID ..." otherwise; exit 1 if
any is bad. Env: DP_SOURCE_DIR (the checkout)."""
import json, os, subprocess, sys
from hashlib import sha256

UNSIGNED = {"signature", "release_signature", "escrow_tx", "completion_tx", "worker", "timings", "usage"}

def results(path):
    text = open(path, encoding="utf-8").read().strip()
    try:
        doc = json.loads(text)
        return doc if isinstance(doc, list) else [doc]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]

lines = []
for path in sys.argv[1:]:
    for r in results(path):
        signed = {k: v for k, v in r.items() if k not in UNSIGNED}
        digest = sha256(json.dumps(signed, sort_keys=True).encode()).hexdigest()
        lines.append(f"{r['deal_id']} {digest} {r['signature']} {r['signer']}")
script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recover_signers.mjs")
run = subprocess.run(["node", script, os.environ["DP_SOURCE_DIR"]], input="\n".join(lines) + "\n",
                     text=True, capture_output=True)
sys.stdout.write(run.stdout)
sys.stderr.write(run.stderr)
sys.exit(run.returncode)
