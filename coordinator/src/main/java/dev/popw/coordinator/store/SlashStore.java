package dev.popw.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Equivocation evidence not yet acted on, and what was done with it (schema V9). Thread-safe. */
public final class SlashStore {
  private final DataSource ds;

  SlashStore(DataSource ds) {
    this.ds = ds;
  }

  /** A stored equivocation: the second envelope's bytes and the hash of the accepted one it conflicts with. */
  public record Evidence(String deviceId, long sequence, byte[] second, byte[] firstHash) {}

  /** Equivocations with no decision yet, oldest first. */
  public List<Evidence> open(int limit) {
    List<Evidence> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT r.device_id, r.sequence, r.envelope,"
        + " r.conflicts_with FROM rejections r WHERE r.reason = 'EQUIVOCATION' AND r.envelope IS NOT NULL AND r.conflicts_with IS NOT NULL"
        + " AND NOT EXISTS (SELECT 1 FROM slashes s WHERE s.device_id = r.device_id AND s.sequence = r.sequence) ORDER BY r.id LIMIT ?")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Evidence(rs.getString(1), rs.getLong(2), rs.getBytes(3), rs.getBytes(4)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read equivocations: " + e.getMessage(), e);
    }
  }

  public void decide(String deviceId, long sequence, String status, String tx, String note, long at) {
    Jdbc.update(ds, "INSERT INTO slashes (device_id, sequence, status, tx, note, decided_at) VALUES (?,?,?,?,?,?)", deviceId, sequence,
        status, tx, Jdbc.truncate(note), at);
  }

  /** The decision on one equivocation: status, tx, note. */
  public Optional<String[]> decision(String deviceId, long sequence) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT status, tx, note FROM slashes WHERE device_id = ? AND sequence = ?")) {
      ps.setString(1, deviceId);
      ps.setLong(2, sequence);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read a slash: " + e.getMessage(), e);
    }
  }
}
