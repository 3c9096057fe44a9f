package dev.popw.transport.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.encoding.Hex;
import dev.popw.testing.DocumentedVectors;
import dev.popw.testing.TestKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The MQTT connect token: the documented vector (docs/security.md, "connect token ed25519") and what {@link ConnectToken#verify} refuses. */
class ConnectTokenTest {
  private static final Path DOC = DocumentedVectors.doc("security.md");
  private static final long MILLIS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  /** The vector: RFC 8032 section 7.1 TEST 1's key, network popw-devnet, its default client id. */
  static Map<String, String> vector() {
    SoftwareSigner device = TestKeys.signer(KeyType.ED25519);
    String clientId = MqttTransport.defaultClientId(device.deviceId());
    Map<String, String> v = new LinkedHashMap<>();
    v.put("device_public_key", Hex.encode(device.publicKey()));
    v.put("username", device.deviceId().toString());
    v.put("network_id", "popw-devnet");
    v.put("client_id", clientId);
    v.put("unix_millis", Long.toString(MILLIS));
    v.put("signed_message", Hex.encode(ConnectToken.message("popw-devnet", clientId, MILLIS)));
    v.put("password", ConnectToken.password(device, "popw-devnet", clientId, MILLIS));
    return v;
  }

  public static void main(String[] args) {
    vector().forEach((k, val) -> System.out.println(k + ": " + val));
  }

  @Test
  void the_document_matches_the_code() {
    assertEquals(vector(), DocumentedVectors.block(DOC, "connect token ed25519"), "docs/security.md is stale: regenerate with ConnectTokenTest.main");
  }

  @Test
  void the_documented_vector_verifies_with_the_jdk() throws Exception {
    Map<String, String> v = DocumentedVectors.block(DOC, "connect token ed25519");
    String message = "popw-mqtt-connect-v1\n" + v.get("network_id") + "\n" + v.get("client_id") + "\n" + v.get("unix_millis");
    assertEquals(v.get("signed_message"), Hex.encode(message.getBytes(StandardCharsets.UTF_8)));
    String[] parts = v.get("password").split("\\.");
    assertEquals("v1", parts[0]);
    assertEquals(v.get("unix_millis"), parts[1]);
    PublicKey pk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Hex.decode("302a300506032b6570032100" + v.get("device_public_key"))));
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(pk);
    s.update(message.getBytes(StandardCharsets.UTF_8));
    assertTrue(s.verify(Base64.getUrlDecoder().decode(parts[2])));
    ConnectToken.Check c = ConnectToken.verify(v.get("username"), v.get("password").getBytes(StandardCharsets.US_ASCII), v.get("network_id"), v.get("client_id"));
    assertTrue(c.ok(), String.valueOf(c));
    assertEquals(MILLIS, c.unixMillis());
    assertEquals(DeviceId.parse(v.get("username")), c.device());
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void every_key_type_signs_tokens_that_verify_only_for_their_network_and_client_id(KeyType type) {
    SoftwareSigner d = TestKeys.signer(type);
    String id = MqttTransport.defaultClientId(d.deviceId());
    byte[] p = ConnectToken.password(d, "popw-devnet", id, MILLIS).getBytes(StandardCharsets.US_ASCII);
    assertTrue(ConnectToken.verify(d.deviceId().toString(), p, "popw-devnet", id).ok());
    assertEquals(ConnectToken.Failure.BAD_SIGNATURE, ConnectToken.verify(d.deviceId().toString(), p, "popw-mainnet", id).failure());
    assertEquals(ConnectToken.Failure.BAD_SIGNATURE, ConnectToken.verify(d.deviceId().toString(), p, "popw-devnet", id + "x").failure());
    SoftwareSigner other = TestKeys.signer(type == KeyType.ED25519 ? KeyType.ECDSA_P256 : KeyType.ED25519);
    assertEquals(ConnectToken.Failure.BAD_SIGNATURE, ConnectToken.verify(other.deviceId().toString(), p, "popw-devnet", id).failure(),
        "another device's name with this token");
  }

  @Test
  void malformed_credentials_are_refused_with_their_reason() {
    SoftwareSigner d = TestKeys.signer(KeyType.ED25519);
    String id = MqttTransport.defaultClientId(d.deviceId());
    String user = d.deviceId().toString();
    String good = ConnectToken.password(d, "popw-devnet", id, MILLIS);
    assertEquals(ConnectToken.Failure.BAD_USERNAME, ConnectToken.verify(null, good.getBytes(), "popw-devnet", id).failure());
    assertEquals(ConnectToken.Failure.BAD_USERNAME, ConnectToken.verify("alice", good.getBytes(), "popw-devnet", id).failure());
    for (String bad : new String[] {"", "v1", "v2." + good.substring(3), good.replace("v1." + MILLIS, "v1.0" + MILLIS),
        good.replace("v1." + MILLIS, "v1.-" + MILLIS), good.replace("v1." + MILLIS, "v1.99999999999999999999"), good + "=", good + "A",
        good.substring(0, good.length() - 2), "v1." + MILLIS + "." + "A".repeat(200)}) {
      assertEquals(ConnectToken.Failure.MALFORMED, ConnectToken.verify(user, bad.getBytes(StandardCharsets.US_ASCII), "popw-devnet", id).failure(), bad);
    }
    assertEquals(ConnectToken.Failure.BAD_SIGNATURE,
        ConnectToken.verify(user, good.replace("v1." + MILLIS, "v1." + (MILLIS + 1)).getBytes(), "popw-devnet", id).failure(), "another time");
  }
}
