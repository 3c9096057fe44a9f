package dev.popw.coordinator.store;

import dev.popw.identity.DeviceId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The read-only list and summary queries of the explorer's endpoints (docs/explorer.md): network
 * counts, envelopes and rejections per hour, the device list with filters, devices per H3 cell,
 * a device's recent rejections. Every query is bounded: a time window or a LIMIT, on an index
 * (V13__Explorer.sql, and envelopes_received of V4).
 */
public final class ExplorerQueries {
  private final DataSource ds;

  ExplorerQueries(DataSource ds) {
    this.ds = ds;
  }

  /** Counts of devices by kind (1 sensor, 2 coverage, 3 gpu) and status (ACTIVE, INACTIVE). */
  public Map<Integer, Map<String, Long>> deviceCounts() {
    Map<Integer, Map<String, Long>> out = new TreeMap<>();
    query("SELECT kind, status, COUNT(*) FROM devices GROUP BY kind, status", List.of(),
        rs -> out.computeIfAbsent(rs.getInt(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getLong(3)));
    return out;
  }

  public long acceptedTotal() {
    return Jdbc.scalar(ds, "SELECT COUNT(*) FROM envelopes");
  }

  public long rejectedTotal() {
    return Jdbc.scalar(ds, "SELECT COUNT(*) FROM rejections");
  }

  /** One hour of the network's traffic: accepted envelopes and stored rejections by reason. */
  public record Hour(long start, long accepted, Map<String, Long> rejectedByReason) {
    public long rejected() {
      return rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /**
   * Hours that are over (and {@link #SETTLE_MS} past, so that envelopes still in the write queue
   * are in): counted once and kept, as receipt times never change. Rejections deleted later by the
   * rejection caps stay counted in their hour.
   */
  private final Map<Long, Hour> finished = new ConcurrentHashMap<>();
  /** How long after an hour ends its counts are taken as final. */
  static final long SETTLE_MS = 60_000;

  /** The {@code hours} hours up to and including the one of {@code now}, oldest first, every hour present. */
  public List<Hour> hours(long now, int hours) {
    long hour = 3_600_000L;
    long first = (Math.floorDiv(now, hour) - (hours - 1)) * hour;
    long from = first;
    while (from <= now && finished.containsKey(from)) {
      from += hour;
    }
    int n = (int) ((Math.floorDiv(now, hour) * hour - from) / hour) + 1; // hours still to count
    long[] accepted = new long[Math.max(0, n)];
    List<Map<String, Long>> rejected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rejected.add(new TreeMap<>());
    }
    if (n > 0) {
      long start = from;
      query("SELECT received_at / 3600000, COUNT(*) FROM envelopes WHERE received_at >= ? GROUP BY received_at / 3600000",
          List.of(start), rs -> {
            int i = (int) (rs.getLong(1) - start / hour);
            if (i >= 0 && i < n) {
              accepted[i] += rs.getLong(2);
            }
          });
      query("SELECT received_at / 3600000, reason, COUNT(*) FROM rejections WHERE received_at >= ?"
          + " GROUP BY received_at / 3600000, reason", List.of(start), rs -> {
            int i = (int) (rs.getLong(1) - start / hour);
            if (i >= 0 && i < n) {
              rejected.get(i).merge(rs.getString(2), rs.getLong(3), Long::sum);
            }
          });
    }
    List<Hour> out = new ArrayList<>();
    for (long h = first; h < from; h += hour) {
      out.add(finished.get(h));
    }
    for (int i = 0; i < n; i++) {
      Hour h = new Hour(from + i * hour, accepted[i], java.util.Collections.unmodifiableMap(rejected.get(i)));
      out.add(h);
      if (h.start() + hour + SETTLE_MS <= now) {
        finished.put(h.start(), h);
      }
    }
    finished.keySet().removeIf(h -> h < first - 24 * hour); // bounded: at most two days of hours
    return out;
  }

  /**
   * One page of registered devices, newest registration first, filtered by kind (null: any),
   * status (null: any) and owner (EIP-55, null: any).
   */
  public List<DeviceRecord> devices(Integer kind, String status, String owner, int offset, int limit) {
    List<Object> args = new ArrayList<>();
    String where = where(kind, status, owner, args);
    args.add(limit);
    args.add(offset);
    List<DeviceRecord> out = new ArrayList<>();
    query("SELECT device_id, owner_address, kind, status, latitude, longitude, h3_cell, registered_at FROM devices" + where
        + " ORDER BY registered_at DESC, device_id LIMIT ? OFFSET ?", args, rs -> out.add(record(rs)));
    return out;
  }

  public long countDevices(Integer kind, String status, String owner) {
    List<Object> args = new ArrayList<>();
    String where = where(kind, status, owner, args);
    long[] n = new long[1];
    query("SELECT COUNT(*) FROM devices" + where, args, rs -> n[0] = rs.getLong(1));
    return n[0];
  }

  private static String where(Integer kind, String status, String owner, List<Object> args) {
    List<String> c = new ArrayList<>();
    if (kind != null) {
      c.add("kind=?");
      args.add(kind);
    }
    if (status != null) {
      c.add("status=?");
      args.add(status);
    }
    if (owner != null) {
      c.add("owner_address=?");
      args.add(owner);
    }
    return c.isEmpty() ? "" : " WHERE " + String.join(" AND ", c);
  }

  /** A device with a place: its cell and whether it is active, and its verdict counts (valid, invalid). */
  public record PlacedDevice(String deviceId, int kind, boolean active, long h3Cell, long valid, long invalid) {}

  /** Devices that have an H3 cell, at most {@code limit}, with their verdict counts. */
  public List<PlacedDevice> placedDevices(int limit) {
    List<PlacedDevice> out = new ArrayList<>();
    query("SELECT d.device_id, d.kind, d.status, d.h3_cell,"
        + " (SELECT COUNT(*) FROM verdicts v WHERE v.device_no = d.device_no AND v.status='VALID'),"
        + " (SELECT COUNT(*) FROM verdicts v WHERE v.device_no = d.device_no AND v.status='INVALID')"
        + " FROM devices d WHERE d.h3_cell IS NOT NULL ORDER BY d.device_no LIMIT ?", List.of(limit),
        rs -> out.add(new PlacedDevice(rs.getString(1), rs.getInt(2), "ACTIVE".equals(rs.getString(3)), rs.getLong(4), rs.getLong(5),
            rs.getLong(6))));
    return out;
  }

  /** A device's stored rejections, newest first. */
  public List<RejectionRecord> rejectionsOf(String deviceId, int offset, int limit) {
    List<RejectionRecord> out = new ArrayList<>();
    query("SELECT device_id, sequence, envelope_hash, reason, detail, received_at FROM rejections WHERE device_id=?"
        + " ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?", List.of(deviceId, limit, offset),
        rs -> out.add(new RejectionRecord(rs.getString(1), rs.getObject(2) == null ? null : rs.getLong(2), rs.getBytes(3),
            rs.getString(4), rs.getString(5), rs.getLong(6), null, null)));
    return out;
  }

  private static DeviceRecord record(ResultSet rs) throws SQLException {
    return new DeviceRecord(DeviceId.parse(rs.getString(1)), rs.getString(2), rs.getInt(3), "ACTIVE".equals(rs.getString(4)),
        (Double) rs.getObject(5), (Double) rs.getObject(6), rs.getObject(7) == null ? null : rs.getLong(7), rs.getLong(8));
  }

  private interface Row {
    void accept(ResultSet rs) throws SQLException;
  }

  private void query(String sql, List<Object> args, Row row) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          row.accept(rs);
        }
      }
    } catch (SQLException e) {
      throw new StoreException("explorer query failed: " + e.getMessage(), e);
    }
  }
}
