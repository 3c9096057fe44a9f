package dev.popw.internal.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * ECDSA with SHA-256 over P-256 or secp256k1, on Bouncy Castle's lightweight API.
 *
 * <p>Signing is deterministic (RFC 6979, HMAC-SHA-256) and always produces low S. Signatures
 * travel as 64 bytes r||s (IEEE P1363). Public keys travel as 33-byte SEC1 compressed points.
 */
public final class EcdsaScheme {
  public static final EcdsaScheme P256 = new EcdsaScheme(SECObjectIdentifiers.secp256r1);
  public static final EcdsaScheme SECP256K1 = new EcdsaScheme(SECObjectIdentifiers.secp256k1);

  private static final int FIELD_BYTES = 32;

  private final ECNamedDomainParameters domain;
  private final BigInteger n;
  private final BigInteger halfN;

  private EcdsaScheme(ASN1ObjectIdentifier oid) {
    X9ECParameters x9 = CustomNamedCurves.getByOID(oid);
    this.domain = new ECNamedDomainParameters(oid, x9);
    this.n = domain.getN();
    this.halfN = n.shiftRight(1);
  }

  public ECNamedDomainParameters domain() {
    return domain;
  }

  /**
   * Decodes the canonical (33-byte compressed) public key; returns {@code null} if the encoding is
   * not canonical or the point is not on the curve.
   */
  public VerifyingKey decodePublicKey(byte[] encoded) {
    if (encoded == null
        || encoded.length != 1 + FIELD_BYTES
        || (encoded[0] != 0x02 && encoded[0] != 0x03)) {
      return null;
    }
    return decodeAnyPublicKey(encoded);
  }

  /**
   * Decodes a public key in any SEC1 encoding (compressed or uncompressed); returns {@code null} if
   * it is not a valid point of the curve's prime-order group.
   */
  public Key decodeAnyPublicKey(byte[] encoded) {
    try {
      ECPoint q = domain.getCurve().decodePoint(encoded);
      if (q.isInfinity() || !q.isValid()) {
        return null;
      }
      return new Key(new ECPublicKeyParameters(q, domain));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A uniformly random private scalar in [1, n-1], as 32 big-endian bytes. */
  public byte[] generatePrivateKey(SecureRandom random) {
    BigInteger d;
    do {
      d = new BigInteger(n.bitLength(), random);
    } while (d.signum() == 0 || d.compareTo(n) >= 0);
    return toFixed(d);
  }

  /** Checks that 32 big-endian bytes are a valid private scalar. */
  public boolean isValidPrivateKey(byte[] d) {
    if (d.length != FIELD_BYTES) {
      return false;
    }
    BigInteger x = new BigInteger(1, d);
    return x.signum() > 0 && x.compareTo(n) < 0;
  }

  public ECPoint publicPoint(BigInteger d) {
    return new FixedPointCombMultiplier().multiply(domain.getG(), d).normalize();
  }

  /** The compressed public key of a private scalar. */
  public byte[] publicKey(byte[] privateKey) {
    return publicPoint(new BigInteger(1, privateKey)).getEncoded(true);
  }

  /**
   * A 64-byte r||s signature with s replaced by n − s when s is high (the envelope rules' low S): what
   * a token or secure element returns, made canonical. A low-S signature comes back as it is.
   *
   * @throws IllegalArgumentException if it is not 64 bytes
   */
  public byte[] lowS(byte[] rs) {
    if (rs == null || rs.length != 2 * FIELD_BYTES) {
      throw new IllegalArgumentException((rs == null ? 0 : rs.length) + "-byte ECDSA signature, expected " + 2 * FIELD_BYTES);
    }
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(rs, FIELD_BYTES, 2 * FIELD_BYTES));
    if (s.compareTo(halfN) <= 0) {
      return rs;
    }
    byte[] out = java.util.Arrays.copyOf(rs, 2 * FIELD_BYTES);
    java.util.Arrays.fill(out, FIELD_BYTES, 2 * FIELD_BYTES, (byte) 0); // n − s may be shorter than 32 bytes
    writeFixed(n.subtract(s), out, FIELD_BYTES);
    return out;
  }

  /** Signs SHA-256(message): deterministic (RFC 6979), low S, 64 bytes r||s. */
  public byte[] sign(byte[] privateKey, byte[] message) {
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(new BigInteger(1, privateKey), domain));
    BigInteger[] rs = signer.generateSignature(Sha256.hash(message));
    BigInteger s = rs[1].compareTo(halfN) > 0 ? n.subtract(rs[1]) : rs[1];
    byte[] out = new byte[2 * FIELD_BYTES];
    writeFixed(rs[0], out, 0);
    writeFixed(s, out, FIELD_BYTES);
    return out;
  }

  private static byte[] toFixed(BigInteger v) {
    byte[] out = new byte[FIELD_BYTES];
    writeFixed(v, out, 0);
    return out;
  }

  private static void writeFixed(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, FIELD_BYTES);
    System.arraycopy(b, b.length - len, out, off + FIELD_BYTES - len, len);
  }

  /** A validated ECDSA public key. */
  public final class Key implements VerifyingKey {
    private final ECPublicKeyParameters params;

    Key(ECPublicKeyParameters params) {
      this.params = params;
    }

    public ECPoint point() {
      return params.getQ();
    }

    @Override
    public SignatureCheck verify(byte[] message, int off, int len, byte[] signature) {
      if (signature == null || signature.length != 2 * FIELD_BYTES) {
        return SignatureCheck.INVALID;
      }
      BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 0, FIELD_BYTES));
      BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(signature, FIELD_BYTES, 2 * FIELD_BYTES));
      if (!verifyStandard(Sha256.hash(message, off, len), r, s)) {
        return SignatureCheck.INVALID;
      }
      return s.compareTo(halfN) > 0 ? SignatureCheck.NON_CANONICAL : SignatureCheck.VALID;
    }

    /** Whether a scalar lies in [1, n-1]. */
    boolean inRange(BigInteger v) {
      return v.signum() > 0 && v.compareTo(n) < 0;
    }

    /** Whether s is above n/2 (the envelope rules want low S). */
    boolean isHighS(BigInteger s) {
      return s.compareTo(halfN) > 0;
    }

    /**
     * Plain ECDSA verification of (r, s) over a SHA-256 digest, as X9.62 defines it: high S is
     * accepted here. The envelope rules are in {@link #verify}.
     */
    public boolean verifyStandard(byte[] digest, BigInteger r, BigInteger s) {
      if (r.signum() <= 0 || s.signum() <= 0 || r.compareTo(n) >= 0 || s.compareTo(n) >= 0) {
        return false;
      }
      ECDSASigner verifier = new ECDSASigner();
      verifier.init(false, params);
      return verifier.verifySignature(digest, r, s);
    }
  }
}
