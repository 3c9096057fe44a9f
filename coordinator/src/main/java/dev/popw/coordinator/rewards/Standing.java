package dev.popw.coordinator.rewards;

import java.math.BigInteger;

/**
 * What decides whether a device's work earns, as it stood when its epoch closed (recorded with the
 * epoch, so a recomputation sees the same).
 *
 * @param owner the registered owner's address (0x, lower case), or null
 * @param active false when the operator had deactivated the device
 * @param consented the owner signed its EIP-712 consent to this device
 * @param stakeOwner who staked on the device (0x, lower case), or null when nobody did
 * @param stake the bonded stake in wei (unbonding stake excluded)
 */
public record Standing(String deviceId, String owner, boolean active, boolean consented, String stakeOwner, BigInteger stake) {
  public Standing {
    owner = owner == null ? null : owner.toLowerCase(java.util.Locale.ROOT);
    stakeOwner = stakeOwner == null ? null : stakeOwner.toLowerCase(java.util.Locale.ROOT);
    stake = stake == null ? BigInteger.ZERO : stake;
  }

  /** The owner put up the stake itself. */
  public boolean stakedByOwner() {
    return owner != null && owner.equals(stakeOwner) && stake.signum() > 0;
  }
}
