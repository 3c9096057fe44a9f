package dev.popw.coordinator.store;

import dev.popw.identity.DeviceId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The coordinator's persistent state, over JDBC. Thread-safe.
 *
 * <p>Envelope rows name their device by its number ({@code devices.device_no}), are keyed by
 * their write order ({@code ordinal}) and are found by hash through {@code hash_key}; see the V3
 * migration for why. The device numbers are cached (they never change) and the next ordinal is
 * kept in memory: one coordinator writes to a database (H2 is embedded; PostgreSQL is locked per
 * schema, see {@link Database#postgres}).
 */
public final class Store {
  private final DataSource ds;
  private final Map<String, Integer> deviceNumbers = new ConcurrentHashMap<>();
  private long nextOrdinal = -1; // guarded by this

  public Store(Database db) {
    this.ds = db.dataSource();
  }

  // ---------------------------------------------------------------- devices

  /** Inserts or replaces a device's registration (a re-registration may change owner or place). */
  public synchronized void upsertDevice(DeviceId id, String owner, int kind, Double lat, Double lon, Long h3, long now, byte[] signedRegistration) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement del = c.prepareStatement("UPDATE devices SET owner_address=?, kind=?, status='ACTIVE', latitude=?, longitude=?, h3_cell=?, registration=? WHERE device_id=?")) {
        del.setString(1, owner);
        del.setInt(2, kind);
        setDouble(del, 3, lat);
        setDouble(del, 4, lon);
        setLong(del, 5, h3);
        del.setBytes(6, signedRegistration);
        del.setString(7, id.toString());
        if (del.executeUpdate() == 0) {
          try (PreparedStatement ins = c.prepareStatement(
              "INSERT INTO devices (device_id, key_type, public_key, owner_address, kind, status, latitude, longitude, h3_cell, registered_at, registration,"
                  + " device_no) VALUES (?,?,?,?,?,'ACTIVE',?,?,?,?,?,(SELECT COALESCE(MAX(device_no), 0) + 1 FROM devices))")) {
            ins.setString(1, id.toString());
            ins.setInt(2, id.keyType().wireValue());
            ins.setBytes(3, id.publicKey());
            ins.setString(4, owner);
            ins.setInt(5, kind);
            setDouble(ins, 6, lat);
            setDouble(ins, 7, lon);
            setLong(ins, 8, h3);
            ins.setLong(9, now);
            ins.setBytes(10, signedRegistration);
            ins.executeUpdate();
          }
        }
      }
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot store device " + id + ": " + e.getMessage(), e);
    }
  }

  /** The number envelope rows name this device by, or null if it is not registered. */
  private Integer deviceNumber(String deviceId) {
    Integer n = deviceNumbers.get(deviceId);
    if (n != null) {
      return n;
    }
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT device_no FROM devices WHERE device_id=?")) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        n = rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read device " + deviceId + ": " + e.getMessage(), e);
    }
    deviceNumbers.put(deviceId, n);
    return n;
  }

  /** The first 8 bytes of an envelope hash as a number: the indexed lookup key. */
  static long hashKey(byte[] hash) {
    long k = 0;
    for (int i = 0; i < 8 && i < hash.length; i++) {
      k = (k << 8) | (hash[i] & 0xff);
    }
    return k;
  }

  public void setActive(DeviceId id, boolean active) {
    update("UPDATE devices SET status=? WHERE device_id=?", active ? "ACTIVE" : "INACTIVE", id.toString());
  }

  public Optional<DeviceRecord> device(String deviceId) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT device_id, owner_address, kind, status, latitude, longitude, h3_cell, registered_at FROM devices WHERE device_id=?")) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new DeviceRecord(DeviceId.parse(rs.getString(1)), rs.getString(2), rs.getInt(3),
            "ACTIVE".equals(rs.getString(4)), (Double) rs.getObject(5), (Double) rs.getObject(6),
            rs.getObject(7) == null ? null : rs.getLong(7), rs.getLong(8)));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read device " + deviceId + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- envelopes

  /** The most recent accepted sequence numbers of a device with their hashes, newest first. */
  public Map<Long, byte[]> recentSequences(String deviceId, int limit) {
    Map<Long, byte[]> out = new LinkedHashMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT sequence, envelope_hash FROM envelopes WHERE device_no=? ORDER BY sequence DESC LIMIT ?")) {
      Integer no = deviceNumber(deviceId);
      if (no == null) {
        return out;
      }
      ps.setInt(1, no);
      ps.setInt(2, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getLong(1), rs.getBytes(2));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read envelopes of " + deviceId + ": " + e.getMessage(), e);
    }
  }

  /** The hash of the accepted envelope with this sequence number, if any. */
  public Optional<byte[]> acceptedHash(String deviceId, long sequence) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope_hash FROM envelopes WHERE device_no=? AND sequence=?")) {
      Integer no = deviceNumber(deviceId);
      if (no == null) {
        return Optional.empty();
      }
      ps.setInt(1, no);
      ps.setLong(2, sequence);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read envelope " + deviceId + "#" + sequence + ": " + e.getMessage(), e);
    }
  }

  /** Writes accepted envelopes and rejections in one transaction, with no batch assigned. */
  public void persist(List<AcceptedEnvelope> accepted, List<RejectionRecord> rejected) {
    persist(accepted, null, rejected);
  }

  /**
   * Writes accepted envelopes (each with its batch id, or none when {@code batchIds} is null) and
   * rejections in one transaction.
   */
  public synchronized void persist(List<AcceptedEnvelope> accepted, long[] batchIds, List<RejectionRecord> rejected) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      if (!accepted.isEmpty()) {
        if (nextOrdinal < 0) {
          nextOrdinal = scalar("SELECT COALESCE(MAX(ordinal), 0) FROM envelopes") + 1;
        }
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO envelopes (ordinal, device_no, sequence, hash_key, envelope_hash, device_time, received_at, payload_kind, flags,"
                + " envelope, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
          int i = 0;
          for (AcceptedEnvelope a : accepted) {
            Integer no = deviceNumber(a.deviceId());
            if (no == null) {
              throw new StoreException("cannot persist an envelope of " + a.deviceId() + ": the device is not registered");
            }
            ps.setLong(1, nextOrdinal + i);
            ps.setInt(2, no);
            ps.setLong(3, a.sequence());
            ps.setLong(4, hashKey(a.hash()));
            ps.setBytes(5, a.hash());
            ps.setLong(6, a.deviceTime());
            ps.setLong(7, a.receivedAt());
            ps.setInt(8, a.payloadKind());
            ps.setInt(9, a.flags());
            ps.setBytes(10, a.envelope());
            if (batchIds == null) {
              ps.setNull(11, Types.BIGINT);
            } else {
              ps.setLong(11, batchIds[i]);
            }
            i++;
            ps.addBatch();
          }
          ps.executeBatch();
        }
        nextOrdinal += accepted.size(); // a failed transaction leaves a gap: ordinals order rows, they need not be dense
      }
      if (!rejected.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO rejections (device_id, sequence, envelope_hash, reason, detail, received_at, envelope, conflicts_with) VALUES (?,?,?,?,?,?,?,?)")) {
          for (RejectionRecord r : rejected) {
            ps.setString(1, r.deviceId());
            setLong(ps, 2, r.sequence());
            ps.setBytes(3, r.hash());
            ps.setString(4, r.reason());
            ps.setString(5, r.detail().length() > 500 ? r.detail().substring(0, 500) : r.detail());
            ps.setLong(6, r.receivedAt());
            ps.setBytes(7, r.envelope());
            ps.setBytes(8, r.conflictsWith());
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot persist envelopes: " + e.getMessage(), e);
    }
  }

  /** Counts of rejections by reason for a device (or all devices when null). */
  public Map<String, Long> rejectionCounts(String deviceId) {
    String sql = deviceId == null ? "SELECT reason, COUNT(*) FROM rejections GROUP BY reason"
        : "SELECT reason, COUNT(*) FROM rejections WHERE device_id=? GROUP BY reason";
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      if (deviceId != null) {
        ps.setString(1, deviceId);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot count rejections: " + e.getMessage(), e);
    }
  }

  /** Rejections of one reason, oldest first: evidence (for EQUIVOCATION both envelopes are kept). */
  public List<RejectionRecord> rejections(String deviceId, String reason) {
    List<RejectionRecord> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT device_id, sequence, envelope_hash, reason, detail, received_at, envelope, conflicts_with FROM rejections WHERE device_id=? AND reason=? ORDER BY id")) {
      ps.setString(1, deviceId);
      ps.setString(2, reason);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new RejectionRecord(rs.getString(1), rs.getObject(2) == null ? null : rs.getLong(2), rs.getBytes(3),
              rs.getString(4), rs.getString(5), rs.getLong(6), rs.getBytes(7), rs.getBytes(8)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read rejections: " + e.getMessage(), e);
    }
  }

  /** Accepted envelopes of a device: count and flags, for the API and tests. */
  public List<long[]> acceptedSequences(String deviceId) {
    List<long[]> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT sequence, flags FROM envelopes WHERE device_no=? ORDER BY sequence")) {
      Integer no = deviceNumber(deviceId);
      if (no == null) {
        return out;
      }
      ps.setInt(1, no);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new long[] {rs.getLong(1), rs.getLong(2)});
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read envelopes: " + e.getMessage(), e);
    }
  }

  /** One page of a device's accepted envelopes, newest first. */
  public List<EnvelopeRow> envelopesOf(String deviceId, int offset, int limit) {
    Integer no = deviceNumber(deviceId);
    if (no == null) {
      return List.of();
    }
    return envelopeRows("SELECT e.envelope_hash, d.device_id, e.sequence, e.device_time, e.received_at, e.payload_kind, e.flags, b.batch_id"
        + " FROM envelopes e JOIN devices d ON d.device_no = e.device_no LEFT JOIN batches b ON b.batch_id = e.batch_id"
        + " WHERE e.device_no=? ORDER BY e.sequence DESC LIMIT ? OFFSET ?", no, limit, offset);
  }

  public Optional<EnvelopeRow> envelope(byte[] hash) {
    List<EnvelopeRow> rows = envelopeRows("SELECT e.envelope_hash, d.device_id, e.sequence, e.device_time, e.received_at, e.payload_kind,"
        + " e.flags, b.batch_id FROM envelopes e JOIN devices d ON d.device_no = e.device_no LEFT JOIN batches b ON b.batch_id = e.batch_id"
        + " WHERE e.hash_key=? AND e.envelope_hash=?", hashKey(hash), hash);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  public long countAccepted(String deviceId) {
    Integer no = deviceNumber(deviceId);
    if (no == null) {
      return 0;
    }
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM envelopes WHERE device_no=?")) {
      ps.setInt(1, no);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count envelopes: " + e.getMessage(), e);
    }
  }

  /** The latest rejection of an envelope with this hash, if any. */
  public Optional<RejectionRecord> rejectionOf(byte[] hash) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT device_id, sequence, envelope_hash, reason, detail, received_at, envelope, conflicts_with FROM rejections WHERE envelope_hash=? ORDER BY id DESC LIMIT 1")) {
      ps.setBytes(1, hash);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new RejectionRecord(rs.getString(1), rs.getObject(2) == null ? null : rs.getLong(2), rs.getBytes(3),
            rs.getString(4), rs.getString(5), rs.getLong(6), rs.getBytes(7), rs.getBytes(8)));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read rejections: " + e.getMessage(), e);
    }
  }

  private List<EnvelopeRow> envelopeRows(String sql, Object... args) {
    List<EnvelopeRow> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new EnvelopeRow(rs.getBytes(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getInt(6),
              rs.getInt(7), rs.getObject(8) == null ? null : rs.getLong(8)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read envelopes: " + e.getMessage(), e);
    }
  }

  /** One page of batches, newest first. */
  public List<SealedBatch> batches(int offset, int limit) {
    List<SealedBatch> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT batch_id, merkle_root, envelope_count, sealed_at FROM batches ORDER BY batch_id DESC LIMIT ? OFFSET ?")) {
      ps.setInt(1, limit);
      ps.setInt(2, offset);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new SealedBatch(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read batches: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- batches

  /** Stores a sealed batch whose envelopes already carry its id. */
  public SealedBatch insertBatch(long id, byte[] root, int count, long now) {
    update("INSERT INTO batches (batch_id, merkle_root, envelope_count, sealed_at, status) VALUES (?,?,?,?,'SEALED')", id, root, count, now);
    return new SealedBatch(id, root, count, now);
  }

  /** The highest sealed batch id, 0 when none. */
  public long maxSealedBatchId() {
    return scalar("SELECT COALESCE(MAX(batch_id), 0) FROM batches");
  }

  /** The highest batch id any envelope carries, 0 when none. */
  public long maxAssignedBatchId() {
    return scalar("SELECT COALESCE(MAX(batch_id), 0) FROM envelopes");
  }

  /** Envelopes carrying a batch id. */
  public long countInBatch(long id) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM envelopes WHERE batch_id=?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count batch " + id + ": " + e.getMessage(), e);
    }
  }

  /** Gives envelopes written without a batch id (by an older version) the id of the open batch. */
  public int adoptUnassigned(long openBatchId) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE envelopes SET batch_id=? WHERE batch_id IS NULL")) {
      ps.setLong(1, openBatchId);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("cannot assign unbatched envelopes: " + e.getMessage(), e);
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

  /** The batch an envelope was sealed into, if any. */
  public Optional<SealedBatch> batchOf(byte[] envelopeHash) {
    return queryBatch("SELECT b.batch_id, b.merkle_root, b.envelope_count, b.sealed_at FROM batches b JOIN envelopes e ON e.batch_id = b.batch_id"
        + " WHERE e.hash_key=? AND e.envelope_hash=?", hashKey(envelopeHash), envelopeHash);
  }

  public Optional<SealedBatch> batch(long id) {
    return queryBatch("SELECT batch_id, merkle_root, envelope_count, sealed_at FROM batches WHERE batch_id=?", id);
  }

  /** All envelope hashes of a batch. */
  public List<byte[]> batchHashes(long batchId) {
    List<byte[]> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope_hash FROM envelopes WHERE batch_id=?")) {
      ps.setLong(1, batchId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getBytes(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read batch " + batchId + ": " + e.getMessage(), e);
    }
  }

  /** The stored bytes of an accepted envelope (the signed envelope as the device sent it). */
  public Optional<byte[]> envelopeBytes(byte[] hash) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope FROM envelopes WHERE hash_key=? AND envelope_hash=?")) {
      ps.setLong(1, hashKey(hash));
      ps.setBytes(2, hash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read envelope: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- settlement

  private static final String SETTLEMENT_COLUMNS = "batch_id, merkle_root, envelope_count, sealed_at, status, tx_hash, tx_nonce, tx_raw,"
      + " block_number, submitted_at, confirmed_at, chain_id, settlement_note FROM batches";

  /** A batch with its settlement state. */
  public Optional<BatchSettlement> settlement(long batchId) {
    List<BatchSettlement> l = settlements("SELECT " + SETTLEMENT_COLUMNS + " WHERE batch_id=?", batchId);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** The oldest batch not yet CONFIRMED (nor FAILED): the next one settlement works on. */
  public Optional<BatchSettlement> oldestUnsettled() {
    List<BatchSettlement> l = settlements("SELECT " + SETTLEMENT_COLUMNS
        + " WHERE status IN ('SEALED','SUBMITTED') ORDER BY batch_id LIMIT 1");
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** Batches in each settlement status. */
  public Map<String, Long> settlementCounts() {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM batches GROUP BY status ORDER BY status");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot count batches: " + e.getMessage(), e);
    }
  }

  /** Records the signed commit transaction; called before it is broadcast, so it is never lost. */
  public void markSubmitted(long batchId, String txHash, long nonce, String raw, long chainId, long now) {
    update("UPDATE batches SET status='SUBMITTED', tx_hash=?, tx_nonce=?, tx_raw=?, chain_id=?, submitted_at=?, block_number=NULL"
        + " WHERE batch_id=? AND status IN ('SEALED','SUBMITTED')",
        hexBytes(txHash), nonce, hexBytes(raw), chainId, now, batchId);
  }

  /** The commit is in a block (not yet confirmed); {@code txHash} may differ if another tx committed it. */
  public void markIncluded(long batchId, String txHash, long blockNumber) {
    update("UPDATE batches SET status='SUBMITTED', tx_hash=?, block_number=? WHERE batch_id=? AND status IN ('SEALED','SUBMITTED')",
        hexBytes(txHash), blockNumber, batchId);
  }

  public void markConfirmed(long batchId, long now) {
    update("UPDATE batches SET status='CONFIRMED', confirmed_at=?, tx_raw=NULL WHERE batch_id=? AND status='SUBMITTED'", now, batchId);
  }

  public void markFailed(long batchId, String note) {
    update("UPDATE batches SET status='FAILED', settlement_note=? WHERE batch_id=?", truncate(note), batchId);
  }

  /** Back to SEALED (the mined commit vanished in a reorg): it will be sent again. */
  public void markUnsubmitted(long batchId, String note) {
    update("UPDATE batches SET status='SEALED', tx_hash=NULL, tx_nonce=NULL, tx_raw=NULL, block_number=NULL, settlement_note=?"
        + " WHERE batch_id=?", truncate(note), batchId);
  }

  /** Devices this coordinator has not yet attested on-chain, oldest first. */
  public List<DeviceId> devicesToAttest(int limit) {
    List<DeviceId> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT device_id FROM devices WHERE chain_status IS NULL AND status='ACTIVE' ORDER BY registered_at LIMIT ?")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(DeviceId.parse(rs.getString(1)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read devices: " + e.getMessage(), e);
    }
  }

  /** Records the outcome of an on-chain attestation: ATTESTED or CONFLICT. */
  public void markDeviceChain(DeviceId id, String status, String txHash, String note) {
    update("UPDATE devices SET chain_status=?, chain_tx=?, chain_note=? WHERE device_id=?", status, txHash, truncate(note), id.toString());
  }

  /** {status, tx hash, note} of a device's on-chain attestation; status null when not yet. */
  public String[] deviceChain(DeviceId id) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT chain_status, chain_tx, chain_note FROM devices WHERE device_id=?")) {
      ps.setString(1, id.toString());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3)} : null;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read device " + id + ": " + e.getMessage(), e);
    }
  }

  private List<BatchSettlement> settlements(String sql, Object... args) {
    List<BatchSettlement> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new BatchSettlement(new SealedBatch(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)),
              rs.getString(5), hex(rs.getBytes(6)), (Long) rs.getObject(7, Long.class), hex(rs.getBytes(8)),
              (Long) rs.getObject(9, Long.class), (Long) rs.getObject(10, Long.class), (Long) rs.getObject(11, Long.class),
              (Long) rs.getObject(12, Long.class), rs.getString(13)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read batch settlement: " + e.getMessage(), e);
    }
  }

  private static String hex(byte[] b) {
    return b == null ? null : "0x" + dev.popw.internal.encoding.Hex.encode(b);
  }

  private static byte[] hexBytes(String hex) {
    return dev.popw.internal.encoding.Hex.decode(hex.startsWith("0x") ? hex.substring(2) : hex);
  }

  private static String truncate(String s) {
    return s == null || s.length() <= 500 ? s : s.substring(0, 497) + "...";
  }

  private Optional<SealedBatch> queryBatch(String sql, Object... args) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new SealedBatch(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getLong(4)));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read batch: " + e.getMessage(), e);
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

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.DOUBLE);
    } else {
      ps.setDouble(i, v);
    }
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, v);
    }
  }
}
