package dev.popw.coordinator.signatures;

import dev.popw.envelope.SignatureRules;
import dev.popw.envelope.SignatureRules.Outcome;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * Random and crafted signatures, each decided by Bouncy Castle alone and by the native engine
 * (with sdk-core's rules in front): the decisions must be identical. Also records the native
 * equation's own answer, to show where it differs and that every such case is decided by Bouncy
 * Castle. Deterministic for a seed.
 */
final class DifferentialCases {
  /** What a case is. */
  enum Kind {
    ED_VALID, ED_FLIP_SIG, ED_FLIP_MSG, ED_S_PLUS_L, ED_S_PLUS_KL, ED_S_HIGH_RANDOM, ED_R_NONCANONICAL_Y, ED_R_X0_SIGN,
    ED_R_SMALL_ORDER, ED_KEY_SMALL_ORDER, ED_KEY_NONCANONICAL, ED_R_TORSION, ED_KEY_MIXED_ORDER, ED_RANDOM_SIG, ED_WRONG_KEY,
    ED_RANDOM_KEY, ED_TRUNCATED_MSG, ED_S_ZERO_OR_L,
    EC_VALID, EC_HIGH_S, EC_FLIP_SIG, EC_FLIP_MSG, EC_EDGE_SCALAR, EC_RANDOM_SIG, EC_WRONG_KEY, EC_BAD_KEY, EC_R_PLUS_N
  }

  record Case(Kind kind, KeyType type, byte[] publicKey, byte[] message, byte[] signature) {
    @Override
    public String toString() {
      HexFormat h = HexFormat.of();
      return kind + " " + type + " pk=" + h.formatHex(publicKey) + " msg=" + h.formatHex(message) + " sig=" + h.formatHex(signature);
    }
  }

  /** The tally of a run. */
  static final class Result {
    final LongAdder cases = new LongAdder();
    final Map<Kind, LongAdder> perKind = new ConcurrentHashMap<>();
    final Map<Outcome, LongAdder> outcomes = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
    final LongAdder mismatchCount = new LongAdder();
    /** Native equation accepted, Bouncy Castle did not: must stay empty. */
    final ConcurrentLinkedQueue<String> nativeLaxer = new ConcurrentLinkedQueue<>();
    /** Native equation refused what Bouncy Castle accepts as VALID, by kind (decided by Bouncy Castle). */
    final Map<Kind, LongAdder> nativeStricter = new ConcurrentHashMap<>();

    void add(Case c, Outcome reference, Outcome assisted, Boolean rawNative) {
      cases.increment();
      perKind.computeIfAbsent(c.kind(), k -> new LongAdder()).increment();
      outcomes.computeIfAbsent(reference, k -> new LongAdder()).increment();
      if (reference != assisted) {
        mismatchCount.increment();
        if (mismatches.size() < 10) {
          mismatches.add(c + ": Bouncy Castle " + reference + ", native path " + assisted);
        }
      }
      if (rawNative != null) {
        if (rawNative && (reference == Outcome.INVALID || reference == Outcome.BAD_PUBLIC_KEY) && nativeLaxer.size() < 10) {
          nativeLaxer.add(c + ": the native equation accepts, Bouncy Castle says " + reference);
        }
        if (!rawNative && reference == Outcome.VALID) {
          nativeStricter.computeIfAbsent(c.kind(), k -> new LongAdder()).increment();
        }
      }
    }
  }

  private final NativeSignatureEngine engine;
  private final List<SoftwareSigner> edKeys = new ArrayList<>();
  private final List<java.security.PrivateKey> edNative = new ArrayList<>();
  private final Map<KeyType, List<SoftwareSigner>> ecKeys = new EnumMap<>(KeyType.class);
  private final List<Case> torsionR = new ArrayList<>();
  private final List<Case> mixedKey = new ArrayList<>();
  private final List<byte[]> smallOrder = Ed25519Math.smallOrderEncodings();

  DifferentialCases(NativeSignatureEngine engine, int craftedPool) {
    this.engine = engine;
    this.nativeSignature = ThreadLocal.withInitial(() -> {
      try {
        return java.security.Signature.getInstance("Ed25519", engine.provider());
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    });
    for (int i = 0; i < 32; i++) {
      edKeys.add(SoftwareSigner.fromPrivateKey(KeyType.ED25519, seed(i)));
      edNative.add(nativeKey(seed(i), edKeys.get(i)));
    }
    for (KeyType t : List.of(KeyType.ECDSA_P256, KeyType.ECDSA_SECP256K1)) {
      List<SoftwareSigner> l = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        l.add(SoftwareSigner.fromPrivateKey(t, seed(100 + i)));
      }
      ecKeys.put(t, l);
    }
    // Crafted with the private scalar, which only a key's holder has: R = [r]B + T, and A = [a]B + T.
    IntStream.range(0, craftedPool).parallel().forEach(i -> {
      SplittableRandom r = new SplittableRandom(7_000 + i);
      Ed25519Math.Crafter honest = Ed25519Math.Crafter.of(seed(200 + i % 16), 0);
      byte[] m = bytes(r, r.nextInt(1, 100));
      Case a = new Case(Kind.ED_R_TORSION, KeyType.ED25519, honest.publicKey(), m, honest.sign(m, 1 + i % 7));
      Ed25519Math.Crafter mixed = Ed25519Math.Crafter.of(seed(300 + i % 16), 1 + i % 7);
      Case b = new Case(Kind.ED_KEY_MIXED_ORDER, KeyType.ED25519, mixed.publicKey(), m, mixed.sign(m, 0));
      synchronized (this) {
        torsionR.add(a);
        mixedKey.add(b);
      }
    });
    torsionR.sort(java.util.Comparator.comparing(c -> HexFormat.of().formatHex(c.signature())));
    mixedKey.sort(java.util.Comparator.comparing(c -> HexFormat.of().formatHex(c.signature())));
  }

  /**
   * The Ed25519 key as the native provider's private key, used only to make the cases' valid
   * signatures faster (AWS-LC signs about 9 times as fast as Bouncy Castle, and Ed25519 signatures
   * are deterministic: the same bytes, checked here); null, and Bouncy Castle signs, when it differs
   * or does not load.
   */
  private java.security.PrivateKey nativeKey(byte[] seed, SoftwareSigner reference) {
    try {
      byte[] der = new byte[48];
      System.arraycopy(HexFormat.of().parseHex("302e020100300506032b657004220420"), 0, der, 0, 16);
      System.arraycopy(seed, 0, der, 16, 32);
      java.security.PrivateKey k = java.security.KeyFactory.getInstance("Ed25519", engine.provider())
          .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
      byte[] probe = "differential probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      return java.util.Arrays.equals(nativeSign(k, probe), reference.sign(probe)) ? k : null;
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return null;
    }
  }

  private byte[] nativeSign(java.security.PrivateKey k, byte[] m) throws java.security.GeneralSecurityException {
    java.security.Signature s = nativeSignature.get();
    s.initSign(k);
    s.update(m);
    return s.sign();
  }

  private final ThreadLocal<java.security.Signature> nativeSignature;

  /** Key {@code i}'s signature of {@code m}: the same bytes whichever library makes it. */
  private byte[] signEd(int i, byte[] m) {
    java.security.PrivateKey k = edNative.get(i);
    if (k != null) {
      try {
        return nativeSign(k, m);
      } catch (java.security.GeneralSecurityException | RuntimeException e) {
        // Bouncy Castle below
      }
    }
    return edKeys.get(i).sign(m);
  }

  private static byte[] seed(int i) {
    byte[] s = new byte[32];
    s[0] = (byte) i;
    s[1] = (byte) (i >> 8);
    s[31] = 0x5a;
    return s;
  }

  private static byte[] bytes(SplittableRandom r, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  /** Runs {@code count} cases from {@code seed}, in chunks over the common pool. */
  Result run(long seed, int count) {
    Result res = new Result();
    int chunk = 1000;
    int chunks = (count + chunk - 1) / chunk;
    IntStream.range(0, chunks).parallel().forEach(ci -> {
      SplittableRandom r = new SplittableRandom(seed * 1_000_003L + ci);
      int n = Math.min(chunk, count - ci * chunk);
      for (int i = 0; i < n; i++) {
        decide(next(r), res);
      }
    });
    return res;
  }

  void decide(Case c, Result res) {
    Outcome reference = SignatureRules.check(c.type(), c.publicKey(), c.message(), c.signature(), null);
    Outcome assisted = SignatureRules.check(c.type(), c.publicKey(), c.message(), c.signature(), engine);
    res.add(c, reference, assisted, rawNative(c));
  }

  /** The native equation alone, on the case as it is; null when the key does not decode. */
  private Boolean rawNative(Case c) {
    byte[] encoded;
    try {
      encoded = c.type() == KeyType.ED25519 ? c.publicKey() : SelfTest.engineEncoding(c.type(), c.publicKey());
    } catch (RuntimeException e) {
      return null;
    }
    if (SignatureRules.check(c.type(), c.publicKey(), new byte[0], new byte[64], null) == Outcome.BAD_PUBLIC_KEY) {
      return null; // refused before any signature is looked at, on both paths
    }
    try {
      Object key = engine.prepare(c.type(), encoded);
      return key != null && engine.verify(c.type(), key, c.message(), 0, c.message().length, c.signature());
    } catch (Exception e) {
      return false;
    }
  }

  Case next(SplittableRandom r) {
    // 94% Ed25519 (the default device key, and the crafted cases where the two libraries' equations
    // differ), 6% ECDSA, half on each curve: a Bouncy Castle ECDSA case costs about six Ed25519 ones.
    int pick = r.nextInt(100);
    if (pick < 94) {
      return ed25519(r);
    }
    return ecdsa(r, pick < 97 ? KeyType.ECDSA_P256 : KeyType.ECDSA_SECP256K1);
  }

  private Case ed25519(SplittableRandom r) {
    int ki = r.nextInt(edKeys.size());
    SoftwareSigner k = edKeys.get(ki);
    byte[] m = bytes(r, r.nextInt(0, 300));
    byte[] sig = signEd(ki, m);
    byte[] pk = k.publicKey();
    int c = r.nextInt(100);
    if (c < 25) {
      return new Case(Kind.ED_VALID, KeyType.ED25519, pk, m, sig);
    } else if (c < 38) {
      sig[r.nextInt(64)] ^= (byte) (1 << r.nextInt(8));
      return new Case(Kind.ED_FLIP_SIG, KeyType.ED25519, pk, m, sig);
    } else if (c < 42) {
      if (m.length == 0) {
        m = new byte[] {1};
      } else {
        m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
      }
      return new Case(Kind.ED_FLIP_MSG, KeyType.ED25519, pk, m, sig);
    } else if (c < 47) {
      return new Case(Kind.ED_S_PLUS_L, KeyType.ED25519, pk, m, withS(sig, sOf(sig).add(Ed25519Math.L)));
    } else if (c < 50) {
      BigInteger s = sOf(sig).add(Ed25519Math.L.multiply(BigInteger.valueOf(r.nextInt(2, 16))));
      return new Case(Kind.ED_S_PLUS_KL, KeyType.ED25519, pk, m, withS(sig, s));
    } else if (c < 52) {
      BigInteger s = new BigInteger(256, new java.util.Random(r.nextLong())).setBit(255 - r.nextInt(3));
      return new Case(Kind.ED_S_HIGH_RANDOM, KeyType.ED25519, pk, m, withS(sig, s));
    } else if (c < 55) {
      byte[] y = Ed25519Math.le(Ed25519Math.P.add(BigInteger.valueOf(r.nextInt(19))));
      if (r.nextBoolean()) {
        y[31] |= (byte) 0x80;
      }
      System.arraycopy(y, 0, sig, 0, 32);
      return new Case(Kind.ED_R_NONCANONICAL_Y, KeyType.ED25519, pk, m, sig);
    } else if (c < 57) {
      byte[] y = Ed25519Math.le(r.nextBoolean() ? BigInteger.ONE : Ed25519Math.P.subtract(BigInteger.ONE));
      y[31] |= (byte) 0x80;
      System.arraycopy(y, 0, sig, 0, 32);
      return new Case(Kind.ED_R_X0_SIGN, KeyType.ED25519, pk, m, sig);
    } else if (c < 60) {
      System.arraycopy(smallOrder.get(r.nextInt(8)), 0, sig, 0, 32);
      if (r.nextBoolean()) {
        java.util.Arrays.fill(sig, 32, 64, (byte) 0);
      }
      return new Case(Kind.ED_R_SMALL_ORDER, KeyType.ED25519, pk, m, sig);
    } else if (c < 62) {
      byte[] so = smallOrder.get(r.nextInt(8)).clone();
      if (r.nextBoolean()) {
        so[31] ^= (byte) 0x80; // the other sign, sometimes a non-canonical x = 0
      }
      byte[] s2 = new byte[64];
      System.arraycopy(r.nextBoolean() ? so : smallOrder.get(0), 0, s2, 0, 32);
      return new Case(Kind.ED_KEY_SMALL_ORDER, KeyType.ED25519, so, m, s2);
    } else if (c < 63) {
      byte[] y = Ed25519Math.le(Ed25519Math.P.add(BigInteger.valueOf(r.nextInt(19))));
      return new Case(Kind.ED_KEY_NONCANONICAL, KeyType.ED25519, y, m, sig);
    } else if (c < 67) {
      return torsionR.get(r.nextInt(torsionR.size()));
    } else if (c < 71) {
      return mixedKey.get(r.nextInt(mixedKey.size()));
    } else if (c < 76) {
      return new Case(Kind.ED_RANDOM_SIG, KeyType.ED25519, pk, m, bytes(r, 64));
    } else if (c < 81) {
      return new Case(Kind.ED_WRONG_KEY, KeyType.ED25519, edKeys.get((edKeys.indexOf(k) + 1) % edKeys.size()).publicKey(), m, sig);
    } else if (c < 86) {
      return new Case(Kind.ED_RANDOM_KEY, KeyType.ED25519, bytes(r, 32), m, r.nextBoolean() ? sig : bytes(r, 64));
    } else if (c < 93) {
      byte[] shorter = java.util.Arrays.copyOf(m, Math.max(0, m.length - 1));
      return new Case(Kind.ED_TRUNCATED_MSG, KeyType.ED25519, pk, m.length == 0 ? new byte[] {0} : shorter, sig);
    } else {
      BigInteger s = switch (r.nextInt(4)) {
        case 0 -> BigInteger.ZERO;
        case 1 -> Ed25519Math.L;
        case 2 -> Ed25519Math.L.subtract(BigInteger.ONE);
        default -> BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
      };
      if (r.nextBoolean()) {
        System.arraycopy(smallOrder.get(0), 0, sig, 0, 32); // R = identity
      }
      return new Case(Kind.ED_S_ZERO_OR_L, KeyType.ED25519, pk, m, withS(sig, s));
    }
  }

  private static BigInteger sOf(byte[] sig) {
    return Ed25519Math.fromLe(java.util.Arrays.copyOfRange(sig, 32, 64));
  }

  private static byte[] withS(byte[] sig, BigInteger s) {
    byte[] out = sig.clone();
    System.arraycopy(Ed25519Math.le(s), 0, out, 32, 32);
    return out;
  }

  private Case ecdsa(SplittableRandom r, KeyType type) {
    List<SoftwareSigner> keys = ecKeys.get(type);
    SoftwareSigner k = keys.get(r.nextInt(keys.size()));
    BigInteger n = order(type);
    byte[] m = bytes(r, r.nextInt(0, 300));
    byte[] sig = k.sign(m);
    byte[] pk = k.publicKey();
    int c = r.nextInt(100);
    if (c < 30) {
      return new Case(Kind.EC_VALID, type, pk, m, sig);
    } else if (c < 45) {
      return new Case(Kind.EC_HIGH_S, type, pk, m, rs(rOf(sig), n.subtract(sOf256(sig))));
    } else if (c < 60) {
      sig[r.nextInt(64)] ^= (byte) (1 << r.nextInt(8));
      return new Case(Kind.EC_FLIP_SIG, type, pk, m, sig);
    } else if (c < 65) {
      if (m.length == 0) {
        m = new byte[] {1};
      } else {
        m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
      }
      return new Case(Kind.EC_FLIP_MSG, type, pk, m, sig);
    } else if (c < 72) {
      BigInteger[] edges = {BigInteger.ZERO, BigInteger.ONE, n.subtract(BigInteger.ONE), n, n.add(BigInteger.ONE),
          BigInteger.TWO.pow(256).subtract(BigInteger.ONE), n.shiftRight(1), n.shiftRight(1).add(BigInteger.ONE)};
      BigInteger e = edges[r.nextInt(edges.length)];
      return new Case(Kind.EC_EDGE_SCALAR, type, pk, m, r.nextBoolean() ? rs(e, sOf256(sig)) : rs(rOf(sig), e));
    } else if (c < 78) {
      return new Case(Kind.EC_RANDOM_SIG, type, pk, m, bytes(r, 64));
    } else if (c < 85) {
      return new Case(Kind.EC_WRONG_KEY, type, keys.get((keys.indexOf(k) + 1) % keys.size()).publicKey(), m, sig);
    } else if (c < 92) {
      byte[] bad = switch (r.nextInt(3)) {
        case 0 -> { // a random x: on the curve or not, both paths decide it the same
          byte[] b = bytes(r, 33);
          b[0] = (byte) (2 + r.nextInt(2));
          yield b;
        }
        case 1 -> SelfTest.engineEncoding(type, pk); // uncompressed: not the canonical encoding
        default -> {
          byte[] b = pk.clone();
          b[0] = 4;
          yield b;
        }
      };
      return new Case(Kind.EC_BAD_KEY, type, bad, m, sig);
    } else {
      BigInteger rr = rOf(sig).add(n);
      return new Case(Kind.EC_R_PLUS_N, type, pk, m, rr.bitLength() <= 256 ? rs(rr, sOf256(sig)) : rs(rOf(sig), sOf256(sig).add(n)));
    }
  }

  static BigInteger order(KeyType type) {
    return org.bouncycastle.crypto.ec.CustomNamedCurves.getByName(type == KeyType.ECDSA_P256 ? "secp256r1" : "secp256k1").getN();
  }

  private static BigInteger rOf(byte[] sig) {
    return new BigInteger(1, java.util.Arrays.copyOfRange(sig, 0, 32));
  }

  private static BigInteger sOf256(byte[] sig) {
    return new BigInteger(1, java.util.Arrays.copyOfRange(sig, 32, 64));
  }

  /** r || s, 32 bytes each; values above 2^256 - 1 are cut to their low 256 bits. */
  static byte[] rs(BigInteger r, BigInteger s) {
    byte[] out = new byte[64];
    put(r, out, 0);
    put(s, out, 32);
    return out;
  }

  private static void put(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(32, b.length);
    System.arraycopy(b, b.length - len, out, off + 32 - len, len);
  }
}
