package dev.popw.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded database finds envelopes by hash through {@code envelope_hashes} (V14): a hash whose
 * first 8 bytes another envelope already has takes the next free slot, and every lookup by hash
 * (the row, the stored bytes, the batch) still finds exactly its envelope.
 */
class EnvelopeHashSlotsTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  @TempDir Path dir;

  /** A random hash that starts with {@code prefix}. */
  private static byte[] hashWithPrefix(long prefix) {
    byte[] h = new byte[32];
    RANDOM.nextBytes(h);
    ByteBuffer.wrap(h).putLong(prefix);
    return h;
  }

  @Test
  void hashes_sharing_their_first_eight_bytes_are_all_found() {
    try (Database db = Database.embedded(dir.resolve("coordinator"))) {
      Store store = new Store(db);
      DeviceId device = SoftwareSigner.generate(KeyType.ED25519, RANDOM).deviceId();
      store.devices().upsertDevice(device, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 1, null, null, null, 0, new byte[1]);
      long p = 0x1234_5678_9abc_def0L;
      List<byte[]> hashes = new ArrayList<>(List.of(hashWithPrefix(p), hashWithPrefix(p), hashWithPrefix(p + 1), hashWithPrefix(p),
          hashWithPrefix(Long.MAX_VALUE), hashWithPrefix(Long.MIN_VALUE), hashWithPrefix(-1)));
      List<AcceptedEnvelope> first = new ArrayList<>();
      long seq = 0;
      for (byte[] h : hashes.subList(0, 3)) { // two collide in one transaction, the third's own slot is then taken
        first.add(new AcceptedEnvelope(h, device.toString(), ++seq, 1, 1, 1, 0, envelopeFor(h)));
      }
      store.envelopes().persist(first, new long[] {1, 1, 1}, List.of());
      List<AcceptedEnvelope> second = new ArrayList<>(); // collides with rows of an earlier transaction
      for (byte[] h : hashes.subList(3, hashes.size())) {
        second.add(new AcceptedEnvelope(h, device.toString(), ++seq, 1, 1, 1, 0, envelopeFor(h)));
      }
      store.envelopes().persist(second, new long[] {2, 2, 2, 2}, List.of());
      store.batches().insertBatch(1, new byte[32], 3, 5);

      for (int i = 0; i < hashes.size(); i++) {
        byte[] h = hashes.get(i);
        EnvelopeRow row = store.envelopes().envelope(h).orElseThrow();
        assertArrayEquals(h, row.hash());
        assertEquals(i + 1, row.sequence());
        assertArrayEquals(envelopeFor(h), store.envelopes().envelopeBytes(h).orElseThrow());
        assertEquals(i < 3 ? java.util.Optional.of(1L) : java.util.Optional.empty(), store.batches().batchOf(h).map(SealedBatch::id));
      }
      assertTrue(store.envelopes().envelope(hashWithPrefix(p)).isEmpty(), "an unknown hash with a taken prefix");
      assertEquals(hashes.size(), Jdbc.scalar(db.dataSource(), "SELECT COUNT(*) FROM envelope_hashes"));
    }
  }

  private static byte[] envelopeFor(byte[] hash) {
    byte[] e = new byte[40];
    System.arraycopy(hash, 0, e, 0, 32);
    return e;
  }
}
