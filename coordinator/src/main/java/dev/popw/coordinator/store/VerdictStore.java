package dev.popw.coordinator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.EpochResult;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.RegisteredDevice;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictStatus;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import javax.sql.DataSource;

/**
 * The work layer's tables: verdicts, device summaries per epoch, the registry snapshot of each
 * epoch, and closed epochs. Also serves an epoch's evidence to validators
 * ({@link #evidence(long, long, long)}). Thread-safe.
 */
public final class VerdictStore {
  private static final String VERDICT_COLUMNS = "SELECT v.envelope_hash, d.device_id, v.sequence, v.kind, v.status, v.reason,"
      + " v.explanation, v.epoch FROM verdicts v JOIN devices d ON d.device_no = v.device_no";

  private final DataSource ds;
  private final DeviceNumbers deviceNumbers;
  private final EntropyStore entropy;
  private final GpuChallengeStore gpu;

  VerdictStore(DataSource ds, DeviceNumbers deviceNumbers, EntropyStore entropy, GpuChallengeStore gpu) {
    this.ds = ds;
    this.deviceNumbers = deviceNumbers;
    this.entropy = entropy;
    this.gpu = gpu;
  }

  /** The GPU challenges and fingerprints that GPU validation reads. */
  public GpuChallengeStore gpuChallenges() {
    return gpu;
  }

  // ---------------------------------------------------------------- evidence

  /**
   * Takes the registry snapshot of an epoch (the registered kind and location of every device with
   * evidence in {@code [startMs, endMs)}, as the devices table says now) and stores it with the epoch.
   * Idempotent: an existing snapshot is kept.
   */
  public void snapshotRegistry(long epoch, long startMs, long endMs) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement has = c.prepareStatement("SELECT COUNT(*) FROM epoch_registry WHERE epoch=?")) {
        has.setLong(1, epoch);
        try (ResultSet rs = has.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            c.rollback();
            return;
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO epoch_registry (epoch, device_id, kind, latitude, longitude)"
          + " SELECT ?, d.device_id, d.kind, d.latitude, d.longitude FROM devices d WHERE d.device_no IN"
          + " (SELECT DISTINCT e.device_no FROM envelopes e WHERE e.received_at >= ? AND e.received_at < ?)")) {
        ps.setLong(1, epoch);
        ps.setLong(2, startMs);
        ps.setLong(3, endMs);
        ps.executeUpdate();
      }
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot snapshot the registry for epoch " + epoch + ": " + e.getMessage(), e);
    }
  }

  /** The stored registry snapshot of an epoch, by device id. */
  public Map<String, RegisteredDevice> registrySnapshot(long epoch) {
    Map<String, RegisteredDevice> out = new TreeMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT device_id, kind, latitude, longitude FROM epoch_registry WHERE epoch=?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new RegisteredDevice(rs.getString(1), rs.getInt(2), (Double) rs.getObject(3, Double.class),
              (Double) rs.getObject(4, Double.class)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the registry snapshot of epoch " + epoch + ": " + e.getMessage(), e);
    }
  }

  /** The evidence of an epoch, read from the envelopes table with the epoch's stored registry snapshot. */
  public EpochEvidence evidence(long epoch, long startMs, long endMs) {
    Map<String, RegisteredDevice> registry = registrySnapshot(epoch);
    return new EpochEvidence() {
      @Override
      public long epoch() {
        return epoch;
      }

      @Override
      public long startMs() {
        return startMs;
      }

      @Override
      public long endMs() {
        return endMs;
      }

      @Override
      public Optional<RegisteredDevice> device(String deviceId) {
        return Optional.ofNullable(registry.get(deviceId));
      }

      @Override
      public List<RegisteredDevice> devices(WorkKind kind) {
        List<RegisteredDevice> out = new ArrayList<>();
        forEachDeviceId(kind, startMs, endMs, id -> out.add(registry.getOrDefault(id, new RegisteredDevice(id, 0, null, null))));
        return out;
      }

      @Override
      public void forEachDevice(WorkKind kind, BiConsumer<RegisteredDevice, List<Evidence>> action) {
        streamEvidence(kind, startMs, endMs, registry, action);
      }

      @Override
      public void forEachDevice(WorkKind kind, long fromMs, long toMs, BiConsumer<RegisteredDevice, List<Evidence>> action) {
        streamEvidence(kind, fromMs, toMs, registry, action);
      }

      @Override
      public List<dev.popw.coordinator.validation.IssuedEntropy> entropy(long fromMs, long toMs) {
        return entropy.issued(fromMs, toMs);
      }

      @Override
      public dev.popw.coordinator.validation.GpuEvidence gpu() {
        return gpu;
      }
    };
  }

  private void forEachDeviceId(WorkKind kind, long startMs, long endMs, java.util.function.Consumer<String> action) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT DISTINCT d.device_id FROM envelopes e JOIN devices d ON d.device_no = e.device_no"
            + " WHERE e.received_at >= ? AND e.received_at < ? AND e.payload_kind = ? ORDER BY d.device_id")) {
      ps.setLong(1, startMs);
      ps.setLong(2, endMs);
      ps.setInt(3, kind.payloadNumber());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          action.accept(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the devices of an epoch: " + e.getMessage(), e);
    }
  }

  private void streamEvidence(WorkKind kind, long startMs, long endMs, Map<String, RegisteredDevice> registry,
      BiConsumer<RegisteredDevice, List<Evidence>> action) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false); // PostgreSQL streams rows with a fetch size only inside a transaction
      try (PreparedStatement ps = c.prepareStatement("SELECT d.device_id, e.sequence, e.envelope_hash, e.device_time, e.received_at,"
          + " e.flags, e.envelope FROM envelopes e JOIN devices d ON d.device_no = e.device_no"
          + " WHERE e.received_at >= ? AND e.received_at < ? AND e.payload_kind = ? ORDER BY d.device_id, e.sequence")) {
        ps.setFetchSize(1000);
        ps.setLong(1, startMs);
        ps.setLong(2, endMs);
        ps.setInt(3, kind.payloadNumber());
        try (ResultSet rs = ps.executeQuery()) {
          String current = null;
          List<Evidence> list = new ArrayList<>();
          while (rs.next()) {
            String id = rs.getString(1);
            if (!id.equals(current)) {
              if (current != null) {
                action.accept(registry.getOrDefault(current, new RegisteredDevice(current, 0, null, null)), list);
              }
              current = id;
              list = new ArrayList<>();
            }
            list.add(new Evidence(rs.getBytes(3), id, rs.getLong(2), rs.getLong(4), rs.getLong(5), rs.getInt(6), kind,
                telemetry(rs.getBytes(7))));
          }
          if (current != null) {
            action.accept(registry.getOrDefault(current, new RegisteredDevice(current, 0, null, null)), list);
          }
        }
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the evidence of an epoch: " + e.getMessage(), e);
    }
  }

  private static Telemetry telemetry(byte[] envelope) {
    try {
      return Telemetry.parseFrom(SignedEnvelope.parseFrom(envelope).getTelemetry());
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException("a stored envelope does not parse: " + e.getMessage(), e);
    }
  }

  /** The lowest receipt time of any stored envelope at or after {@code fromMs}, if any. */
  public Optional<Long> firstReceiptAtOrAfter(long fromMs) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT MIN(received_at) FROM envelopes WHERE received_at >= ?")) {
      ps.setLong(1, fromMs);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Object v = rs.getObject(1);
        return v == null ? Optional.empty() : Optional.of(((Number) v).longValue());
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read receipt times: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- results

  /**
   * Records a closed epoch's result, replacing any verdicts stored for it (closing is idempotent).
   * Verdicts are committed in chunks; the summaries and the epoch row commit last, together, so a
   * crash leaves the epoch open and the next close replaces the partial verdicts.
   */
  public EpochRecord saveClosed(EpochResult r, long startMs, long endMs, long closedAt) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      deleteResults(c, r.epoch());
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO verdicts (epoch, position, hash_key, envelope_hash, device_no, sequence,"
          + " kind, status, reason, explanation) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
        int n = 0;
        for (Verdict v : r.verdicts()) {
          Integer no = deviceNumbers.of(v.deviceId());
          if (no == null) {
            throw new StoreException("a verdict names " + v.deviceId() + ", which is not registered");
          }
          ps.setLong(1, r.epoch());
          ps.setInt(2, n);
          ps.setLong(3, EnvelopeStore.hashKey(v.envelopeHash()));
          ps.setBytes(4, v.envelopeHash());
          ps.setInt(5, no);
          ps.setLong(6, v.sequence());
          ps.setInt(7, v.kind().ordinal() + 1);
          ps.setString(8, v.status().name());
          ps.setString(9, v.reason());
          ps.setString(10, v.explanation());
          ps.addBatch();
          if (++n % 1000 == 0) {
            ps.executeBatch();
          }
          if (n % 20_000 == 0) {
            c.commit(); // a huge transaction costs the embedded database dearly; the epoch row still comes last
          }
        }
        ps.executeBatch();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO device_epochs (epoch, device_id, kind, envelopes, valid, completeness,"
          + " quality, units, explanation) VALUES (?,?,?,?,?,?,?,?,?)")) {
        for (DeviceEpochSummary s : r.summaries()) {
          ps.setLong(1, r.epoch());
          ps.setString(2, s.deviceId());
          ps.setInt(3, s.kind().ordinal() + 1);
          ps.setLong(4, s.envelopes());
          ps.setLong(5, s.valid());
          ps.setDouble(6, s.completeness());
          ps.setDouble(7, s.quality());
          ps.setDouble(8, s.units());
          ps.setString(9, s.explanation());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      saveCoverage(c, r);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO gpu_challenge_verdicts (epoch, challenge_id, device_id, status, reason,"
          + " explanation, units) VALUES (?,?,?,?,?,?,?)")) {
        for (dev.popw.coordinator.validation.ChallengeVerdict v : r.challenges()) {
          ps.setLong(1, r.epoch());
          ps.setLong(2, v.challengeId());
          ps.setString(3, v.deviceId());
          ps.setString(4, v.status().name());
          ps.setString(5, v.reason());
          ps.setString(6, v.explanation());
          ps.setDouble(7, v.units());
          ps.addBatch();
        }
        ps.executeBatch();
      }
      long valid = r.validCount();
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO epochs (epoch, start_ms, end_ms, closed_at, envelope_count, valid_count,"
          + " invalid_count, verdict_set_hash, summary_hash, parameters, parameters_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
        ps.setLong(1, r.epoch());
        ps.setLong(2, startMs);
        ps.setLong(3, endMs);
        ps.setLong(4, closedAt);
        ps.setLong(5, r.verdicts().size());
        ps.setLong(6, valid);
        ps.setLong(7, r.verdicts().size() - valid);
        ps.setBytes(8, r.verdictSetHash());
        ps.setBytes(9, r.summaryHash());
        ps.setString(10, r.parameters());
        ps.setBytes(11, r.parametersHash());
        ps.executeUpdate();
      }
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot store the verdicts of epoch " + r.epoch() + ": " + e.getMessage(), e);
    }
    return epoch(r.epoch()).orElseThrow();
  }

  /** Deletes an epoch's verdicts, summaries and epoch row (its registry snapshot stays): for re-validation tests and repairs. */
  public void deleteResults(long epoch) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      deleteResults(c, epoch);
      c.commit();
    } catch (SQLException e) {
      throw new StoreException("cannot delete the verdicts of epoch " + epoch + ": " + e.getMessage(), e);
    }
  }

  private void saveCoverage(Connection c, EpochResult r) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO coverage_reports (epoch, position, hash_key, envelope_hash, device_no,"
        + " role, witness_count, base_units, hex_scale, units) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
      int n = 0;
      for (dev.popw.coordinator.validation.ReportUnits u : r.units()) {
        Integer no = deviceNumbers.of(u.deviceId());
        if (no == null) {
          throw new StoreException("coverage units name " + u.deviceId() + ", which is not registered");
        }
        ps.setLong(1, r.epoch());
        ps.setInt(2, n);
        ps.setLong(3, EnvelopeStore.hashKey(u.envelopeHash()));
        ps.setBytes(4, u.envelopeHash());
        ps.setInt(5, no);
        ps.setString(6, u.beacon() ? "BEACON" : "WITNESS");
        ps.setInt(7, u.witnessCount());
        ps.setDouble(8, u.baseUnits());
        ps.setDouble(9, u.hexScale());
        ps.setDouble(10, u.units());
        ps.addBatch();
        if (++n % 1000 == 0) {
          ps.executeBatch();
        }
        if (n % 20_000 == 0) {
          c.commit();
        }
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO coverage_devices (epoch, device_id, beacons, valid_beacons, witnesses,"
        + " valid_witnesses, selected_witnesses, beacon_units, witness_units, units, hex_scale, h3_cell, reciprocal, fit_offset_m)"
        + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      for (dev.popw.coordinator.validation.CoverageSummary s : r.coverage()) {
        ps.setLong(1, r.epoch());
        ps.setString(2, s.deviceId());
        ps.setLong(3, s.beacons());
        ps.setLong(4, s.validBeacons());
        ps.setLong(5, s.witnesses());
        ps.setLong(6, s.validWitnesses());
        ps.setLong(7, s.selectedWitnesses());
        ps.setDouble(8, s.beaconUnits());
        ps.setDouble(9, s.witnessUnits());
        ps.setDouble(10, s.units());
        ps.setDouble(11, s.hexScale());
        ps.setLong(12, s.h3Cell());
        ps.setBoolean(13, s.reciprocal());
        if (Double.isNaN(s.fitOffsetM())) {
          ps.setNull(14, java.sql.Types.DOUBLE);
        } else {
          ps.setDouble(14, s.fitOffsetM());
        }
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** The coverage numbers of a closed epoch's devices, by device id. */
  public List<dev.popw.coordinator.validation.CoverageSummary> coverage(long epoch) {
    List<dev.popw.coordinator.validation.CoverageSummary> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT device_id, beacons, valid_beacons, witnesses, valid_witnesses,"
            + " selected_witnesses, beacon_units, witness_units, hex_scale, h3_cell, reciprocal, fit_offset_m FROM coverage_devices"
            + " WHERE epoch=? ORDER BY device_id")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Double fit = rs.getObject(12, Double.class);
          out.add(new dev.popw.coordinator.validation.CoverageSummary(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
              rs.getLong(5), rs.getLong(6), rs.getDouble(7), rs.getDouble(8), rs.getDouble(9), rs.getLong(10), rs.getBoolean(11),
              fit == null ? Double.NaN : fit));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the coverage of epoch " + epoch + ": " + e.getMessage(), e);
    }
  }

  /** The stored units of one coverage report, if its epoch is closed and it was VALID: {witness_count, base, scale, units}. */
  public Optional<double[]> coverageUnits(byte[] envelopeHash) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT envelope_hash, witness_count, base_units, hex_scale, units FROM coverage_reports"
            + " WHERE hash_key=?")) {
      ps.setLong(1, EnvelopeStore.hashKey(envelopeHash));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (java.util.Arrays.equals(rs.getBytes(1), envelopeHash)) {
            return Optional.of(new double[] {rs.getInt(2), rs.getDouble(3), rs.getDouble(4), rs.getDouble(5)});
          }
        }
      }
      return Optional.empty();
    } catch (SQLException e) {
      throw new StoreException("cannot read coverage units: " + e.getMessage(), e);
    }
  }

  private static void deleteResults(Connection c, long epoch) throws SQLException {
    for (String table : new String[] {"verdicts", "device_epochs", "coverage_reports", "coverage_devices", "gpu_challenge_verdicts", "epochs"}) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE epoch=?")) {
        ps.setLong(1, epoch);
        ps.executeUpdate();
      }
    }
  }

  /** The highest closed epoch, if any. */
  public Optional<Long> lastClosed() {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT MAX(epoch) FROM epochs")) {
      rs.next();
      Object v = rs.getObject(1);
      return v == null ? Optional.empty() : Optional.of(((Number) v).longValue());
    } catch (SQLException e) {
      throw new StoreException("cannot read epochs: " + e.getMessage(), e);
    }
  }

  public Optional<EpochRecord> epoch(long epoch) {
    List<EpochRecord> l = epochs("WHERE epoch=?", epoch, 0, 1);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  /** Closed epochs, newest first. */
  public List<EpochRecord> epochs(int offset, int limit) {
    return epochs("", null, offset, limit);
  }

  private List<EpochRecord> epochs(String where, Long arg, int offset, int limit) {
    List<EpochRecord> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT epoch, start_ms, end_ms, closed_at, envelope_count, valid_count, invalid_count,"
            + " verdict_set_hash, summary_hash, parameters_hash FROM epochs " + where + " ORDER BY epoch DESC LIMIT ? OFFSET ?")) {
      int i = 1;
      if (arg != null) {
        ps.setLong(i++, arg);
      }
      ps.setInt(i++, limit);
      ps.setInt(i, offset);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long e = rs.getLong(1);
          out.add(new EpochRecord(e, rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7),
              rs.getBytes(8), rs.getBytes(9), rs.getBytes(10), countsByReason(c, e)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read epochs: " + e.getMessage(), e);
    }
  }

  private static Map<String, Long> countsByReason(Connection c, long epoch) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT status, reason, kind, COUNT(*) FROM verdicts WHERE epoch=? GROUP BY status, reason, kind ORDER BY status, reason, kind")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.merge(rs.getString(1) + "/" + rs.getString(2), rs.getLong(4), Long::sum);
        }
      }
    }
    return out;
  }

  /** Verdict counts of an epoch by kind, status and reason: {kind: {"STATUS/REASON": n}}. */
  public Map<WorkKind, Map<String, Long>> countsByKind(long epoch) {
    Map<WorkKind, Map<String, Long>> out = new TreeMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT kind, status, reason, COUNT(*) FROM verdicts WHERE epoch=? GROUP BY kind, status, reason ORDER BY kind, status, reason")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(WorkKind.values()[rs.getInt(1) - 1], k -> new LinkedHashMap<>())
              .put(rs.getString(2) + "/" + rs.getString(3), rs.getLong(4));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot count verdicts: " + e.getMessage(), e);
    }
  }

  /** The stored verdicts of an epoch (any order). */
  public List<Verdict> verdicts(long epoch) {
    return verdictRows(VERDICT_COLUMNS + " WHERE v.epoch=?", epoch).stream().map(StoredVerdict::verdict).toList();
  }

  /** The verdict of an envelope, if its epoch has closed. */
  public Optional<StoredVerdict> verdictOf(byte[] envelopeHash) {
    List<StoredVerdict> l = verdictRows(VERDICT_COLUMNS + " WHERE v.hash_key=?", EnvelopeStore.hashKey(envelopeHash));
    return l.stream().filter(v -> java.util.Arrays.equals(v.verdict().envelopeHash(), envelopeHash)).findFirst();
  }

  /** One page of a device's verdicts, newest sequence first; optionally only one status. */
  public List<StoredVerdict> verdictsOf(String deviceId, VerdictStatus status, int offset, int limit) {
    Integer no = deviceNumbers.of(deviceId);
    if (no == null) {
      return List.of();
    }
    String sql = VERDICT_COLUMNS + " WHERE v.device_no=?" + (status == null ? "" : " AND v.status=?") + " ORDER BY v.sequence DESC LIMIT ? OFFSET ?";
    return status == null ? verdictRows(sql, no, limit, offset) : verdictRows(sql, no, status.name(), limit, offset);
  }

  public long countVerdictsOf(String deviceId, VerdictStatus status) {
    Integer no = deviceNumbers.of(deviceId);
    if (no == null) {
      return 0;
    }
    String sql = "SELECT COUNT(*) FROM verdicts WHERE device_no=?" + (status == null ? "" : " AND status=?");
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, no);
      if (status != null) {
        ps.setString(2, status.name());
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count verdicts: " + e.getMessage(), e);
    }
  }

  /** A verdict with the epoch it was decided in. */
  public record StoredVerdict(Verdict verdict, long epoch) {}

  private List<StoredVerdict> verdictRows(String sql, Object... args) {
    List<StoredVerdict> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new StoredVerdict(new Verdict(rs.getBytes(1), rs.getString(2), rs.getLong(3), WorkKind.values()[rs.getInt(4) - 1],
              VerdictStatus.valueOf(rs.getString(5)), rs.getString(6), rs.getString(7)), rs.getLong(8)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read verdicts: " + e.getMessage(), e);
    }
  }

  /** The GPU challenge verdicts of an epoch, by challenge id. */
  public List<dev.popw.coordinator.validation.ChallengeVerdict> challengeVerdicts(long epoch) {
    List<dev.popw.coordinator.validation.ChallengeVerdict> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT challenge_id, device_id, status, reason,"
        + " explanation, units FROM gpu_challenge_verdicts WHERE epoch=? ORDER BY challenge_id")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new dev.popw.coordinator.validation.ChallengeVerdict(rs.getLong(1), rs.getString(2),
              dev.popw.coordinator.validation.ChallengeStatus.valueOf(rs.getString(3)), rs.getString(4), rs.getString(5), rs.getDouble(6)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read challenge verdicts: " + e.getMessage(), e);
    }
  }

  /** The device summaries of an epoch. */
  public List<DeviceEpochSummary> summaries(long epoch) {
    return summaryRows("SELECT device_id, kind, envelopes, valid, completeness, quality, units, explanation, epoch FROM device_epochs"
        + " WHERE epoch=? ORDER BY kind, device_id", epoch).stream().map(StoredSummary::summary).toList();
  }

  /** A device's summaries, newest epoch first. */
  public List<StoredSummary> summariesOf(String deviceId, int offset, int limit) {
    return summaryRows("SELECT device_id, kind, envelopes, valid, completeness, quality, units, explanation, epoch FROM device_epochs"
        + " WHERE device_id=? ORDER BY epoch DESC, kind LIMIT ? OFFSET ?", deviceId, limit, offset);
  }

  public record StoredSummary(DeviceEpochSummary summary, long epoch) {}

  private List<StoredSummary> summaryRows(String sql, Object... args) {
    List<StoredSummary> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new StoredSummary(new DeviceEpochSummary(rs.getString(1), WorkKind.values()[rs.getInt(2) - 1], rs.getLong(3),
              rs.getLong(4), rs.getDouble(5), rs.getDouble(6), rs.getDouble(7), rs.getString(8)), rs.getLong(9)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read device summaries: " + e.getMessage(), e);
    }
  }

  /** The canonical parameters an epoch was validated with. */
  public Optional<String> parameters(long epoch) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT parameters FROM epochs WHERE epoch=?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read epoch " + epoch + ": " + e.getMessage(), e);
    }
  }
}
