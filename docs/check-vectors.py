#!/usr/bin/env python3
"""Standalone check of the test vectors in wire-format.md, in Python with pyca/cryptography.

Usage: python3 docs/check-vectors.py [docs/wire-format.md]
Needs: pip install cryptography. Exits 0 when every vector checks out, 1 otherwise.
It decodes envelopes and registrations with a minimal protobuf reader of its own, so that no
generated code is involved, and computes the EIP-712 digest with a keccak-256 of its own (Python's
hashlib has SHA3-256, whose padding differs): this is what an implementation in another language
has to do.
"""
import hashlib
import re
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

DOMAIN = b"popw.v1.Telemetry\x00"
REGISTRATION_DOMAIN = b"popw.v1.Registration\x00"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KEYS = {"ed25519": (1, b"\xed\x01"), "p256": (2, b"\x80\x24"), "secp256k1": (3, b"\xe7\x01")}


# keccak-256 as Ethereum uses it: Keccak[c=512] with the original 0x01 padding (FIPS 202 SHA3 pads 0x06).
_RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
       0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
       0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
       0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
       0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M = (1 << 64) - 1


def _rol(v, n):
    return ((v << n) | (v >> (64 - n))) & _M if n else v


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    pad = rate - len(data) % rate  # 1 to 136 bytes: 0x01, zeros, 0x80; one byte holds both, 0x81
    padded = bytearray(data) + (b"\x81" if pad == 1 else b"\x01" + b"\x00" * (pad - 2) + b"\x80")
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = _keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


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


def verify_signature(name, priv, pub, msg, sig):
    """Checks that priv is pub's key and that sig is a canonical signature of msg by it."""
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


def check(name, v):
    wire_type, codec = KEYS[name]
    priv, pub = bytes.fromhex(v["private_key"]), bytes.fromhex(v["public_key"])
    telemetry, sig = bytes.fromhex(v["telemetry"]), bytes.fromhex(v["signature"])
    msg = DOMAIN + telemetry
    assert bytes.fromhex(v["signed_message"]) == msg, "signed_message"
    verify_signature(name, priv, pub, msg, sig)
    env = fields(bytes.fromhex(v["envelope"]))
    assert env == {1: 1, 2: wire_type, 3: pub, 4: telemetry, 5: sig}, "envelope fields"
    assert fields(telemetry)[1] == codec + pub, "telemetry.device_id"
    assert v["device_id"] == "did:key:z" + b58(codec + pub), "device_id"
    assert v["envelope_hash"] == hashlib.sha256(telemetry).hexdigest(), "envelope_hash"


def check_registration(name, v):
    wire_type, codec = KEYS[name]
    priv, pub = bytes.fromhex(v["private_key"]), bytes.fromhex(v["public_key"])
    registration, sig = bytes.fromhex(v["registration"]), bytes.fromhex(v["signature"])
    msg = REGISTRATION_DOMAIN + registration
    assert bytes.fromhex(v["signed_message"]) == msg, "signed_message"
    verify_signature(name, priv, pub, msg, sig)
    assert fields(bytes.fromhex(v["signed_registration"])) == {1: registration, 2: sig}, "SignedRegistration fields"
    reg = fields(registration)
    assert reg[1] == wire_type and reg[2] == pub, "key type and public key"
    assert reg[3] == bytes.fromhex(v["owner"][2:]), "owner"
    assert reg[4] == 1, "kind SENSOR"
    assert reg[6] == 1795521600000 and reg[7] == b"popw-devnet", "timestamp and network"
    assert 5 in reg, "location"
    assert v["device_id"] == "did:key:z" + b58(codec + pub), "device_id"


def word(value):
    """One 32-byte ABI word: an int, or bytes right-aligned (address) or exactly 32 bytes."""
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    return value.rjust(32, b"\0")


def check_eip712(v):
    priv, pub = bytes.fromhex(v["device_private_key"]), bytes.fromhex(v["device_public_key"])
    key = ec.derive_private_key(int.from_bytes(priv, "big"), ec.SECP256K1())
    xy = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)[1:]
    assert xy.hex() == v["device_public_key_xy"], "uncompressed key"
    compressed = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    assert compressed == pub, "public key"
    address = keccak256(xy)[12:]
    assert address.hex() == v["device_address"][2:].lower(), "device address"
    device_id = keccak256(b"\xe7\x01" + pub)
    assert device_id.hex() == v["device_id"], "device id"
    contract, owner = bytes.fromhex(v["verifying_contract"][2:]), bytes.fromhex(v["owner"][2:])
    domain_type = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    domain = keccak256(word(keccak256(domain_type)) + word(keccak256(b"PoPW DeviceRegistry")) + word(keccak256(b"1"))
                       + word(int(v["chain_id"])) + word(contract))
    assert domain.hex() == v["domain_separator"], "domain separator"
    typehash = keccak256(b"Register(bytes32 deviceId,address owner,uint8 kind,uint256 nonce)")
    assert typehash.hex() == v["register_typehash"], "REGISTER_TYPEHASH"
    struct = keccak256(word(typehash) + word(device_id) + word(owner) + word(int(v["kind"])) + word(int(v["nonce"])))
    assert struct.hex() == v["struct_hash"], "struct hash"
    digest = keccak256(b"\x19\x01" + domain + struct)
    assert digest.hex() == v["digest"], "digest"
    sig = bytes.fromhex(v["signature"])
    assert len(sig) == 65 and sig[64] in (27, 28), "r || s || v"
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big")
    assert s <= curve_order("secp256k1") // 2, "low S"
    key.public_key().verify(utils.encode_dss_signature(r, s), digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def check_receipt(v):
    """The signed receipt vector: Ed25519 by the coordinator key over "popw.v1.Receipt" || 0x00 || receipt."""
    h = bytes.fromhex
    sk = ed25519.Ed25519PrivateKey.from_private_bytes(h(v["coordinator_private_key"]))
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert pk == h(v["coordinator_public_key"]), "coordinator public key"
    receipt = h(v["receipt"])
    message = b"popw.v1.Receipt\0" + receipt
    assert message == h(v["signed_message"]), "signed_message"
    assert sk.sign(message) == h(v["signature"]), "signature (Ed25519 is deterministic)"
    ed25519.Ed25519PublicKey.from_public_bytes(pk).verify(h(v["signature"]), message)
    signed = fields(h(v["signed_receipt"]))
    assert signed == {1: receipt, 2: h(v["signature"]), 3: pk}, "signed_receipt fields"
    r = fields(receipt)
    assert r[16][:2] == b"\xed\x01" and len(r[16]) == 34, "device_id is an Ed25519 device id, binary form"
    assert "did:key:z" + b58(r[16]) == v["device_id"], "device_id"
    assert r[3] == 1, "status ACCEPTED"


def check_receipt_group(v):
    """Receipts signed in groups: leaves, sorted-pair nodes, the root's signature, and each signed receipt's path."""
    h = bytes.fromhex
    sha = lambda b: hashlib.sha256(b).digest()
    leaf = lambda r: sha(b"popw.v1.ReceiptLeaf\0" + r)
    node = lambda a, b: sha(b"popw.v1.ReceiptNode\0" + min(a, b) + max(a, b))
    receipts = [h(v["receipt_%d" % i]) for i in range(3)]
    leaves = [leaf(r) for r in receipts]
    assert [l.hex() for l in leaves] == [v["leaf_%d" % i] for i in range(3)], "leaves"
    assert node(leaves[0], leaves[1]) == h(v["node_01"]), "node 01"
    root = node(h(v["node_01"]), leaves[2])
    assert root == h(v["root"]), "root: leaf 2 moved up unpaired"
    assert b"popw.v1.ReceiptRoot\0" + root == h(v["root_message"]), "root_message"
    pk = ed25519.Ed25519PublicKey.from_public_bytes(h(v["coordinator_public_key"]))
    pk.verify(h(v["signature"]), h(v["root_message"]))
    for i, path in ((0, [leaves[1], leaves[2]]), (2, [h(v["node_01"])])):
        f = fields_all(h(v["signed_receipt_%d" % i]))
        assert f[1] == [receipts[i]] and f[2] == [h(v["signature"])] and f[3] == [h(v["coordinator_public_key"])], "signed receipt %d" % i
        assert f[4] == path, "receipt %d's path" % i
        x = leaf(f[1][0])
        for sibling in f[4]:
            x = node(x, sibling)
        assert x == root, "receipt %d's path leads to the root" % i
        assert fields(receipts[i])[2] == 42 + i, "sequence"


# ----- GPU capacity proofs (docs/gpu-proofs.md): an independent implementation of the work -----

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def fields_all(buf):
    """Every field of a protobuf message: {number: [values]}; packed varints stay as bytes."""
    out, i = {}, 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def packed(buf):
    values, i = [], 0
    while i < len(buf):
        v, i = varint(buf, i)
        values.append(v)
    return values


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def stream_key(tag, seed, index):
    return int.from_bytes(hashlib.sha256(tag + b"\0" + seed + index.to_bytes(4, "big")).digest()[:8], "little")


def stream(key, first_word, count):
    out = b"".join(mix((key + (w + 1) * GOLDEN) & M64).to_bytes(8, "little") for w in range(first_word, first_word + count // 8))
    return [b - 256 if b > 127 else b for b in out]


def matrices(seed, n, m):
    a = stream(stream_key(b"popw.v1.gpu.A", seed, m), 0, n * n)
    b = stream(stream_key(b"popw.v1.gpu.B", seed, m), 0, n * n)
    A = [a[r * n:(r + 1) * n] for r in range(n)]
    B = [[b[c * n + r] for c in range(n)] for r in range(n)]  # B's stream is column-major
    return A, B


def morton(row, col):
    z = 0
    for bit in range(32):
        z |= ((col >> bit) & 1) << (2 * bit) | ((row >> bit) & 1) << (2 * bit + 1)
    return z


def tile_bytes(C, t, ti, tj):
    return b"".join(C[ti * t + i][tj * t + j].to_bytes(4, "little", signed=True) for i in range(t) for j in range(t))


def leaf_hash(index, data):
    return hashlib.sha256(b"\0" + index.to_bytes(8, "big") + data).digest()


def node(left, right):
    return hashlib.sha256(b"\1" + left + right).digest()


def gpu_tree(seed, n, t, count):
    """All leaf hashes and tile bytes of `count` products, and the root (leaves padded with zeros)."""
    side = n // t
    tiles, leaves = {}, {}
    for m in range(count):
        A, B = matrices(seed, n, m)
        C = [[sum(A[i][k] * B[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
        for ti in range(side):
            for tj in range(side):
                index = m * side * side + morton(ti, tj)
                tiles[index] = tile_bytes(C, t, ti, tj)
                leaves[index] = leaf_hash(index, tiles[index])
    width = 1
    while width < len(leaves):
        width *= 2
    level = [leaves.get(i, bytes(32)) for i in range(width)]
    while len(level) > 1:
        level = [node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return tiles, leaves, level[0]


def check_gpu_challenge(v):
    h = bytes.fromhex
    sk = ed25519.Ed25519PrivateKey.from_private_bytes(h(v["coordinator_private_key"]))
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert pk == h(v["coordinator_public_key"]), "coordinator public key"
    challenge = h(v["challenge"])
    message = b"popw.v1.Challenge\0" + challenge
    assert message == h(v["signed_message"]), "signed_message"
    assert sk.sign(message) == h(v["signature"]), "signature"
    assert fields(h(v["signed_challenge"])) == {1: challenge, 2: h(v["signature"]), 3: pk}, "signed_challenge fields"
    c = fields(challenge)
    assert c[1] == 7 and "did:key:z" + b58(c[2]) == v["device_id"], "id and device"
    work = fields(c[4])
    assert (work[2], work[3], work[4], work[8]) == (16, 8, 2, 1024), "n, tile, matrices, probe_bytes"


def check_gpu_work(v):
    seed, n, t, count = bytes.fromhex(v["seed"]), int(v["n"]), int(v["tile"]), int(v["matrices"])
    assert "%x" % stream_key(b"popw.v1.gpu.A", seed, 1) == v["key_a_1"], "key_a_1"
    assert "%x" % stream_key(b"popw.v1.gpu.B", seed, 1) == v["key_b_1"], "key_b_1"
    A, B = matrices(seed, n, 1)
    assert ",".join(map(str, A[3])) == v["a_1_row_3"], "row 3 of A_1"
    assert ",".join(str(B[r][5]) for r in range(n)) == v["b_1_column_5"], "column 5 of B_1"
    tiles, leaves, root = gpu_tree(seed, n, t, count)
    leaf = int(v["leaf_of_product_1_tile_row_1_column_0"])
    assert leaf == (n // t) ** 2 + morton(1, 0), "leaf index"
    assert tiles[leaf].hex() == v["tile_%d" % leaf], "tile bytes"
    assert leaves[leaf].hex() == v["leaf_hash_%d" % leaf], "leaf hash"
    assert root.hex() == v["root"], "root"


def draw(tag, open_seed, root, count, modulus):
    out, i = [], 0
    while len(out) < min(count, modulus):
        x = int.from_bytes(hashlib.sha256(tag + b"\0" + open_seed + root + i.to_bytes(4, "big")).digest()[:8], "big") % modulus
        if x not in out:
            out.append(x)
        i += 1
    return out


def check_gpu_opening(v, work):
    h = bytes.fromhex
    seed, n, t, count = h(work["seed"]), int(work["n"]), int(work["tile"]), int(work["matrices"])
    open_seed, root = h(v["open_seed"]), h(v["root"])
    tiles, leaves, computed_root = gpu_tree(seed, n, t, count)
    assert computed_root == root, "root"
    chosen = draw(b"popw.v1.gpu.open", open_seed, root, 3, len(leaves))
    assert ",".join(map(str, chosen)) == v["tiles_k3"], "tiles named"
    blocks_named = draw(b"popw.v1.gpu.probe", open_seed, root, 2, 1024 // 64)
    assert ",".join(map(str, blocks_named)) == v["probe_blocks_q2"], "probe blocks named"
    leaf = chosen[0]
    data = h(v["tile_%d" % leaf])
    assert data == tiles[leaf], "opened tile"
    node_hash, index = leaf_hash(leaf, data), leaf
    for sibling in v["proof_%d" % leaf].split(","):
        node_hash = node(node_hash, h(sibling)) if index % 2 == 0 else node(h(sibling), node_hash)
        index //= 2
    assert node_hash == root, "Merkle proof"
    key = stream_key(b"popw.v1.gpu.P", seed, 0)
    block = blocks_named[0]
    expected = b"".join(mix((key + (8 * block + j + 1) * GOLDEN) & M64).to_bytes(8, "little") for j in range(8))
    assert expected.hex() == v["probe_block_%d" % block], "probe block"
    fkey = int.from_bytes(hashlib.sha256(b"popw.v1.gpu.freivalds\0" + open_seed + leaf.to_bytes(8, "big")
                                         + (0).to_bytes(4, "big")).digest()[:8], "little")
    r = [mix((fkey + (j + 1) * GOLDEN) & M64) for j in range(t)]
    assert ",".join("%x" % x for x in r) == v["freivalds_%d_round_0" % leaf], "Freivalds vector"
    # Freivalds' equation for the opened tile, modulo 2^64: A_rows (B_cols r) == C_tile r.
    side = n // t
    m, p = divmod(leaf, side * side)
    ti = int("".join(str((p >> (2 * b + 1)) & 1) for b in reversed(range(16))), 2)
    tj = int("".join(str((p >> (2 * b)) & 1) for b in reversed(range(16))), 2)
    A, B = matrices(seed, n, m)
    u = [sum(B[k][tj * t + j] * r[j] for j in range(t)) for k in range(n)]
    c = [int.from_bytes(data[4 * q:4 * q + 4], "little", signed=True) for q in range(t * t)]
    for i in range(t):
        left = sum(A[ti * t + i][k] * u[k] for k in range(n)) & M64
        right = sum(c[i * t + j] * r[j] for j in range(t)) & M64
        assert left == right, "Freivalds row %d" % i
    sk = ed25519.Ed25519PrivateKey.from_private_bytes(h(COORDINATOR_KEY))
    request = h(v["open_request_challenge"])
    signed = fields(h(v["signed_open_request"]))
    assert signed[1] == request and signed[2] == sk.sign(b"popw.v1.Challenge\0" + request), "open request signature"
    body = fields_all(fields(request)[5])
    assert body[1][0] == root and packed(body[2][0]) == chosen and packed(body[3][0]) == blocks_named, "open request fields"


def check_gpu_commitment(v, work, device_private_key):
    h = bytes.fromhex
    telemetry = h(v["telemetry"])
    env = fields(h(v["envelope"]))
    sk = ed25519.Ed25519PrivateKey.from_private_bytes(h(device_private_key))
    assert env[4] == telemetry and sk.sign(DOMAIN + telemetry) == env[5], "envelope signature"
    report = fields(telemetry)[10]
    assert report == h(v["gpu_report"]), "GpuReport in telemetry field 10"
    proof = fields(fields(report)[16])
    assert proof[1] == 7, "challenge id"
    assert fields(proof[2])[1].hex() == work["root"], "commitment root"
    assert hashlib.sha256(telemetry).hexdigest() == v["envelope_hash"], "envelope hash"


COORDINATOR_KEY = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"


def curve_order(name):
    if name == "p256":
        return 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def blocks(text, pattern):
    return [(name, dict(line.split(": ", 1) for line in body.strip().splitlines()))
            for name, body in re.findall(r"^### " + pattern + r"\n```\n(.*?)```", text, re.M | re.S)]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/wire-format.md"
    text = open(path, encoding="utf-8").read()
    checks = [(name, lambda v, n=name: check(n, v)) for name, v in blocks(text, r"(\w+)")]
    checks += [("registration " + name, lambda v, n=name: check_registration(n, v)) for name, v in blocks(text, r"registration (\w+)")]
    checks += [("eip712 self-registration", check_eip712) for _, v in blocks(text, r"(eip712 self-registration)")]
    vectors = dict(blocks(text, r"(\w+)"))
    vectors.update({"registration " + n: v for n, v in blocks(text, r"registration (\w+)")})
    vectors.update({n: v for n, v in blocks(text, r"(eip712 self-registration)")})
    checks += [("receipt ed25519", lambda v: check_receipt(v)) for _, v in blocks(text, r"(receipt ed25519)")]
    vectors.update({n: v for n, v in blocks(text, r"(receipt ed25519)")})
    checks += [("receipt group ed25519", check_receipt_group) for _, v in blocks(text, r"(receipt group ed25519)")]
    vectors.update({n: v for n, v in blocks(text, r"(receipt group ed25519)")})
    gpu = dict(blocks(text, r"(gpu [a-z ]+)"))
    if gpu:
        vectors.update(gpu)
        checks += [("gpu challenge", check_gpu_challenge), ("gpu work", check_gpu_work),
                   ("gpu opening", lambda v: check_gpu_opening(v, gpu["gpu work"])),
                   ("gpu commitment envelope", lambda v: check_gpu_commitment(v, gpu["gpu work"], vectors["ed25519"]["private_key"]))]
    if len(checks) != 13:
        print("expected 13 vectors (3 envelopes, 3 registrations, 1 EIP-712, 2 receipts, 4 GPU proof), found %d" % len(checks))
        return 1
    failed = 0
    for name, fn in checks:
        try:
            fn(vectors[name])
            print("%s: ok" % name)
        except Exception as e:  # report every vector, then fail
            print("%s: FAILED (%s)" % (name, e))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
