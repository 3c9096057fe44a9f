package dev.popw.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/** The data API's credit spending per epoch and account, and its settlements (schema V9). Thread-safe. */
public final class CreditStore {
  private final DataSource ds;

  CreditStore(DataSource ds) {
    this.ds = ds;
  }

  /** Adds spending to an account's row of an epoch. */
  public synchronized void spend(long epoch, String account, long credits, long messages) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement up = c.prepareStatement("UPDATE credit_spending SET credits = credits + ?, messages = messages + ?"
          + " WHERE epoch = ? AND account = ?")) {
        up.setLong(1, credits);
        up.setLong(2, messages);
        up.setLong(3, epoch);
        up.setString(4, account);
        if (up.executeUpdate() == 0) {
          try (PreparedStatement ins = c.prepareStatement("INSERT INTO credit_spending (epoch, account, credits, messages) VALUES (?,?,?,?)")) {
            ins.setLong(1, epoch);
            ins.setString(2, account);
            ins.setLong(3, credits);
            ins.setLong(4, messages);
            ins.executeUpdate();
          }
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot record credit spending: " + e.getMessage(), e);
    }
  }

  /** Credits an account spent in epochs not yet settled on-chain. */
  public long unsettled(String account) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(s.credits), 0) FROM credit_spending s"
        + " WHERE s.account = ? AND NOT EXISTS (SELECT 1 FROM credit_settlements x WHERE x.epoch = s.epoch AND x.status = 'COMMITTED')")) {
      ps.setString(1, account);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read credit spending: " + e.getMessage(), e);
    }
  }

  /** Each account's spending in an epoch, by account. */
  public Map<String, Long> spentIn(long epoch) {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT account, credits FROM credit_spending WHERE epoch = ? AND credits > 0 ORDER BY account")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read credit spending: " + e.getMessage(), e);
    }
  }

  /** Epochs before {@code before} with spending and no settlement yet (retryable failures included), oldest first. */
  public List<Long> unsettledEpochs(long before) {
    List<Long> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT DISTINCT s.epoch FROM credit_spending s"
        + " WHERE s.epoch < ? AND NOT EXISTS (SELECT 1 FROM credit_settlements x WHERE x.epoch = s.epoch AND x.status IN ('COMMITTED', 'FAILED', 'NONE'))"
        + " ORDER BY s.epoch")) {
      ps.setLong(1, before);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read credit spending: " + e.getMessage(), e);
    }
  }

  /** A settlement as recorded. */
  public record Settlement(long epoch, long tokenEpoch, byte[] spentRoot, long total, int accounts, String status, String tx, String note) {}

  public void saveSettlement(Settlement s) {
    Jdbc.update(ds, "DELETE FROM credit_settlements WHERE epoch=?", s.epoch());
    Jdbc.update(ds, "INSERT INTO credit_settlements (epoch, token_epoch, spent_root, total, accounts, status, tx, note) VALUES (?,?,?,?,?,?,?,?)",
        s.epoch(), s.tokenEpoch(), s.spentRoot(), s.total(), s.accounts(), s.status(), s.tx(), Jdbc.truncate(s.note()));
  }

  public Optional<Settlement> settlement(long epoch) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT epoch, token_epoch, spent_root, total, accounts,"
        + " status, tx, note FROM credit_settlements WHERE epoch = ?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new Settlement(rs.getLong(1), rs.getLong(2), rs.getBytes(3), rs.getLong(4), rs.getInt(5),
            rs.getString(6), rs.getString(7), rs.getString(8))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read a credit settlement: " + e.getMessage(), e);
    }
  }

  /** One page of accepted envelopes of a payload kind after a cursor (receipt time, then hash), for the data API. */
  public record DataRow(String deviceId, long sequence, byte[] hash, long receivedAt, byte[] envelope) {}

  /**
   * Up to {@code limit} rows from receipt time {@code receivedAt} on, in (receipt time, hash) order,
   * skipping the first {@code skip} rows of that exact millisecond (already served).
   */
  public List<DataRow> after(int payloadKind, long receivedAt, int skip, int limit) {
    List<DataRow> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT d.device_id, e.sequence, e.envelope_hash,"
        + " e.received_at, e.envelope FROM envelopes e JOIN devices d ON d.device_no = e.device_no WHERE e.payload_kind = ?"
        + " AND e.received_at >= ? ORDER BY e.received_at, e.envelope_hash LIMIT ? OFFSET ?")) {
      ps.setInt(1, payloadKind);
      ps.setLong(2, receivedAt);
      ps.setInt(3, limit);
      ps.setInt(4, skip);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new DataRow(rs.getString(1), rs.getLong(2), rs.getBytes(3), rs.getLong(4), rs.getBytes(5)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read data: " + e.getMessage(), e);
    }
  }

}
