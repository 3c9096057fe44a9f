package dev.popw.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Receipt;
import dev.popw.testing.SampleTelemetry;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportListener;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade's bookkeeping, with a scripted transport (the real ones are covered by the *IT tests). */
class DeviceClientTest {
  @TempDir Path dir;

  /** A transport whose connection and answers the test controls. */
  static final class ScriptedTransport implements Transport {
    volatile boolean connected;
    volatile boolean reject;
    volatile boolean fail;
    final List<byte[]> sent = new ArrayList<>();
    private volatile TransportListener listener = TransportListener.NONE;

    @Override
    public void start(DeviceId device, dev.popw.receipt.ReceiptTrust receipts, TransportListener listener) {
      this.listener = listener;
      this.device = device;
      this.trust = receipts;
    }

    private volatile DeviceId device;
    private volatile dev.popw.receipt.ReceiptTrust trust;
    /** When set, answers with an unsigned receipt, as a transport that skips the check would. */
    volatile boolean unchecked;

    void connect() {
      connected = true;
      listener.connected();
    }

    void disconnect(Throwable cause) {
      connected = false;
      listener.disconnected(cause);
    }

    @Override
    public boolean isConnected() {
      return connected;
    }

    @Override
    public int maxInFlight() {
      return 8;
    }

    @Override
    public synchronized CompletableFuture<Acknowledgement> send(byte[] envelope, byte[] hash) {
      sent.add(envelope);
      if (fail) {
        return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no receipt within 30000 ms"));
      }
      Receipt r = Receipt.newBuilder().setEnvelopeHash(ByteString.copyFrom(hash))
          .setStatus(reject ? Receipt.Status.REJECTED : Receipt.Status.ACCEPTED).setReason(reject ? "NOT_REGISTERED" : "").build();
      if (unchecked) {
        return CompletableFuture.completedFuture(Acknowledgement.of(r));
      }
      byte[] signed = dev.popw.receipt.Receipts.sign(r, dev.popw.testing.TestKeys.coordinator());
      return CompletableFuture.completedFuture(Acknowledgement.of(trust.check(signed, device)));
    }

    @Override
    public String describe() {
      return "scripted";
    }

    @Override
    public void close() {}
  }

  private DeviceClient client(ScriptedTransport t, long maxBytes) {
    return DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()))
        .transport(t).stateDirectory(dir).networkId("popw-test").outboxMaxBytes(maxBytes).build();
  }

  /** Scenario d at the facade: a full outbox applies DROP_OLDEST and the status says how many. */
  @Test
  void a_full_outbox_drops_the_oldest_and_the_status_counts_them() {
    ScriptedTransport t = new ScriptedTransport();
    try (DeviceClient c = client(t, 256 << 10)) {
      CompletableFuture<SealedEnvelope> last = null;
      for (int i = 0; i < 3000; i++) {
        last = c.submit(SampleTelemetry.gpus(1));
      }
      last.join();
      DeviceStatus s = c.status();
      assertTrue(s.dropped() > 0, s.toString());
      assertEquals(3000, s.queued() + s.dropped(), s.toString());
      t.connect();
      assertTrue(c.drain(Duration.ofSeconds(10)), c.status().toString());
      assertEquals(3000 - s.dropped(), c.status().acknowledged());
    }
  }

  /**
   * A transport that hands over a receipt nobody checked (a custom one, say) cannot end delivery
   * when a coordinator key is pinned: the entry stays queued and the receipt is counted.
   */
  @Test
  void an_unauthenticated_receipt_does_not_remove_the_entry() {
    ScriptedTransport t = new ScriptedTransport();
    t.reject = true;
    t.unchecked = true;
    try (DeviceClient c = client(t, 64L << 20)) {
      t.connect();
      c.submit(SampleTelemetry.weather()).join();
      assertFalse(c.drain(Duration.ofMillis(700)));
      DeviceStatus s = c.status();
      assertEquals(1, s.queued(), s.toString());
      assertEquals(0, s.rejected(), s.toString());
      assertTrue(s.ignoredReceipts() >= 1, s.toString());
      t.reject = false;
      t.unchecked = false;
      assertTrue(c.drain(Duration.ofSeconds(10)), c.status().toString());
      assertEquals(0, c.status().rejected());
    }
  }

  @Test
  void a_client_without_a_coordinator_key_fails_fast() {
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> DeviceClient.builder().signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()))
            .transport(new ScriptedTransport()).stateDirectory(dir).networkId("n").build());
    assertTrue(e.getMessage().contains("coordinator"), e.getMessage());
  }

  @Test
  void rejections_are_final_counted_and_reported() {
    ScriptedTransport t = new ScriptedTransport();
    t.reject = true;
    try (DeviceClient c = client(t, 64L << 20)) {
      t.connect();
      c.submit(SampleTelemetry.weather()).join();
      c.submit(SampleTelemetry.weather()).join();
      assertTrue(c.drain(Duration.ofSeconds(10)));
      DeviceStatus s = c.status();
      assertEquals(2, s.rejected());
      assertEquals(2, t.sent.size(), "a rejected envelope is not sent again");
      assertTrue(s.lastError().orElseThrow().contains("NOT_REGISTERED"), s.toString());
    }
  }

  @Test
  void what_is_queued_at_close_is_sent_after_the_next_start_and_the_chain_continues() throws Exception {
    ScriptedTransport offline = new ScriptedTransport();
    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
    SealedEnvelope lastBefore;
    try (DeviceClient c = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(signer).transport(offline).stateDirectory(dir).networkId("n").build()) {
      c.submit(SampleTelemetry.weather()).join();
      lastBefore = c.submit(SampleTelemetry.weather()).join();
    }
    ScriptedTransport online = new ScriptedTransport();
    try (DeviceClient c = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(signer).transport(online).stateDirectory(dir).networkId("n").build()) {
      online.connect();
      SealedEnvelope next = c.submit(SampleTelemetry.weather()).join();
      assertEquals(lastBefore.sequence() + 1, next.sequence());
      assertEquals(ByteString.copyFrom(lastBefore.hash()), next.telemetry().getPrevHash());
      assertTrue(c.drain(Duration.ofSeconds(10)));
      assertEquals(3, online.sent.size());
    }
  }

  /** The status shows a delivery problem while it lasts, not after the device has recovered. */
  @Test
  void the_last_error_clears_once_delivery_recovers() {
    ScriptedTransport t = new ScriptedTransport();
    try (DeviceClient c = client(t, 64L << 20)) {
      t.disconnect(new java.io.IOException("Connection refused"));
      assertTrue(c.status().lastError().orElseThrow().contains("Connection refused"), c.status().toString());
      t.connect();
      assertEquals(java.util.Optional.empty(), c.status().lastError(), "reconnected: " + c.status());

      t.fail = true;
      c.submit(SampleTelemetry.weather()).join();
      dev.popw.testing.Await.until(Duration.ofSeconds(5), () -> c.status().lastError().isPresent(), c.status()::toString);
      assertTrue(c.status().lastError().get().contains("no receipt"), c.status().toString());
      t.fail = false;
      assertTrue(c.drain(Duration.ofSeconds(10)), c.status().toString());
      assertEquals(java.util.Optional.empty(), c.status().lastError(), "delivered again: " + c.status());
    }
  }
}
