#!/usr/bin/env python3
"""Standalone check of the test vectors in wire-format.md, in Python with pyca/cryptography.

Usage: python3 docs/check-vectors.py [docs/wire-format.md]
Needs: pip install cryptography. Exits 0 when every vector checks out, 1 otherwise.
It decodes the envelope with a minimal protobuf reader of its own, so that no generated code is
involved: this is what an implementation in another language has to do.
"""
import hashlib
import re
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

DOMAIN = b"popw.v1.Telemetry\x00"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KEYS = {"ed25519": (1, b"\xed\x01"), "p256": (2, b"\x80\x24"), "secp256k1": (3, b"\xe7\x01")}


def b58(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf):
    """Top-level fields of a protobuf message: {number: value}."""
    out, i = {}, 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], i = varint(buf, i)
        elif wire == 2:
            length, i = varint(buf, i)
            out[number], i = buf[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire)
    return out


def check(name, v):
    wire_type, codec = KEYS[name]
    priv, pub = bytes.fromhex(v["private_key"]), bytes.fromhex(v["public_key"])
    telemetry, sig = bytes.fromhex(v["telemetry"]), bytes.fromhex(v["signature"])
    msg = DOMAIN + telemetry
    assert bytes.fromhex(v["signed_message"]) == msg, "signed_message"
    if name == "ed25519":
        key = ed25519.Ed25519PrivateKey.from_private_bytes(priv)
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert raw == pub, "public key"
        key.public_key().verify(sig, msg)
        assert key.sign(msg) == sig, "Ed25519 is deterministic"
    else:
        curve = ec.SECP256R1() if name == "p256" else ec.SECP256K1()
        key = ec.derive_private_key(int.from_bytes(priv, "big"), curve)
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        assert point == pub, "public key"
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        assert s <= curve_order(name) // 2, "low S"
        key.public_key().verify(utils.encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))
    env = fields(bytes.fromhex(v["envelope"]))
    assert env == {1: 1, 2: wire_type, 3: pub, 4: telemetry, 5: sig}, "envelope fields"
    assert fields(telemetry)[1] == codec + pub, "telemetry.device_id"
    assert v["device_id"] == "did:key:z" + b58(codec + pub), "device_id"
    assert v["envelope_hash"] == hashlib.sha256(telemetry).hexdigest(), "envelope_hash"


def curve_order(name):
    if name == "p256":
        return 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/wire-format.md"
    text = open(path, encoding="utf-8").read()
    vectors = re.findall(r"^### (\w+)\n```\n(.*?)```", text, re.M | re.S)
    if len(vectors) != 3:
        print("expected 3 vectors, found %d" % len(vectors))
        return 1
    failed = 0
    for name, body in vectors:
        v = dict(line.split(": ", 1) for line in body.strip().splitlines())
        try:
            check(name, v)
            print("%s: ok" % name)
        except Exception as e:  # report every vector, then fail
            print("%s: FAILED (%s)" % (name, e))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
