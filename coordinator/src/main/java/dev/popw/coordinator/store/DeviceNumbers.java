package dev.popw.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The numbers rows name devices by ({@code devices.device_no}), cached: a device's number never
 * changes once it is registered. Shared by the parts of a {@link Store} that name devices by number.
 * Thread-safe.
 */
final class DeviceNumbers {
  private final DataSource ds;
  private final Map<String, Integer> numbers = new ConcurrentHashMap<>();

  DeviceNumbers(DataSource ds) {
    this.ds = ds;
  }

  /** The number envelope rows name this device by, or null if it is not registered. */
  Integer of(String deviceId) {
    Integer n = numbers.get(deviceId);
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
    numbers.put(deviceId, n);
    return n;
  }
}
