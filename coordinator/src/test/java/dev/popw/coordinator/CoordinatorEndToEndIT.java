package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.client.DeviceClient;
import dev.popw.client.DeviceStatus;
import dev.popw.coordinator.batch.InclusionProof;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.Transport;
import dev.popw.transport.coap.CoapTransport;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Devices (sdk-core's DeviceClient) through real transports to a real coordinator: MQTT through a
 * Mosquitto broker, MQTT to the coordinator's embedded broker, CoAP and CoAP over DTLS straight to
 * the coordinator, every key type; and CoAP to a coordinator on PostgreSQL. Receipts
 * come back, rows are committed, batches seal and every envelope proves its inclusion.
 */
class CoordinatorEndToEndIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final byte[] PSK = "end-to-end-secret".getBytes();
  @TempDir static Path tmp;
  static Mosquitto broker;
  static Coordinator coordinator;
  /** A second coordinator with the embedded broker: the no-external-service default. */
  static Coordinator embedded;
  /** A third on PostgreSQL, CoAP only (on the shared Mosquitto it would answer for devices it does not know). */
  static Coordinator postgres;
  static String schema;

  @BeforeAll
  static void start() throws Exception {
    broker = Mosquitto.start(tmp.resolve("broker"));
    Path key = dev.popw.coordinator.testing.TestCoordinatorKey.write(tmp.resolve("coordinator.key"));
    coordinator = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test")
        .withDataDirectory(tmp.resolve("data")).withMqtt(broker.tcpUri())
        .withCoap("127.0.0.1", 0, 0, Map.of("device-psk", PSK)).withApiPort(-1).withBatch(1000, Duration.ofHours(1)).toBuilder().coordinatorKeyFile(key).build());
    embedded = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test")
        .withDataDirectory(tmp.resolve("data-embedded")).withEmbeddedMqtt(0)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).withBatch(1000, Duration.ofHours(1)).toBuilder().coordinatorKeyFile(key).build());
    schema = TestDatabases.newSchema();
    TestDatabases.postgres(schema).close(); // fails in CI, skips elsewhere, when PostgreSQL is missing
    postgres = Coordinator.start(CoordinatorSettings.defaults().toBuilder().networkId("popw-test")
        .dataDirectory(tmp.resolve("data-pg")).mqttUrl(null).mqttPort(-1)
        .coapPort(0).bindHost("127.0.0.1").apiPort(-1).batchMaxEnvelopes(1000).batchMaxAge(Duration.ofHours(1))
        .postgresUrl(TestDatabases.postgresUrl()).postgresUser(TestDatabases.postgresUser()).postgresPassword("")
        .postgresSchema(schema).coordinatorKeyFile(key).build());
    long deadline = System.currentTimeMillis() + 10_000;
    while (!coordinator.mqttConnected() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (postgres != null) {
      postgres.close();
      TestDatabases.dropSchema(schema);
    }
    embedded.close();
    coordinator.close();
    broker.close();
  }

  static Stream<Arguments> matrix() {
    List<Arguments> out = new ArrayList<>();
    for (String t : List.of("mqtt", "mqtt-embedded", "coap", "coaps", "coap-postgres")) {
      for (KeyType k : KeyType.values()) {
        out.add(Arguments.of(t, k));
      }
    }
    return out.stream();
  }

  private static Transport transport(String kind) {
    return switch (kind) {
      case "mqtt" -> MqttTransport.builder().serverUri(broker.tcpUri()).ackTimeout(Duration.ofSeconds(5)).build();
      case "mqtt-embedded" -> MqttTransport.builder().serverUri("tcp://127.0.0.1:" + embedded.mqttPort()).ackTimeout(Duration.ofSeconds(5)).build();
      case "coap" -> CoapTransport.builder().uri("coap://127.0.0.1:" + coordinator.coapPort() + "/v1/telemetry")
          .responseTimeout(Duration.ofSeconds(5)).build();
      case "coap-postgres" -> CoapTransport.builder().uri("coap://127.0.0.1:" + postgres.coapPort() + "/v1/telemetry")
          .responseTimeout(Duration.ofSeconds(5)).build();
      default -> CoapTransport.builder().uri("coaps://127.0.0.1:" + coordinator.coapsPort() + "/v1/telemetry").psk("device-psk", PSK)
          .responseTimeout(Duration.ofSeconds(5)).build();
    };
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("matrix")
  void envelopes_are_accepted_committed_batched_and_provable(String kind, KeyType type) throws Exception {
    Coordinator target = kind.equals("mqtt-embedded") ? embedded : kind.equals("coap-postgres") ? postgres : coordinator;
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    target.registry().register(Registrations.sign(signer, OWNER, DeviceKind.GPU, null, "popw-test", Clock.systemUTC()));
    List<SealedEnvelope> sent = new ArrayList<>();
    try (DeviceClient device = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(signer).transport(transport(kind))
        .stateDirectory(tmp.resolve(kind + "-" + type)).networkId("popw-test").build()) {
      for (int i = 0; i < 40; i++) {
        sent.add(device.submit(SampleTelemetry.gpus(2)).join());
      }
      assertTrue(device.drain(Duration.ofSeconds(60)), device.status().toString());
      DeviceStatus s = device.status();
      assertEquals(40, s.acknowledged(), s.toString());
      assertEquals(0, s.rejected(), s.toString());
    }
    assertEquals(40, target.store().envelopes().acceptedSequences(signer.deviceId().toString()).size());
    target.batcher().sealAll();
    for (SealedEnvelope e : sent) {
      InclusionProof p = target.batcher().proof(e.hash()).orElseThrow();
      assertTrue(MerkleTree.verify(p.proof(), p.batch().merkleRoot(), e.hash()));
    }
  }

  @Test
  void an_unregistered_device_gets_final_rejections_it_does_not_resend() throws Exception {
    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    try (DeviceClient device = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(stranger).transport(transport("mqtt"))
        .stateDirectory(tmp.resolve("stranger")).networkId("popw-test").build()) {
      for (int i = 0; i < 3; i++) {
        device.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(device.drain(Duration.ofSeconds(30)), device.status().toString());
      assertEquals(3, device.status().rejected());
      assertTrue(device.status().lastError().orElseThrow().contains("NOT_REGISTERED"), device.status().toString());
    }
    assertEquals(3L, coordinator.store().envelopes().rejectionCounts(stranger.deviceId().toString()).get("NOT_REGISTERED"));
  }
}
