package dev.popw.coordinator.store;

import dev.popw.coordinator.validation.IssuedEntropy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The entropy the coordinator issued: evidence the coverage validator checks beacons against. Thread-safe. */
public final class EntropyStore {
  /** An issued entropy with the SignedEntropy bytes as published. */
  public record Stored(IssuedEntropy entropy, byte[] signed) {}

  private final DataSource ds;

  EntropyStore(DataSource ds) {
    this.ds = ds;
  }

  /**
   * Stores newly issued entropy unless its sequence is stored already. True when this call stored
   * it; false when that number was stored first (on a cluster, by another node: docs/scale-out.md),
   * and then nothing is written.
   */
  public boolean saveIfNew(IssuedEntropy e, byte[] signed) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO entropy (sequence, entropy_value, issued_at, expires_at, signed) VALUES (?,?,?,?,?)"
            + " ON CONFLICT DO NOTHING")) {
      ps.setLong(1, e.sequence());
      ps.setBytes(2, e.value());
      ps.setLong(3, e.issuedAtMs());
      ps.setLong(4, e.expiresAtMs());
      ps.setBytes(5, signed);
      return ps.executeUpdate() == 1;
    } catch (SQLException x) {
      throw new StoreException("cannot store entropy #" + e.sequence() + ": " + x.getMessage(), x);
    }
  }

  /** The most recently issued entropy, if any. */
  public Optional<Stored> latest() {
    List<Stored> l = query("SELECT sequence, entropy_value, issued_at, expires_at, signed FROM entropy ORDER BY sequence DESC LIMIT 1");
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** One issued entropy by sequence. */
  public Optional<Stored> bySequence(long sequence) {
    List<Stored> l = query("SELECT sequence, entropy_value, issued_at, expires_at, signed FROM entropy WHERE sequence=" + sequence);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** Entropy issued in {@code [fromMs, toMs)}, by sequence. */
  public List<IssuedEntropy> issued(long fromMs, long toMs) {
    List<IssuedEntropy> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT sequence, entropy_value, issued_at, expires_at FROM entropy WHERE issued_at >= ? AND issued_at < ? ORDER BY sequence")) {
      ps.setLong(1, fromMs);
      ps.setLong(2, toMs);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new IssuedEntropy(rs.getLong(1), rs.getBytes(2), rs.getLong(3), rs.getLong(4)));
        }
      }
      return out;
    } catch (SQLException x) {
      throw new StoreException("cannot read entropy: " + x.getMessage(), x);
    }
  }

  private List<Stored> query(String sql) {
    List<Stored> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(new Stored(new IssuedEntropy(rs.getLong(1), rs.getBytes(2), rs.getLong(3), rs.getLong(4)), rs.getBytes(5)));
      }
      return out;
    } catch (SQLException x) {
      throw new StoreException("cannot read entropy: " + x.getMessage(), x);
    }
  }
}
