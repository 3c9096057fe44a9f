package dev.popw.outbox;

/** One durable entry: its id (consecutive from 1), expiry and payload (a signed envelope). */
public final class OutboxEntry {
  private final long id;
  private final long expiresAtMs;
  private final byte[] payload;
  final Segment segment;
  final long position;
  final int recordLength;

  OutboxEntry(long id, long expiresAtMs, byte[] payload, Segment segment, long position, int recordLength) {
    this.id = id;
    this.expiresAtMs = expiresAtMs;
    this.payload = payload;
    this.segment = segment;
    this.position = position;
    this.recordLength = recordLength;
  }

  public long id() {
    return id;
  }

  /** Unix ms after which the entry is worthless and dropped unsent; 0 for never. */
  public long expiresAtMs() {
    return expiresAtMs;
  }

  /** The payload (not copied: do not modify). */
  public byte[] payload() {
    return payload;
  }

  @Override
  public String toString() {
    return "OutboxEntry[" + id + ", " + payload.length + " bytes]";
  }
}
