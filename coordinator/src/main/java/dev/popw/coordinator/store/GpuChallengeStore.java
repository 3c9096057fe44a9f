package dev.popw.coordinator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.coordinator.validation.ChallengeRecord;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.GpuEvidence;
import dev.popw.coordinator.validation.GpuFingerprint;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * GPU capacity challenges as issued, the open requests sent for them, the live check made when a
 * challenge's openings arrived, and the GPU fingerprints pinned per device registration (schema
 * version 8). It is also the {@link GpuEvidence} validators read: challenge rows never change once
 * the challenge has expired, and the answers are the stored envelopes. Thread-safe.
 */
public final class GpuChallengeStore implements GpuEvidence {
  private static final String COLUMNS = "challenge_id, device_id, gpu_uuid, gpu_class, seed, n, tile, matrices, probe_bytes, open_seed,"
      + " opened_tiles, probe_reads, issued_at, commit_deadline_ms, too_fast_ms, open_deadline_ms, units, open_issued_at";

  private final DataSource ds;
  private final DeviceNumbers deviceNumbers;

  GpuChallengeStore(DataSource ds, DeviceNumbers deviceNumbers) {
    this.ds = ds;
    this.deviceNumbers = deviceNumbers;
  }

  /** The highest challenge id stored, 0 if none. */
  public long lastId() {
    return Jdbc.scalar(ds, "SELECT COALESCE(MAX(challenge_id), 0) FROM gpu_challenges");
  }

  /** Records a challenge before it is sent. */
  public void insert(ChallengeRecord c, byte[] signedChallenge) {
    ProofParameters p = c.parameters();
    Jdbc.update(ds, "INSERT INTO gpu_challenges (" + COLUMNS.replace(", open_issued_at", "") + ", expires_at, challenge)"
        + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", c.id(), c.deviceId(), c.gpuUuid(), c.gpuClass(), p.seed(), p.n(), p.tile(),
        p.matrices(), p.probeBytes(), c.openSeed(), c.openedTiles(), c.probeReads(), c.issuedAt(), c.commitDeadlineMs(), c.tooFastMs(),
        c.openDeadlineMs(), c.units(), c.expiresAt(), signedChallenge);
  }

  /**
   * Records the open request (before it is sent), unless one is recorded already: true when this
   * call recorded it (on a cluster, another node may have opened the challenge first; then the
   * stored request stands and this one must not be sent).
   */
  public boolean recordOpen(long id, long at, byte[] root, byte[] signedOpen) {
    return 1 == Jdbc.update(ds, "UPDATE gpu_challenges SET open_issued_at=?, root=?, open_request=? WHERE challenge_id=? AND open_issued_at IS NULL",
        at, root, signedOpen, id);
  }

  /**
   * Records the live check unless one is recorded already: true when this call recorded it. Two
   * cluster nodes judging the same answers at once store one check (the first to commit), and a
   * restarted coordinator does not record a challenge's check twice.
   */
  public boolean recordLiveOnce(ChallengeVerdict v) {
    return 1 == Jdbc.update(ds, "UPDATE gpu_challenges SET live_status=?, live_reason=?, live_explanation=? WHERE challenge_id=?"
        + " AND live_status IS NULL", v.status().name(), v.reason(), v.explanation(), v.challengeId());
  }

  /**
   * The signed message a device's open challenge waits with at {@code now}: its open request once
   * sent, else the challenge; empty once the challenge is checked or expired. What every cluster
   * node answers a CoAP poll with (one node's memory holds only what it sent).
   */
  public Optional<byte[]> waitingFor(String deviceId, long now) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT challenge, open_request, live_status FROM gpu_challenges WHERE device_id=?"
            + " AND expires_at >= ? ORDER BY challenge_id DESC LIMIT 1")) {
      ps.setString(1, deviceId);
      ps.setLong(2, now);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getString(3) != null) {
          return Optional.empty();
        }
        byte[] open = rs.getBytes(2);
        return Optional.of(open != null ? open : rs.getBytes(1));
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the challenge waiting for " + deviceId + ": " + e.getMessage(), e);
    }
  }

  /**
   * When each active GPU device's newest stored envelope was received (devices with none left
   * out): how the cluster node issuing challenges knows devices whose reports reached other nodes.
   */
  public java.util.Map<String, Long> lastReceived() {
    java.util.Map<String, Long> out = new java.util.HashMap<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT d.device_id, (SELECT e.received_at FROM envelopes e WHERE e.device_no = d.device_no"
            + " ORDER BY e.sequence DESC LIMIT 1) FROM devices d WHERE d.kind=3 AND d.status='ACTIVE'");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Object at = rs.getObject(2);
        if (at != null) {
          out.put(rs.getString(1), ((Number) at).longValue());
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read when GPU devices last reported: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<ChallengeRecord> challenge(long id) {
    List<ChallengeRecord> l = records("WHERE challenge_id=?", id);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  @Override
  public List<ChallengeRecord> decidedIn(long startMs, long endMs) {
    return records("WHERE expires_at >= ? AND expires_at < ? ORDER BY challenge_id", startMs, endMs);
  }

  /** Challenges not expired at {@code now}, by id (what a restarted coordinator still waits for). */
  public List<ChallengeRecord> pending(long now) {
    return records("WHERE expires_at >= ? ORDER BY challenge_id", now);
  }

  private List<ChallengeRecord> records(String where, Object... args) {
    List<ChallengeRecord> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM gpu_challenges " + where)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ProofParameters p = new ProofParameters(rs.getBytes(5), rs.getInt(6), rs.getInt(7), rs.getInt(8), rs.getLong(9));
          Object open = rs.getObject(18);
          out.add(new ChallengeRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), p, rs.getBytes(10), rs.getInt(11),
              rs.getInt(12), rs.getLong(13), rs.getLong(14), rs.getLong(15), rs.getLong(16), rs.getDouble(17),
              open == null ? null : ((Number) open).longValue()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read GPU challenges: " + e.getMessage(), e);
    }
  }

  @Override
  public List<Evidence> responses(ChallengeRecord challenge) {
    Integer no = deviceNumbers.of(challenge.deviceId());
    if (no == null) {
      return List.of();
    }
    List<Evidence> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT sequence, envelope_hash, device_time, received_at, flags, envelope FROM envelopes"
            + " WHERE device_no=? AND received_at >= ? AND received_at <= ? AND payload_kind=? ORDER BY sequence")) {
      ps.setInt(1, no);
      ps.setLong(2, challenge.issuedAt());
      ps.setLong(3, challenge.expiresAt());
      ps.setInt(4, WorkKind.GPU.payloadNumber());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Telemetry t = telemetry(rs.getBytes(6));
          if (t.getGpu().hasProof() && t.getGpu().getProof().getChallengeId() == challenge.id()) {
            out.add(new Evidence(rs.getBytes(2), challenge.deviceId(), rs.getLong(1), rs.getLong(3), rs.getLong(4), rs.getInt(5),
                WorkKind.GPU, t));
          }
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read the answers to challenge " + challenge.id() + ": " + e.getMessage(), e);
    }
  }

  private static Telemetry telemetry(byte[] envelope) {
    try {
      return Telemetry.parseFrom(SignedEnvelope.parseFrom(envelope).getTelemetry());
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException("a stored envelope does not parse: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- fingerprints

  @Override
  public Optional<GpuFingerprint.Pin> pin(String deviceId, long atMs) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT registration_time, fingerprint, pinned_at FROM gpu_fingerprints"
            + " WHERE device_id=? AND pinned_at <= ? ORDER BY pinned_at DESC, registration_time DESC LIMIT 1")) {
      ps.setString(1, deviceId);
      ps.setLong(2, atMs);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new GpuFingerprint.Pin(deviceId, rs.getLong(1), GpuFingerprint.parse(rs.getString(2)), rs.getLong(3)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the GPU fingerprint of " + deviceId + ": " + e.getMessage(), e);
    }
  }

  /** The pin of a registration, if its first GPU report arrived. */
  public Optional<GpuFingerprint.Pin> pinOf(String deviceId, long registrationTime) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT fingerprint, pinned_at FROM gpu_fingerprints WHERE device_id=? AND registration_time=?")) {
      ps.setString(1, deviceId);
      ps.setLong(2, registrationTime);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new GpuFingerprint.Pin(deviceId, registrationTime, GpuFingerprint.parse(rs.getString(1)),
            rs.getLong(2))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the GPU fingerprint of " + deviceId + ": " + e.getMessage(), e);
    }
  }

  /** Pins a registration's fingerprint unless it has one; true when this call pinned it. */
  public synchronized boolean pinIfAbsent(String deviceId, long registrationTime, GpuFingerprint f, long pinnedAt, byte[] envelopeHash) {
    if (pinOf(deviceId, registrationTime).isPresent()) {
      return false;
    }
    try {
      Jdbc.update(ds, "INSERT INTO gpu_fingerprints (device_id, registration_time, fingerprint, pinned_at, envelope_hash) VALUES (?,?,?,?,?)",
          deviceId, registrationTime, f.canonical(), pinnedAt, envelopeHash);
    } catch (StoreException e) {
      if (pinOf(deviceId, registrationTime).isPresent()) {
        return false; // another cluster node pinned it first (its report reached that node at the same moment)
      }
      throw e;
    }
    return true;
  }

  /** The device's current registration time (its signed timestamp), if registered. */
  public OptionalLong registrationTime(String deviceId) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT registration_time, registered_at FROM devices WHERE device_id=?")) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return OptionalLong.empty();
        }
        Object t = rs.getObject(1);
        return OptionalLong.of(t == null ? rs.getLong(2) : ((Number) t).longValue());
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read device " + deviceId + ": " + e.getMessage(), e);
    }
  }

  /** Active devices registered as GPU devices, by id. */
  public List<String> activeGpuDevices() {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT device_id FROM devices WHERE kind=3 AND status='ACTIVE' ORDER BY device_id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot list GPU devices: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- API

  /** A challenge as the API shows it: the record, what was sent, the live check and the epoch's verdict once decided. */
  public record ChallengeRow(ChallengeRecord record, byte[] root, String liveStatus, String liveReason, String liveExplanation,
      ChallengeVerdict verdict, Long epoch) {}

  /** A device's challenges, newest first. */
  public List<ChallengeRow> challengesOf(String deviceId, int offset, int limit) {
    return rows("WHERE g.device_id=? ORDER BY g.challenge_id DESC LIMIT ? OFFSET ?", deviceId, limit, offset);
  }

  public Optional<ChallengeRow> row(long id) {
    List<ChallengeRow> l = rows("WHERE g.challenge_id=?", id);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
  }

  public long countOf(String deviceId) {
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM gpu_challenges WHERE device_id=?")) {
      ps.setString(1, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot count GPU challenges: " + e.getMessage(), e);
    }
  }

  private List<ChallengeRow> rows(String where, Object... args) {
    String cols = java.util.Arrays.stream(COLUMNS.split(", ")).map(s -> "g." + s).reduce((a, b) -> a + ", " + b).orElseThrow();
    String sql = "SELECT " + cols + ", g.root, g.live_status, g.live_reason, g.live_explanation, v.status, v.reason, v.explanation, v.units,"
        + " v.epoch FROM gpu_challenges g LEFT JOIN gpu_challenge_verdicts v ON v.challenge_id = g.challenge_id " + where;
    List<ChallengeRow> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ProofParameters p = new ProofParameters(rs.getBytes(5), rs.getInt(6), rs.getInt(7), rs.getInt(8), rs.getLong(9));
          Object open = rs.getObject(18);
          ChallengeRecord r = new ChallengeRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), p, rs.getBytes(10),
              rs.getInt(11), rs.getInt(12), rs.getLong(13), rs.getLong(14), rs.getLong(15), rs.getLong(16), rs.getDouble(17),
              open == null ? null : ((Number) open).longValue());
          ChallengeVerdict v = rs.getString(23) == null ? null : new ChallengeVerdict(r.id(), r.deviceId(),
              ChallengeStatus.valueOf(rs.getString(23)), rs.getString(24), rs.getString(25), rs.getDouble(26));
          Object epoch = rs.getObject(27);
          out.add(new ChallengeRow(r, rs.getBytes(19), rs.getString(20), rs.getString(21), rs.getString(22), v,
              epoch == null ? null : ((Number) epoch).longValue()));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("cannot read GPU challenges: " + e.getMessage(), e);
    }
  }
}
