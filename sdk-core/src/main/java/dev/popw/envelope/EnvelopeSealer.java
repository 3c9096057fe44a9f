package dev.popw.envelope;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceSigner;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.KeyType;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.sequence.SequenceCounter;
import java.time.Clock;
import java.util.Objects;

/**
 * Turns payloads into signed envelopes: assigns the next sequence number, stamps the time, links
 * the hash chain and signs.
 *
 * <p>Thread-safe: {@code seal} calls are serialized, so sequence numbers and the hash chain stay in
 * order.
 */
public final class EnvelopeSealer {
  private final DeviceSigner signer;
  private final SequenceCounter sequence;
  private final Clock clock;
  private final String networkId;
  private final ByteString deviceId;
  private final ByteString publicKey;
  private final KeyType wireKeyType;
  private ByteString chainHead;

  private EnvelopeSealer(Builder b) {
    this.signer = b.signer;
    this.sequence = b.sequence;
    this.clock = b.clock;
    this.networkId = b.networkId;
    this.deviceId = ByteString.copyFrom(signer.deviceId().toBytes());
    this.publicKey = ByteString.copyFrom(signer.publicKey());
    this.wireKeyType = KeyType.forNumber(signer.keyType().wireValue());
    this.chainHead = ByteString.copyFrom(b.chainHead);
  }

  public static Builder builder() {
    return new Builder();
  }

  public SealedEnvelope seal(SensorReading reading) {
    return sealInternal(Telemetry.newBuilder().setSensor(reading));
  }

  public SealedEnvelope seal(CoverageReport report) {
    return sealInternal(Telemetry.newBuilder().setCoverage(report));
  }

  public SealedEnvelope seal(GpuReport report) {
    return sealInternal(Telemetry.newBuilder().setGpu(report));
  }

  /**
   * Seals a telemetry whose payload (and, if wanted, {@code simulated} flag) the caller has set;
   * the sealer sets device id, sequence, time, chain and network.
   */
  public SealedEnvelope seal(Telemetry.Builder payload) {
    if (payload.getPayloadCase() == Telemetry.PayloadCase.PAYLOAD_NOT_SET) {
      throw new IllegalArgumentException("telemetry has no payload");
    }
    return sealInternal(payload);
  }

  /** The hash of the last sealed envelope (empty before the first). */
  public synchronized byte[] chainHead() {
    return chainHead.toByteArray();
  }

  private synchronized SealedEnvelope sealInternal(Telemetry.Builder withPayload) {
    Telemetry telemetry =
        withPayload
            .setDeviceId(deviceId)
            .setSequence(sequence.next())
            .setTimestampMs(clock.millis())
            .setPrevHash(chainHead)
            .setNetworkId(networkId)
            .build();
    byte[] telemetryBytes = telemetry.toByteArray();
    byte[] signature = signer.sign(Envelopes.signingMessage(telemetryBytes));
    byte[] envelope =
        SignedEnvelope.newBuilder()
            .setVersion(Envelopes.VERSION)
            .setKeyType(wireKeyType)
            .setPublicKey(publicKey)
            .setTelemetry(ByteString.copyFrom(telemetryBytes))
            .setSignature(ByteString.copyFrom(signature))
            .build()
            .toByteArray();
    byte[] hash = Envelopes.hash(telemetryBytes);
    chainHead = ByteString.copyFrom(hash);
    return new SealedEnvelope(envelope, hash, telemetry);
  }

  /** Builds an {@link EnvelopeSealer}; {@link #build()} fails fast on a missing part. */
  public static final class Builder {
    private DeviceSigner signer;
    private SequenceCounter sequence;
    private Clock clock = Clock.systemUTC();
    private String networkId;
    private byte[] chainHead = new byte[0];

    private Builder() {}

    /** Required: the device key. */
    public Builder signer(DeviceSigner signer) {
      this.signer = signer;
      return this;
    }

    /** Required: where sequence numbers come from (usually a {@code FileSequenceCounter}). */
    public Builder sequence(SequenceCounter sequence) {
      this.sequence = sequence;
      return this;
    }

    /** Required: the network these envelopes are for, e.g. {@code "popw-devnet"}. */
    public Builder networkId(String networkId) {
      this.networkId = networkId;
      return this;
    }

    /** The clock for timestamps. Default: the system clock, UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The hash of the last envelope sealed before this sealer existed, to continue the hash chain
     * across restarts (a durable outbox knows it). Default: empty, which starts a new chain.
     */
    public Builder chainHead(byte[] hash) {
      Objects.requireNonNull(hash, "hash");
      if (hash.length != 0 && hash.length != 32) {
        throw new IllegalArgumentException("chain head must be empty or a 32-byte hash, got " + hash.length + " bytes");
      }
      this.chainHead = hash.clone();
      return this;
    }

    public EnvelopeSealer build() {
      if (signer == null) {
        throw new IllegalStateException("EnvelopeSealer needs a signer");
      }
      if (sequence == null) {
        throw new IllegalStateException("EnvelopeSealer needs a sequence counter");
      }
      if (networkId == null || networkId.isBlank()) {
        throw new IllegalStateException("EnvelopeSealer needs a network id");
      }
      return new EnvelopeSealer(this);
    }
  }
}
