package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.client.DeviceClient;
import dev.popw.client.DeviceStatus;
import dev.popw.envelope.Envelopes;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.SignedReceipt;
import dev.popw.proto.v1.Telemetry;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.receipt.Receipts;
import dev.popw.registration.Registrations;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13: a stranger who can publish on a device's receipts topic answers every envelope with
 * forged REJECTED receipts (the old bare format, unsigned, signed by another key, and signed by
 * another key while naming the coordinator's). The device ignores and counts them; every envelope
 * is stored, and the outbox empties only on the coordinator's genuine receipts. Runs against a
 * real Mosquitto (the coordinator's MqttIngest) and the coordinator's embedded broker (with
 * anonymous clients allowed: by default it refuses the stranger, see BrokerSecurityIT).
 */
class ForgedReceiptsIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final int ENVELOPES = 12;
  private static final int FORGERIES_PER_ENVELOPE = 4;
  @TempDir static Path tmp;
  static Mosquitto broker;
  static Coordinator external;
  static Coordinator embedded;

  @BeforeAll
  static void start() throws Exception {
    broker = Mosquitto.start(tmp.resolve("broker"));
    external = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test")
        .withDataDirectory(tmp.resolve("data")).withMqtt(broker.tcpUri())
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).withBatch(1000, Duration.ofHours(1)));
    embedded = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test")
        .withDataDirectory(tmp.resolve("data-embedded")).withEmbeddedMqtt(0)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).withBatch(1000, Duration.ofHours(1))
        // By default the embedded broker keeps the stranger out altogether (BrokerSecurityIT); here it
        // lets it in, to show that the device's own check of receipt signatures holds on its own.
        .toBuilder().broker(dev.popw.coordinator.mqtt.BrokerSettings.defaults().withAnonymous(true)).build());
    long deadline = System.currentTimeMillis() + 10_000;
    while (!external.mqttConnected() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    embedded.close();
    external.close();
    broker.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mosquitto", "embedded"})
  void forged_rejections_on_the_receipts_topic_lose_nothing_and_are_counted(String kind) throws Exception {
    Coordinator coordinator = kind.equals("embedded") ? embedded : external;
    String uri = kind.equals("embedded") ? "tcp://127.0.0.1:" + embedded.mqttPort() : broker.tcpUri();
    // The key the coordinator generated on first start, owner-only.
    Path keyFile = tmp.resolve(kind.equals("embedded") ? "data-embedded" : "data").resolve("coordinator.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));

    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    coordinator.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    String device = signer.deviceId().toString();
    try (Stranger stranger = new Stranger(uri, device, coordinator.receiptKey());
        DeviceClient client = DeviceClient.builder().signer(signer)
            .transport(MqttTransport.builder().serverUri(uri).ackTimeout(Duration.ofSeconds(5)).build())
            .coordinatorKey(coordinator.receiptKey())
            .stateDirectory(tmp.resolve("device-" + kind)).networkId("popw-test").build()) {
      for (int i = 0; i < ENVELOPES; i++) {
        client.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(client.drain(Duration.ofSeconds(60)), client.status().toString());
      long deadline = System.currentTimeMillis() + 10_000;
      while (client.status().ignoredReceipts() < (long) ENVELOPES * FORGERIES_PER_ENVELOPE && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      DeviceStatus s = client.status();
      assertTrue(stranger.forged.get() >= ENVELOPES * FORGERIES_PER_ENVELOPE, "forgeries published: " + stranger.forged);
      assertEquals(0, s.queued(), s.toString());
      assertEquals(0, s.rejected(), "a forged REJECTED was believed: " + s);
      assertEquals(ENVELOPES, s.acknowledged(), s.toString());
      assertTrue(s.ignoredReceipts() >= (long) ENVELOPES * FORGERIES_PER_ENVELOPE, s.toString());
    }
    assertEquals(ENVELOPES, coordinator.store().envelopes().acceptedSequences(device).size());
  }

  /** Subscribes to the device's telemetry and answers each envelope with forged rejections at once. */
  static final class Stranger implements AutoCloseable {
    final AtomicInteger forged = new AtomicInteger();
    private final MqttAsyncClient client;
    private final String receipts;
    private final SoftwareSigner otherKey = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    private final byte[] genuineKey;

    Stranger(String uri, String device, byte[] genuineKey) throws MqttException {
      this.genuineKey = genuineKey;
      this.receipts = "popw/v1/devices/" + device + "/receipts";
      client = new MqttAsyncClient(uri, "stranger-" + System.nanoTime(), new MemoryPersistence());
      client.setCallback(new MqttCallback() {
        @Override
        public void messageArrived(String topic, MqttMessage message) {
          forge(message.getPayload());
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
      client.connect(o).waitForCompletion(10_000);
      client.subscribe("popw/v1/devices/" + device + "/telemetry", 1).waitForCompletion(10_000);
    }

    private void forge(byte[] envelope) {
      try {
        SignedEnvelope env = SignedEnvelope.parseFrom(envelope);
        Telemetry t = Telemetry.parseFrom(env.getTelemetry());
        Receipt reject = Receipt.newBuilder()
            .setEnvelopeHash(ByteString.copyFrom(Envelopes.hash(env.getTelemetry().toByteArray())))
            .setSequence(t.getSequence()).setStatus(Receipt.Status.REJECTED).setReason("EQUIVOCATION")
            .setDeviceId(t.getDeviceId()).setCoordinatorTimeMs(System.currentTimeMillis()).build();
        byte[] otherSigned = Receipts.sign(reject, otherKey);
        byte[][] forgeries = {
          reject.toByteArray(), // the format before receipts were signed
          SignedReceipt.newBuilder().setReceipt(reject.toByteString()).build().toByteArray(),
          otherSigned,
          SignedReceipt.parseFrom(otherSigned).toBuilder().setCoordinatorKey(ByteString.copyFrom(genuineKey)).build().toByteArray(),
        };
        for (byte[] f : forgeries) {
          MqttMessage m = new MqttMessage(f);
          m.setQos(1);
          client.publish(receipts, m);
          forged.incrementAndGet();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() throws MqttException {
      client.disconnect().waitForCompletion(2_000);
      client.close(true);
    }
  }
}
