package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Schema version 14, embedded database only: lookups by hash through a table keyed by the hash's
 * first 8 bytes instead of a secondary index on {@code envelopes.hash_key} (issue 18).
 *
 * <p>H2 keeps a table whose primary key is one {@code BIGINT} in a map keyed by that number, while
 * a secondary index is a map of generic rows compared value by value; for random keys, written a
 * thousand to a commit, the index cost about 20 of the writer's 38 µs per envelope, the keyed table
 * about 10 (docs/benchmarks.md). {@code envelope_hashes} maps {@code slot} to the envelope's
 * {@code ordinal}. The slot is the hash's first 8 bytes as a number ({@code hash_key}) or, if that
 * slot is taken by another envelope (a 64-bit prefix collision), the first free one of the next 15:
 * a lookup reads slots {@code [hash_key, hash_key + 15]} and compares the full hash.
 *
 * <p>PostgreSQL keeps its index: a B-tree insert there costs a few microseconds of server CPU, and
 * a cluster's nodes take ordinals from a sequence inside the insert.
 */
public class V14__Envelope_hash_map extends BaseJavaMigration {
  /** Slots a hash may take beyond its own (EnvelopeStore.HASH_PROBE - 1). */
  static final int PROBE = 16;

  @Override
  public void migrate(Context context) throws SQLException {
    Connection c = context.getConnection();
    if (!c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("h2")) {
      return;
    }
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE envelope_hashes (slot BIGINT PRIMARY KEY, ordinal BIGINT NOT NULL)");
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT hash_key, ordinal FROM envelopes ORDER BY ordinal");
        PreparedStatement ins = c.prepareStatement("INSERT INTO envelope_hashes (slot, ordinal) VALUES (?,?) ON CONFLICT DO NOTHING")) {
      while (rs.next()) {
        long key = rs.getLong(1);
        long ordinal = rs.getLong(2);
        boolean placed = false;
        for (int j = 0; j < PROBE && !placed && key + j >= key; j++) {
          ins.setLong(1, key + j);
          ins.setLong(2, ordinal);
          placed = ins.executeUpdate() == 1;
        }
        if (!placed) {
          throw new SQLException("no free slot for envelope " + ordinal + " among " + PROBE + " from " + key);
        }
      }
    }
    try (Statement st = c.createStatement()) {
      st.execute("DROP INDEX envelopes_hash");
    }
  }
}
