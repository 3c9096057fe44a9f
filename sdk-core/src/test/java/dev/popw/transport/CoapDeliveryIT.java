package dev.popw.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.client.DeviceClient;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.Reason;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Receipt;
import dev.popw.testing.DeliveryAssertions;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestCoapServer;
import dev.popw.testing.TestKeys;
import dev.popw.testing.UdpNatProxy;
import dev.popw.transport.coap.CoapTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** DeviceClient and CoapTransport against a real Californium server in this JVM. */
class CoapDeliveryIT {
  private static final byte[] PSK = "popw-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void delivers_over_plain_coap_for_every_key_type(KeyType type) throws Exception {
    try (TestCoapServer server = TestCoapServer.plain();
        DeviceClient device = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust())
            .signer(SoftwareSigner.generate(type, new SecureRandom()))
            .transport(CoapTransport.builder().uri("coap://127.0.0.1:" + server.port() + "/v1/telemetry").build())
            .stateDirectory(tmp).networkId("popw-test").build()) {
      for (int i = 0; i < 50; i++) {
        device.submit(SampleTelemetry.gpus(2));
      }
      device.submit(SampleTelemetry.gpus(2)).join();
      assertTrue(device.drain(Duration.ofSeconds(20)), device.status().toString());
      DeliveryAssertions.assertCompleteChain(server.received(), LongStream.rangeClosed(1, 51).boxed().collect(Collectors.toSet()));
      assertEquals(51, device.status().acknowledged());
    }
  }

  /**
   * Envelopes larger than one CoAP message (GPU proof openings, about 6 KiB) go block-wise. Sent
   * concurrently, all but the last went unanswered: Californium keeps one block-wise transfer per
   * peer and URI. The transport now sends them one at a time.
   */
  @Test
  void envelopes_larger_than_a_coap_message_are_all_delivered_block_wise() throws Exception {
    try (TestCoapServer server = TestCoapServer.plain();
        DeviceClient device = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust())
            .signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()))
            .transport(CoapTransport.builder().uri("coap://127.0.0.1:" + server.port() + "/v1/telemetry").build())
            .stateDirectory(tmp).networkId("popw-test").build()) {
      byte[] data = new byte[5_000];
      new java.util.Random(1).nextBytes(data);
      for (int i = 0; i < 6; i++) {
        device.submit(dev.popw.proto.v1.Telemetry.newBuilder().setGpu(dev.popw.proto.v1.GpuReport.newBuilder().setProof(
            dev.popw.proto.v1.GpuProof.newBuilder().setChallengeId(i + 1).setOpening(dev.popw.proto.v1.GpuOpening.newBuilder().setPart(1)
                .setParts(1).addTiles(dev.popw.proto.v1.GpuTileOpening.newBuilder().setIndex(i).setData(
                    com.google.protobuf.ByteString.copyFrom(data)))))));
      }
      assertTrue(device.drain(Duration.ofSeconds(40)), device.status().toString());
      assertEquals(6, server.received().size());
      assertEquals(6, device.status().acknowledged());
    }
  }

  @Test
  void delivers_over_dtls_with_a_pre_shared_key() throws Exception {
    try (TestCoapServer server = TestCoapServer.dtls(6, "device-1", PSK, null, null);
        DeviceClient device = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust())
            .signer(SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom()))
            .transport(CoapTransport.builder().uri("coaps://127.0.0.1:" + server.port() + "/v1/telemetry").psk("device-1", PSK).build())
            .stateDirectory(tmp).networkId("popw-test").build()) {
      for (int i = 0; i < 20; i++) {
        device.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(device.drain(Duration.ofSeconds(20)), device.status().toString());
      assertEquals(20, server.received().size());
      assertEquals(1, server.handshakes(), "one DTLS session for all requests");
    }
  }

  @Test
  void delivers_over_dtls_with_raw_public_keys() throws Exception {
    KeyPair serverKeys = ecKeyPair();
    KeyPair deviceKeys = ecKeyPair();
    try (TestCoapServer server = TestCoapServer.dtls(6, null, null, serverKeys.getPrivate(), serverKeys.getPublic());
        DeviceClient device = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust())
            .signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()))
            .transport(CoapTransport.builder().uri("coaps://127.0.0.1:" + server.port() + "/v1/telemetry")
                .rawPublicKey(deviceKeys.getPrivate(), deviceKeys.getPublic(), serverKeys.getPublic()).build())
            .stateDirectory(tmp).networkId("popw-test").build()) {
      device.submit(SampleTelemetry.witness()).join();
      assertTrue(device.drain(Duration.ofSeconds(20)), device.status().toString());
      assertEquals(1, server.received().size());
    }
  }

  @Test
  void the_coordinators_rejection_is_final_and_reported() throws Exception {
    try (TestCoapServer server = TestCoapServer.plain();
        CoapTransport transport = CoapTransport.builder().uri("coap://127.0.0.1:" + server.port() + "/v1/telemetry").build()) {
      SoftwareSigner key = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      transport.start(key.deviceId(), TestKeys.coordinatorTrust(), TransportListener.NONE);
      SealedEnvelope sealed = EnvelopeSealer.builder().signer(key).sequence(new FixedSequence(1)).networkId("popw-test").build()
          .seal(SampleTelemetry.weather());
      byte[] tampered = sealed.bytes().clone();
      tampered[tampered.length - 1] ^= 1; // the signature's last byte
      Acknowledgement ack = transport.send(tampered, sealed.hash()).get(10, TimeUnit.SECONDS);
      assertTrue(ack.isRejected());
      assertTrue(ack.isAuthenticated());
      assertEquals(Reason.BAD_SIGNATURE.name(), ack.receipt().orElseThrow().getReason());
    }
  }

  /**
   * Issue 13 over CoAP: a REJECTED answer signed by a key the device did not pin is not final. The
   * send fails (so the outbox keeps the envelope and resends it) and the receipt is counted.
   */
  @Test
  void a_rejection_signed_by_another_key_is_ignored_counted_and_not_final() throws Exception {
    try (TestCoapServer server = TestCoapServer.plain();
        CoapTransport transport = CoapTransport.builder().uri("coap://127.0.0.1:" + server.port() + "/v1/telemetry")
            .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).build()) {
      SoftwareSigner key = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      SoftwareSigner notTheCoordinator = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      java.util.List<dev.popw.receipt.ReceiptFailure> ignored = new java.util.concurrent.CopyOnWriteArrayList<>();
      transport.start(key.deviceId(), dev.popw.receipt.ReceiptTrust.pinned(notTheCoordinator.publicKey()), new TransportListener() {
        @Override
        public void connected() {}

        @Override
        public void disconnected(Throwable cause) {}

        @Override
        public void receiptIgnored(dev.popw.receipt.ReceiptFailure failure) {
          ignored.add(failure);
        }
      });
      SealedEnvelope sealed = EnvelopeSealer.builder().signer(key).sequence(new FixedSequence(1)).networkId("popw-test").build()
          .seal(SampleTelemetry.weather());
      byte[] tampered = sealed.bytes().clone();
      tampered[tampered.length - 1] ^= 1; // the server answers REJECTED BAD_SIGNATURE
      ExecutionException e = assertThrows(ExecutionException.class, () -> transport.send(tampered, sealed.hash()).get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("UNTRUSTED_KEY"), e.getCause().getMessage());
      assertEquals(java.util.List.of(dev.popw.receipt.ReceiptFailure.UNTRUSTED_KEY), ignored);
    }
  }

  /**
   * Scenario f: the NAT in front of the device changes its public port mid-session. With DTLS
   * Connection ID the server keeps the session and answers; no second handshake happens.
   */
  @Test
  void dtls_connection_id_survives_a_change_of_the_client_port() throws Exception {
    try (TestCoapServer server = TestCoapServer.dtls(6, "device-1", PSK, null, null);
        UdpNatProxy nat = new UdpNatProxy(server.address());
        CoapTransport transport = dtlsThrough(nat)) {
      EnvelopeSealer sealer = sealer();
      transport.start(deviceOf(), TestKeys.coordinatorTrust(), TransportListener.NONE);
      Receipt first = send(transport, sealer.seal(SampleTelemetry.weather()));
      assertEquals(Receipt.Status.ACCEPTED, first.getStatus());
      int portBefore = nat.outboundPort();
      nat.rebind();
      assertNotEquals(portBefore, nat.outboundPort());
      Receipt second = send(transport, sealer.seal(SampleTelemetry.weather()));
      assertEquals(Receipt.Status.ACCEPTED, second.getStatus());
      assertEquals(1, server.handshakes(), "the session continued without a new handshake");
      Set<String> sources = server.received().stream().map(r -> r.source()).collect(Collectors.toSet());
      assertEquals(2, sources.size(), "the server saw the device at two addresses: " + sources);
    }
  }

  /** The control: without Connection ID the same rebinding breaks the session. */
  @Test
  void without_connection_id_the_same_change_breaks_the_session() throws Exception {
    try (TestCoapServer server = TestCoapServer.dtls(null, "device-1", PSK, null, null);
        UdpNatProxy nat = new UdpNatProxy(server.address());
        CoapTransport transport = dtlsThrough(nat)) {
      EnvelopeSealer sealer = sealer();
      transport.start(deviceOf(), TestKeys.coordinatorTrust(), TransportListener.NONE);
      assertEquals(Receipt.Status.ACCEPTED, send(transport, sealer.seal(SampleTelemetry.weather())).getStatus());
      nat.rebind();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> transport.send(sealer.seal(SampleTelemetry.weather()).bytes(), new byte[32]).get(20, TimeUnit.SECONDS));
      assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
      assertEquals(1, server.received().size());
    }
  }

  private CoapTransport dtlsThrough(UdpNatProxy nat) {
    return CoapTransport.builder().uri("coaps://127.0.0.1:" + nat.port() + "/v1/telemetry").psk("device-1", PSK)
        .ackTimeout(Duration.ofMillis(500)).maxRetransmit(2).build();
  }

  private final SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());

  private EnvelopeSealer sealer() {
    return EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
  }

  private dev.popw.identity.DeviceId deviceOf() {
    return signer.deviceId();
  }

  private static Receipt send(CoapTransport t, SealedEnvelope e) throws Exception {
    return t.send(e.bytes(), e.hash()).get(20, TimeUnit.SECONDS).receipt().orElseThrow();
  }

  private static KeyPair ecKeyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
