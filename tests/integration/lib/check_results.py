#!/usr/bin/env python3
"""Independent check of DealProof results with Python's own json.dumps.

usage: check_results.py RESULTS.jsonl [--expect-agreed N] [--proof]

For every result line: report_data[0:32] must equal
sha256(json.dumps(payload, sort_keys=True)) computed here by Python, where
payload is the SPEC §5 deal attestation payload rebuilt from the result's
own final_price/terms/data_hash; report_data[32:64] must equal SPEC §5's
binding recomputed here (deal id, transcript digest, signer); the
transcript digest must equal sha256(json.dumps(transcript, sort_keys=True));
the quote's REPORTDATA field (TDX v4: offset 568) must equal report_data;
the data verification attestation (when a proof was verified) must bind
{data_hash, verified, chunk_count, algorithm} the same way (kind 2).
Prints one line per deal; exits 1 on the first mismatch.
"""
import hashlib
import json
import struct
import sys

TD_REPORT_DATA_OFFSET = 48 + 520   # header + TD report body offset of REPORTDATA (TDX 1.0)


def sha256(data):
    return hashlib.sha256(data).digest()


def binding(kind, deal_id, transcript_digest, signer_hex):
    deal = deal_id.encode()
    signer = bytes.fromhex(signer_hex[2:])
    return sha256(b"DealProof binding v1" + bytes([kind]) + struct.pack(">I", len(deal))
                  + deal + transcript_digest + signer)


def quote_report_data(quote_hex):
    quote = bytes.fromhex(quote_hex[2:] if quote_hex.startswith("0x") else quote_hex)
    version = struct.unpack_from("<H", quote, 0)[0]
    if version != 4:
        raise ValueError(f"quote version {version}, expected 4")
    return quote[TD_REPORT_DATA_OFFSET:TD_REPORT_DATA_OFFSET + 64]


def fail(deal_id, what):
    print(f"FAIL {deal_id}: {what}")
    sys.exit(1)


def check(result, want_proof):
    deal_id = result["deal_id"]
    transcript_digest = sha256(json.dumps(result["transcript"], sort_keys=True).encode())
    if result.get("transcript_digest") != transcript_digest.hex():
        fail(deal_id, "transcript_digest differs from Python's")
    if result["status"] != "agreed":
        return False
    payload = {"final_price": result["final_price"], "terms": result["terms"]}
    verification = result.get("verification")
    if verification and verification.get("verified"):
        payload["data_hash"] = result["data_hash"]
        payload["data_verified"] = True
    elif want_proof:
        fail(deal_id, "no verified seller proof")
    report_data = bytes.fromhex(result["report_data"])
    expected0 = sha256(json.dumps(payload, sort_keys=True).encode())
    if report_data[:32] != expected0:
        fail(deal_id, f"report_data[0:32] != sha256({json.dumps(payload, sort_keys=True)})")
    if report_data[32:] != binding(1, deal_id, transcript_digest, result["signer"]):
        fail(deal_id, "report_data[32:64] != SPEC §5 binding")
    if quote_report_data(result["attestation"]) != report_data:
        fail(deal_id, "quote REPORTDATA != report_data")
    if verification and verification.get("verified"):
        data_payload = {"data_hash": result["data_hash"], "verified": True,
                        "chunk_count": verification["chunk_count"], "algorithm": "sha256"}
        data_rd = quote_report_data(result["data_verification_attestation"])
        if data_rd[:32] != sha256(json.dumps(data_payload, sort_keys=True).encode()):
            fail(deal_id, "data verification report_data[0:32] mismatch")
        if data_rd[32:] != binding(2, deal_id, bytes(32), result["signer"]):
            fail(deal_id, "data verification report_data[32:64] mismatch")
    print(f"ok {deal_id} {result['final_price']} {json.dumps(payload, sort_keys=True)}")
    return True


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        sys.exit(2)
    path = args[0]
    expect_agreed = None
    if "--expect-agreed" in args:
        expect_agreed = int(args[args.index("--expect-agreed") + 1])
    want_proof = "--proof" in args
    agreed = 0
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                result = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"line {number}", f"not JSON: {e}")
            agreed += check(result, want_proof)
    if expect_agreed is not None and agreed != expect_agreed:
        print(f"FAIL: {agreed} agreed, expected {expect_agreed}")
        sys.exit(1)
    print(f"checked: {agreed} agreed")


if __name__ == "__main__":
    main()
