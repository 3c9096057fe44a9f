package dev.popw.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Registration;
import dev.popw.proto.v1.SignedRegistration;
import dev.popw.testing.DocumentedVectors;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The registration vectors of docs/wire-format.md and the code agree byte for byte, and they verify. */
class RegistrationVectorsTest {
  private static final Path DOC = DocumentedVectors.doc("wire-format.md");

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void the_document_matches_the_code(KeyType type) {
    assertEquals(RegistrationVectors.compute(type), DocumentedVectors.block(DOC, "registration " + type.label()),
        "docs/wire-format.md is stale: regenerate it with RegistrationVectors.main");
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void the_vector_verifies_and_names_device_owner_kind_place_time_and_network(KeyType type) throws Exception {
    Map<String, String> v = DocumentedVectors.block(DOC, "registration " + type.label());
    RegistrationResult r = Registrations.verify(Hex.decode(v.get("signed_registration")));
    assertTrue(r.isValid(), r.error().orElse(""));
    assertEquals(v.get("device_id"), r.deviceId().orElseThrow().toString());
    assertEquals(EvmAddress.parse(v.get("owner")), r.owner().orElseThrow());
    Registration reg = r.registration().orElseThrow();
    assertEquals(DeviceKind.SENSOR, reg.getKind());
    assertEquals(52.520008, reg.getLocation().getLatitude());
    assertEquals(13.404954, reg.getLocation().getLongitude());
    assertEquals(Instant.parse("2026-11-24T12:00:00Z").toEpochMilli(), reg.getTimestampMs());
    assertEquals("popw-devnet", reg.getNetworkId());
    SignedRegistration sr = SignedRegistration.parseFrom(Hex.decode(v.get("signed_registration")));
    assertEquals(v.get("registration"), Hex.encode(sr.getRegistration().toByteArray()));
    assertEquals(v.get("signature"), Hex.encode(sr.getSignature().toByteArray()));
    assertEquals("706f70772e76312e526567697374726174696f6e00" + v.get("registration"), v.get("signed_message"),
        "the signed message is \"popw.v1.Registration\", a zero byte, then the registration");
  }

  /** The JDK's own provider (SunEC), which shares no code with Bouncy Castle, verifies the Ed25519 and P-256 vectors. */
  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"ED25519", "ECDSA_P256"})
  void the_jdk_verifies_the_signature(KeyType type) throws Exception {
    Map<String, String> v = DocumentedVectors.block(DOC, "registration " + type.label());
    Signature sig;
    PublicKey key;
    if (type == KeyType.ED25519) {
      key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Hex.decode("302a300506032b6570032100" + v.get("public_key"))));
      sig = Signature.getInstance("Ed25519");
    } else {
      org.bouncycastle.math.ec.ECPoint q = EcdsaScheme.P256.decodeAnyPublicKey(Hex.decode(v.get("public_key"))).point().normalize();
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
          new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), params.getParameterSpec(ECParameterSpec.class)));
      sig = Signature.getInstance("SHA256withECDSAinP1363Format");
    }
    sig.initVerify(key);
    sig.update(Hex.decode(v.get("signed_message")));
    assertTrue(sig.verify(Hex.decode(v.get("signature"))), "SunEC rejects the " + type.label() + " registration vector");
  }
}
