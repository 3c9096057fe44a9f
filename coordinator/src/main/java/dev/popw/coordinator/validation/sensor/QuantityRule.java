package dev.popw.coordinator.validation.sensor;

import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.Unit;

/**
 * The limits for one quantity. A limit of 0 disables that check.
 *
 * @param unit the only unit this quantity may be reported in
 * @param min lowest physically possible value
 * @param max highest physically possible value
 * @param maxJump largest change against the device's previous valid reading taken within the jump
 *     window; 0: not checked
 * @param maxDeviation largest distance of a device's hourly median from its neighbours' median; 0: not checked
 * @param stuckCheck whether an unchanged value for the stuck-sensor time makes readings invalid
 *     (off for quantities that are legitimately constant: no rain, no wind, darkness, clean air)
 * @param symbol what the explanations print after a value ("°C", "Pa")
 */
public record QuantityRule(Quantity quantity, Unit unit, double min, double max, double maxJump, double maxDeviation,
    boolean stuckCheck, String symbol) {

  /** The settings-file name of the quantity: "temperature", "pm2_5". */
  public String key() {
    return quantity.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The quantity's name for explanations: "temperature", "relative humidity". */
  public String label() {
    return key().replace('_', ' ');
  }

  QuantityRule with(double min, double max, double maxJump, double maxDeviation, boolean stuckCheck) {
    return new QuantityRule(quantity, unit, min, max, maxJump, maxDeviation, stuckCheck, symbol);
  }
}
