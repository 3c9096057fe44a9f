package dev.popw.coordinator.validation;

/**
 * Stable reason names of verdicts. Like the ingest reasons, they are part of the API: never
 * renamed or reused, only added to. The explanation beside each verdict carries the numbers.
 */
public final class WorkReason {
  /** VALID: every check passed. */
  public static final String OK = "OK";
  /** PENDING: the envelope's epoch is open; verdicts are decided when it closes. */
  public static final String EPOCH_OPEN = "EPOCH_OPEN";
  /**
   * PENDING: the envelope's epoch is closed but holds no verdict for it (it was stored after the
   * close, or no validator judges its kind); reopening the epoch decides it.
   */
  public static final String NOT_VALIDATED = "NOT_VALIDATED";

  // Sensor readings.
  /** A value outside the physical range of its quantity. */
  public static final String OUT_OF_RANGE = "OUT_OF_RANGE";
  /** A unit that does not belong to the quantity (pressure in °C), or an unnamed OTHER quantity. */
  public static final String UNIT_MISMATCH = "UNIT_MISMATCH";
  /** A change against the device's previous valid reading larger than the quantity allows. */
  public static final String JUMP = "JUMP";
  /** The same value for longer than the stuck-sensor limit. */
  public static final String STUCK_SENSOR = "STUCK_SENSOR";
  /** The reading's location is too far from the device's registered location. */
  public static final String LOCATION_MISMATCH = "LOCATION_MISMATCH";
  /** The device's hourly median is too far from the median of its neighbours. */
  public static final String OUTLIER = "OUTLIER";

  // Coverage and GPU reports (physical bounds; the proof checks come with their validators).
  /** A report whose values no radio or GPU can produce. */
  public static final String IMPLAUSIBLE = "IMPLAUSIBLE";

  // Coverage (proof of coverage, docs/coverage.md). Beacons:
  /** A report with no role (neither BEACON nor WITNESS). */
  public static final String MALFORMED_REPORT = "MALFORMED_REPORT";
  /** The device, or the beaconer–witness pair, is on the coverage denylist. */
  public static final String DENYLISTED = "DENYLISTED";
  /** The beaconer–witness pair is on the coverage denylist. */
  public static final String DENYLISTED_PAIR = "DENYLISTED_PAIR";
  /** The device has no registered location, so no distance can be checked. */
  public static final String NO_LOCATION = "NO_LOCATION";
  /** The beaconer named in a report is not the device that signed it (beacon) or not the beacon's (witness). */
  public static final String BEACONER_MISMATCH = "BEACONER_MISMATCH";
  /** The frequency is in no configured region, or witness and beacon are in different regions or networks. */
  public static final String WRONG_REGION = "WRONG_REGION";
  /** The beacon's entropy was never issued by this coordinator. */
  public static final String UNKNOWN_ENTROPY = "UNKNOWN_ENTROPY";
  /** The beacon's entropy was older than the entropy window when its report was received. */
  public static final String ENTROPY_EXPIRED = "ENTROPY_EXPIRED";
  /** The beacon id is not the one its entropy, nonce and device give. */
  public static final String BAD_BEACON_ID = "BAD_BEACON_ID";
  /** A beacon id reported before (a replayed beacon). */
  public static final String DUPLICATE_BEACON = "DUPLICATE_BEACON";
  /** A second beacon of the device in one beacon interval. */
  public static final String BEACON_TOO_FREQUENT = "BEACON_TOO_FREQUENT";
  // Witnesses:
  /** The device witnessed its own beacon. */
  public static final String SELF_WITNESS = "SELF_WITNESS";
  /** No beacon report with this beacon id (a beacon never sent, or never reported). */
  public static final String NO_BEACON = "NO_BEACON";
  /** The witnessed beacon is itself INVALID. */
  public static final String BEACON_INVALID = "BEACON_INVALID";
  /** The entropy the witness heard is not its beacon's. */
  public static final String ENTROPY_MISMATCH = "ENTROPY_MISMATCH";
  /** The device already witnessed this beacon. */
  public static final String DUPLICATE_WITNESS = "DUPLICATE_WITNESS";
  /** Witness and beacon frequencies differ by more than the tolerance. */
  public static final String FREQUENCY_MISMATCH = "FREQUENCY_MISMATCH";
  /** Received too long after its beacon. */
  public static final String WITNESS_TOO_LATE = "WITNESS_TOO_LATE";
  /** Received before its beacon, and the beacon followed the first witness too late. */
  public static final String WITNESS_TOO_EARLY = "WITNESS_TOO_EARLY";
  /** Witness and beaconer closer than the minimum H3 grid distance. */
  public static final String TOO_CLOSE = "TOO_CLOSE";
  /** Witness and beaconer farther apart than the maximum distance. */
  public static final String TOO_FAR = "TOO_FAR";
  /** Received power stronger than free space allows at that distance and frequency. */
  public static final String RSSI_ABOVE_FREE_SPACE = "RSSI_ABOVE_FREE_SPACE";
  // Across beacons:
  /** The device's path losses over many beacons fit a location far from the one it claims. */
  public static final String LOCATION_FIT = "LOCATION_FIT";
  /** The device is in a closed group that only witnesses itself while others nearby hear none of it. */
  public static final String WITNESS_RING = "WITNESS_RING";
  /** The link's received power, over its beacons, is far stronger than the log-distance law allows at the claimed distance. */
  public static final String RANGE_INCONSISTENT = "RANGE_INCONSISTENT";
  /** Too few devices heard the device or were heard by it to confirm its claimed location; it earns nothing until they do. */
  public static final String UNCONFIRMED_LOCATION = "UNCONFIRMED_LOCATION";
  /** The device did not both beacon and witness validly within the reciprocity window (it cannot earn). */
  public static final String NO_RECIPROCITY = "NO_RECIPROCITY";
  /** VALID, but beyond the rewarded witnesses of its beacon (first by receipt time); earns nothing. */
  public static final String OVER_WITNESS_CAP = "OVER_WITNESS_CAP";
  // GPU capacity challenges (docs/gpu-proofs.md): challenge verdicts, and GPU report verdicts.
  /** No commitment, or no opening, before its deadline. */
  public static final String TIMEOUT = "TIMEOUT";
  /** The commitment came sooner than the class's peak throughput allows. */
  public static final String TOO_FAST = "TOO_FAST";
  /** The commitment is malformed, or an opened tile's Merkle proof does not lead to it. */
  public static final String BAD_COMMITMENT = "BAD_COMMITMENT";
  /** An opened tile is not the product of the challenge's matrices. */
  public static final String WRONG_TILE = "WRONG_TILE";
  /** The openings that arrived in time lack tiles or probe blocks the coordinator named. */
  public static final String INCOMPLETE_OPENING = "INCOMPLETE_OPENING";
  /** A memory probe block read back is not what the seed fills it with. */
  public static final String MEMORY_MISMATCH = "MEMORY_MISMATCH";
  /** The device's prover reported that it could not do the work. */
  public static final String PROVER_FAILED = "PROVER_FAILED";
  /** VOID: the coordinator did not send its open request in time. */
  public static final String NOT_OPENED = "NOT_OPENED";
  /** A GPU report names a challenge that was not issued to this device. */
  public static final String UNKNOWN_CHALLENGE = "UNKNOWN_CHALLENGE";
  /** A GPU report's GPUs (count, model or uuid) differ from the fingerprint pinned for the device. */
  public static final String FINGERPRINT_CHANGED = "FINGERPRINT_CHANGED";

  private WorkReason() {}
}
