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

  DeviceStore(DataSource ds) {
    this.ds = ds;
  }

  /** Inserts or replaces a device's registration (a re-registration may change owner or place). */
  public synchronized void upsertDevice(DeviceId id, String owner, int kind, Double lat, Double lon, Long h3, long now, byte[] signedRegistration) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement del = c.prepareStatement("UPDATE devices SET owner_address=?, kind=?, status='ACTIVE', latitude=?, longitude=?, h3_cell=?, registration=? WHERE device_id=?")) {
        del.setString(1, owner);
        del.setInt(2, kind);
        Jdbc.setDouble(del, 3, lat);
        Jdbc.setDouble(del, 4, lon);
        Jdbc.setLong(del, 5, h3);
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
            Jdbc.setDouble(ins, 6, lat);
            Jdbc.setDouble(ins, 7, lon);
            Jdbc.setLong(ins, 8, h3);
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
