package dev.popw.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The explorer's queries give the counts the rows hold, on each database: devices by kind and
 * status, accepted and rejected envelopes per hour (every hour present, rejections by reason),
 * the device list's filters and paging, placed devices, a device's rejections newest first.
 */
abstract class ExplorerQueriesContract {
  static final long HOUR = 3_600_000L;
  /** 2026-12-02 10:30 UTC. */
  static final long NOW = 1_796_207_400_000L;

  abstract Database open();

  @Test
  void the_queries_count_what_is_stored() throws Exception {
    try (Database db = open()) {
      Store store = new Store(db);
      DeviceId a = device(store, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 1, 0x891f1d48947ffffL, NOW - 5 * HOUR);
      DeviceId b = device(store, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 2, 0x891f1d4d6a3ffffL, NOW - 4 * HOUR);
      DeviceId c = device(store, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", 3, null, NOW - 3 * HOUR);
      store.devices().setActive(c, false);
      List<AcceptedEnvelope> accepted = new ArrayList<>();
      // 3 in the current hour, 2 two hours ago, 1 thirty hours ago (outside the 24 hours).
      long[] at = {NOW - 60_000, NOW - 120_000, NOW - 180_000, NOW - 2 * HOUR, NOW - 2 * HOUR - 1, NOW - 30 * HOUR};
      for (int i = 0; i < at.length; i++) {
        accepted.add(new AcceptedEnvelope(hash("a" + i), a.toString(), i + 1, at[i], at[i], 8, 0, new byte[] {1, 2, 3}));
      }
      List<RejectionRecord> rejected = List.of(
          new RejectionRecord(a.toString(), 9L, hash("r1"), "STALE", "too old", NOW - 10_000, null, null),
          new RejectionRecord(a.toString(), 1L, hash("r2"), "EQUIVOCATION", "sequence 1 was accepted with other content", NOW - 5_000, null, null),
          new RejectionRecord(a.toString(), 10L, hash("r3"), "STALE", "too old", NOW - 2 * HOUR, null, null));
      store.envelopes().persist(accepted, rejected);
      ExplorerQueries q = store.explorer();

      assertEquals(Map.of(1, Map.of("ACTIVE", 1L), 2, Map.of("ACTIVE", 1L), 3, Map.of("INACTIVE", 1L)), q.deviceCounts());
      assertEquals(6, q.acceptedTotal());
      assertEquals(3, q.rejectedTotal());

      List<ExplorerQueries.Hour> hours = q.hours(NOW, 24);
      assertEquals(24, hours.size());
      assertEquals((NOW / HOUR - 23) * HOUR, hours.get(0).start(), "oldest first, on the hour");
      assertEquals(NOW / HOUR * HOUR, hours.get(23).start());
      assertEquals(3, hours.get(23).accepted());
      assertEquals(Map.of("STALE", 1L, "EQUIVOCATION", 1L), hours.get(23).rejectedByReason());
      assertEquals(2, hours.get(21).accepted());
      assertEquals(0, hours.get(20).accepted(), "NOW - 2 h - 1 ms is in the same hour as NOW - 2 h (NOW is at :30)");
      assertEquals(5, hours.stream().mapToLong(ExplorerQueries.Hour::accepted).sum(), "the envelope 30 hours old is outside");
      assertEquals(3, hours.stream().mapToLong(ExplorerQueries.Hour::rejected).sum());
      assertEquals(hours, q.hours(NOW, 24), "finished hours come from memory the second time, with the same counts");
      store.envelopes().persist(List.of(new AcceptedEnvelope(hash("late"), a.toString(), 99, NOW, NOW, 8, 0, new byte[] {1})), List.of());
      assertEquals(4, q.hours(NOW, 24).get(23).accepted(), "the current hour is counted afresh");

      assertEquals(3, q.countDevices(null, null, null));
      assertEquals(2, q.countDevices(null, null, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
      assertEquals(1, q.countDevices(2, "ACTIVE", null));
      assertEquals(0, q.countDevices(3, "ACTIVE", null));
      assertEquals(List.of(c, b, a), q.devices(null, null, null, 0, 10).stream().map(DeviceRecord::id).toList(), "newest first");
      assertEquals(List.of(b), q.devices(null, null, null, 1, 1).stream().map(DeviceRecord::id).toList(), "paged");
      assertEquals(List.of(a), q.devices(1, null, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 0, 10).stream().map(DeviceRecord::id).toList());

      List<ExplorerQueries.PlacedDevice> placed = q.placedDevices(10);
      assertEquals(2, placed.size(), "the device without a cell is not placed");
      assertEquals(0x891f1d48947ffffL, placed.get(0).h3Cell());

      List<RejectionRecord> rej = q.rejectionsOf(a.toString(), 0, 10);
      assertEquals(List.of("EQUIVOCATION", "STALE", "STALE"), rej.stream().map(RejectionRecord::reason).toList(), "newest first");
      assertEquals(1, q.rejectionsOf(a.toString(), 2, 10).size());
      assertTrue(q.rejectionsOf(b.toString(), 0, 10).isEmpty());
    }
  }

  private static DeviceId device(Store store, String owner, int kind, Long h3, long registeredAt) {
    SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    store.devices().upsertDevice(s.deviceId(), owner, kind, h3 == null ? null : 52.5, h3 == null ? null : 13.4, h3, registeredAt,
        new byte[] {(byte) kind});
    return s.deviceId();
  }

  private static byte[] hash(String s) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
