package dev.popw.envelope;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.keys.Schemes;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies signed envelopes. Never throws on bad input: every outcome is a {@link
 * VerificationResult} with a {@link Reason}.
 *
 * <p>Checks, in order: size limit (before parsing); envelope parse and structure (no field outside
 * SignedEnvelope v1's five, none repeated: the outer envelope is not signed; version, key type,
 * telemetry and a 64-byte signature present); version and key type supported; telemetry
 * parse; public key canonical and on the curve; device id = key; signature over the exact
 * telemetry bytes (never re-serialized); canonical signature form.
 *
 * <p>Thread-safe; one instance serves all threads. Decoded public keys are cached (bounded), which
 * saves the point decompression on every envelope from a known device.
 */
public final class EnvelopeVerifier {
  /** Default size limit of a serialized envelope: 16 KiB. */
  public static final int DEFAULT_MAX_ENVELOPE_BYTES = 16 * 1024;
  /** Default number of decoded public keys kept per key type. */
  public static final int DEFAULT_KEY_CACHE_SIZE = 65_536;

  /** The multicodec varint that starts a device id of each key type. */
  private static final Map<KeyType, byte[]> CODEC_PREFIX = new EnumMap<>(KeyType.class);

  static {
    for (KeyType t : KeyType.values()) {
      byte[] id = DeviceId.of(t, new byte[t.publicKeyLength()]).toBytes();
      CODEC_PREFIX.put(t, java.util.Arrays.copyOf(id, id.length - t.publicKeyLength()));
    }
  }

  private final int maxEnvelopeBytes;
  private final int keyCacheSize;
  private final SignatureEngine engine;
  private final Map<KeyType, ConcurrentHashMap<ByteString, CachedKey>> keyCache = new EnumMap<>(KeyType.class);

  /** A decoded key with its device id, whose printable form is then computed once per device, not per envelope. */
  private record CachedKey(VerifyingKey key, DeviceId id) {}

  private EnvelopeVerifier(Builder b) {
    this.maxEnvelopeBytes = b.maxEnvelopeBytes;
    this.keyCacheSize = b.keyCacheSize;
    this.engine = b.engine;
    for (KeyType t : KeyType.values()) {
      keyCache.put(t, new ConcurrentHashMap<>());
    }
  }

  /** A verifier with the default limits. */
  public static EnvelopeVerifier create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public int maxEnvelopeBytes() {
    return maxEnvelopeBytes;
  }

  /** The engine plugged in ({@link Builder#signatureEngine}), or null: Bouncy Castle alone. */
  public SignatureEngine signatureEngine() {
    return engine;
  }

  /**
   * Verifies one serialized {@code SignedEnvelope}.
   *
   * @param envelope the bytes as received; not modified, not retained
   * @return the result; never {@code null}, never throws
   */
  public VerificationResult verify(byte[] envelope) {
    try {
      return doVerify(envelope);
    } catch (RuntimeException e) {
      // Defence in depth: the parser or a crypto routine choked on hostile input.
      return VerificationResult.reject(Reason.MALFORMED, "unparsable envelope (" + e.getClass().getSimpleName() + ")");
    }
  }

  private VerificationResult doVerify(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return VerificationResult.reject(Reason.MALFORMED, "empty envelope");
    }
    if (bytes.length > maxEnvelopeBytes) {
      return VerificationResult.reject(
          Reason.TOO_LARGE, "envelope is " + bytes.length + " bytes; the limit is " + maxEnvelopeBytes);
    }
    SignedEnvelope env;
    try {
      env = SignedEnvelope.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return VerificationResult.reject(Reason.MALFORMED, "not a SignedEnvelope: " + e.getMessage());
    }
    String outer = outerFieldProblem(bytes);
    if (outer != null) {
      return VerificationResult.reject(Reason.MALFORMED, outer);
    }
    if (env.getVersion() == 0) {
      return VerificationResult.reject(Reason.MALFORMED, "envelope has no version");
    }
    if (env.getVersion() != Envelopes.VERSION) {
      return VerificationResult.reject(
          Reason.UNSUPPORTED_VERSION, "envelope version " + env.getVersion() + "; this verifier knows " + Envelopes.VERSION);
    }
    if (env.getKeyTypeValue() == 0) {
      return VerificationResult.reject(Reason.MALFORMED, "envelope has no key type");
    }
    KeyType keyType = KeyType.fromWireValue(env.getKeyTypeValue());
    if (keyType == null) {
      return VerificationResult.reject(Reason.UNSUPPORTED_KEY_TYPE, "key type " + env.getKeyTypeValue() + " is not supported");
    }
    ByteString telemetryBytes = env.getTelemetry();
    byte[] publicKey = env.getPublicKey().toByteArray();
    if (telemetryBytes.isEmpty()) {
      return VerificationResult.reject(Reason.MALFORMED, "envelope has no telemetry", keyType, publicKey, null, null);
    }
    if (env.getSignature().size() != KeyType.SIGNATURE_LENGTH) {
      return VerificationResult.reject(
          Reason.MALFORMED,
          "signature is " + env.getSignature().size() + " bytes; it must be " + KeyType.SIGNATURE_LENGTH,
          keyType, publicKey, telemetryBytes, null);
    }
    Telemetry telemetry;
    try {
      telemetry = Telemetry.parseFrom(telemetryBytes);
    } catch (InvalidProtocolBufferException e) {
      return VerificationResult.reject(Reason.MALFORMED, "telemetry does not parse: " + e.getMessage(), keyType, publicKey, telemetryBytes, null);
    }
    CachedKey cached = decodeKey(keyType, env.getPublicKey());
    VerifyingKey key = cached == null ? null : cached.key();
    if (key == null) {
      return VerificationResult.reject(
          Reason.BAD_PUBLIC_KEY, "public key is not a canonical " + keyType.label() + " key", keyType, publicKey, telemetryBytes, telemetry);
    }
    if (!matchesDeviceId(keyType, env.getPublicKey(), telemetry.getDeviceId())) {
      return VerificationResult.reject(
          Reason.KEY_MISMATCH, "telemetry names another device than the signing key", keyType, publicKey, telemetryBytes, telemetry);
    }
    byte[] message = Envelopes.signingMessage(telemetryBytes);
    SignatureCheck check = key.verify(message, 0, message.length, env.getSignature().toByteArray());
    switch (check) {
      case VALID:
        return cached.id() == null ? VerificationResult.ok(keyType, publicKey, telemetryBytes, telemetry)
            : VerificationResult.ok(keyType, publicKey, telemetryBytes, telemetry, cached.id());
      case NON_CANONICAL:
        return VerificationResult.reject(
            Reason.NON_CANONICAL_SIGNATURE,
            keyType == KeyType.ED25519 ? "Ed25519 S is not reduced" : "ECDSA signature has high S",
            keyType, publicKey, telemetryBytes, telemetry);
      default:
        return VerificationResult.reject(Reason.BAD_SIGNATURE, "signature does not verify", keyType, publicKey, telemetryBytes, telemetry);
    }
  }

  /**
   * The outer SignedEnvelope is not signed: a field it does not define (or one repeated, or with
   * another wire type) would be stored with the envelope, under the same hash, without the
   * device having sent it. Unknown fields are welcome inside the signed telemetry only.
   *
   * @return what is wrong, or null
   */
  private static String outerFieldProblem(byte[] bytes) {
    try {
      return scanOuterFields(bytes);
    } catch (java.io.IOException e) {
      return "not a SignedEnvelope: " + e.getMessage();
    }
  }

  private static String scanOuterFields(byte[] bytes) throws java.io.IOException {
    com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(bytes);
    int seen = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = com.google.protobuf.WireFormat.getTagFieldNumber(tag);
      int wireType = com.google.protobuf.WireFormat.getTagWireType(tag);
      int expected = field == 1 || field == 2 ? com.google.protobuf.WireFormat.WIRETYPE_VARINT
          : field >= 3 && field <= 5 ? com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED : -1;
      if (expected < 0) {
        return "envelope has unknown field " + field + " outside the signed telemetry";
      }
      if (wireType != expected) {
        return "envelope field " + field + " has wire type " + wireType + ", expected " + expected;
      }
      if ((seen & (1 << field)) != 0) {
        return "envelope field " + field + " appears more than once";
      }
      seen |= 1 << field;
      in.skipField(tag);
    }
    return null;
  }

  private CachedKey decodeKey(KeyType type, ByteString encoded) {
    if (keyCacheSize == 0) {
      byte[] raw = encoded.toByteArray();
      VerifyingKey k = Schemes.decodePublicKey(type, raw);
      return k == null ? null : new CachedKey(assisted(type, k, raw), null);
    }
    ConcurrentHashMap<ByteString, CachedKey> cache = keyCache.get(type);
    CachedKey cached = cache.get(encoded);
    if (cached == null) {
      byte[] raw = encoded.toByteArray();
      VerifyingKey key = Schemes.decodePublicKey(type, raw);
      if (key == null) {
        return null;
      }
      cached = new CachedKey(assisted(type, key, raw), DeviceId.of(type, raw));
      if (cache.size() >= keyCacheSize) {
        cache.clear(); // crude but bounded; a coordinator with more devices than this sets a larger size
      }
      cache.put(encoded, cached);
    }
    return cached;
  }

  private VerifyingKey assisted(KeyType type, VerifyingKey key, byte[] raw) {
    return SignatureRules.withEngine(type, key, raw, engine);
  }

  private static boolean matchesDeviceId(KeyType type, ByteString publicKey, ByteString deviceId) {
    byte[] prefix = CODEC_PREFIX.get(type);
    if (deviceId.size() != prefix.length + publicKey.size()) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (deviceId.byteAt(i) != prefix[i]) {
        return false;
      }
    }
    return deviceId.substring(prefix.length).equals(publicKey);
  }

  /** Builds an {@link EnvelopeVerifier}. */
  public static final class Builder {
    private int maxEnvelopeBytes = DEFAULT_MAX_ENVELOPE_BYTES;
    private int keyCacheSize = DEFAULT_KEY_CACHE_SIZE;
    private SignatureEngine engine;

    private Builder() {}

    /** Envelopes larger than this are rejected as TOO_LARGE before parsing. Default 16 KiB. */
    public Builder maxEnvelopeBytes(int bytes) {
      if (bytes < 64) {
        throw new IllegalArgumentException("maxEnvelopeBytes must be at least 64, got " + bytes);
      }
      this.maxEnvelopeBytes = bytes;
      return this;
    }

    /** Decoded public keys kept per key type; 0 disables the cache. Default 65,536. */
    public Builder keyCacheSize(int entries) {
      if (entries < 0) {
        throw new IllegalArgumentException("keyCacheSize must be >= 0, got " + entries);
      }
      this.keyCacheSize = entries;
      return this;
    }

    /**
     * A faster implementation of the signature equations (the coordinator's native one); null, the
     * default, verifies with Bouncy Castle alone. Both decide the same: see {@link SignatureEngine}.
     */
    public Builder signatureEngine(SignatureEngine engine) {
      this.engine = engine;
      return this;
    }

    public EnvelopeVerifier build() {
      return new EnvelopeVerifier(this);
    }
  }
}
