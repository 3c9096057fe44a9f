package dev.popw.coordinator.rewards;

import dev.popw.coordinator.store.StoreException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Rewards (schema V9, docs/rewards.md): consents, standings, and each epoch's split and root. Thread-safe. */
public final class RewardStore {
  private final DataSource ds;

  public RewardStore(DataSource ds) {
    this.ds = ds;
  }

  /** An owner's signed consent to a device; a newer one replaces it. */
  public void saveConsent(String deviceId, String owner, byte[] signature, long at) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement del = c.prepareStatement("DELETE FROM reward_consents WHERE device_id=?");
          PreparedStatement ins = c.prepareStatement("INSERT INTO reward_consents (device_id, owner_address, signature, received_at) VALUES (?,?,?,?)")) {
        del.setString(1, deviceId);
        del.executeUpdate();
        ins.setString(1, deviceId);
        ins.setString(2, owner.toLowerCase(java.util.Locale.ROOT));
        ins.setBytes(3, signature);
        ins.setLong(4, at);
        ins.executeUpdate();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store a consent: " + e.getMessage(), e);
    }
  }

  /** The owner that consented to a device, if one did. */
  public Optional<String> consentOwner(String deviceId) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT owner_address FROM reward_consents WHERE device_id=?")) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read a consent: " + e.getMessage(), e);
    }
  }

  /** Stores the standings of an epoch's devices unless the epoch has some already (they are an input, taken once). */
  public void snapshotStandings(long epoch, java.util.Collection<Standing> standings) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement has = c.prepareStatement("SELECT COUNT(*) FROM reward_standings WHERE epoch=?")) {
        has.setLong(1, epoch);
        try (ResultSet rs = has.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            c.rollback();
            return;
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO reward_standings (epoch, device_id, owner_address, active, consented,"
          + " stake_owner, stake) VALUES (?,?,?,?,?,?,?)")) {
        for (Standing s : standings) {
          ps.setLong(1, epoch);
          ps.setString(2, s.deviceId());
          setString(ps, 3, s.owner());
          ps.setBoolean(4, s.active());
          ps.setBoolean(5, s.consented());
          setString(ps, 6, s.stakeOwner());
          ps.setBigDecimal(7, new BigDecimal(s.stake()));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot store the standings of epoch " + epoch + ": " + e.getMessage(), e);
    }
  }

  /** Whether an epoch's standings were taken. */
  public boolean hasStandings(long epoch) {
    return scalar("SELECT COUNT(*) FROM reward_standings WHERE epoch=" + epoch) > 0;
  }

  /** The standings recorded for an epoch, by device id. */
  public Map<String, Standing> standings(long epoch) {
    Map<String, Standing> out = new TreeMap<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT device_id, owner_address, active, consented,"
        + " stake_owner, stake FROM reward_standings WHERE epoch=?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new Standing(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4), rs.getString(5),
              rs.getBigDecimal(6).toBigIntegerExact()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the standings of epoch " + epoch + ": " + e.getMessage(), e);
    }
  }

  /** Stores an epoch's rewards in one transaction; false when the epoch has rewards already. */
  public boolean save(EpochRewards r, long computedAt, String chainStatus) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement has = c.prepareStatement("SELECT COUNT(*) FROM reward_epochs WHERE epoch=?")) {
          has.setLong(1, r.epoch());
          try (ResultSet rs = has.executeQuery()) {
            rs.next();
            if (rs.getLong(1) > 0) {
              c.rollback();
              return false;
            }
          }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO reward_devices (epoch, device_id, pool, owner_address, micro_units,"
            + " amount, zero_reason, explanation) VALUES (?,?,?,?,?,?,?,?)")) {
          for (DeviceReward d : r.devices()) {
            ps.setLong(1, r.epoch());
            ps.setString(2, d.deviceId());
            ps.setString(3, d.pool().key());
            setString(ps, 4, d.owner());
            ps.setLong(5, d.microUnits());
            ps.setBigDecimal(6, new BigDecimal(d.amount()));
            setString(ps, 7, d.zeroReason() == null ? null : d.zeroReason().name());
            ps.setString(8, d.explanation());
            ps.addBatch();
          }
          ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO reward_owners (epoch, owner_address, amount, cumulative) VALUES (?,?,?,?)")) {
          for (OwnerReward o : r.paid()) {
            ps.setLong(1, r.epoch());
            ps.setString(2, o.owner());
            ps.setBigDecimal(3, new BigDecimal(o.amount()));
            ps.setBigDecimal(4, new BigDecimal(o.cumulative()));
            ps.addBatch();
          }
          ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO reward_epochs (epoch, token_epoch, emission, burned_previous,"
            + " distributable, unallocated, total_owed, pools, root, rewards_hash, parameters, computed_at, chain_status)"
            + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
          ps.setLong(1, r.epoch());
          ps.setLong(2, r.tokenEpoch());
          ps.setBigDecimal(3, new BigDecimal(r.emission()));
          ps.setBigDecimal(4, new BigDecimal(r.burnedPrevious()));
          ps.setBigDecimal(5, new BigDecimal(r.distributable()));
          ps.setBigDecimal(6, new BigDecimal(r.unallocated()));
          ps.setBigDecimal(7, new BigDecimal(r.totalOwed()));
          StringBuilder pools = new StringBuilder();
          for (Pool p : Pool.values()) {
            pools.append(pools.length() == 0 ? "" : ",").append(p.key()).append(':').append(r.poolAmounts().get(p)).append(':')
                .append(r.poolUnits().get(p));
          }
          ps.setString(8, pools.toString());
          ps.setBytes(9, r.root());
          ps.setBytes(10, r.hash());
          ps.setString(11, r.parameters());
          ps.setLong(12, computedAt);
          ps.setString(13, chainStatus);
          ps.executeUpdate();
        }
        c.commit();
        return true;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store the rewards of epoch " + r.epoch() + ": " + e.getMessage(), e);
    }
  }

  /** The record of an epoch's rewards: its numbers, hash and on-chain status. */
  public record Row(long epoch, long tokenEpoch, BigInteger emission, BigInteger burnedPrevious, BigInteger distributable,
      BigInteger unallocated, BigInteger totalOwed, String pools, byte[] root, byte[] hash, String parameters, long computedAt,
      String chainStatus, String chainTx, String chainNote) {}

  public Optional<Row> row(long epoch) {
    List<Row> l = rows("WHERE epoch=" + epoch);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** Epochs with rewards, newest first. */
  public List<Row> rows(int offset, int limit) {
    return rows("ORDER BY epoch DESC LIMIT " + limit + " OFFSET " + offset);
  }

  /** The newest epoch with rewards. */
  public Optional<Row> latest() {
    List<Row> l = rows("ORDER BY epoch DESC LIMIT 1");
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** The newest epoch waiting for its root to go on-chain. */
  public Optional<Row> newestPending() {
    List<Row> l = rows("WHERE chain_status='PENDING' ORDER BY epoch DESC LIMIT 1");
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  private List<Row> rows(String tail) {
    List<Row> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT epoch, token_epoch, emission, burned_previous,"
        + " distributable, unallocated, total_owed, pools, root, rewards_hash, parameters, computed_at, chain_status, chain_tx, chain_note"
        + " FROM reward_epochs " + tail); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Row(rs.getLong(1), rs.getLong(2), big(rs, 3), big(rs, 4), big(rs, 5), big(rs, 6), big(rs, 7), rs.getString(8),
            rs.getBytes(9), rs.getBytes(10), rs.getString(11), rs.getLong(12), rs.getString(13), rs.getString(14), rs.getString(15)));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read rewards: " + e.getMessage(), e);
    }
  }

  /** Records what happened to an epoch's root on the chain; older PENDING roots become SUPERSEDED once a newer one is committed. */
  public void markChain(long epoch, String status, String tx, String note) {
    update("UPDATE reward_epochs SET chain_status=?, chain_tx=?, chain_note=? WHERE epoch=?", status, tx, truncate(note), epoch);
    if (status.equals("COMMITTED")) {
      update("UPDATE reward_epochs SET chain_status='SUPERSEDED', chain_note=? WHERE chain_status='PENDING' AND epoch < ?",
          "epoch " + epoch + "'s root, committed, includes these totals", epoch);
    }
  }

  /** The rewards of an epoch as stored, with every owner's cumulative total after it. */
  public Optional<EpochRewards> rewards(long epoch) {
    Optional<Row> row = row(epoch);
    if (row.isEmpty()) {
      return Optional.empty();
    }
    Row r = row.get();
    Map<Pool, BigInteger> amounts = new EnumMap<>(Pool.class);
    Map<Pool, Long> units = new EnumMap<>(Pool.class);
    for (String part : r.pools().split(",")) {
      String[] f = part.split(":");
      amounts.put(Pool.ofKey(f[0]), new BigInteger(f[1]));
      units.put(Pool.ofKey(f[0]), Long.parseLong(f[2]));
    }
    List<DeviceReward> devices = devices("WHERE epoch=? ORDER BY device_id, pool", epoch);
    devices.sort(java.util.Comparator.comparing(DeviceReward::deviceId).thenComparing(DeviceReward::pool));
    List<OwnerReward> paid = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT owner_address, amount, cumulative FROM reward_owners WHERE epoch=? ORDER BY owner_address")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          paid.add(new OwnerReward(rs.getString(1), big(rs, 2), big(rs, 3)));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read rewards: " + e.getMessage(), e);
    }
    Map<String, BigInteger> paidNow = new TreeMap<>();
    paid.forEach(o -> paidNow.put(o.owner(), o.amount()));
    List<OwnerReward> owners = new ArrayList<>();
    cumulativeUpTo(epoch, true).forEach((o, c) -> owners.add(new OwnerReward(o, paidNow.getOrDefault(o, BigInteger.ZERO), c)));
    return Optional.of(new EpochRewards(r.epoch(), r.tokenEpoch(), r.emission(), r.burnedPrevious(), r.distributable(), amounts, units,
        devices, paid, owners, r.unallocated(), r.totalOwed(), r.root(), r.parameters()));
  }

  /** Every owner's cumulative total after epoch {@code epoch} ({@code inclusive}) or before it, by address. */
  public Map<String, BigInteger> cumulativeUpTo(long epoch, boolean inclusive) {
    Map<String, BigInteger> out = new TreeMap<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT owner_address, MAX(cumulative) FROM reward_owners"
        + " WHERE epoch " + (inclusive ? "<=" : "<") + " ? GROUP BY owner_address")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), big(rs, 2));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read cumulative rewards: " + e.getMessage(), e);
    }
  }

  /** What an owner was paid, per epoch, oldest first. */
  public List<OwnerReward> paidTo(String owner, List<Long> epochsOut) {
    List<OwnerReward> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT epoch, amount, cumulative FROM reward_owners WHERE owner_address=? ORDER BY epoch")) {
      ps.setString(1, owner.toLowerCase(java.util.Locale.ROOT));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          epochsOut.add(rs.getLong(1));
          out.add(new OwnerReward(owner.toLowerCase(java.util.Locale.ROOT), big(rs, 2), big(rs, 3)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read an owner's rewards: " + e.getMessage(), e);
    }
  }

  /** The device rows of an owner in one epoch. */
  public List<DeviceReward> devicesOfOwner(String owner, long epoch) {
    return devices("WHERE owner_address=? AND epoch=? ORDER BY device_id, pool", owner.toLowerCase(java.util.Locale.ROOT), epoch);
  }

  /** Epochs in which an owner's devices have rows (paid or not), newest first, at most {@code limit}. */
  public List<Long> epochsOfOwner(String owner, int limit) {
    List<Long> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT DISTINCT epoch FROM reward_devices"
        + " WHERE owner_address=? ORDER BY epoch DESC LIMIT " + limit)) {
      ps.setString(1, owner.toLowerCase(java.util.Locale.ROOT));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read an owner's epochs: " + e.getMessage(), e);
    }
  }

  /** A device's rows, newest epoch first, with their epochs in {@code epochsOut}. */
  public List<DeviceReward> devicesOf(String deviceId, int offset, int limit, List<Long> epochsOut) {
    List<DeviceReward> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT device_id, pool, owner_address, micro_units,"
        + " amount, zero_reason, explanation, epoch FROM reward_devices WHERE device_id=? ORDER BY epoch DESC, pool LIMIT " + limit
        + " OFFSET " + offset)) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(device(rs));
          epochsOut.add(rs.getLong(8));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read a device's rewards: " + e.getMessage(), e);
    }
  }

  /** Deletes an epoch's rewards and standings (the epoch is being recomputed). */
  public void delete(long epoch) {
    update("DELETE FROM reward_devices WHERE epoch=?", epoch);
    update("DELETE FROM reward_owners WHERE epoch=?", epoch);
    update("DELETE FROM reward_epochs WHERE epoch=?", epoch);
  }

  private List<DeviceReward> devices(String where, Object... args) {
    List<DeviceReward> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT device_id, pool, owner_address, micro_units,"
        + " amount, zero_reason, explanation FROM reward_devices " + where)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(device(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read device rewards: " + e.getMessage(), e);
    }
  }

  private static DeviceReward device(ResultSet rs) throws SQLException {
    String z = rs.getString(6);
    return new DeviceReward(rs.getString(1), Pool.ofKey(rs.getString(2)), rs.getString(3), rs.getLong(4), big(rs, 5),
        z == null ? null : ZeroReason.valueOf(z), rs.getString(7));
  }

  private static BigInteger big(ResultSet rs, int i) throws SQLException {
    return rs.getBigDecimal(i).toBigIntegerExact();
  }

  private static void setString(PreparedStatement ps, int i, String v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.VARCHAR);
    } else {
      ps.setString(i, v);
    }
  }

  private void update(String sql, Object... args) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("database update failed: " + e.getMessage(), e);
    }
  }

  private long scalar(String sql) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new StoreException("database query failed: " + e.getMessage(), e);
    }
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 500 ? s : s.substring(0, 497) + "...";
  }
}
