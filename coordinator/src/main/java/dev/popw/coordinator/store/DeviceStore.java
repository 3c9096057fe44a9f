package dev.popw.coordinator.store;

import dev.popw.identity.DeviceId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The device registry's state: registrations, active or not, and their on-chain attestation.
 * Thread-safe; registrations are written one at a time, as a new device takes the next
 * {@code device_no}.
 */
public final class DeviceStore {
  private final DataSource ds;
  private final boolean postgres;

  DeviceStore(DataSource ds, boolean postgres) {
    this.ds = ds;
    this.postgres = postgres;
  }

  /** What {@link #upsertDevice} did. */
  public enum Upsert {
    /** Stored: a new device, or a newer registration of a known one. */
    STORED,
    /** The identical signed registration is already the current one; nothing changed. */
    UNCHANGED,
    /** Refused: the device's current registration is signed at the same time or later. */
    NOT_NEWER
  }

  /** As {@link #upsertDevice(DeviceId, String, int, Double, Double, Long, long, long, byte[])} with the coordinator time as registration time. */
  public Upsert upsertDevice(DeviceId id, String owner, int kind, Double lat, Double lon, Long h3, long now, byte[] signedRegistration) {
    return upsertDevice(id, owner, kind, lat, lon, h3, now, now, signedRegistration);
  }

  /**
   * Inserts a device's registration, or replaces it with a newer one (a re-registration may change
   * owner or place). Registrations only move forward: one whose {@code registrationTime} (its
   * signed timestamp) is not later than the stored one's is refused, unless it is the identical
   * current registration, which changes nothing. The check and the write are one transaction with
   * the device's row locked, so concurrent registrations (several coordinators) cannot both pass.
   */
  public synchronized Upsert upsertDevice(DeviceId id, String owner, int kind, Double lat, Double lon, Long h3, long now,
      long registrationTime, byte[] signedRegistration) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        Upsert result = upsert(c, id, owner, kind, lat, lon, h3, now, registrationTime, signedRegistration);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot store device " + id + ": " + e.getMessage(), e);
    }
  }

  private Upsert upsert(Connection c, DeviceId id, String owner, int kind, Double lat, Double lon, Long h3, long now,
      long registrationTime, byte[] signedRegistration) throws SQLException {
    try (PreparedStatement sel = c.prepareStatement("SELECT registration_time, registration FROM devices WHERE device_id=? FOR UPDATE")) {
      sel.setString(1, id.toString());
      try (ResultSet rs = sel.executeQuery()) {
        if (rs.next()) {
          byte[] current = rs.getBytes(2);
          if (java.util.Arrays.equals(current, signedRegistration)) {
            return Upsert.UNCHANGED;
          }
          long currentTime = rs.getObject(1) != null ? rs.getLong(1) : signedTimestamp(current);
          if (Long.compareUnsigned(registrationTime, currentTime) <= 0) {
            return Upsert.NOT_NEWER;
          }
          try (PreparedStatement up = c.prepareStatement(
              "UPDATE devices SET owner_address=?, kind=?, status='ACTIVE', latitude=?, longitude=?, h3_cell=?, registration=?, registration_time=? WHERE device_id=?")) {
            up.setString(1, owner);
            up.setInt(2, kind);
            Jdbc.setDouble(up, 3, lat);
            Jdbc.setDouble(up, 4, lon);
            Jdbc.setLong(up, 5, h3);
            up.setBytes(6, signedRegistration);
            up.setLong(7, registrationTime);
            up.setString(8, id.toString());
            up.executeUpdate();
          }
          return Upsert.STORED;
        }
      }
    }
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO devices (device_id, key_type, public_key, owner_address, kind, status, latitude, longitude, h3_cell, registered_at, registration,"
            + " registration_time, device_no) VALUES (?,?,?,?,?,'ACTIVE',?,?,?,?,?,?,"
            // PostgreSQL: from a sequence, so that coordinators of one cluster never hand out one number twice (V10)
            + (postgres ? "nextval('device_numbers'))" : "(SELECT COALESCE(MAX(device_no), 0) + 1 FROM devices))"))) {
      ins.setString(1, id.toString());
      ins.setInt(2, id.keyType().wireValue());
      ins.setBytes(3, id.publicKey());
      ins.setString(4, owner);
      ins.setInt(5, kind);
      Jdbc.setDouble(ins, 6, lat);
      Jdbc.setDouble(ins, 7, lon);
      Jdbc.setLong(ins, 8, h3);
      ins.setLong(9, now);
      ins.setBytes(10, signedRegistration);
      ins.setLong(11, registrationTime);
      ins.executeUpdate();
    }
    return Upsert.STORED;
  }

  /** The signed timestamp of a registration stored before schema version 5; 0 when it does not parse. */
  private static long signedTimestamp(byte[] signedRegistration) {
    try {
      return dev.popw.proto.v1.Registration.parseFrom(
          dev.popw.proto.v1.SignedRegistration.parseFrom(signedRegistration).getRegistration()).getTimestampMs();
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Where the device says its key is held, from its current signed registration (fields 8 and 9):
   * {@code [kind, detail]}, kind {@code SOFTWARE}, {@code PKCS11}, {@code TPM}, {@code ECC608} or
   * {@code UNSPECIFIED} (an older agent, or a registration that did not say); empty if no such device.
   */
  public Optional<String[]> keyStorage(DeviceId id) {
    byte[] signed;
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT registration FROM devices WHERE device_id=?")) {
      ps.setString(1, id.toString());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        signed = rs.getBytes(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the registration of " + id + ": " + e.getMessage(), e);
    }
    try {
      dev.popw.proto.v1.Registration r = dev.popw.proto.v1.Registration.parseFrom(
          dev.popw.proto.v1.SignedRegistration.parseFrom(signed).getRegistration());
      dev.popw.identity.KeyStorage.Kind k = dev.popw.identity.KeyStorage.Kind.fromWireValue(r.getKeyStorageValue());
      return Optional.of(new String[] {k == null ? "UNSPECIFIED" : k.name(), r.getKeyStorageDetail()});
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      return Optional.of(new String[] {"UNSPECIFIED", ""});
    }
  }

  public void setActive(DeviceId id, boolean active) {
    Jdbc.update(ds, "UPDATE devices SET status=? WHERE device_id=?", active ? "ACTIVE" : "INACTIVE", id.toString());
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

  // ---------------------------------------------------------------- on-chain attestation

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
    Jdbc.update(ds, "UPDATE devices SET chain_status=?, chain_tx=?, chain_note=? WHERE device_id=?", status, txHash, Jdbc.truncate(note), id.toString());
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
}
