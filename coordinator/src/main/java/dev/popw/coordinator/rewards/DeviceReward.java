package dev.popw.coordinator.rewards;

import java.math.BigInteger;

/**
 * One device's reward in one pool for an epoch.
 *
 * @param owner who is paid (0x, lower case), or null
 * @param microUnits units in millionths, as the split uses them
 * @param amount wei: the device's exact share, rounded down (the owner's total is rounded once per pool)
 * @param zeroReason why it earned nothing, or null
 */
public record DeviceReward(String deviceId, Pool pool, String owner, long microUnits, BigInteger amount, ZeroReason zeroReason,
    String explanation) {
  public DeviceReward {
    explanation = dev.popw.coordinator.validation.Verdict.bounded(explanation);
  }

  public double units() {
    return microUnits / 1e6;
  }
}
