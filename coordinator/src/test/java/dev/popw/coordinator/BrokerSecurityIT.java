package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.client.DeviceClient;
import dev.popw.coordinator.mqtt.BrokerSettings;
import dev.popw.coordinator.mqtt.Refusal;
import dev.popw.coordinator.testing.TestCoordinatorKey;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.Await;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import dev.popw.transport.mqtt.ConnectToken;
import dev.popw.transport.mqtt.MqttTransport;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, findings against the embedded broker, each against a running coordinator with its
 * default security settings: anonymous clients and {@code #} refused, devices confined to their
 * own topics, client-id take-over only by the same device, replayed and stale connect tokens
 * refused, and the resource limits (subscriptions, keep-alive, packet size, connections per
 * address, a stalled subscriber) enforced and counted.
 */
class BrokerSecurityIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final String NETWORK = "popw-test";
  @TempDir static Path tmp;
  static Coordinator coordinator;
  static String uri;

  @BeforeAll
  static void start() {
    coordinator = start(tmp.resolve("data"), BrokerSettings.defaults());
    uri = "tcp://127.0.0.1:" + coordinator.mqttPort();
  }

  static Coordinator start(Path data, BrokerSettings broker) {
    TestCoordinatorKey.write(data.resolve("coordinator.key"));
    return Coordinator.start(CoordinatorSettings.defaults().withNetwork(NETWORK).withDataDirectory(data).withEmbeddedMqtt(0)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).withBatch(1000, Duration.ofHours(1))
        .toBuilder().bindHost("127.0.0.1").broker(broker).build());
  }

  @AfterAll
  static void stop() {
    coordinator.close();
  }

  static SoftwareSigner registered(Coordinator c) {
    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    c.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, NETWORK, Clock.systemUTC()));
    return signer;
  }

  static String telemetryTopic(SoftwareSigner d) {
    return "popw/v1/devices/" + d.deviceId() + "/telemetry";
  }

  static String receiptsTopic(SoftwareSigner d) {
    return "popw/v1/devices/" + d.deviceId() + "/receipts";
  }

  /** Connect options with the device's (or the coordinator's) own token for {@code clientId}. */
  static MqttConnectionOptions credentials(SoftwareSigner key, String clientId, long millis) {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setUserName(key.deviceId().toString());
    o.setPassword(ConnectToken.password(key, NETWORK, clientId, millis).getBytes(StandardCharsets.US_ASCII));
    o.setConnectionTimeout(5);
    return o;
  }

  static MqttAsyncClient client(String clientId, List<String> received) throws MqttException {
    MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
    c.setCallback(new MqttCallback() {
      @Override
      public void disconnected(MqttDisconnectResponse r) {}

      @Override
      public void mqttErrorOccurred(MqttException e) {}

      @Override
      public void messageArrived(String topic, MqttMessage message) {
        received.add(topic);
      }

      @Override
      public void deliveryComplete(IMqttToken token) {}

      @Override
      public void connectComplete(boolean reconnect, String serverUri) {}

      @Override
      public void authPacketArrived(int reasonCode, MqttProperties properties) {}
    });
    return c;
  }

  /** The CONNACK reason of a refused connection attempt. */
  static int refusedWith(MqttAsyncClient c, MqttConnectionOptions o) {
    MqttException e = assertThrows(MqttException.class, () -> c.connect(o).waitForCompletion(5_000));
    return e.getReasonCode();
  }

  static DeviceClient agent(SoftwareSigner signer, String name) {
    return DeviceClient.builder().signer(signer)
        .transport(MqttTransport.builder().serverUri(uri).ackTimeout(Duration.ofSeconds(5)).build())
        .coordinatorKey(coordinator.receiptKey()).stateDirectory(tmp.resolve(name)).networkId(NETWORK).build();
  }

  @Test
  void anonymous_clients_are_refused_and_a_device_cannot_subscribe_to_everything() throws Exception {
    long before = coordinator.broker().refusals(Refusal.NO_CREDENTIALS);
    MqttConnectionOptions anonymous = new MqttConnectionOptions();
    anonymous.setConnectionTimeout(5);
    assertEquals(0x86, refusedWith(client("anyone", new ArrayList<>()), anonymous), "bad user name or password");
    org.eclipse.paho.client.mqttv3.MqttClient v3 = new org.eclipse.paho.client.mqttv3.MqttClient(uri, "anyone-v3",
        new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    org.eclipse.paho.client.mqttv3.MqttConnectOptions o3 = new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
    o3.setMqttVersion(org.eclipse.paho.client.mqttv3.MqttConnectOptions.MQTT_VERSION_3_1_1);
    org.eclipse.paho.client.mqttv3.MqttException e3 = assertThrows(org.eclipse.paho.client.mqttv3.MqttException.class, () -> v3.connect(o3));
    assertEquals(org.eclipse.paho.client.mqttv3.MqttException.REASON_CODE_FAILED_AUTHENTICATION, e3.getReasonCode());
    v3.close();
    assertEquals(before + 2, coordinator.broker().refusals(Refusal.NO_CREDENTIALS));

    // An authenticated device asks for everything, and for another device's receipts and telemetry.
    SoftwareSigner snoop = registered(coordinator);
    SoftwareSigner victim = registered(coordinator);
    List<String> seen = new CopyOnWriteArrayList<>();
    MqttAsyncClient c = client(MqttTransport.defaultClientId(snoop.deviceId()), seen);
    c.connect(credentials(snoop, MqttTransport.defaultClientId(snoop.deviceId()), System.currentTimeMillis())).waitForCompletion(5_000);
    for (String filter : List.of("#", "popw/v1/devices/+/telemetry", receiptsTopic(victim), telemetryTopic(victim), "$share/g/popw/v1/devices/+/receipts")) {
      IMqttToken t = c.subscribe(filter, 1);
      t.waitForCompletion(5_000);
      assertArrayEquals(new int[] {0x80}, t.getReasonCodes(), filter + " must be refused");
    }
    IMqttToken own = c.subscribe(receiptsTopic(snoop), 1);
    own.waitForCompletion(5_000);
    assertArrayEquals(new int[] {1}, own.getReasonCodes(), "its own receipts: granted QoS 1");

    try (DeviceClient v = agent(victim, "victim")) {
      for (int i = 0; i < 5; i++) {
        v.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(v.drain(Duration.ofSeconds(30)), v.status().toString());
    }
    assertEquals(5, coordinator.store().envelopes().acceptedSequences(victim.deviceId().toString()).size());
    assertEquals(List.of(), seen, "the snoop received another device's traffic");
    c.disconnect().waitForCompletion(2_000);
    c.close();
  }

  @Test
  void a_device_publishes_only_to_its_own_telemetry_topic() throws Exception {
    SoftwareSigner mallory = registered(coordinator);
    SoftwareSigner victim = registered(coordinator);
    String id = MqttTransport.defaultClientId(mallory.deviceId());
    MqttAsyncClient c = client(id, new ArrayList<>());
    c.connect(credentials(mallory, id, System.currentTimeMillis())).waitForCompletion(5_000);
    byte[] envelope = EnvelopeSealer.builder().signer(mallory).sequence(new FixedSequence(1)).networkId(NETWORK).build()
        .seal(SampleTelemetry.weather()).bytes();
    long before = coordinator.broker().refusals(Refusal.PUBLISH_DENIED);
    for (String topic : List.of(telemetryTopic(victim), receiptsTopic(victim), "popw/v1/network/entropy", "anything")) {
      MqttMessage m = new MqttMessage(envelope);
      m.setQos(1);
      IMqttToken t = c.publish(topic, m);
      t.waitForCompletion(5_000);
      assertArrayEquals(new int[] {0x87}, t.getReasonCodes(), topic + ": PUBACK not authorized");
    }
    assertEquals(before + 4, coordinator.broker().refusals(Refusal.PUBLISH_DENIED));
    assertEquals(0, coordinator.store().envelopes().acceptedSequences(mallory.deviceId().toString()).size());
    assertEquals(0, coordinator.store().envelopes().acceptedSequences(victim.deviceId().toString()).size());
    // Its own topic: accepted and stored.
    MqttMessage m = new MqttMessage(envelope);
    m.setQos(1);
    IMqttToken t = c.publish(telemetryTopic(mallory), m);
    t.waitForCompletion(5_000);
    assertArrayEquals(new int[] {0}, t.getReasonCodes());
    List<long[]> stored = coordinator.store().envelopes().acceptedSequences(mallory.deviceId().toString());
    assertEquals(1, stored.size());
    assertEquals(1L, stored.get(0)[0], "sequence 1 stored");
    c.disconnect().waitForCompletion(2_000);
    c.close();
  }

  /**
   * The client id is the device id, and a connection with it is accepted only from the same device:
   * 20 take-over attempts (none, a stranger's own and a replayed token) do not disconnect the agent.
   */
  @Test
  void client_id_take_over_is_refused_and_the_agent_keeps_delivering() throws Exception {
    SoftwareSigner device = registered(coordinator);
    SoftwareSigner stranger = registered(coordinator);
    String id = MqttTransport.defaultClientId(device.deviceId());
    try (DeviceClient agent = agent(device, "takeover")) {
      agent.submit(SampleTelemetry.weather()).join();
      assertTrue(agent.drain(Duration.ofSeconds(30)), agent.status().toString());
      long connects = coordinator.broker().acceptedConnections();
      // A token the device really issued, captured and replayed (it is not newer than the last one).
      MqttConnectionOptions captured = credentials(device, id, System.currentTimeMillis() - 1_000);
      for (int i = 0; i < 20; i++) {
        MqttConnectionOptions o = switch (i % 3) {
          case 0 -> new MqttConnectionOptions();
          case 1 -> credentials(stranger, id, System.currentTimeMillis());
          default -> captured;
        };
        o.setConnectionTimeout(5);
        int reason = refusedWith(client(id, new ArrayList<>()), o);
        assertTrue(reason == 0x86 || reason == 0x87, "attempt " + i + " refused with " + reason);
        agent.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(agent.drain(Duration.ofSeconds(30)), agent.status().toString());
      assertEquals(connects, coordinator.broker().acceptedConnections(), "no attempt connected, so the agent was never kicked off");
      assertTrue(agent.status().connected());
    }
    assertEquals(21, coordinator.store().envelopes().acceptedSequences(device.deviceId().toString()).size());
  }

  @Test
  void stale_replayed_foreign_network_and_unregistered_tokens_are_refused() throws Exception {
    SoftwareSigner device = registered(coordinator);
    String id = MqttTransport.defaultClientId(device.deviceId());
    long now = System.currentTimeMillis();
    assertEquals(0x86, refusedWith(client(id, new ArrayList<>()), credentials(device, id, now - 301_000)), "older than the window");
    assertEquals(0x86, refusedWith(client(id, new ArrayList<>()), credentials(device, id, now + 301_000)), "ahead of the window");
    MqttConnectionOptions wrongNetwork = new MqttConnectionOptions();
    wrongNetwork.setUserName(device.deviceId().toString());
    wrongNetwork.setPassword(ConnectToken.password(device, "popw-mainnet", id, now).getBytes(StandardCharsets.US_ASCII));
    wrongNetwork.setConnectionTimeout(5);
    assertEquals(0x86, refusedWith(client(id, new ArrayList<>()), wrongNetwork), "a token for another network");
    assertEquals(0x87, refusedWith(client("other-id", new ArrayList<>()), credentials(device, "other-id", now)), "another client id");

    MqttConnectionOptions good = credentials(device, id, now);
    MqttAsyncClient c = client(id, new ArrayList<>());
    c.connect(good).waitForCompletion(5_000);
    c.disconnect().waitForCompletion(2_000);
    c.close();
    assertEquals(0x86, refusedWith(client(id, new ArrayList<>()), good), "the same token twice");

    SoftwareSigner unknown = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
    String uid = MqttTransport.defaultClientId(unknown.deviceId());
    assertEquals(0x87, refusedWith(client(uid, new ArrayList<>()), credentials(unknown, uid, now)), "not registered: not authorized");
    MqttAsyncClient live = client(id, new ArrayList<>());
    live.connect(credentials(device, id, System.currentTimeMillis())).waitForCompletion(5_000);
    coordinator.registry().setActive(device.deviceId(), false);
    Await.until(Duration.ofSeconds(5), () -> !live.isConnected(), () -> "a deactivated device's connection is closed");
    live.close();
    assertEquals(0x87, refusedWith(client(id, new ArrayList<>()), credentials(device, id, System.currentTimeMillis() + 1)), "deactivated");
    coordinator.registry().setActive(device.deviceId(), true);
  }

  @Test
  void subscriptions_keep_alive_and_packet_size_are_bounded() throws Exception {
    SoftwareSigner device = registered(coordinator);
    String id = MqttTransport.defaultClientId(device.deviceId());
    MqttAsyncClient c = client(id, new ArrayList<>());
    MqttConnectionOptions o = credentials(device, id, System.currentTimeMillis());
    o.setKeepAliveInterval(0); // "never": the broker answers with its maximum
    IMqttToken connected = c.connect(o);
    connected.waitForCompletion(5_000);
    assertEquals(300, connected.getResponseProperties().getServerKeepAlive(), "server keep-alive = mqtt.max_keep_alive_seconds");
    long before = coordinator.broker().refusals(Refusal.TOO_MANY_SUBSCRIPTIONS);
    for (int i = 0; i < 16; i++) {
      IMqttToken t = c.subscribe("popw/v1/network/topic-" + i, 0);
      t.waitForCompletion(5_000);
      assertArrayEquals(new int[] {0}, t.getReasonCodes());
    }
    IMqttToken t = c.subscribe("popw/v1/network/one-too-many", 0);
    t.waitForCompletion(5_000);
    assertArrayEquals(new int[] {0x80}, t.getReasonCodes(), "the 17th subscription");
    assertEquals(before + 1, coordinator.broker().refusals(Refusal.TOO_MANY_SUBSCRIPTIONS));
    c.disconnect().waitForCompletion(2_000);
    c.close();

    // MQTT 3.1.1 cannot be told another keep-alive: 0 is refused (identifier rejected).
    try (Socket s = new Socket("127.0.0.1", coordinator.mqttPort())) {
      s.setSoTimeout(5_000);
      long millis = System.currentTimeMillis();
      write(s.getOutputStream(), connect(4, 0, id, device.deviceId().toString(), ConnectToken.password(device, NETWORK, id, millis)));
      byte[] connack = readPacket(new DataInputStream(s.getInputStream()));
      assertEquals(0x20, connack[0] & 0xFF);
      assertEquals(0x02, connack[connack.length - 1], "CONNACK identifier rejected");
    }

    // A packet above mqtt.max_packet_bytes (32 KiB) closes the connection.
    long large = coordinator.broker().refusals(Refusal.MALFORMED_PACKET);
    try (Socket s = new Socket("127.0.0.1", coordinator.mqttPort())) {
      s.setSoTimeout(5_000);
      long millis = System.currentTimeMillis() + 1;
      write(s.getOutputStream(), connect(5, 60, id, device.deviceId().toString(), ConnectToken.password(device, NETWORK, id, millis)));
      DataInputStream in = new DataInputStream(s.getInputStream());
      assertEquals(0, readPacket(in)[2], "connected");
      write(s.getOutputStream(), publish(telemetryTopic(device), new byte[40_000]));
      assertEquals(-1, in.read(), "closed by the broker");
    }
    Await.until(Duration.ofSeconds(5), () -> coordinator.broker().refusals(Refusal.MALFORMED_PACKET) == large + 1,
        () -> "refusals " + coordinator.broker().refusals(Refusal.MALFORMED_PACKET));
  }

  @Test
  void connections_per_address_are_bounded() throws Exception {
    BrokerSettings limits = BrokerSettings.defaults();
    limits = new BrokerSettings(false, limits.tokenWindow(), limits.maxPacketBytes(), limits.maxSubscriptionsPerClient(),
        limits.maxInflightPerClient(), limits.maxBufferedBytesPerClient(), limits.maxKeepAliveSeconds(), 3, limits.maxConnections());
    try (Coordinator c = start(tmp.resolve("data-per-address"), limits)) {
      List<Socket> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          open.add(new Socket("127.0.0.1", c.mqttPort()));
        }
        Await.until(Duration.ofSeconds(5), () -> c.broker().connectionCount() == 3, () -> c.broker().connectionCount() + " connections");
        try (Socket fourth = new Socket("127.0.0.1", c.mqttPort())) {
          fourth.setSoTimeout(5_000);
          assertEquals(-1, fourth.getInputStream().read(), "the fourth connection from this address is closed");
        }
        assertEquals(1, c.broker().refusals(Refusal.TOO_MANY_CONNECTIONS));
        open.remove(0).close();
        Await.until(Duration.ofSeconds(5), () -> c.broker().connectionCount() == 2, () -> c.broker().connectionCount() + " connections");
        try (Socket again = new Socket("127.0.0.1", c.mqttPort())) {
          again.setSoTimeout(300);
          assertThrows(SocketTimeoutException.class, () -> again.getInputStream().read(), "a free slot: kept open");
        }
      } finally {
        for (Socket s : open) {
          s.close();
        }
      }
    }
  }

  /**
   * A subscriber that stops reading (here the coordinator's own superuser client, subscribed to every
   * device's telemetry) is disconnected once 1 MiB is queued towards it, and what the broker holds
   * for it stays bounded, while a device keeps publishing 15 KB messages.
   */
  @Test
  void a_stalled_subscriber_is_disconnected_and_buffered_bytes_stay_bounded() throws Exception {
    SoftwareSigner device = registered(coordinator);
    SoftwareSigner superuser = TestKeys.coordinator();
    long slow = coordinator.broker().refusals(Refusal.SLOW_CONSUMER);
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new java.net.InetSocketAddress("127.0.0.1", coordinator.mqttPort()));
      stalled.setSoTimeout(5_000);
      write(stalled.getOutputStream(), connect(5, 60, "stalled", superuser.deviceId().toString(),
          ConnectToken.password(superuser, NETWORK, "stalled", System.currentTimeMillis())));
      DataInputStream in = new DataInputStream(stalled.getInputStream());
      assertEquals(0, readPacket(in)[2], "the superuser connected");
      write(stalled.getOutputStream(), subscribe("popw/v1/devices/+/telemetry"));
      assertEquals(0x90, readPacket(in)[0] & 0xFF, "SUBACK");
      // From now on the stalled client reads nothing.
      String id = MqttTransport.defaultClientId(device.deviceId());
      MqttAsyncClient pub = client(id, new ArrayList<>());
      pub.connect(credentials(device, id, System.currentTimeMillis())).waitForCompletion(5_000);
      long maxBuffered = 0;
      for (int i = 0; i < 2_000 && coordinator.broker().refusals(Refusal.SLOW_CONSUMER) == slow; i++) {
        MqttMessage m = new MqttMessage(new byte[15_000]);
        m.setQos(1);
        pub.publish(telemetryTopic(device), m).waitForCompletion(5_000);
        maxBuffered = Math.max(maxBuffered, coordinator.broker().bufferedBytes());
      }
      assertEquals(slow + 1, coordinator.broker().refusals(Refusal.SLOW_CONSUMER), "disconnected as a slow consumer");
      assertTrue(maxBuffered <= 1024 * 1024 + 32 * 1024, "buffered at most the limit and one packet: " + maxBuffered);
      pub.disconnect().waitForCompletion(2_000);
      pub.close();
    }
  }

  // --- hand-made MQTT packets, for what Paho will not send ---

  static byte[] connect(int version, int keepAlive, String clientId, String user, String password) {
    java.io.ByteArrayOutputStream v = new java.io.ByteArrayOutputStream();
    v.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', (byte) version, (byte) 0xC2, (byte) (keepAlive >> 8), (byte) keepAlive});
    if (version >= 5) {
      v.write(0); // no properties
    }
    utf8(v, clientId);
    utf8(v, user);
    utf8(v, password);
    return packet(0x10, v.toByteArray());
  }

  static byte[] publish(String topic, byte[] payload) {
    java.io.ByteArrayOutputStream v = new java.io.ByteArrayOutputStream();
    utf8(v, topic);
    v.write(0); // MQTT 5 properties (QoS 0: no packet id)
    v.writeBytes(payload);
    return packet(0x30, v.toByteArray());
  }

  static byte[] subscribe(String filter) {
    java.io.ByteArrayOutputStream v = new java.io.ByteArrayOutputStream();
    v.writeBytes(new byte[] {0, 1, 0}); // packet id 1, no properties
    utf8(v, filter);
    v.write(0); // QoS 0
    return packet(0x82, v.toByteArray());
  }

  static void utf8(java.io.ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(b.length >> 8);
    out.write(b.length);
    out.writeBytes(b);
  }

  static byte[] packet(int header, byte[] body) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(header);
    int len = body.length;
    do {
      int b = len & 0x7F;
      len >>>= 7;
      out.write(len > 0 ? b | 0x80 : b);
    } while (len > 0);
    out.writeBytes(body);
    return out.toByteArray();
  }

  static void write(OutputStream out, byte[] packet) throws IOException {
    out.write(packet);
    out.flush();
  }

  /** One packet: the fixed header's first byte, then the body. */
  static byte[] readPacket(InputStream raw) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    int type = in.readUnsignedByte();
    int len = 0;
    int shift = 0;
    int b;
    do {
      b = in.readUnsignedByte();
      len |= (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    byte[] out = new byte[len + 1];
    out[0] = (byte) type;
    in.readFully(out, 1, len);
    return out;
  }
}
