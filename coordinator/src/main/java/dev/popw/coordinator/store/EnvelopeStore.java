package dev.popw.coordinator.store;

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
import javax.sql.DataSource;

/**
 * Accepted envelopes and rejections, and the lookups on them. Thread-safe.
 *
 * <p>Envelope rows name their device by its number ({@code devices.device_no}), are keyed by
 * their write order ({@code ordinal}) and are found by hash through {@code hash_key}; see the V3
 * migration for why. On the embedded database the lookup by hash goes through {@code
 * envelope_hashes}, a table keyed by {@code hash_key} (V14), on PostgreSQL through an index on it. The device numbers are cached (they never change) and the next ordinal is
 * kept in memory: one coordinator writes to a database (H2 is embedded; PostgreSQL is locked per
 * schema, see {@link Database#postgres}).
 */
public final class EnvelopeStore {
  /**
   * Bytes a rejection row is charged beyond its envelope, conflicting hash and detail: the hash,
   * device id, reason, times and the row's index entries, roughly (the V6 migration uses the same).
   */
  public static final int ROW_OVERHEAD = 128;
  /**
   * Slots of {@code envelope_hashes} a hash may take (embedded database): its {@code hash_key} and,
   * when another envelope with the same 64-bit prefix holds that one, the next free of the
   * following ones (V14).
   */
  static final int HASH_PROBE = 16;
  /** Rows read at a time when choosing the oldest rejections to delete. */
  private static final int DROP_CHUNK = 256;

  private final DataSource ds;
  private final DeviceNumbers deviceNumbers;
  private final RejectionLimits rejectionLimits;
  private long nextOrdinal = -1; // guarded by this
  private volatile long storedRejectionBytes = -1; // written under this; -1: not read from the database yet
  private final java.util.concurrent.atomic.LongAdder rejectionsDropped = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder rejectionBytesDropped = new java.util.concurrent.atomic.LongAdder();

  private final boolean postgres;
  private final boolean cluster;

  EnvelopeStore(DataSource ds, DeviceNumbers deviceNumbers, RejectionLimits rejectionLimits, boolean postgres, boolean cluster) {
    this.ds = ds;
    this.postgres = postgres;
    this.cluster = cluster;
    this.deviceNumbers = deviceNumbers;
    this.rejectionLimits = rejectionLimits;
  }

  /** The most recent accepted sequence numbers of a device with their hashes, newest first. */
  public Map<Long, byte[]> recentSequences(String deviceId, int limit) {
    Map<Long, byte[]> out = new LinkedHashMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT sequence, envelope_hash FROM envelopes WHERE device_no=? ORDER BY sequence DESC LIMIT ?")) {
      Integer no = deviceNumbers.of(deviceId);
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

  /**
   * A device's highest accepted sequence number with its hash, and every accepted number in
   * {@code (top - size, top]}: what the pipeline's duplicate window starts from. Null when the
   * device has no accepted envelope.
   */
  public SequenceTop sequenceTop(String deviceId, int size) {
    Integer no = deviceNumbers.of(deviceId);
    if (no == null) {
      return null;
    }
    try (Connection c = ds.getConnection()) {
      long top;
      byte[] hash;
      try (PreparedStatement ps = c.prepareStatement("SELECT sequence, envelope_hash FROM envelopes WHERE device_no=? ORDER BY sequence DESC LIMIT 1")) {
        ps.setInt(1, no);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          top = rs.getLong(1);
          hash = rs.getBytes(2);
        }
      }
      long[] accepted = new long[16];
      int n = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT sequence FROM envelopes WHERE device_no=? AND sequence > ?")) {
        ps.setInt(1, no);
        ps.setLong(2, top - size);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (n == accepted.length) {
              accepted = java.util.Arrays.copyOf(accepted, n * 2);
            }
            accepted[n++] = rs.getLong(1);
          }
        }
      }
      return new SequenceTop(top, hash, java.util.Arrays.copyOf(accepted, n));
    } catch (SQLException e) {
      throw new StoreException("cannot read the sequence numbers of " + deviceId + ": " + e.getMessage(), e);
    }
  }

  /** A device's highest accepted sequence number, its envelope's hash, and the accepted numbers just below. */
  public record SequenceTop(long top, byte[] topHash, long[] accepted) {}

  /** The hash of the accepted envelope with this sequence number, if any. */
  public Optional<byte[]> acceptedHash(String deviceId, long sequence) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope_hash FROM envelopes WHERE device_no=? AND sequence=?")) {
      Integer no = deviceNumbers.of(deviceId);
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
   *
   * <p>On a cluster's schema an envelope whose (device, sequence) another transaction holds is not
   * written: the insert waits for that transaction and skips the row if it committed (PostgreSQL's
   * {@code ON CONFLICT DO NOTHING}), and the hash of the row that holds the number is returned in
   * its place, so the caller answers DUPLICATE (same hash) or EQUIVOCATION (another). Rows are
   * inserted in (device, sequence) order so that two nodes' transactions cannot deadlock.
   *
   * @return for each accepted envelope, in order: null when this transaction stored it, else the
   *     hash of the envelope already stored with its device and sequence number (cluster only)
   */
  public synchronized byte[][] persist(List<AcceptedEnvelope> accepted, long[] batchIds, List<RejectionRecord> rejected) {
    byte[][] conflicts = new byte[accepted.size()][];
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      if (!accepted.isEmpty()) {
        if (nextOrdinal < 0 && !postgres) {
          nextOrdinal = Jdbc.scalar(ds, "SELECT COALESCE(MAX(ordinal), 0) FROM envelopes") + 1;
        }
        Integer[] order = new Integer[accepted.size()];
        int[] nos = new int[accepted.size()];
        for (int i = 0; i < order.length; i++) {
          Integer no = deviceNumbers.of(accepted.get(i).deviceId());
          if (no == null) {
            throw new StoreException("cannot persist an envelope of " + accepted.get(i).deviceId() + ": the device is not registered");
          }
          nos[i] = no;
          order[i] = i;
        }
        if (cluster) {
          java.util.Arrays.sort(order, (x, y) -> nos[x] != nos[y] ? Integer.compare(nos[x], nos[y])
              : Long.compare(accepted.get(x).sequence(), accepted.get(y).sequence()));
        }
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO envelopes (ordinal, device_no, sequence, hash_key, envelope_hash, device_time, received_at, payload_kind, flags,"
                + " envelope, batch_id) VALUES (" + (postgres ? "nextval('envelope_ordinals')" : "?") + ",?,?,?,?,?,?,?,?,?,?)"
                + (cluster ? " ON CONFLICT (device_no, sequence) DO NOTHING" : ""))) {
          int o = postgres ? 0 : 1;
          for (int k = 0; k < order.length; k++) {
            int i = order[k];
            AcceptedEnvelope a = accepted.get(i);
            if (!postgres) {
              ps.setLong(1, nextOrdinal + k);
            }
            ps.setInt(1 + o, nos[i]);
            ps.setLong(2 + o, a.sequence());
            ps.setLong(3 + o, hashKey(a.hash()));
            ps.setBytes(4 + o, a.hash());
            ps.setLong(5 + o, a.deviceTime());
            ps.setLong(6 + o, a.receivedAt());
            ps.setInt(7 + o, a.payloadKind());
            ps.setInt(8 + o, a.flags());
            ps.setBytes(9 + o, a.envelope());
            if (batchIds == null) {
              ps.setNull(10 + o, Types.BIGINT);
            } else {
              ps.setLong(10 + o, batchIds[i]);
            }
            ps.addBatch();
          }
          int[] counts = ps.executeBatch();
          if (!postgres) {
            insertHashSlots(c, accepted, order);
          }
          if (cluster) {
            try (PreparedStatement q = c.prepareStatement("SELECT envelope_hash FROM envelopes WHERE device_no=? AND sequence=?")) {
              for (int k = 0; k < order.length; k++) {
                if (counts[k] == 0) { // skipped: the number was taken by a committed row; which one?
                  int i = order[k];
                  q.setInt(1, nos[i]);
                  q.setLong(2, accepted.get(i).sequence());
                  try (ResultSet rs = q.executeQuery()) {
                    conflicts[i] = rs.next() ? rs.getBytes(1) : null;
                  }
                  if (conflicts[i] == null) {
                    throw new StoreException("envelope " + accepted.get(i).deviceId() + "#" + accepted.get(i).sequence()
                        + " was neither inserted nor found");
                  }
                }
              }
            }
          }
        }
        if (!postgres) {
          nextOrdinal += accepted.size(); // a failed transaction leaves a gap: ordinals order rows, they need not be dense
        }
      }
      RejectionCharges charges = null;
      if (!rejected.isEmpty()) {
        charges = new RejectionCharges();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO rejections (device_id, sequence, envelope_hash, reason, detail,"
            + " received_at, envelope, conflicts_with, device_no, stored_size) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
          for (RejectionRecord r : rejected) {
            String detail = r.detail().length() > 500 ? r.detail().substring(0, 500) : r.detail();
            // Charged to the device when it is registered; else to the unattributed bucket (0).
            Integer no = r.deviceId() == null ? null : deviceNumbers.of(r.deviceId());
            int size = storedSize(r.envelope(), r.conflictsWith(), detail);
            ps.setString(1, r.deviceId());
            Jdbc.setLong(ps, 2, r.sequence());
            ps.setBytes(3, r.hash());
            ps.setString(4, r.reason());
            ps.setString(5, detail);
            ps.setLong(6, r.receivedAt());
            ps.setBytes(7, r.envelope());
            ps.setBytes(8, r.conflictsWith());
            if (no == null) {
              ps.setNull(9, Types.INTEGER);
            } else {
              ps.setInt(9, no);
            }
            ps.setInt(10, size);
            ps.addBatch();
            charges.added.merge(no == null ? 0 : no, (long) size, Long::sum);
          }
          ps.executeBatch();
        }
        if (cluster) { // the quota rows and the total are shared: one node's transaction at a time charges them
          try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':popw-rejections'))")) {
            lock.execute();
          }
        }
        enforceRejectionCaps(c, charges);
      }
      c.commit();
      if (charges != null) { // counted once committed: a failed transaction changed nothing
        storedRejectionBytes = charges.total;
        rejectionsDropped.add(charges.droppedRows);
        rejectionBytesDropped.add(charges.droppedBytes);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot persist envelopes: " + e.getMessage(), e);
    }
    return conflicts;
  }

  /**
   * The embedded database's lookup entries of rows just inserted (ordinals {@code nextOrdinal + k}
   * in {@code order}): each hash's own slot, or when that is taken, the first free of the next
   * {@link #HASH_PROBE} - 1, all in the caller's transaction.
   */
  private void insertHashSlots(Connection c, List<AcceptedEnvelope> accepted, Integer[] order) throws SQLException {
    int[] placed;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO envelope_hashes (slot, ordinal) VALUES (?,?) ON CONFLICT DO NOTHING")) {
      for (int k = 0; k < order.length; k++) {
        ps.setLong(1, hashKey(accepted.get(order[k]).hash()));
        ps.setLong(2, nextOrdinal + k);
        ps.addBatch();
      }
      placed = ps.executeBatch();
    }
    for (int k = 0; k < order.length; k++) {
      if (placed[k] == 0) { // a 64-bit prefix collision: probe onwards
        long key = hashKey(accepted.get(order[k]).hash());
        boolean done = false;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO envelope_hashes (slot, ordinal) VALUES (?,?) ON CONFLICT DO NOTHING")) {
          for (int j = 1; j < HASH_PROBE && !done && key + j > key; j++) {
            ps.setLong(1, key + j);
            ps.setLong(2, nextOrdinal + k);
            done = ps.executeUpdate() == 1;
          }
        }
        if (!done) {
          throw new StoreException("no free hash slot for envelope " + accepted.get(order[k]).deviceId() + "#" + accepted.get(order[k]).sequence());
        }
      }
    }
  }

  /**
   * The condition that finds the envelope row {@code alias} with a given hash, taking the three
   * parameters of {@link #hashParameters}: through {@code envelope_hashes} on the embedded
   * database, through the {@code hash_key} index on PostgreSQL.
   */
  static String byHash(String alias, boolean postgres) {
    String e = alias.isEmpty() ? "" : alias + ".";
    return postgres ? e + "hash_key BETWEEN ? AND ? AND " + e + "envelope_hash=?"
        : e + "ordinal IN (SELECT ordinal FROM envelope_hashes WHERE slot BETWEEN ? AND ?) AND " + e + "envelope_hash=?";
  }

  /** The parameters of {@link #byHash}: the slots to look in and the full hash. */
  static Object[] hashParameters(byte[] hash, boolean postgres) {
    long key = hashKey(hash);
    long last = postgres ? key : key > Long.MAX_VALUE - (HASH_PROBE - 1) ? Long.MAX_VALUE : key + HASH_PROBE - 1;
    return new Object[] {key, last, hash};
  }

  /** What one transaction adds to and deletes from the rejection buckets (device_no, 0: unattributed). */
  private static final class RejectionCharges {
    final Map<Integer, Long> added = new java.util.TreeMap<>();
    long total;
    long droppedRows;
    long droppedBytes;
  }

  /** The bytes a rejection row is charged for. */
  static int storedSize(byte[] envelope, byte[] conflictsWith, String detail) {
    return ROW_OVERHEAD + (envelope == null ? 0 : envelope.length) + (conflictsWith == null ? 0 : conflictsWith.length) + detail.length();
  }

  /**
   * Keeps the rejection buckets within their caps after {@code charges.added} was inserted: the
   * oldest rows of a bucket over its cap are deleted, then the oldest overall while the total is
   * over its cap; EQUIVOCATION evidence goes last (a device cannot flush the proof that it
   * equivocated with junk of its own). Rows just inserted are never the oldest, and a cap holds at
   * least two of the largest rows ({@code LimitSettings.MIN_REJECTED_BYTES}), so the newest stay.
   */
  private void enforceRejectionCaps(Connection c, RejectionCharges charges) throws SQLException {
    long total = storedRejectionBytes >= 0 && !cluster ? storedRejectionBytes // other nodes charge it too: read it under the lock
        : Jdbc.scalar(c, "SELECT COALESCE(SUM(stored_bytes), 0) FROM rejection_quota");
    for (Map.Entry<Integer, Long> e : charges.added.entrySet()) {
      int bucket = e.getKey();
      long stored;
      try (PreparedStatement ps = c.prepareStatement("SELECT stored_bytes FROM rejection_quota WHERE device_no=?")) {
        ps.setInt(1, bucket);
        try (ResultSet rs = ps.executeQuery()) {
          stored = rs.next() ? rs.getLong(1) : -1;
        }
      }
      if (stored < 0) {
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO rejection_quota (device_no, stored_bytes, dropped, dropped_bytes) VALUES (?,?,0,0)")) {
          ps.setInt(1, bucket);
          ps.setLong(2, e.getValue());
          ps.executeUpdate();
        }
        stored = e.getValue();
      } else {
        stored += e.getValue();
        try (PreparedStatement ps = c.prepareStatement("UPDATE rejection_quota SET stored_bytes=? WHERE device_no=?")) {
          ps.setLong(1, stored);
          ps.setInt(2, bucket);
          ps.executeUpdate();
        }
      }
      total += e.getValue();
      long cap = bucket == 0 ? rejectionLimits.unattributed() : rejectionLimits.perDevice();
      if (stored > cap) {
        total -= dropOldest(c, bucket, stored - cap, charges);
      }
    }
    if (total > rejectionLimits.total()) {
      total -= dropOldest(c, null, total - rejectionLimits.total(), charges);
    }
    charges.total = total;
  }

  /**
   * Deletes the oldest rejections of a bucket (null: of all) until {@code excess} bytes are freed,
   * EQUIVOCATION evidence only when nothing else is left, and updates the buckets' counters.
   *
   * @return the bytes freed
   */
  private long dropOldest(Connection c, Integer bucket, long excess, RejectionCharges charges) throws SQLException {
    String where = bucket == null ? "" : bucket == 0 ? "device_no IS NULL AND " : "device_no=? AND ";
    Map<Integer, long[]> freedByBucket = new java.util.TreeMap<>(); // bucket -> {rows, bytes}
    long freed = 0;
    for (String reason : new String[] {"reason<>'EQUIVOCATION'", "reason='EQUIVOCATION'"}) {
      while (freed < excess) {
        List<Long> ids = new ArrayList<>();
        int read = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT id, device_no, stored_size FROM rejections WHERE " + where + reason
            + " ORDER BY id LIMIT " + DROP_CHUNK)) {
          if (bucket != null && bucket != 0) {
            ps.setInt(1, bucket);
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next() && freed < excess) {
              read++;
              ids.add(rs.getLong(1));
              int no = rs.getInt(2); // 0 when NULL: the unattributed bucket
              long size = rs.getLong(3);
              long[] f = freedByBucket.computeIfAbsent(no, k -> new long[2]);
              f[0]++;
              f[1] += size;
              freed += size;
            }
          }
        }
        if (!ids.isEmpty()) {
          try (PreparedStatement del = c.prepareStatement("DELETE FROM rejections WHERE id=?")) {
            for (long id : ids) {
              del.setLong(1, id);
              del.addBatch();
            }
            del.executeBatch();
          }
        }
        if (read < DROP_CHUNK) {
          break; // this kind is exhausted (or enough was freed)
        }
      }
    }
    try (PreparedStatement up = c.prepareStatement("UPDATE rejection_quota SET stored_bytes = stored_bytes - ?, dropped = dropped + ?,"
        + " dropped_bytes = dropped_bytes + ? WHERE device_no=?")) {
      for (Map.Entry<Integer, long[]> e : freedByBucket.entrySet()) {
        up.setLong(1, e.getValue()[1]);
        up.setLong(2, e.getValue()[0]);
        up.setLong(3, e.getValue()[1]);
        up.setInt(4, e.getKey());
        up.addBatch();
        charges.droppedRows += e.getValue()[0];
        charges.droppedBytes += e.getValue()[1];
      }
      up.executeBatch();
    }
    return freed;
  }

  /** Bytes of rejections stored now (what {@link RejectionLimits#total()} caps). */
  public long storedRejectionBytes() {
    long v = storedRejectionBytes;
    return v >= 0 ? v : Jdbc.scalar(ds, "SELECT COALESCE(SUM(stored_bytes), 0) FROM rejection_quota");
  }

  /** Rejections deleted to stay within the caps since this store was opened, and their bytes. */
  public long[] rejectionsDroppedSinceStart() {
    return new long[] {rejectionsDropped.sum(), rejectionBytesDropped.sum()};
  }

  /** Rejections of a registered device deleted to stay within the caps, ever; 0 for an unknown device. */
  public long rejectionsDropped(String deviceId) {
    Integer no = deviceNumbers.of(deviceId);
    if (no == null) {
      return 0;
    }
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT dropped FROM rejection_quota WHERE device_no=?")) {
      ps.setInt(1, no);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the rejection quota of " + deviceId + ": " + e.getMessage(), e);
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
      Integer no = deviceNumbers.of(deviceId);
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
    Integer no = deviceNumbers.of(deviceId);
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
        + " WHERE " + byHash("e", postgres), hashParameters(hash, postgres));
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  public long countAccepted(String deviceId) {
    Integer no = deviceNumbers.of(deviceId);
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

  /** The stored bytes of an accepted envelope (the signed envelope as the device sent it). */
  public Optional<byte[]> envelopeBytes(byte[] hash) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope FROM envelopes WHERE " + byHash("", postgres))) {
      Object[] p = hashParameters(hash, postgres);
      ps.setLong(1, (Long) p[0]);
      ps.setLong(2, (Long) p[1]);
      ps.setBytes(3, hash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read envelope: " + e.getMessage(), e);
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

  /** The first 8 bytes of an envelope hash as a number: the indexed lookup key. */
  static long hashKey(byte[] hash) {
    long k = 0;
    for (int i = 0; i < 8 && i < hash.length; i++) {
      k = (k << 8) | (hash[i] & 0xff);
    }
    return k;
  }

  /** A run of sequence numbers that never arrived: {@code from} to {@code to}, inclusive. */
  public record SequenceGap(long from, long to) {
    public long missing() {
      return to - from + 1;
    }
  }

  /**
   * The sequence numbers of a device that never arrived, between its first and its latest
   * accepted one (at most {@code limit} runs, lowest first). Computed from the stored envelopes, so
   * envelopes that arrive out of order make no gap.
   */
  public List<SequenceGap> sequenceGaps(String deviceId, int limit) {
    List<SequenceGap> out = new ArrayList<>();
    Integer no = deviceNumbers.of(deviceId);
    if (no == null) {
      return out;
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT prev, sequence FROM (SELECT sequence, LAG(sequence) OVER (ORDER BY sequence)"
            + " AS prev FROM envelopes WHERE device_no = ?) s WHERE prev IS NOT NULL AND sequence > prev + 1 ORDER BY sequence LIMIT ?")) {
      ps.setInt(1, no);
      ps.setInt(2, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new SequenceGap(rs.getLong(1) + 1, rs.getLong(2) - 1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the sequence numbers of " + deviceId + ": " + e.getMessage(), e);
    }
  }
}
