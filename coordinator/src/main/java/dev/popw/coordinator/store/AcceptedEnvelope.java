package dev.popw.coordinator.store;

/** A verified envelope to persist. {@code flags}: see {@link Flags}. */
public record AcceptedEnvelope(byte[] hash, String deviceId, long sequence, long deviceTime, long receivedAt,
    int payloadKind, int flags, byte[] envelope) {

  /** Bits of {@code flags}. */
  public static final class Flags {
    /** Late sensor data, accepted as backfill. */
    public static final int BACKFILL = 1;
    /** prev_hash is not the hash of the previous sequence number's envelope. */
    public static final int CHAIN_GAP = 2;
    /**
     * No longer set: it marked a missing previous sequence number at arrival, which out-of-order
     * arrival made wrong. Gaps are computed from stored envelopes. Kept so old rows read the same.
     */
    public static final int SEQUENCE_GAP = 4;
    /** From a simulated source (accepted because the coordinator allows simulated data). */
    public static final int SIMULATED = 8;

    private Flags() {}
  }
}
