package dev.popw.coordinator.validation.sensor;

import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.Unit;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The published parameters of the sensor validator, every one a setting
 * ({@code [validation.sensor]} in coordinator.toml) with the default given here. The model is
 * WeatherXM's quality-of-data checks: ranges, spikes, constant values, completeness and a
 * comparison with neighbouring stations. Immutable.
 *
 * @param jumpWindow a jump is checked against a previous valid reading at most this much older
 *     (device time); older ones start a new baseline
 * @param stuckAfter the same value this long (device time) makes further readings STUCK_SENSOR
 * @param expectedInterval how often a station is expected to report; completeness counts slots of this length
 * @param maxLocationDistanceM a reading's own location this far (metres) from the registered one is LOCATION_MISMATCH
 * @param neighbourRadiusM devices within this distance (registered locations) are neighbours for the outlier check
 * @param minNeighbours the outlier check needs at least this many neighbours with readings in the hour
 */
public record SensorRules(Map<Quantity, QuantityRule> quantities, Duration jumpWindow, Duration stuckAfter,
    Duration expectedInterval, double maxLocationDistanceM, double neighbourRadiusM, int minNeighbours) {

  public SensorRules {
    Map<Quantity, QuantityRule> copy = new EnumMap<>(Quantity.class);
    copy.putAll(quantities);
    quantities = Collections.unmodifiableMap(copy);
    if (expectedInterval.toMillis() < 1000) {
      throw new IllegalArgumentException("validation.sensor.expected_interval_seconds must be at least 1");
    }
    if (minNeighbours < 1) {
      throw new IllegalArgumentException("validation.sensor.min_neighbours must be at least 1");
    }
  }

  /** The defaults. */
  public static SensorRules defaults() {
    Map<Quantity, QuantityRule> q = new EnumMap<>(Quantity.class);
    put(q, Quantity.TEMPERATURE, Unit.CELSIUS, -90, 60, 3.0, 8.0, true, "°C");
    put(q, Quantity.RELATIVE_HUMIDITY, Unit.PERCENT, 0, 100, 15, 30, true, "%");
    // Station pressure depends on altitude (about 12 Pa per metre), so no neighbour comparison.
    put(q, Quantity.PRESSURE, Unit.PASCAL, 30_000, 110_000, 300, 0, true, "Pa");
    put(q, Quantity.PM1, Unit.MICROGRAM_PER_CUBIC_METRE, 0, 2_000, 500, 0, false, "µg/m³");
    put(q, Quantity.PM2_5, Unit.MICROGRAM_PER_CUBIC_METRE, 0, 2_000, 500, 0, false, "µg/m³");
    put(q, Quantity.PM10, Unit.MICROGRAM_PER_CUBIC_METRE, 0, 2_000, 500, 0, false, "µg/m³");
    put(q, Quantity.CO2, Unit.PARTS_PER_MILLION, 0, 50_000, 2_000, 0, true, "ppm");
    put(q, Quantity.VOC_INDEX, Unit.INDEX, 0, 500, 0, 0, false, "");
    put(q, Quantity.NOISE_LEVEL, Unit.DECIBEL_A, 0, 194, 0, 0, false, "dB(A)");
    put(q, Quantity.WIND_SPEED, Unit.METRE_PER_SECOND, 0, 113, 0, 0, false, "m/s");
    put(q, Quantity.WIND_DIRECTION, Unit.DEGREE, 0, 360, 0, 0, false, "°");
    put(q, Quantity.RAINFALL, Unit.MILLIMETRE, 0, 500, 0, 0, false, "mm");
    put(q, Quantity.ILLUMINANCE, Unit.LUX, 0, 200_000, 0, 0, false, "lx");
    return new SensorRules(q, Duration.ofMinutes(5), Duration.ofHours(4), Duration.ofSeconds(60), 1_000, 10_000, 3);
  }

  private static void put(Map<Quantity, QuantityRule> m, Quantity q, Unit u, double min, double max, double jump, double dev,
      boolean stuck, String symbol) {
    m.put(q, new QuantityRule(q, u, min, max, jump, dev, stuck, symbol));
  }

  /** The rule of a quantity; null for QUANTITY_OTHER and quantities without one. */
  public QuantityRule rule(Quantity q) {
    return quantities.get(q);
  }

  /** A copy with one quantity's limits replaced. */
  public SensorRules withQuantity(Quantity q, double min, double max, double maxJump, double maxDeviation, boolean stuckCheck) {
    QuantityRule old = quantities.get(q);
    if (old == null) {
      throw new IllegalArgumentException("no rule for quantity " + q);
    }
    if (!(min <= max)) {
      throw new IllegalArgumentException("validation.sensor." + old.key() + ": min " + min + " is above max " + max);
    }
    Map<Quantity, QuantityRule> m = new EnumMap<>(quantities);
    m.put(q, old.with(min, max, maxJump, maxDeviation, stuckCheck));
    return new SensorRules(m, jumpWindow, stuckAfter, expectedInterval, maxLocationDistanceM, neighbourRadiusM, minNeighbours);
  }

  public SensorRules withTiming(Duration jumpWindow, Duration stuckAfter, Duration expectedInterval) {
    return new SensorRules(quantities, jumpWindow, stuckAfter, expectedInterval, maxLocationDistanceM, neighbourRadiusM, minNeighbours);
  }

  public SensorRules withPlaces(double maxLocationDistanceM, double neighbourRadiusM, int minNeighbours) {
    return new SensorRules(quantities, jumpWindow, stuckAfter, expectedInterval, maxLocationDistanceM, neighbourRadiusM, minNeighbours);
  }

  /** Canonical text of every parameter (hashed into each epoch record). */
  public String canonical() {
    StringBuilder b = new StringBuilder("sensor/v1");
    b.append(";jump_window_ms=").append(jumpWindow.toMillis());
    b.append(";stuck_after_ms=").append(stuckAfter.toMillis());
    b.append(";expected_interval_ms=").append(expectedInterval.toMillis());
    b.append(";max_location_distance_m=").append(num(maxLocationDistanceM));
    b.append(";neighbour_radius_m=").append(num(neighbourRadiusM));
    b.append(";min_neighbours=").append(minNeighbours);
    for (QuantityRule r : quantities.values()) {
      b.append(';').append(r.key()).append("=").append(r.unit().name()).append(',').append(num(r.min())).append(',')
          .append(num(r.max())).append(',').append(num(r.maxJump())).append(',').append(num(r.maxDeviation())).append(',')
          .append(r.stuckCheck());
    }
    return b.toString();
  }

  private static String num(double d) {
    return Double.toString(d).toLowerCase(Locale.ROOT);
  }
}
