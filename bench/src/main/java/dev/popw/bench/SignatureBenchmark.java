package dev.popw.bench;

import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.Envelopes;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.envelope.VerificationResult;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Unit;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.util.BigIntegers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sign and verify throughput per key type, single-threaded: the raw Bouncy Castle call against
 * our envelope API on the same message. The envelope figures include protobuf parsing, the
 * device-id check and the domain prefix; the raw figures are the bare signature operation over the
 * same signed bytes.
 *
 * <p>Run: {@code bench/run signatures} (see docs/benchmarks.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SignatureBenchmark {
  @Param({"ED25519", "ECDSA_P256", "ECDSA_SECP256K1"})
  public KeyType keyType;

  private SoftwareSigner signer;
  private EnvelopeSealer sealer;
  private EnvelopeVerifier verifier;
  private SensorReading payload;
  private byte[] envelope;
  private byte[] message;
  private byte[] signature;
  // raw Bouncy Castle material
  private byte[] edSecret;
  private byte[] edPublic;
  private Ed25519.PublicPoint edPoint;
  private ECPrivateKeyParameters ecPrivate;
  private ECPublicKeyParameters ecPublic;
  private BigInteger r;
  private BigInteger s;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    SecureRandom random = new SecureRandom();
    payload = SensorReading.newBuilder()
        .setSensorModel("BME280")
        .addMeasurements(dev.popw.proto.v1.Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(21.5).setUnit(Unit.CELSIUS))
        .addMeasurements(dev.popw.proto.v1.Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(48.25).setUnit(Unit.PERCENT))
        .addMeasurements(dev.popw.proto.v1.Measurement.newBuilder().setQuantity(Quantity.PRESSURE).setValue(101325).setUnit(Unit.PASCAL))
        .build();
    AtomicLong seq = new AtomicLong(1);
    if (keyType == KeyType.ED25519) {
      edSecret = new byte[32];
      Ed25519.generatePrivateKey(random, edSecret);
      edPublic = new byte[32];
      Ed25519.generatePublicKey(edSecret, 0, edPublic, 0);
      edPoint = Ed25519.validatePublicKeyPartialExport(edPublic, 0);
      signer = SoftwareSigner.fromPrivateKey(keyType, edSecret);
    } else {
      X9ECParameters curve = CustomNamedCurves.getByName(keyType == KeyType.ECDSA_P256 ? "secp256r1" : "secp256k1");
      ECDomainParameters domain = new ECDomainParameters(curve);
      BigInteger d = BigIntegers.createRandomInRange(BigInteger.ONE, domain.getN().subtract(BigInteger.ONE), random);
      signer = SoftwareSigner.fromPrivateKey(keyType, BigIntegers.asUnsignedByteArray(32, d));
      ecPrivate = new ECPrivateKeyParameters(d, domain);
      ecPublic = new ECPublicKeyParameters(new FixedPointCombMultiplier().multiply(domain.getG(), d).normalize(), domain);
    }
    sealer = EnvelopeSealer.builder().signer(signer).sequence(seq::getAndIncrement).networkId("popw-bench").build();
    verifier = EnvelopeVerifier.create();
    SealedEnvelope sealed = sealer.seal(payload);
    envelope = sealed.bytes();
    SignedEnvelope parsed = SignedEnvelope.parseFrom(envelope);
    message = Envelopes.signingMessage(parsed.getTelemetry().toByteArray());
    signature = parsed.getSignature().toByteArray();
    r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
    s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
    if (!verifier.verify(envelope).isOk() || !rawVerify()) {
      throw new IllegalStateException("benchmark fixture does not verify");
    }
  }

  @Benchmark
  public byte[] rawSign() {
    if (keyType == KeyType.ED25519) {
      byte[] sig = new byte[64];
      Ed25519.sign(edSecret, 0, edPublic, 0, message, 0, message.length, sig, 0);
      return sig;
    }
    ECDSASigner ecdsa = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    ecdsa.init(true, ecPrivate);
    BigInteger[] rs = ecdsa.generateSignature(sha256(message));
    return rs[1].toByteArray();
  }

  @Benchmark
  public boolean rawVerify() {
    if (keyType == KeyType.ED25519) {
      return Ed25519.verify(signature, 0, edPublic, 0, message, 0, message.length);
    }
    ECDSASigner ecdsa = new ECDSASigner();
    ecdsa.init(false, ecPublic);
    return ecdsa.verifySignature(sha256(message), r, s);
  }

  /**
   * Ed25519 with the public key already decoded (what the envelope verifier's key cache gives it
   * for a known device); for ECDSA the same as {@link #rawVerify}, which already reuses the point.
   */
  @Benchmark
  public boolean rawVerifyDecodedKey() {
    if (keyType == KeyType.ED25519) {
      return Ed25519.verify(signature, 0, edPoint, message, 0, message.length);
    }
    return rawVerify();
  }

  @Benchmark
  public SealedEnvelope envelopeSeal() {
    return sealer.seal(payload);
  }

  @Benchmark
  public VerificationResult envelopeVerify() {
    return verifier.verify(envelope);
  }

  private static byte[] sha256(byte[] m) {
    SHA256Digest d = new SHA256Digest();
    d.update(m, 0, m.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }
}
