package dev.popw.envelope;

import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.crypto.Sha256;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.sequence.SequenceCounter;
import dev.popw.testing.TestKeys;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The byte-level vectors published in docs/wire-format.md. Run {@link #main} to print them;
 * {@code WireFormatVectorsTest} checks that the document and the code agree.
 */
public final class WireFormatVectors {
  static final long SEQUENCE = 42;
  static final String TIMESTAMP = "2026-11-24T12:00:00Z";
  static final String NETWORK = "popw-devnet";
  static final byte[] PREV_HASH = Sha256.hash("popw test vector previous envelope".getBytes(StandardCharsets.US_ASCII));

  private WireFormatVectors() {}

  static SensorReading payload() {
    return SensorReading.newBuilder()
        .setSensorModel("BME280")
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(21.5).setUnit(Unit.CELSIUS))
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(48.25).setUnit(Unit.PERCENT))
        .build();
  }

  /** The vector of one key type, as name -> value. */
  public static Map<String, String> compute(KeyType type) {
    SoftwareSigner signer = TestKeys.signer(type);
    SequenceCounter seq = () -> SEQUENCE;
    EnvelopeSealer sealer = EnvelopeSealer.builder()
        .signer(signer)
        .sequence(seq)
        .clock(Clock.fixed(Instant.parse(TIMESTAMP), ZoneOffset.UTC))
        .networkId(NETWORK)
        .chainHead(PREV_HASH)
        .build();
    SealedEnvelope e = sealer.seal(payload());
    byte[] telemetry = e.telemetry().toByteArray();
    byte[] envelope = e.bytes();
    byte[] signature = java.util.Arrays.copyOfRange(envelope, envelope.length - 64, envelope.length);
    Map<String, String> v = new LinkedHashMap<>();
    v.put("private_key", type == KeyType.ED25519 ? TestKeys.ED25519_SEED : type == KeyType.ECDSA_P256 ? TestKeys.P256_SCALAR : TestKeys.SECP256K1_SCALAR);
    v.put("public_key", Hex.encode(signer.publicKey()));
    v.put("device_id", signer.deviceId().toString());
    if (type == KeyType.ECDSA_SECP256K1) {
      v.put("evm_address", signer.deviceId().evmAddress().orElseThrow().toString());
    }
    v.put("telemetry", Hex.encode(telemetry));
    v.put("signed_message", Hex.encode(Envelopes.signingMessage(telemetry)));
    v.put("signature", Hex.encode(signature));
    v.put("envelope", Hex.encode(envelope));
    v.put("envelope_hash", Hex.encode(e.hash()));
    return v;
  }

  public static void main(String[] args) {
    for (KeyType t : KeyType.values()) {
      System.out.println("### " + t.label());
      System.out.println("```");
      compute(t).forEach((k, val) -> System.out.println(k + ": " + val));
      System.out.println("```");
    }
  }
}
