package dev.popw.coordinator.rewards;

/** Why a device's work in a pool earned nothing (docs/rewards.md, "Reasons for a zero"). */
public enum ZeroReason {
  /** Its work earned no units: every report invalid, or none in this pool (the verdicts say why). */
  NO_VALID_WORK,
  /** The operator had deactivated the device when the epoch closed. */
  INACTIVE,
  /** The registry names no owner the device's rewards could go to. */
  NO_OWNER,
  /** The owner has neither signed its consent to the device (EIP-712) nor staked on it. */
  NO_OWNER_CONSENT,
  /** The stake on the device is below {@code rewards.minimum_stake}, or was put up by someone else than its owner. */
  NOT_STAKED,
  /** The epoch emits nothing to this pool (before genesis, after the last halving, or a 0 % share). */
  NO_EMISSION,
  /** Its share was less than one wei. */
  ROUNDED_TO_ZERO
}
