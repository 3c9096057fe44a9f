package dev.popw.coordinator.ingest;

import dev.popw.envelope.EnvelopeVerifier;
import java.time.Duration;
import java.util.Objects;

/** Settings of the verification pipeline. Immutable; see {@link #builder(String)}. */
public record PipelineConfig(String networkId, int maxEnvelopeBytes, Duration maxClockSkew, Duration freshness,
    int sequenceWindow, int writeBatchSize, Duration writeBatchDelay, int verifyThreads, boolean acceptSimulated,
    int maxCachedDevices, Duration deviceIdle, dev.popw.envelope.SignatureEngine signatureEngine) {

  public static Builder builder(String networkId) {
    return new Builder(networkId);
  }

  /** Builder with the documented defaults. */
  public static final class Builder {
    private final String networkId;
    private int maxEnvelopeBytes = EnvelopeVerifier.DEFAULT_MAX_ENVELOPE_BYTES;
    private Duration maxClockSkew = Duration.ofSeconds(30);
    private Duration freshness = Duration.ofMinutes(15);
    private int sequenceWindow = 1024;
    private int writeBatchSize = 2000;
    private Duration writeBatchDelay = Duration.ofMillis(2);
    private int verifyThreads = Runtime.getRuntime().availableProcessors();
    private boolean acceptSimulated = true;
    private int maxCachedDevices = 100_000;
    private Duration deviceIdle = Duration.ofMinutes(10);
    private dev.popw.envelope.SignatureEngine signatureEngine;

    private Builder(String networkId) {
      this.networkId = Objects.requireNonNull(networkId, "networkId");
    }

    public Builder maxEnvelopeBytes(int v) {
      this.maxEnvelopeBytes = v;
      return this;
    }

    /** How far ahead of our clock a device timestamp may be. Default 30 s. */
    public Builder maxClockSkew(Duration v) {
      this.maxClockSkew = v;
      return this;
    }

    /** Age after which coverage and GPU telemetry is STALE and sensor data is BACKFILL. Default 15 min. */
    public Builder freshness(Duration v) {
      this.freshness = v;
      return this;
    }

    /** Recent sequence numbers a device's duplicate window covers (one bit each). Default 1024. */
    public Builder sequenceWindow(int v) {
      this.sequenceWindow = v;
      return this;
    }

    public Builder writeBatch(int size, Duration delay) {
      this.writeBatchSize = size;
      this.writeBatchDelay = delay;
      return this;
    }

    public Builder verifyThreads(int v) {
      this.verifyThreads = v;
      return this;
    }

    /** Whether telemetry marked simulated is accepted (flagged) or rejected as SIMULATED. Default true. */
    public Builder acceptSimulated(boolean v) {
      this.acceptSimulated = v;
      return this;
    }

    /**
     * Devices whose state (registration, duplicate window) is held in memory at most, and how long
     * after its last envelope a device's state stays there; others are read back from the database.
     * Default 100,000 and 10 minutes.
     */
    public Builder deviceCache(int maxDevices, Duration idle) {
      this.maxCachedDevices = maxDevices;
      this.deviceIdle = idle;
      return this;
    }

    /**
     * The fast path for signatures (the native engine); null, the default, verifies with Bouncy
     * Castle alone. Both accept the same signatures ({@link dev.popw.envelope.SignatureEngine}).
     */
    public Builder signatureEngine(dev.popw.envelope.SignatureEngine v) {
      this.signatureEngine = v;
      return this;
    }

    public PipelineConfig build() {
      if (networkId.isBlank()) {
        throw new IllegalArgumentException("network id must not be blank");
      }
      return new PipelineConfig(networkId, maxEnvelopeBytes, maxClockSkew, freshness, sequenceWindow, writeBatchSize,
          writeBatchDelay, Math.max(1, verifyThreads), acceptSimulated, Math.max(1, maxCachedDevices), deviceIdle,
          signatureEngine);
    }
  }
}
