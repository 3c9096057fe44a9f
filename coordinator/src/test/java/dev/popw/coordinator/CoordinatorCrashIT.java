package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.batch.Batcher;
import dev.popw.coordinator.batch.DatabaseSettlement;
import dev.popw.coordinator.batch.InclusionProof;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.ChildCoordinator;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Receipt;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportListener;
import dev.popw.transport.coap.CoapTransport;
import dev.popw.transport.mqtt.MqttTransport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator runs in its own JVM (its jar's main class, embedded broker and database) and is
 * killed with SIGKILL while two devices stream to it, one over MQTT and one over CoAP. After a
 * restart: every envelope a device was acknowledged for is stored exactly once, and every batch
 * root matches its envelopes.
 */
class CoordinatorCrashIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  @TempDir Path tmp;

  @Test
  void sigkill_during_a_stream_loses_no_acknowledged_envelope_and_duplicates_none() throws Exception {
    int mqttPort = Mosquitto.freePort();
    int coapPort = ChildCoordinator.freeUdpPort();
    int apiPort = Mosquitto.freePort();
    Path config = tmp.resolve("coordinator.toml");
    Files.writeString(config, String.join("\n",
        "network_id = \"popw-test\"", "coordinator_key_file = \"" + dev.popw.coordinator.testing.TestCoordinatorKey.write(tmp.resolve("coordinator.key")) + "\"", "data_dir = \"" + tmp.resolve("data") + "\"", "bind_host = \"127.0.0.1\"",
        "[mqtt]", "port = " + mqttPort, "[coap]", "port = " + coapPort, "[api]", "port = " + apiPort,
        "[batch]", "max_envelopes = 50", "max_age_seconds = 1", ""));
    Process coordinator = ChildCoordinator.start(config, apiPort);
    SoftwareSigner mqttDevice = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    SoftwareSigner coapDevice = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
    for (SoftwareSigner s : List.of(mqttDevice, coapDevice)) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/devices"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(Registrations.sign(s, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC())))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(201, r.statusCode(), r.body());
    }
    Stream mqtt = new Stream(mqttDevice, MqttTransport.builder().serverUri("tcp://127.0.0.1:" + mqttPort)
        .ackTimeout(Duration.ofSeconds(2)).reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(500)).build());
    Stream coap = new Stream(coapDevice, CoapTransport.builder().uri("coap://127.0.0.1:" + coapPort + "/v1/telemetry")
        .ackTimeout(Duration.ofMillis(300)).maxRetransmit(1).responseTimeout(Duration.ofSeconds(2)).retryBackoff(Duration.ofMillis(100), Duration.ofMillis(500)).build());
    try {
      long killAt = System.currentTimeMillis() + 2_000;
      while (System.currentTimeMillis() < killAt) {
        mqtt.pump(20);
        coap.pump(20);
        Thread.sleep(5);
      }
      int ackedBeforeKill = mqtt.acked.size() + coap.acked.size();
      coordinator.destroyForcibly(); // SIGKILL
      assertTrue(coordinator.waitFor(10, TimeUnit.SECONDS));
      for (int i = 0; i < 20; i++) { // keep streaming into the outage
        mqtt.pump(5);
        coap.pump(5);
        Thread.sleep(20);
      }
      coordinator = ChildCoordinator.start(config, apiPort);
      long deadline = System.currentTimeMillis() + 60_000;
      while (!(mqtt.allAcked() && coap.allAcked()) && System.currentTimeMillis() < deadline) {
        mqtt.resendUnacked();
        coap.resendUnacked();
        Thread.sleep(300);
      }
      assertTrue(mqtt.allAcked() && coap.allAcked(), "every envelope is acknowledged after the restart: mqtt "
          + mqtt.acked.size() + "/" + mqtt.sent.size() + " (in flight " + mqtt.inFlight.size() + ", connected " + mqtt.transport.isConnected()
          + "), coap " + coap.acked.size() + "/" + coap.sent.size() + " (in flight " + coap.inFlight.size() + ")");
      assertTrue(ackedBeforeKill > 50, "the stream was running when the coordinator died: " + ackedBeforeKill);
    } finally {
      mqtt.transport.close();
      coap.transport.close();
      coordinator.destroy(); // SIGTERM: a clean stop, so that the test can open the database
      coordinator.waitFor(20, TimeUnit.SECONDS);
    }

    try (Database db = Database.embedded(tmp.resolve("data").resolve("coordinator"))) {
      Store store = new Store(db);
      for (Stream s : List.of(mqtt, coap)) {
        String id = s.signer.deviceId().toString();
        List<long[]> rows = store.envelopes().acceptedSequences(id);
        assertEquals(s.sent.size(), rows.size(), "each acknowledged envelope exactly once for " + id);
        for (SealedEnvelope e : s.sent) {
          assertTrue(store.envelopes().envelope(e.hash()).isPresent(), "acknowledged envelope " + e.sequence() + " is stored");
        }
      }
      Batcher batcher = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 50, Duration.ofHours(1));
      batcher.sealAll();
      List<SealedBatch> batches = store.batches().batches(0, 10_000);
      assertTrue(batches.size() > 1);
      for (SealedBatch b : batches) {
        assertArrayEquals(MerkleTree.of(store.batches().batchHashes(b.id())).root(), b.merkleRoot(), "root of batch " + b.id());
      }
      for (Stream s : List.of(mqtt, coap)) {
        for (SealedEnvelope e : s.sent) {
          InclusionProof p = batcher.proof(e.hash()).orElseThrow();
          assertTrue(MerkleTree.verify(p.proof(), p.batch().merkleRoot(), e.hash()));
        }
      }
      batcher.close();
    }
  }

  /** One device sending sealed envelopes with its own window, remembering which were acknowledged. */
  private static final class Stream {
    final SoftwareSigner signer;
    final Transport transport;
    final EnvelopeSealer sealer;
    final List<SealedEnvelope> sent = new ArrayList<>();
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final Map<String, CompletableFuture<Acknowledgement>> inFlight = new ConcurrentHashMap<>();

    Stream(SoftwareSigner signer, Transport transport) {
      this.signer = signer;
      this.transport = transport;
      this.sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      transport.authenticateWith(signer, "popw-test", Clock.systemUTC()); // the embedded broker wants a connect token
      transport.start(signer.deviceId(), dev.popw.testing.TestKeys.coordinatorTrust(), TransportListener.NONE);
    }

    void pump(int n) {
      for (int i = 0; i < n && inFlight.size() < 32; i++) {
        SealedEnvelope e = sealer.seal(SampleTelemetry.weather());
        sent.add(e);
        send(e);
      }
    }

    void send(SealedEnvelope e) {
      String key = HexFormat.of().formatHex(e.hash());
      if (!transport.isConnected() || inFlight.containsKey(key)) {
        return;
      }
      CompletableFuture<Acknowledgement> f = transport.send(e.bytes(), e.hash());
      inFlight.put(key, f);
      f.whenComplete((ack, err) -> {
        inFlight.remove(key);
        if (err == null && ack.receipt().map(r -> r.getStatus() != Receipt.Status.REJECTED).orElse(false)) {
          acked.add(key);
        }
      });
    }

    void resendUnacked() {
      for (SealedEnvelope e : sent) {
        if (!acked.contains(HexFormat.of().formatHex(e.hash()))) {
          send(e);
        }
      }
    }

    boolean allAcked() {
      return acked.size() == sent.size();
    }
  }
}
