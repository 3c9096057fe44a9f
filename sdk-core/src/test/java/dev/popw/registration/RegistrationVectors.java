package dev.popw.registration;

import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.SignedRegistration;
import dev.popw.testing.TestKeys;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The registration vectors published in docs/wire-format.md: each fixed test key registers itself
 * to anvil's development account #1 as a SENSOR at a fixed place and time. Run {@link #main} to print
 * them; {@code RegistrationVectorsTest} checks that the document and the code agree.
 */
public final class RegistrationVectors {
  static final String OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final String TIMESTAMP = "2026-11-24T12:00:00Z";
  static final String NETWORK = "popw-devnet";
  static final Location LOCATION = Location.newBuilder().setLatitude(52.520008).setLongitude(13.404954).build();
  private static final byte[] DOMAIN = "popw.v1.Registration\0".getBytes(StandardCharsets.US_ASCII);

  private RegistrationVectors() {}

  /** The vector of one key type, as name -> value. */
  public static Map<String, String> compute(KeyType type) {
    SoftwareSigner signer = TestKeys.signer(type);
    byte[] signed = Registrations.sign(signer, EvmAddress.parse(OWNER), DeviceKind.SENSOR, LOCATION, NETWORK,
        Clock.fixed(Instant.parse(TIMESTAMP), ZoneOffset.UTC));
    SignedRegistration sr;
    try {
      sr = SignedRegistration.parseFrom(signed);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
    byte[] registration = sr.getRegistration().toByteArray();
    byte[] message = new byte[DOMAIN.length + registration.length];
    System.arraycopy(DOMAIN, 0, message, 0, DOMAIN.length);
    System.arraycopy(registration, 0, message, DOMAIN.length, registration.length);
    Map<String, String> v = new LinkedHashMap<>();
    v.put("private_key", type == KeyType.ED25519 ? TestKeys.ED25519_SEED : type == KeyType.ECDSA_P256 ? TestKeys.P256_SCALAR : TestKeys.SECP256K1_SCALAR);
    v.put("public_key", Hex.encode(signer.publicKey()));
    v.put("device_id", signer.deviceId().toString());
    v.put("owner", OWNER);
    v.put("registration", Hex.encode(registration));
    v.put("signed_message", Hex.encode(message));
    v.put("signature", Hex.encode(sr.getSignature().toByteArray()));
    v.put("signed_registration", Hex.encode(signed));
    return v;
  }

  public static void main(String[] args) {
    for (KeyType t : KeyType.values()) {
      System.out.println("### registration " + t.label());
      System.out.println("```");
      compute(t).forEach((k, val) -> System.out.println(k + ": " + val));
      System.out.println("```");
    }
  }
}
