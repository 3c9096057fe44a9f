package dev.popw.client;

import java.util.Optional;

/**
 * A snapshot of a {@link DeviceClient}: what is queued, what happened to what was submitted, and
 * the current delivery problem, if any. Counts are since the client was built, except {@code queued}, which is the
 * outbox's current content (recovered across restarts).
 */
public final class DeviceStatus {
  private final long queued;
  private final long submitted;
  private final long sent;
  private final long acknowledged;
  private final long rejected;
  private final long dropped;
  private final long expired;
  private final long ignoredReceipts;
  private final boolean connected;
  private final String transport;
  private final String lastError;

  DeviceStatus(long queued, long submitted, long sent, long acknowledged, long rejected, long dropped, long expired,
      long ignoredReceipts, boolean connected, String transport, String lastError) {
    this.queued = queued;
    this.submitted = submitted;
    this.sent = sent;
    this.acknowledged = acknowledged;
    this.rejected = rejected;
    this.dropped = dropped;
    this.expired = expired;
    this.ignoredReceipts = ignoredReceipts;
    this.connected = connected;
    this.transport = transport;
    this.lastError = lastError;
  }

  /** Entries in the outbox waiting for acknowledgement. */
  public long queued() {
    return queued;
  }

  /** Envelopes submitted and durably queued. */
  public long submitted() {
    return submitted;
  }

  /** Transmissions, resends included. */
  public long sent() {
    return sent;
  }

  /** Envelopes the other side acknowledged (accepted, duplicate or rejected). */
  public long acknowledged() {
    return acknowledged;
  }

  /** Of those acknowledged, how many the coordinator rejected. */
  public long rejected() {
    return rejected;
  }

  /** Entries the full outbox dropped or refused. */
  public long dropped() {
    return dropped;
  }

  /** Time-critical entries dropped unsent because they expired. */
  public long expired() {
    return expired;
  }

  /**
   * Receipts ignored because they were not signed by the pinned coordinator key for this device
   * (unsigned, another key, tampered, another device): forged receipts a stranger published land
   * here. The envelopes they named stay queued.
   */
  public long ignoredReceipts() {
    return ignoredReceipts;
  }

  public boolean connected() {
    return connected;
  }

  public String transport() {
    return transport;
  }

  /**
   * The last delivery problem (a lost connection, a failed send, a rejected envelope) while it is
   * current: a reconnection or an accepted envelope clears it, so a recovered device shows none.
   */
  public Optional<String> lastError() {
    return Optional.ofNullable(lastError);
  }

  @Override
  public String toString() {
    return String.format("queued=%d submitted=%d sent=%d acknowledged=%d rejected=%d dropped=%d expired=%d ignoredReceipts=%d connected=%s transport=%s%s",
        queued, submitted, sent, acknowledged, rejected, dropped, expired, ignoredReceipts, connected, transport,
        lastError == null ? "" : " lastError=" + lastError);
  }
}
