package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.popw.client.DeviceClient;
import dev.popw.client.DeviceStatus;
import dev.popw.coordinator.cli.CoordinatorCli;
import dev.popw.coordinator.pki.DeviceCertificateAuthority;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.receipt.ReceiptCheck;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.registration.Registrations;
import dev.popw.testing.Await;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.mqtt.MqttTransport;
import dev.popw.transport.mqtt.Topics;
import dev.popw.transport.tls.PemTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13, external brokers: a real Mosquitto, configured only with what {@code popw-coordinator
 * mosquitto-config} writes, enforces the embedded broker's rules with per-device client
 * certificates from the coordinator's device CA. The coordinator consumes through its own client
 * certificate; devices (Java 17's TLS through sdk-core's MqttTransport, Ed25519 and P-256 keys)
 * use the certificate {@code GET /v1/devices/{id}/certificate} issued for their own key.
 */
class MosquittoAclIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final String COORDINATOR_NAME = "popw-coordinator-it";
  private static final byte[] MQTT_CONNECT = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'x'};
  @TempDir static Path tmp;
  static Path bundle;
  static Mosquitto broker;
  static Coordinator coordinator;
  static int port;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Mosquitto.installedBinary() != null,
        "SKIPPED: no Mosquitto binary (/usr/sbin/mosquitto); install it with 'apt-get install mosquitto'");
    port = Mosquitto.freePort();
    bundle = tmp.resolve("bundle");
    Path settings = tmp.resolve("coordinator.toml");
    Files.writeString(settings, String.join("\n",
        "network_id = \"popw-test\"", "data_dir = \"" + tmp.resolve("data") + "\"",
        "[mqtt]", "url = \"ssl://127.0.0.1:" + port + "\"", "client_id = \"" + COORDINATOR_NAME + "\"",
        "[mqtt.tls]", "ca_file = \"" + bundle.resolve("ca.crt") + "\"", "cert_file = \"" + bundle.resolve("coordinator.crt") + "\"",
        "key_file = \"" + bundle.resolve("coordinator.key") + "\"",
        "[coap]", "port = -1", "[api]", "port = 0", "[batch]", "max_age_seconds = 3600", ""));
    assertEquals(0, CoordinatorCli.execute("mosquitto-config", bundle.toString(), "--config", settings.toString(),
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--host", "127.0.0.1"));

    broker = Mosquitto.startIncluding(tmp.resolve("broker"), bundle, port); // the generated mosquitto.conf, as written

    coordinator = Coordinator.start(SettingsLoader.load(settings, Map.of()));
    Await.until(Duration.ofSeconds(15), coordinator::mqttConnected, () -> "the coordinator did not connect with its certificate: " + log());
  }

  @AfterAll
  static void stop() throws Exception {
    if (coordinator != null) {
      coordinator.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = KeyType.class, names = {"ED25519", "ECDSA_P256"})
  void a_device_with_its_certificate_delivers_and_gets_signed_receipts(KeyType type) throws Exception {
    Device d = device(type);
    try (DeviceClient client = DeviceClient.builder().signer(d.signer)
        .transport(MqttTransport.builder().serverUri(uri()).caCertificates(bundle.resolve("ca.crt"))
            .clientCertificate(d.cert, d.key).ackTimeout(Duration.ofSeconds(10)).build())
        .coordinatorKey(coordinator.receiptKey()).stateDirectory(tmp.resolve("state-" + type)).networkId("popw-test").build()) {
      for (int i = 0; i < 3; i++) {
        client.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(client.drain(Duration.ofSeconds(30)), client.status() + "; broker log: " + log());
      DeviceStatus s = client.status();
      assertEquals(3, s.acknowledged(), "acknowledged only by receipts the coordinator signed: " + s);
      assertEquals(0, s.ignoredReceipts(), s.toString());
    }
    assertEquals(3, coordinator.store().envelopes().acceptedSequences(d.id()).size());
  }

  @Test
  void a_device_cannot_publish_on_another_devices_telemetry_topic() throws Exception {
    Device a = device(KeyType.ED25519);
    Device b = device(KeyType.ECDSA_P256);
    // B's own, validly signed envelope, published by A on B's topic: the broker must not pass it on.
    SealedEnvelope forged = EnvelopeSealer.builder().signer(b.signer).sequence(new FixedSequence(1)).networkId("popw-test").build()
        .seal(SampleTelemetry.weather());
    try (Raw raw = new Raw(a, "a-" + System.nanoTime())) {
      raw.subscribe(a.receipts());
      assertEquals(135, raw.publish(b.telemetry(), forged.bytes()), "PUBACK: not authorized (0x87)");
      // Then A's own envelope on its own topic. Mosquitto forwards one client's messages in order, and
      // the coordinator answers it: once its receipt is back, the forged one would have arrived first.
      SealedEnvelope own = EnvelopeSealer.builder().signer(a.signer).sequence(new FixedSequence(1)).networkId("popw-test").build()
          .seal(SampleTelemetry.weather());
      assertEquals(0, raw.publish(a.telemetry(), own.bytes()));
      raw.awaitReceipt(own.hash(), a);
    }
    assertTrue(coordinator.store().envelopes().envelope(forged.hash()).isEmpty(), "the forged envelope reached the coordinator");
    assertTrue(coordinator.store().envelopes().rejectionOf(forged.hash()).isEmpty(), "the forged envelope reached the coordinator");
    assertEquals(0, coordinator.store().envelopes().acceptedSequences(b.id()).size());
    assertTrue(log().contains("Denied PUBLISH from " + a.id()), "the broker logs the refusal: " + log());
  }

  @Test
  void a_device_receives_nothing_but_its_own_receipts() throws Exception {
    Device a = device(KeyType.ED25519);
    Device b = device(KeyType.ED25519);
    try (Raw raw = new Raw(a, "a-" + System.nanoTime())) {
      List<String> granted = new ArrayList<>();
      for (String filter : new String[] {"#", Topics.PREFIX + "/+/receipts", Topics.PREFIX + "/+/telemetry", b.receipts(),
          b.telemetry(), "$SYS/#", a.receipts()}) {
        granted.add(filter + " -> " + raw.subscribe(filter));
      }
      // B delivers (its telemetry and its receipt cross the broker), then A: A's own receipt, which
      // the coordinator publishes after B's on the same connection, is the last message A can get.
      try (DeviceClient client = DeviceClient.builder().signer(b.signer)
          .transport(MqttTransport.builder().serverUri(uri()).caCertificates(bundle.resolve("ca.crt"))
              .clientCertificate(b.cert, b.key).ackTimeout(Duration.ofSeconds(10)).build())
          .coordinatorKey(coordinator.receiptKey()).stateDirectory(tmp.resolve("state-b-" + System.nanoTime())).networkId("popw-test")
          .build()) {
        client.submit(SampleTelemetry.weather()).join();
        assertTrue(client.drain(Duration.ofSeconds(30)), client.status().toString());
        assertEquals(1, client.status().acknowledged(), "B got its receipt: " + client.status());
      }
      SealedEnvelope own = EnvelopeSealer.builder().signer(a.signer).sequence(new FixedSequence(1)).networkId("popw-test").build()
          .seal(SampleTelemetry.weather());
      assertEquals(0, raw.publish(a.telemetry(), own.bytes()));
      raw.awaitReceipt(own.hash(), a);
      System.out.println("SUBACK reason codes (Mosquitto grants and filters on delivery): " + granted);
      assertEquals(java.util.Set.of(a.receipts()), new java.util.HashSet<>(raw.topics()),
          "A subscribed " + granted + " and may get only its own receipts");
    }
  }

  @Test
  void a_device_cannot_take_over_the_coordinators_session() throws Exception {
    Device a = device(KeyType.ED25519);
    // use_username_as_clientid: the broker names the session after the certificate, not the client id asked for.
    try (Raw raw = new Raw(a, COORDINATOR_NAME)) {
      Device b = device(KeyType.ECDSA_P256);
      try (DeviceClient client = DeviceClient.builder().signer(b.signer)
          .transport(MqttTransport.builder().serverUri(uri()).caCertificates(bundle.resolve("ca.crt"))
              .clientCertificate(b.cert, b.key).ackTimeout(Duration.ofSeconds(10)).build())
          .coordinatorKey(coordinator.receiptKey()).stateDirectory(tmp.resolve("state-takeover")).networkId("popw-test").build()) {
        client.submit(SampleTelemetry.weather()).join();
        assertTrue(client.drain(Duration.ofSeconds(30)), client.status().toString());
      }
      assertTrue(coordinator.mqttConnected());
      assertTrue(log().contains(" as " + a.id() + " "), "A's session is named after its certificate: " + log());
      assertTrue(!log().contains("Client " + COORDINATOR_NAME + " already connected"), "the coordinator was disconnected: " + log());
    }
  }

  @Test
  void a_client_without_a_certificate_is_refused_in_the_tls_handshake() throws Exception {
    String outcome = mqttConnect(PemTls.context(bundle.resolve("ca.crt"), null, null));
    System.out.println("without a certificate: " + outcome);
    assertTrue(outcome.startsWith("refused: javax.net.ssl.SSLHandshakeException"), outcome);
  }

  @Test
  void a_certificate_for_the_same_key_and_id_from_another_ca_is_refused() throws Exception {
    Device a = device(KeyType.ED25519);
    String good = mqttConnect(PemTls.context(bundle.resolve("ca.crt"), a.cert, a.key));
    assertEquals("CONNACK 0", good, "the genuine certificate connects");
    DeviceCertificateAuthority other = DeviceCertificateAuthority.loadOrCreate(tmp.resolve("other/ca.key"), tmp.resolve("other/ca.crt"),
        "popw-test", Duration.ofDays(1), Clock.systemUTC());
    Path foreign = tmp.resolve("foreign-" + System.nanoTime() + ".crt");
    Files.writeString(foreign, DeviceCertificateAuthority.pem(other.issueDevice(a.signer.deviceId())));
    String outcome = mqttConnect(PemTls.context(bundle.resolve("ca.crt"), foreign, a.key));
    System.out.println("with another CA's certificate: " + outcome);
    assertTrue(outcome.startsWith("refused: javax.net.ssl.SSLHandshakeException"), outcome);
  }

  // --- helpers

  private static String uri() {
    return "ssl://127.0.0.1:" + port;
  }

  private static String log() {
    return broker.log();
  }

  /**
   * A TLS connection and an MQTT 3.1.1 CONNECT: {@code "CONNACK <code>"}, or {@code "refused: ..."}
   * when the TLS handshake fails (in TLS 1.3 the server's verdict on the client certificate comes
   * as an alert after the client's side of the handshake, so on the first read).
   */
  private static String mqttConnect(SSLContext tls) throws IOException {
    try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      OutputStream out = s.getOutputStream();
      out.write(MQTT_CONNECT);
      out.flush();
      InputStream in = s.getInputStream();
      byte[] connack = in.readNBytes(4);
      if (connack.length < 4) {
        return "refused: the broker closed the connection";
      }
      return connack[0] == 0x20 ? "CONNACK " + connack[3] : "unexpected packet " + connack[0];
    } catch (SSLException e) {
      return "refused: " + e;
    } catch (java.net.SocketException e) {
      return "refused: " + e;
    }
  }

  /** A registered device with its key file and the certificate the coordinator's API issued for it. */
  private record Device(SoftwareSigner signer, Path key, Path cert) {
    String id() {
      return signer.deviceId().toString();
    }

    String telemetry() {
      return Topics.telemetry(Topics.PREFIX, signer.deviceId());
    }

    String receipts() {
      return Topics.receipts(Topics.PREFIX, signer.deviceId());
    }
  }

  private static Device device(KeyType type) throws Exception {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    coordinator.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    String name = type.label() + "-" + System.nanoTime();
    Path key = tmp.resolve(name + ".key");
    KeyFiles.write(signer, key);
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + coordinator.apiPort() + "/v1/devices/"
        + URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8) + "/certificate")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    Path cert = tmp.resolve(name + ".crt");
    Files.writeString(cert, r.body());
    return new Device(signer, key, cert);
  }

  /** A device's own Paho client, on its own certificate, publishing and subscribing as it likes. */
  static final class Raw implements AutoCloseable {
    private final MqttAsyncClient client;
    private final List<String> topics = new CopyOnWriteArrayList<>();
    private final List<byte[]> payloads = new CopyOnWriteArrayList<>();

    Raw(Device d, String clientId) throws MqttException {
      client = new MqttAsyncClient(uri(), clientId, new MemoryPersistence());
      client.setCallback(new MqttCallback() {
        @Override
        public void messageArrived(String topic, MqttMessage message) {
          payloads.add(message.getPayload());
          topics.add(topic);
        }

        @Override
        public void disconnected(MqttDisconnectResponse r) {}

        @Override
        public void mqttErrorOccurred(MqttException e) {}

        @Override
        public void deliveryComplete(IMqttToken token) {}

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {}

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {}
      });
      MqttConnectionOptions o = new MqttConnectionOptions();
      o.setCleanStart(true);
      o.setSocketFactory(PemTls.context(bundle.resolve("ca.crt"), d.cert, d.key).getSocketFactory());
      client.connect(o).waitForCompletion(10_000);
    }

    /** SUBSCRIBE at QoS 1; the SUBACK's reason code. */
    int subscribe(String filter) throws MqttException {
      IMqttToken t = client.subscribe(filter, 1);
      t.waitForCompletion(10_000);
      return t.getReasonCodes()[0];
    }

    /** PUBLISH at QoS 1; the PUBACK's reason code. */
    int publish(String topic, byte[] payload) {
      MqttMessage m = new MqttMessage(payload);
      m.setQos(1);
      try {
        IMqttToken t = client.publish(topic, m);
        t.waitForCompletion(10_000);
        return t.getReasonCodes() == null || t.getReasonCodes().length == 0 ? 0 : t.getReasonCodes()[0];
      } catch (MqttException e) {
        return e.getReasonCode();
      }
    }

    /** Waits for the coordinator's signed receipt of an envelope on the device's receipts topic. */
    void awaitReceipt(byte[] envelopeHash, Device d) {
      ReceiptTrust trust = ReceiptTrust.pinned(coordinator.receiptKey());
      Await.until(Duration.ofSeconds(20), () -> payloads.stream().anyMatch(p -> {
        ReceiptCheck c = trust.check(p, d.signer.deviceId());
        return c.isValid() && java.util.Arrays.equals(c.receipt().getEnvelopeHash().toByteArray(), envelopeHash);
      }), () -> "no receipt on " + d.receipts() + "; got " + topics + "; broker log: " + log());
    }

    List<String> topics() {
      return List.copyOf(topics);
    }

    @Override
    public void close() throws MqttException {
      client.disconnect().waitForCompletion(2_000);
      client.close(true);
    }
  }
}
