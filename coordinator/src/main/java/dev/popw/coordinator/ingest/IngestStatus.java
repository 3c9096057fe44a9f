package dev.popw.coordinator.ingest;

/** What the coordinator did with an envelope. */
public enum IngestStatus {
  /** Verified and persisted. */
  ACCEPTED,
  /** The same bytes were accepted before; nothing new was stored. */
  DUPLICATE,
  /** Refused; the reason says why. */
  REJECTED
}
