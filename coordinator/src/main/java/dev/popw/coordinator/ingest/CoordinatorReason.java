package dev.popw.coordinator.ingest;

/**
 * Reason codes of the checks after signature verification. Together with the sdk-core verifier's
 * {@link dev.popw.envelope.Reason} they name every possible rejection; receipts and metrics carry
 * the name.
 */
public enum CoordinatorReason {
  /** The signing device has not registered. */
  NOT_REGISTERED,
  /** The device is registered but deactivated. */
  DEVICE_INACTIVE,
  /** The envelope arrived on another device's MQTT topic. */
  TOPIC_MISMATCH,
  /** The telemetry names another network. */
  WRONG_NETWORK,
  /** Sequence number 0, which no device uses. */
  BAD_SEQUENCE,
  /** Same sequence number as an accepted envelope, different bytes: misbehaviour. Both are kept. */
  EQUIVOCATION,
  /** The device clock is ahead of ours by more than the allowed skew. */
  FUTURE_TIMESTAMP,
  /** Coverage or GPU telemetry older than the freshness window (sensor data is accepted as backfill). */
  STALE,
  /** A payload value outside its physical or protocol bounds. */
  OUT_OF_BOUNDS,
  /** No payload. */
  EMPTY_PAYLOAD,
  /** Telemetry from a simulated source, and this coordinator is set to refuse it. */
  SIMULATED,
  /** A payload of another kind than the device registered as (a GPU report from a sensor). */
  WRONG_KIND
}
