package dev.popw.internal.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** Ed25519 (RFC 8032, pure) on Bouncy Castle's low-level rfc8032 API. */
public final class Ed25519Scheme {
  /** The group order L, little-endian, for the S &lt; L canonicality check. */
  private static final byte[] L_LE = {
    (byte) 0xed, (byte) 0xd3, (byte) 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
    (byte) 0xd6, (byte) 0x9c, (byte) 0xf7, (byte) 0xa2, (byte) 0xde, (byte) 0xf9, (byte) 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
  };

  private Ed25519Scheme() {}

  /** Decodes a 32-byte public key; returns {@code null} if it is not a valid curve point. */
  public static VerifyingKey decodePublicKey(byte[] encoded) {
    if (encoded == null || encoded.length != Ed25519.PUBLIC_KEY_SIZE) {
      return null;
    }
    Ed25519.PublicPoint point = Ed25519.validatePublicKeyPartialExport(encoded, 0);
    return point == null ? null : new Key(point);
  }

  /** Generates a private key seed. */
  public static byte[] generatePrivateKey(SecureRandom random) {
    byte[] sk = new byte[Ed25519.SECRET_KEY_SIZE];
    Ed25519.generatePrivateKey(random, sk);
    return sk;
  }

  public static byte[] publicKey(byte[] privateKey) {
    byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
    Ed25519.generatePublicKey(privateKey, 0, pk, 0);
    return pk;
  }

  public static byte[] sign(byte[] privateKey, byte[] publicKey, byte[] message) {
    byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
    Ed25519.sign(privateKey, 0, publicKey, 0, message, 0, message.length, sig, 0);
    return sig;
  }

  /** True if the little-endian scalar S in {@code sig[32..64)} is below the group order. */
  static boolean isCanonicalS(byte[] sig) {
    for (int i = 31; i >= 0; i--) {
      int s = sig[32 + i] & 0xFF;
      int l = L_LE[i] & 0xFF;
      if (s != l) {
        return s < l;
      }
    }
    return false;
  }

  /**
   * True if R in {@code sig[0..32)} is a canonical point encoding as far as bytes tell: y below p,
   * and no sign bit on a point whose x is 0 (y = 1 or y = p - 1). Bouncy Castle refuses the others
   * in {@code Ed25519.verify}; a native verifier is given only these.
   */
  static boolean isCanonicalR(byte[] sig) {
    int top = sig[31] & 0x7F;
    boolean sign = (sig[31] & 0x80) != 0;
    // y >= p = 2^255 - 19: bytes 1..30 all 0xff, top 0x7f, low byte >= 0xed
    boolean allOnes = top == 0x7F;
    for (int i = 1; i < 31 && allOnes; i++) {
      allOnes = sig[i] == (byte) 0xFF;
    }
    int low = sig[0] & 0xFF;
    if (allOnes && low >= 0xED) {
      return false;
    }
    if (sign) {
      if (allOnes && low == 0xEC) {
        return false; // y = p - 1, x = 0
      }
      boolean zeros = top == 0;
      for (int i = 1; i < 31 && zeros; i++) {
        zeros = sig[i] == 0;
      }
      if (zeros && low == 1) {
        return false; // y = 1, x = 0
      }
    }
    return true;
  }

  static byte[] reduceS(byte[] sig) {
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) {
      be[i] = sig[63 - i];
    }
    byte[] lBe = new byte[32];
    for (int i = 0; i < 32; i++) {
      lBe[i] = L_LE[31 - i];
    }
    byte[] reduced = new BigInteger(1, be).mod(new BigInteger(1, lBe)).toByteArray();
    byte[] out = sig.clone();
    java.util.Arrays.fill(out, 32, 64, (byte) 0);
    for (int i = 0; i < Math.min(32, reduced.length); i++) {
      out[32 + i] = reduced[reduced.length - 1 - i];
    }
    return out;
  }

  static final class Key implements VerifyingKey {
    private final Ed25519.PublicPoint point;

    Key(Ed25519.PublicPoint point) {
      this.point = point;
    }

    @Override
    public SignatureCheck verify(byte[] message, int off, int len, byte[] signature) {
      if (signature == null || signature.length != Ed25519.SIGNATURE_SIZE) {
        return SignatureCheck.INVALID;
      }
      if (!isCanonicalS(signature)) {
        // RFC 8032 5.1.7 rejects S >= L. Say NON_CANONICAL only when S mod L would verify, that
        // is when someone malleated a valid signature; anything else is simply invalid.
        return Ed25519.verify(reduceS(signature), 0, point, message, off, len)
            ? SignatureCheck.NON_CANONICAL
            : SignatureCheck.INVALID;
      }
      return Ed25519.verify(signature, 0, point, message, off, len)
          ? SignatureCheck.VALID
          : SignatureCheck.INVALID;
    }

    /** Bouncy Castle's equation alone (cofactored), for a 64-byte signature. */
    boolean plain(byte[] message, int off, int len, byte[] signature) {
      return Ed25519.verify(signature, 0, point, message, off, len);
    }
  }
}
