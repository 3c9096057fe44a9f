package dev.popw.transport.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.transport.TransportListener;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client id a device sends in its MQTT CONNECT: derived from the whole device id, so devices
 * never share one. Read off the wire from a socket standing in for the broker (MQTT 5 CONNECT
 * layout: OASIS MQTT Version 5.0, section 3.1).
 */
class MqttClientIdTest {

  /** Two Ed25519 ids whose {@code hashCode()} is equal: bytes (a, b) and (a + 1, b - 31) hash alike. */
  static DeviceId[] idsWithTheSameHashCode() {
    byte[] k1 = new byte[32];
    new SecureRandom().nextBytes(k1);
    k1[10] = 40;
    k1[11] = 100;
    byte[] k2 = k1.clone();
    k2[10] = 41;
    k2[11] = 69;
    return new DeviceId[] {DeviceId.of(KeyType.ED25519, k1), DeviceId.of(KeyType.ED25519, k2)};
  }

  @Test
  void devices_whose_ids_share_a_hash_code_get_different_client_ids() throws Exception {
    DeviceId[] ids = idsWithTheSameHashCode();
    assertEquals(ids[0].hashCode(), ids[1].hashCode(), "the fixture is a real hash collision");
    assertNotEquals(ids[0], ids[1]);
    String a = clientIdSentBy(ids[0]);
    String b = clientIdSentBy(ids[1]);
    assertNotEquals(a, b, "each device has its own MQTT session");
    assertEquals(ids[0].toString(), "did:key:" + a, "the client id is the did:key's method-specific id");
    assertEquals(ids[1].toString(), "did:key:" + b);
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void the_client_id_is_the_method_specific_id_in_letters_and_digits_only(KeyType type) throws Exception {
    DeviceId id = SoftwareSigner.generate(type, new SecureRandom()).deviceId();
    String sent = clientIdSentBy(id);
    assertEquals(MqttTransport.defaultClientId(id), sent);
    assertTrue(sent.matches("z[0-9A-Za-z]+"), sent);
    assertTrue(sent.length() <= 49, sent.length() + " characters: " + sent);
    assertEquals(id, DeviceId.parse("did:key:" + sent), "the device id can be read back from the client id");
  }

  @Test
  void an_explicit_client_id_wins() throws Exception {
    DeviceId id = idsWithTheSameHashCode()[0];
    assertEquals("gateway-7", clientIdSentBy(id, MqttTransport.builder().clientId("gateway-7")));
  }

  private static String clientIdSentBy(DeviceId device) throws Exception {
    return clientIdSentBy(device, MqttTransport.builder());
  }

  /** Starts a transport against a socket that only reads the CONNECT packet, and returns its client id. */
  private static String clientIdSentBy(DeviceId device, MqttTransport.Builder b) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(10_000);
      MqttTransport t = b.serverUri("tcp://127.0.0.1:" + server.getLocalPort()).ackMode(AckMode.PUBACK)
          .connectTimeout(Duration.ofSeconds(5)).build();
      try {
        t.start(device, dev.popw.testing.TestKeys.coordinatorTrust(), TransportListener.NONE);
        try (Socket s = server.accept()) {
          return readConnectClientId(s.getInputStream());
        }
      } finally {
        t.close();
      }
    }
  }

  static String readConnectClientId(InputStream raw) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    int type = in.readUnsignedByte();
    assertEquals(0x10, type, "first packet is CONNECT");
    varint(in); // remaining length
    byte[] protocol = new byte[in.readUnsignedShort()];
    in.readFully(protocol);
    assertEquals("MQTT", new String(protocol, StandardCharsets.UTF_8));
    int version = in.readUnsignedByte();
    in.readUnsignedByte(); // connect flags
    in.readUnsignedShort(); // keep alive
    if (version >= 5) {
      in.skipNBytes(varint(in)); // properties
    }
    byte[] id = new byte[in.readUnsignedShort()];
    in.readFully(id);
    return new String(id, StandardCharsets.UTF_8);
  }

  private static int varint(DataInputStream in) throws IOException {
    int value = 0;
    for (int shift = 0; ; shift += 7) {
      int b = in.readUnsignedByte();
      value |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
  }
}
