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
