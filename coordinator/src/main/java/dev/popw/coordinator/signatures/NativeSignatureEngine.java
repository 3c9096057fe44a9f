package dev.popw.coordinator.signatures;

import dev.popw.envelope.SignatureEngine;
import dev.popw.identity.KeyType;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Ed25519 and ECDSA (P-256, secp256k1) verification on AWS-LC, through Amazon Corretto Crypto
 * Provider (ACCP). Only the plain equations run here; sdk-core's {@code EnvelopeVerifier} applies
 * every canonical-form rule first and hands each refusal to Bouncy Castle ({@link SignatureEngine}).
 *
 * <p>Load it with {@link #load}, which returns null (and says why) when the native library is
 * missing, does not load on this platform, or fails its self-test. ACCP is not installed as a JCA
 * provider: nothing else in the process changes.
 */
public final class NativeSignatureEngine implements SignatureEngine {
  /** ACCP registers its Ed25519 key factory only when asked (it would shadow the JDK's otherwise). */
  static final String REGISTER_ED_KEY_FACTORY = "com.amazon.corretto.crypto.provider.registerEdKeyFactory";

  private static final byte[] ED25519_SPKI = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final byte[] P256_SPKI = HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
  private static final byte[] SECP256K1_SPKI = HexFormat.of().parseHex("3056301006072a8648ce3d020106052b8104000a034200");

  private final Provider provider;
  private final String name;
  private final Set<KeyType> types;
  private final ThreadLocal<Signature[]> signatures;
  final LongAdder accepted = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder keysDeclined = new LongAdder();

  private NativeSignatureEngine(Provider provider, Set<KeyType> types) {
    this.provider = provider;
    this.types = types;
    this.name = "aws-lc (ACCP " + provider.getVersionStr() + ")";
    this.signatures = ThreadLocal.withInitial(() -> new Signature[KeyType.values().length]);
  }

  /** The outcome of {@link #load}: the engine, or null and why not. */
  public record Loaded(NativeSignatureEngine engine, String problem) {}

  /**
   * Loads ACCP's native library, checks it is healthy, and self-tests each key type on signatures
   * made by sdk-core (one valid, one altered). A key type that fails is left to Bouncy Castle.
   */
  public static Loaded load() {
    if (System.getProperty(REGISTER_ED_KEY_FACTORY) == null) {
      System.setProperty(REGISTER_ED_KEY_FACTORY, "true");
    }
    Provider p;
    try {
      com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider accp =
          com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE;
      Throwable error = accp.getLoadingError();
      if (error != null) {
        return new Loaded(null, "the native library did not load: " + oneLine(error));
      }
      accp.assertHealthy();
      p = accp;
    } catch (LinkageError | RuntimeException e) {
      return new Loaded(null, "Amazon Corretto Crypto Provider is not usable here: " + oneLine(e));
    }
    NativeSignatureEngine all = new NativeSignatureEngine(p, EnumSet.allOf(KeyType.class));
    Set<KeyType> ok = EnumSet.noneOf(KeyType.class);
    StringBuilder failures = new StringBuilder();
    for (KeyType t : KeyType.values()) {
      String problem = SelfTest.check(all, t);
      if (problem == null) {
        ok.add(t);
      } else {
        failures.append(failures.length() == 0 ? "" : "; ").append(t.label()).append(": ").append(problem);
      }
    }
    if (ok.isEmpty()) {
      return new Loaded(null, "the self-test failed: " + failures);
    }
    return new Loaded(new NativeSignatureEngine(p, ok), failures.length() == 0 ? null : "self-test failed for " + failures);
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
  }

  @Override
  public String name() {
    return name;
  }

  /** ACCP, for the receipt signer. */
  Provider provider() {
    return provider;
  }

  /** The key types this engine verifies; the others are Bouncy Castle's. */
  public Set<KeyType> keyTypes() {
    return java.util.Collections.unmodifiableSet(types);
  }

  @Override
  public Object prepare(KeyType type, byte[] encoded) throws Exception {
    if (!types.contains(type)) {
      return null;
    }
    try {
      byte[] prefix = switch (type) {
        case ED25519 -> ED25519_SPKI;
        case ECDSA_P256 -> P256_SPKI;
        case ECDSA_SECP256K1 -> SECP256K1_SPKI;
      };
      byte[] spki = new byte[prefix.length + encoded.length];
      System.arraycopy(prefix, 0, spki, 0, prefix.length);
      System.arraycopy(encoded, 0, spki, prefix.length, encoded.length);
      PublicKey key = KeyFactory.getInstance(type == KeyType.ED25519 ? "Ed25519" : "EC", provider)
          .generatePublic(new X509EncodedKeySpec(spki));
      return key;
    } catch (Exception | LinkageError e) {
      keysDeclined.increment();
      throw e;
    }
  }

  @Override
  public boolean verify(KeyType type, Object key, byte[] message, int off, int len, byte[] signature) throws Exception {
    try {
      Signature[] mine = signatures.get();
      Signature s = mine[type.ordinal()];
      if (s == null) {
        s = Signature.getInstance(type == KeyType.ED25519 ? "Ed25519" : "SHA256withECDSAinP1363Format", provider);
        mine[type.ordinal()] = s;
      }
      s.initVerify((PublicKey) key);
      s.update(message, off, len);
      boolean ok;
      try {
        ok = s.verify(signature);
      } catch (java.security.SignatureException e) {
        ok = false; // a malformed signature: refused
      }
      (ok ? accepted : refused).increment();
      return ok;
    } catch (Exception | LinkageError e) {
      failed.increment();
      signatures.get()[type.ordinal()] = null; // a fresh instance next time
      throw e;
    }
  }

  /** Signatures the native path accepted, refused (then decided by Bouncy Castle) and failed on (likewise). */
  public long[] counts() {
    return new long[] {accepted.sum(), refused.sum(), failed.sum(), keysDeclined.sum()};
  }
}
