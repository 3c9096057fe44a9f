package dev.popw.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.client.DeviceClient;
import dev.popw.client.DeviceStatus;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.outbox.FsyncPolicy;
import dev.popw.testing.Await;
import dev.popw.testing.DeliveryAssertions;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.MqttReceiptResponder;
import dev.popw.testing.MutableClock;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestCertificates;
import dev.popw.transport.mqtt.AckMode;
import dev.popw.transport.mqtt.MqttTransport;
import dev.popw.transport.tls.PemTls;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** DeviceClient over MQTT against real Mosquitto brokers. */
class MqttDeliveryIT {
  @TempDir Path tmp;

  private DeviceClient client(KeyType type, MqttTransport transport, Path state, java.time.Clock clock) {
    return DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust())
        .signer(SoftwareSigner.generate(type, new SecureRandom()))
        .transport(transport)
        .stateDirectory(state)
        .networkId("popw-test")
        .clock(clock)
        .build();
  }

  private static MqttTransport.Builder mqtt(String uri) {
    return MqttTransport.builder().serverUri(uri)
        .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))
        .ackTimeout(Duration.ofSeconds(3));
  }

  /** Through the machine's own Mosquitto on 127.0.0.1:1883 when it runs, else one of ours. */
  @ParameterizedTest
  @EnumSource(KeyType.class)
  void delivers_through_the_local_broker_for_every_key_type(KeyType type) throws Exception {
    Mosquitto own = Mosquitto.systemBrokerRunning() ? null : Mosquitto.start(tmp.resolve("broker"));
    String uri = own == null ? "tcp://127.0.0.1:1883" : own.tcpUri();
    try (MqttReceiptResponder coordinator = MqttReceiptResponder.connect(uri);
        DeviceClient device = client(type, mqtt(uri).build(), tmp.resolve("state"), java.time.Clock.systemUTC())) {
      for (int i = 0; i < 30; i++) {
        device.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(device.drain(Duration.ofSeconds(20)), "drained: " + device.status());
      Set<Long> expected = LongStream.rangeClosed(1, 30).boxed().collect(Collectors.toSet());
      List<Long> order = DeliveryAssertions.assertCompleteChain(
          coordinator.received().stream().filter(r -> r.source().contains(device.signer().deviceId().toString())).toList(), expected);
      assertEquals(List.copyOf(new TreeSet<>(order)), order, "arrival order");
      DeviceStatus s = device.status();
      assertEquals(30, s.acknowledged());
      assertEquals(0, s.queued());
    } finally {
      if (own != null) {
        own.close();
      }
    }
  }

  /**
   * Scenario a: the broker stops mid-stream while the device keeps submitting, then comes back.
   * Every envelope arrives, verified, first arrivals in sequence order, and no sequence number is
   * reused.
   */
  @Test
  void survives_a_broker_restart_mid_stream_without_loss_or_reordering() throws Exception {
    Mosquitto broker = Mosquitto.prepare(tmp.resolve("broker"), null, false, true);
    broker.restart();
    try (MqttReceiptResponder coordinator = MqttReceiptResponder.connectPersistent(broker.tcpUri());
        DeviceClient device = client(KeyType.ED25519, mqtt(broker.tcpUri()).build(), tmp.resolve("state"), java.time.Clock.systemUTC())) {
      CompletableFuture<SealedEnvelope> last = null;
      for (int i = 1; i <= 600; i++) {
        last = device.submit(SampleTelemetry.gpus(1));
        if (i == 200) {
          broker.stop();
        }
        if (i == 400) {
          broker.restart();
        }
        Thread.sleep(2);
      }
      last.join();
      assertTrue(device.drain(Duration.ofSeconds(60)), "drained: " + device.status() + "\nbroker log:\n" + broker.logTail(40)
          + "\nresponder got " + coordinator.received().size());
      Set<Long> expected = LongStream.rangeClosed(1, 600).boxed().collect(Collectors.toSet());
      List<Long> order = DeliveryAssertions.assertCompleteChain(coordinator.received(), expected);
      assertEquals(List.copyOf(new TreeSet<>(order)), order, "first arrivals are in sequence order");
      assertTrue(device.status().sent() >= 600);
    } finally {
      broker.close();
    }
  }

  /** Scenario e: witnesses that expire while the device is offline are dropped, not sent. */
  @Test
  void expired_witnesses_are_dropped_not_sent() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
    Mosquitto broker = Mosquitto.prepare(tmp.resolve("broker"), null, false, false); // not running yet
    try (DeviceClient device = client(KeyType.ECDSA_P256, mqtt(broker.tcpUri()).build(), tmp.resolve("state"), clock)) {
      device.submit(SampleTelemetry.weather()).join();
      for (int i = 0; i < 3; i++) {
        device.submit(SampleTelemetry.witness()).join(); // witness TTL: 10 minutes
      }
      device.submit(SampleTelemetry.weather()).join();
      clock.advance(Duration.ofMinutes(11));
      broker.restart();
      try (MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.tcpUri())) {
        Await.until(Duration.ofSeconds(20), () -> device.status().queued() == 0, () -> device.status().toString());
        Set<Long> seen = coordinator.received().stream().map(r -> r.sequence()).collect(Collectors.toSet());
        assertEquals(Set.of(1L, 5L), seen, "only the sensor readings are sent");
        assertEquals(3, device.status().expired());
      }
    } finally {
      broker.close();
    }
  }

  @Test
  void delivers_over_tls_with_server_authentication() throws Exception {
    TestCertificates certs = TestCertificates.create(tmp.resolve("certs"));
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"), certs, false);
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.sslUri(), PemTls.context(certs.caCert, null, null));
        DeviceClient device = client(KeyType.ECDSA_SECP256K1,
            mqtt(broker.sslUri()).caCertificates(certs.caCert).build(), tmp.resolve("state"), java.time.Clock.systemUTC())) {
      for (int i = 0; i < 10; i++) {
        device.submit(SampleTelemetry.witness()).join();
      }
      assertTrue(device.drain(Duration.ofSeconds(20)), device.status().toString());
      assertEquals(10, coordinator.received().size());
    }
  }

  @Test
  void mutual_tls_needs_the_client_certificate() throws Exception {
    TestCertificates certs = TestCertificates.create(tmp.resolve("certs"));
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"), certs, true);
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.sslUri(),
            PemTls.context(certs.caCert, certs.clientCert, certs.clientKey))) {
      try (DeviceClient anonymous = client(KeyType.ED25519,
          mqtt(broker.sslUri()).caCertificates(certs.caCert).build(), tmp.resolve("anon"), java.time.Clock.systemUTC())) {
        anonymous.submit(SampleTelemetry.weather()).join();
        Thread.sleep(1500);
        assertFalse(anonymous.status().connected(), "a client without a certificate must not connect");
        assertEquals(1, anonymous.status().queued(), "and its envelope stays queued");
      }
      try (DeviceClient device = client(KeyType.ED25519,
          mqtt(broker.sslUri()).caCertificates(certs.caCert).clientCertificate(certs.clientCert, certs.clientKey).build(),
          tmp.resolve("state"), java.time.Clock.systemUTC())) {
        device.submit(SampleTelemetry.weather()).join();
        assertTrue(device.drain(Duration.ofSeconds(20)), device.status().toString());
      }
      assertEquals(1, coordinator.received().size());
    }
  }

  @Test
  void puback_mode_completes_on_the_broker_acknowledgement() throws Exception {
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"));
        DeviceClient device = client(KeyType.ED25519, mqtt(broker.tcpUri()).ackMode(AckMode.PUBACK).build(),
            tmp.resolve("state"), java.time.Clock.systemUTC())) {
      for (int i = 0; i < 100; i++) {
        device.submit(SampleTelemetry.weather());
      }
      device.submit(SampleTelemetry.weather()).join();
      assertTrue(device.drain(Duration.ofSeconds(20)), device.status().toString());
      assertEquals(101, device.status().acknowledged());
    }
  }

  /**
   * Two devices whose ids have the same {@code hashCode()} (bytes (a, b) and (a + 1, b - 31) hash
   * alike) on one Mosquitto: each keeps its own connection. With client ids made from the hash,
   * each connection made the broker close the other's ("already connected, closing old connection").
   */
  @Test
  void devices_whose_ids_share_a_hash_code_keep_their_own_connections() throws Exception {
    byte[] k1 = new byte[32];
    new SecureRandom().nextBytes(k1);
    k1[10] = 40;
    k1[11] = 100;
    byte[] k2 = k1.clone();
    k2[10] = 41;
    k2[11] = 69;
    List<DeviceId> ids = List.of(DeviceId.of(KeyType.ED25519, k1), DeviceId.of(KeyType.ED25519, k2));
    assertEquals(ids.get(0).hashCode(), ids.get(1).hashCode());
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"))) {
      List<MqttTransport> transports = new java.util.ArrayList<>();
      List<java.util.concurrent.atomic.AtomicInteger> drops = new java.util.ArrayList<>();
      try {
        for (DeviceId id : ids) {
          MqttTransport t = mqtt(broker.tcpUri()).ackMode(AckMode.PUBACK).build();
          java.util.concurrent.atomic.AtomicInteger dropped = new java.util.concurrent.atomic.AtomicInteger();
          t.start(id, dev.popw.testing.TestKeys.coordinatorTrust(), new TransportListener() {
            @Override
            public void connected() {}

            @Override
            public void disconnected(Throwable cause) {
              dropped.incrementAndGet();
            }
          });
          transports.add(t);
          drops.add(dropped);
        }
        Await.until(Duration.ofSeconds(10), () -> transports.stream().allMatch(MqttTransport::isConnected), () -> broker.logTail(20));
        Thread.sleep(2_000); // time for a take-over and the reconnection it causes
        for (MqttTransport t : transports) {
          for (int i = 0; i < 10; i++) {
            t.send(new byte[] {(byte) i}, new byte[32]).get(5, java.util.concurrent.TimeUnit.SECONDS);
          }
        }
        assertEquals(List.of(0, 0), drops.stream().map(java.util.concurrent.atomic.AtomicInteger::get).toList(),
            "disconnections per device; broker log:\n" + broker.logTail(20));
        assertFalse(broker.logTail(200).contains("already connected"), broker.logTail(20));
        for (DeviceId id : ids) {
          assertTrue(broker.logTail(200).contains(" as " + MqttTransport.defaultClientId(id) + " "), broker.logTail(20));
        }
      } finally {
        transports.forEach(MqttTransport::close);
      }
    }
  }
}
