package dev.popw.coordinator.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedReceipt;
import dev.popw.receipt.ReceiptCheck;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.testing.TestKeys;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Receipts signed in groups: every one verifies on the device's side, and a backlog shares signatures. */
class ReceiptBatcherTest {
  private final SoftwareSigner key = TestKeys.coordinator();
  private final ReceiptTrust trust = TestKeys.coordinatorTrust();
  private final Clock clock = Clock.fixed(Instant.ofEpochMilli(1_750_000_000_000L), ZoneOffset.UTC);
  private final DeviceId device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId();

  private IngestResult result(long seq) {
    byte[] hash = new byte[32];
    hash[0] = (byte) seq;
    hash[1] = (byte) (seq >> 8);
    return new IngestResult(IngestStatus.ACCEPTED, "", null, device.toString(), seq, hash, 0);
  }

  @Test
  void a_backlog_is_signed_in_groups_of_at_most_256_and_every_receipt_verifies() throws Exception {
    Map<Long, byte[]> delivered = new ConcurrentHashMap<>();
    CountDownLatch hold = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch all = new CountDownLatch(501);
    try (ReceiptBatcher b = new ReceiptBatcher(key, clock)) {
      // The first receipt's delivery holds the signing thread, so the next 500 queue behind it.
      b.submit(result(1), signed -> {
        delivered.put(1L, signed);
        all.countDown();
        entered.countDown();
        try {
          hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      for (long s = 2; s <= 501; s++) {
        long seq = s;
        b.submit(result(seq), signed -> {
          delivered.put(seq, signed);
          all.countDown();
        });
      }
      hold.countDown();
      assertTrue(all.await(10, TimeUnit.SECONDS), "every receipt delivered");
      assertEquals(3, b.counts()[0], "one signature alone, then 256 and 244 receipts under one each");
      assertEquals(501, b.counts()[1]);
    }
    for (long s = 1; s <= 501; s++) {
      ReceiptCheck c = trust.check(delivered.get(s), device);
      assertTrue(c.isValid(), "receipt " + s + ": " + c.failure());
      Receipt r = c.receipt();
      assertEquals(s, r.getSequence());
      assertArrayEquals(result(s).envelopeHash(), r.getEnvelopeHash().toByteArray());
      assertEquals(clock.millis(), r.getCoordinatorTimeMs());
      int path = SignedReceipt.parseFrom(delivered.get(s)).getReceiptPathCount();
      if (s == 1 || s <= 257) { // alone; then the full group of 256 (2..257, in the order queued): a full tree of depth 8
        assertEquals(s == 1 ? 0 : 8, path, "receipt " + s);
      } else { // the group of 244: depth 8, shorter where a node at a level's end moved up unpaired
        assertTrue(path >= 1 && path <= 8, "receipt " + s + ": a path of " + path);
      }
    }
  }

  @Test
  void after_close_a_receipt_is_signed_on_the_callers_thread() {
    ReceiptBatcher b = new ReceiptBatcher(key, clock);
    b.close();
    byte[][] got = new byte[1][];
    Thread[] on = new Thread[1];
    b.submit(result(9), signed -> {
      got[0] = signed;
      on[0] = Thread.currentThread();
    });
    assertEquals(Thread.currentThread(), on[0]);
    assertTrue(trust.check(got[0], device).isValid());
  }
}
