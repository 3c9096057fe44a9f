package dev.popw.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.Reason;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Registration;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.SignedRegistration;
import java.security.SecureRandom;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RegistrationsTest {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void a_signed_registration_verifies_and_names_device_and_owner(KeyType type) {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    RegistrationResult r = Registrations.verify(Registrations.sign(signer, OWNER, DeviceKind.GPU, null, "popw-test", Clock.systemUTC()));
    assertTrue(r.isValid(), r.error().orElse(""));
    assertEquals(signer.deviceId(), r.deviceId().orElseThrow());
    assertEquals(OWNER, r.owner().orElseThrow());
    assertEquals(DeviceKind.GPU, r.registration().orElseThrow().getKind());
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void a_changed_owner_or_another_key_is_refused(KeyType type) throws Exception {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    SignedRegistration sr = SignedRegistration.parseFrom(
        Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    Registration reg = Registration.parseFrom(sr.getRegistration());
    byte[] thief = new byte[20];
    thief[19] = 1;
    SignedRegistration stolen = sr.toBuilder()
        .setRegistration(reg.toBuilder().setOwner(ByteString.copyFrom(thief)).build().toByteString()).build();
    assertFalse(Registrations.verify(stolen.toByteArray()).isValid());
    SoftwareSigner other = SoftwareSigner.generate(type, new SecureRandom());
    SignedRegistration swapped = sr.toBuilder()
        .setRegistration(reg.toBuilder().setPublicKey(ByteString.copyFrom(other.publicKey())).build().toByteString()).build();
    assertFalse(Registrations.verify(swapped.toByteArray()).isValid());
    assertFalse(Registrations.verify(new byte[] {1, 2, 3}).isValid());
  }

  /**
   * Found by fuzzing past the signature: protobuf-javalite's parseFrom(byte[]) takes a varint
   * longer than 10 bytes (and folds its extra bits into the value), which its ByteString parser,
   * the protobuf spec and other implementations refuse. A registration is parsed the strict way,
   * as the envelope verifier parses telemetry, so a validly signed registration with one is refused.
   */
  @Test
  void a_signed_registration_with_an_overlong_varint_is_refused() {
    SoftwareSigner signer = dev.popw.testing.TestKeys.signer(KeyType.ED25519);
    Registration body = Registration.newBuilder().setKeyTypeValue(signer.keyType().wireValue())
        .setPublicKey(ByteString.copyFrom(signer.publicKey())).setOwner(ByteString.copyFrom(OWNER.bytes()))
        .setTimestampMs(Clock.systemUTC().millis()).setNetworkId("popw-test").build();
    // kind = SENSOR (1) as a 12-byte varint: 0x81, ten 0x80, 0x00
    byte[] kind = {0x20, (byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
        (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00};
    byte[] reg = java.util.Arrays.copyOf(body.toByteArray(), body.toByteArray().length + kind.length);
    System.arraycopy(kind, 0, reg, body.toByteArray().length, kind.length);
    byte[] domain = "popw.v1.Registration\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] message = java.util.Arrays.copyOf(domain, domain.length + reg.length);
    System.arraycopy(reg, 0, message, domain.length, reg.length);
    byte[] signed = SignedRegistration.newBuilder().setRegistration(ByteString.copyFrom(reg))
        .setSignature(ByteString.copyFrom(signer.sign(message))).build().toByteArray();

    RegistrationResult r = Registrations.verify(signed);
    assertFalse(r.isValid(), "accepted kind " + r.registration().map(Registration::getKind).orElse(null));
    assertTrue(r.error().orElseThrow().contains("malformed varint"), r.error().orElseThrow());
  }

  /** Domain separation: the signature over a registration does not verify as telemetry. */
  @ParameterizedTest
  @EnumSource(KeyType.class)
  void a_registration_signature_is_no_telemetry_signature(KeyType type) throws Exception {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    SignedRegistration sr = SignedRegistration.parseFrom(
        Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    byte[] forged = SignedEnvelope.newBuilder().setVersion(1).setKeyTypeValue(type.wireValue())
        .setPublicKey(ByteString.copyFrom(signer.publicKey())).setTelemetry(sr.getRegistration())
        .setSignature(sr.getSignature()).build().toByteArray();
    assertTrue(EnvelopeVerifier.create().verify(forged).reason() != Reason.OK);
  }
}
