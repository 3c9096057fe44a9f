package dev.popw.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * A database written by schema version 2 (envelopes keyed by hash, naming their device by did:key)
 * keeps every envelope when the V3 migration compacts the rows, and the store finds them by hash,
 * by device and by batch afterwards; new writes continue after the migrated rows.
 */
abstract class SchemaMigrationContract {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A Flyway configuration for the empty database (or schema) under test. */
  abstract org.flywaydb.core.api.configuration.FluentConfiguration flyway();

  /** Opens the same database the coordinator's way (which migrates it to the latest version). */
  abstract Database open();

  record Old(String device, long sequence, byte[] hash, byte[] envelope, Long batch) {}

  @Test
  void envelopes_stored_by_version_2_are_found_after_the_migration() throws SQLException {
    Flyway v2 = flyway().target("2").load();
    v2.migrate();
    DeviceId a = SoftwareSigner.generate(KeyType.ED25519, RANDOM).deviceId();
    DeviceId b = SoftwareSigner.generate(KeyType.ECDSA_P256, RANDOM).deviceId();
    List<Old> old = new ArrayList<>();
    for (int s = 1; s <= 3; s++) {
      old.add(new Old(a.toString(), s, random(32), random(150), 1L));
    }
    for (int s = 1; s <= 2; s++) {
      old.add(new Old(b.toString(), s, random(32), random(150), null));
    }
    try (Connection c = v2.getConfiguration().getDataSource().getConnection()) {
      if (v2.getConfiguration().getDefaultSchema() != null) {
        c.setSchema(v2.getConfiguration().getDefaultSchema());
      }
      insertDevice(c, a, 1000);
      insertDevice(c, b, 2000);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO envelopes (envelope_hash, device_id, sequence, device_time, received_at,"
          + " payload_kind, flags, envelope, batch_id) VALUES (?,?,?,?,?,?,?,?,?)")) {
        for (Old o : old) {
          ps.setBytes(1, o.hash());
          ps.setString(2, o.device());
          ps.setLong(3, o.sequence());
          ps.setLong(4, 5000 + o.sequence());
          ps.setLong(5, 6000 + o.sequence());
          ps.setInt(6, 1);
          ps.setInt(7, o.sequence() == 2 ? 4 : 0);
          ps.setBytes(8, o.envelope());
          if (o.batch() == null) {
            ps.setNull(9, Types.BIGINT);
          } else {
            ps.setLong(9, o.batch());
          }
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO batches (batch_id, merkle_root, envelope_count, sealed_at, status)"
          + " VALUES (1, ?, 3, 7000, 'SEALED')")) {
        ps.setBytes(1, random(32));
        ps.executeUpdate();
      }
      // Rejections of version 2: one of device a, one of nobody (a bad signature).
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO rejections (device_id, sequence, envelope_hash, reason, detail,"
          + " received_at, envelope) VALUES (?, 9, ?, ?, ?, 8000, ?)")) {
        Object[][] rows = {{a.toString(), "STALE", "telemetry is 1000 s old", 150}, {null, "BAD_SIGNATURE", "signature does not verify", 90}};
        for (Object[] r : rows) {
          ps.setString(1, (String) r[0]);
          ps.setBytes(2, random(32));
          ps.setString(3, (String) r[1]);
          ps.setString(4, (String) r[2]);
          ps.setBytes(5, random((int) r[3]));
          ps.executeUpdate();
        }
      }
    }

    try (Database db = open()) {
      Store store = new Store(db);
      for (Old o : old) {
        EnvelopeRow row = store.envelopes().envelope(o.hash()).orElseThrow(() -> new AssertionError("lost " + o.device() + "#" + o.sequence()));
        assertEquals(o.device(), row.deviceId());
        assertEquals(o.sequence(), row.sequence());
        assertEquals(6000 + o.sequence(), row.receivedAt());
        assertEquals(o.sequence() == 2 ? 4 : 0, row.flags());
        assertEquals(o.batch(), row.batchId());
        assertArrayEquals(o.envelope(), store.envelopes().envelopeBytes(o.hash()).orElseThrow());
        assertArrayEquals(o.hash(), store.envelopes().acceptedHash(o.device(), o.sequence()).orElseThrow());
      }
      assertEquals(3, store.envelopes().countAccepted(a.toString()));
      assertEquals(2, store.envelopes().countAccepted(b.toString()));
      Map<Long, byte[]> recent = store.envelopes().recentSequences(a.toString(), 10);
      assertEquals(List.of(3L, 2L, 1L), new ArrayList<>(recent.keySet()));
      assertEquals(sorted(old.stream().filter(o -> o.batch() != null).map(Old::hash).toList()), sorted(store.batches().batchHashes(1)));
      assertEquals(1, store.batches().batchOf(old.get(0).hash()).orElseThrow().id());
      assertTrue(store.batches().batchOf(old.get(4).hash()).isEmpty());
      assertEquals(1, store.batches().maxAssignedBatchId());
      // V6 charged the old rejections to their buckets: device a's, and the unattributed one.
      long chargedA = EnvelopeStore.ROW_OVERHEAD + 150 + "telemetry is 1000 s old".length();
      long chargedNobody = EnvelopeStore.ROW_OVERHEAD + 90 + "signature does not verify".length();
      assertEquals(chargedA + chargedNobody, store.envelopes().storedRejectionBytes());
      assertEquals(1, store.envelopes().rejections(a.toString(), "STALE").size());
      assertEquals(0, store.envelopes().rejectionsDropped(a.toString()));

      // New writes: a newly registered device, and the old ones continuing their sequences.
      DeviceId c = SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, RANDOM).deviceId();
      store.devices().upsertDevice(c, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 1, null, null, null, 3000, new byte[] {1});
      byte[] h1 = random(32);
      byte[] h2 = random(32);
      store.envelopes().persist(List.of(new AcceptedEnvelope(h1, b.toString(), 3, 1, 2, 1, 0, random(100)),
          new AcceptedEnvelope(h2, c.toString(), 1, 1, 2, 1, 0, random(100))), new long[] {2, 2}, List.of());
      assertEquals(b.toString(), store.envelopes().envelope(h1).orElseThrow().deviceId());
      assertEquals(c.toString(), store.envelopes().envelope(h2).orElseThrow().deviceId());
      assertEquals(3, store.envelopes().countAccepted(b.toString()));
      assertEquals(2, store.batches().maxAssignedBatchId());
      // (device, sequence) is still unique in the database, under the pipeline's own check.
      assertThrows(StoreException.class, () -> store.envelopes().persist(
          List.of(new AcceptedEnvelope(random(32), a.toString(), 2, 1, 2, 1, 0, random(100))), null, List.of()));
      assertEquals(3, store.envelopes().countAccepted(a.toString()));
    }
  }

  private static void insertDevice(Connection c, DeviceId id, long registeredAt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO devices (device_id, key_type, public_key, owner_address, kind, status,"
        + " registered_at, registration) VALUES (?,?,?,'0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',1,'ACTIVE',?,?)")) {
      ps.setString(1, id.toString());
      ps.setInt(2, id.keyType().wireValue());
      ps.setBytes(3, id.publicKey());
      ps.setLong(4, registeredAt);
      ps.setBytes(5, new byte[] {1});
      ps.executeUpdate();
    }
  }

  private static List<String> sorted(List<byte[]> hashes) {
    return hashes.stream().map(HexFormat.of()::formatHex).sorted(Comparator.naturalOrder()).toList();
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
