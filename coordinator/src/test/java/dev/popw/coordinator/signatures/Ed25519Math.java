package dev.popw.coordinator.signatures;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Ed25519 point arithmetic on BigInteger (RFC 8032 5.1), slow and plain, to craft what no library
 * signs: signatures whose R carries a small-order component, keys of mixed order, small-order
 * points. Test code only.
 */
final class Ed25519Math {
  static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
  static final BigInteger D = BigInteger.valueOf(-121665).multiply(BigInteger.valueOf(121666).modInverse(P)).mod(P);
  private static final BigInteger SQRT_M1 = BigInteger.TWO.modPow(P.subtract(BigInteger.ONE).shiftRight(2), P);

  record Pt(BigInteger x, BigInteger y, BigInteger z, BigInteger t) {}

  static final Pt ZERO = new Pt(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO);
  static final Pt B = decode(HexFormat.of().parseHex("5866666666666666666666666666666666666666666666666666666666666666"));
  /** A point of order 8 (its multiples are the whole small-order subgroup). */
  static final Pt T8 = decode(HexFormat.of().parseHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"));

  private Ed25519Math() {}

  static Pt add(Pt p, Pt q) {
    BigInteger a = p.y.subtract(p.x).multiply(q.y.subtract(q.x)).mod(P);
    BigInteger b = p.y.add(p.x).multiply(q.y.add(q.x)).mod(P);
    BigInteger c = p.t.multiply(BigInteger.TWO).multiply(D).multiply(q.t).mod(P);
    BigInteger d = p.z.multiply(BigInteger.TWO).multiply(q.z).mod(P);
    BigInteger e = b.subtract(a);
    BigInteger f = d.subtract(c);
    BigInteger g = d.add(c);
    BigInteger h = b.add(a);
    return new Pt(e.multiply(f).mod(P), g.multiply(h).mod(P), f.multiply(g).mod(P), e.multiply(h).mod(P));
  }

  static Pt mul(BigInteger k, Pt p) {
    Pt r = ZERO;
    for (int i = k.bitLength() - 1; i >= 0; i--) {
      r = add(r, r);
      if (k.testBit(i)) {
        r = add(r, p);
      }
    }
    return r;
  }

  static byte[] encode(Pt p) {
    BigInteger zi = p.z.modInverse(P);
    BigInteger x = p.x.multiply(zi).mod(P);
    BigInteger y = p.y.multiply(zi).mod(P);
    byte[] out = le(y);
    if (x.testBit(0)) {
      out[31] |= (byte) 0x80;
    }
    return out;
  }

  /** RFC 8032 5.1.3; null if not a point or not canonical. */
  static Pt decode(byte[] s) {
    byte[] c = s.clone();
    int sign = (c[31] & 0xFF) >>> 7;
    c[31] &= 0x7F;
    BigInteger y = fromLe(c);
    if (y.compareTo(P) >= 0) {
      return null;
    }
    BigInteger u = y.multiply(y).subtract(BigInteger.ONE).mod(P);
    BigInteger v = D.multiply(y).multiply(y).add(BigInteger.ONE).mod(P);
    BigInteger x = u.multiply(v.pow(3)).multiply(u.multiply(v.pow(7)).modPow(P.subtract(BigInteger.valueOf(5)).shiftRight(3), P)).mod(P);
    BigInteger vx2 = v.multiply(x).multiply(x).mod(P);
    if (!vx2.equals(u)) {
      if (vx2.equals(u.negate().mod(P))) {
        x = x.multiply(SQRT_M1).mod(P);
      } else {
        return null;
      }
    }
    if (x.signum() == 0 && sign == 1) {
      return null;
    }
    if (x.testBit(0) != (sign == 1)) {
      x = P.subtract(x);
    }
    return new Pt(x, y, BigInteger.ONE, x.multiply(y).mod(P));
  }

  /** The eight small-order points (order 1, 2, 4, 8), encoded. */
  static List<byte[]> smallOrderEncodings() {
    List<byte[]> out = new ArrayList<>();
    Pt q = ZERO;
    for (int i = 0; i < 8; i++) {
      out.add(encode(q));
      q = add(q, T8);
    }
    return out;
  }

  static byte[] le(BigInteger v) {
    byte[] be = v.toByteArray();
    byte[] out = new byte[32];
    for (int i = 0; i < Math.min(32, be.length); i++) {
      out[i] = be[be.length - 1 - i];
    }
    return out;
  }

  static BigInteger fromLe(byte[] b) {
    byte[] be = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      be[i] = b[b.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  static byte[] sha512(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-512");
      for (byte[] p : parts) {
        md.update(p);
      }
      return md.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A key whose signatures can be crafted: scalar a, nonce prefix, and A (perhaps with a small-order part added). */
  record Crafter(BigInteger a, byte[] prefix, byte[] publicKey) {
    static Crafter of(byte[] seed, int torsion) {
      byte[] h = sha512(seed);
      byte[] lo = java.util.Arrays.copyOf(h, 32);
      lo[0] &= (byte) 248;
      lo[31] &= 127;
      lo[31] |= 64;
      BigInteger a = fromLe(lo);
      Pt pub = mul(a, B);
      if (torsion != 0) {
        pub = add(pub, mul(BigInteger.valueOf(torsion), T8));
      }
      return new Crafter(a, java.util.Arrays.copyOfRange(h, 32, 64), encode(pub));
    }

    /** A signature whose R is [r]B plus {@code torsion} times the order-8 point; S is made to match (S &lt; L). */
    byte[] sign(byte[] message, int torsion) {
      BigInteger r = fromLe(sha512(prefix, message)).mod(L);
      Pt rp = mul(r, B);
      if (torsion != 0) {
        rp = add(rp, mul(BigInteger.valueOf(torsion), T8));
      }
      byte[] rEnc = encode(rp);
      BigInteger k = fromLe(sha512(rEnc, publicKey, message)).mod(L);
      BigInteger s = r.add(k.multiply(a)).mod(L);
      byte[] sig = new byte[64];
      System.arraycopy(rEnc, 0, sig, 0, 32);
      System.arraycopy(le(s), 0, sig, 32, 32);
      return sig;
    }
  }
}
