package dev.popw.envelope;

import dev.popw.proto.v1.Telemetry;

/** An envelope the device has signed: its serialized bytes and what identifies it. Immutable. */
public final class SealedEnvelope {
  private final byte[] bytes;
  private final byte[] hash;
  private final Telemetry telemetry;

  SealedEnvelope(byte[] bytes, byte[] hash, Telemetry telemetry) {
    this.bytes = bytes;
    this.hash = hash;
    this.telemetry = telemetry;
  }

  /** The serialized {@code SignedEnvelope}, ready to send (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Size of {@link #bytes()} without copying. */
  public int size() {
    return bytes.length;
  }

  public long sequence() {
    return telemetry.getSequence();
  }

  public long timestampMs() {
    return telemetry.getTimestampMs();
  }

  /** The envelope hash: SHA-256 of the telemetry bytes (a copy). */
  public byte[] hash() {
    return hash.clone();
  }

  public Telemetry telemetry() {
    return telemetry;
  }
}
