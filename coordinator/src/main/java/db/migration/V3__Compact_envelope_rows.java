package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema version 3: a compact envelope row, because the envelope table's indexes were the largest
 * cost after the signature check (docs/benchmarks.md, "Coordinator").
 *
 * <ul>
 *   <li>Devices get a number ({@code device_no}); envelopes name their device by it instead of
 *       the 56-character did:key, and the foreign key goes (the pipeline writes only envelopes of
 *       registered devices, and a device row is never deleted).
 *   <li>The primary key is {@code ordinal}, the coordinator's write order, so rows are appended
 *       (an embedded H2 table is stored in its primary key's order) instead of inserted at random
 *       places of a hash-ordered tree.
 *   <li>Lookups by hash go through {@code hash_key} (the hash's first 8 bytes as a number, not
 *       unique) and then compare the full hash: a smaller index than one over the 32-byte hash.
 *   <li>The (device, sequence) pair stays unique; the batch index is on {@code batch_id} alone.
 * </ul>
 *
 * Written in Java because numbering rows and taking a number out of a byte string are spelled
 * differently in H2 and PostgreSQL. Existing envelopes are copied in (batch, arrival) order.
 */
public class V3__Compact_envelope_rows extends BaseJavaMigration {
  @Override
  public void migrate(Context context) throws SQLException {
    Connection c = context.getConnection();
    try (Statement st = c.createStatement()) {
      st.execute("ALTER TABLE devices ADD COLUMN device_no INTEGER");
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT device_id FROM devices ORDER BY registered_at, device_id");
        PreparedStatement up = c.prepareStatement("UPDATE devices SET device_no=? WHERE device_id=?")) {
      int n = 0;
      while (rs.next()) {
        up.setInt(1, ++n);
        up.setString(2, rs.getString(1));
        up.addBatch();
      }
      up.executeBatch();
    }
    try (Statement st = c.createStatement()) {
      st.execute("ALTER TABLE devices ALTER COLUMN device_no SET NOT NULL");
      st.execute("CREATE UNIQUE INDEX devices_device_no ON devices (device_no)");
      st.execute("CREATE TABLE envelopes_v3 ("
          + " ordinal BIGINT PRIMARY KEY,"
          + " device_no INTEGER NOT NULL,"
          + " sequence BIGINT NOT NULL,"
          + " hash_key BIGINT NOT NULL,"
          + " envelope_hash BYTEA NOT NULL,"
          + " device_time BIGINT NOT NULL,"
          + " received_at BIGINT NOT NULL,"
          + " payload_kind SMALLINT NOT NULL,"
          + " flags INTEGER NOT NULL,"
          + " envelope BYTEA NOT NULL,"
          + " batch_id BIGINT)");
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT d.device_no, e.sequence, e.envelope_hash, e.device_time, e.received_at, e.payload_kind,"
            + " e.flags, e.envelope, e.batch_id FROM envelopes e JOIN devices d ON d.device_id = e.device_id"
            + " ORDER BY CASE WHEN e.batch_id IS NULL THEN 1 ELSE 0 END, e.batch_id, e.received_at, e.envelope_hash");
        PreparedStatement ins = c.prepareStatement("INSERT INTO envelopes_v3 (ordinal, device_no, sequence, hash_key, envelope_hash,"
            + " device_time, received_at, payload_kind, flags, envelope, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
      long ordinal = 0;
      while (rs.next()) {
        byte[] hash = rs.getBytes(3);
        ins.setLong(1, ++ordinal);
        ins.setInt(2, rs.getInt(1));
        ins.setLong(3, rs.getLong(2));
        ins.setLong(4, hashKey(hash));
        ins.setBytes(5, hash);
        ins.setLong(6, rs.getLong(4));
        ins.setLong(7, rs.getLong(5));
        ins.setInt(8, rs.getInt(6));
        ins.setInt(9, rs.getInt(7));
        ins.setBytes(10, rs.getBytes(8));
        long batch = rs.getLong(9);
        if (rs.wasNull()) {
          ins.setNull(11, Types.BIGINT);
        } else {
          ins.setLong(11, batch);
        }
        ins.addBatch();
        if (ordinal % 1000 == 0) {
          ins.executeBatch();
        }
      }
      ins.executeBatch();
    }
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE envelopes");
      st.execute("ALTER TABLE envelopes_v3 RENAME TO envelopes");
      st.execute("ALTER TABLE envelopes ADD CONSTRAINT envelopes_device_sequence UNIQUE (device_no, sequence)");
      st.execute("CREATE INDEX envelopes_hash ON envelopes (hash_key)");
      st.execute("CREATE INDEX envelopes_batch ON envelopes (batch_id)");
    }
  }

  /** The first 8 bytes of a hash, big-endian: the indexed lookup key (EnvelopeStore.hashKey does the same). */
  static long hashKey(byte[] hash) {
    long k = 0;
    for (int i = 0; i < 8; i++) {
      k = (k << 8) | (hash[i] & 0xff);
    }
    return k;
  }
}
