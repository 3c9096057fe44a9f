package dev.popw.coordinator.ingest;

import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.DeviceRecord;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.coordinator.store.Store;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.VerificationResult;
import dev.popw.proto.v1.Telemetry;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The coordinator's verification pipeline, in order: size limit, parse, signature (sdk-core's
 * {@link EnvelopeVerifier}), device registered and active, topic/device binding, duplicate or
 * equivocation, hash-chain breaks (recorded, not fatal), freshness, payload safety (physical
 * plausibility is work validation, decided per epoch),
 * persist, result. Every envelope gets an {@link IngestResult}; a rejection never throws out of
 * {@link #submit} and never stalls other devices.
 *
 * <p>Signatures are checked on a pool of {@code verifyThreads}; the stateful checks of one device
 * are serialized on that device's state; writes are group-committed ({@link BatchWriter}) and the
 * returned future completes after the commit.
 */
public final class IngestPipeline implements AutoCloseable {
  private static final long NEGATIVE_CACHE_MS = 5_000;

  private final Store store;
  private final PipelineListener listener;
  private final PipelineConfig config;
  private final Clock clock;
  private final EnvelopeVerifier verifier;
  private final ExecutorService verifyPool;
  private final BatchWriter writer;
  private final Map<String, DeviceState> states = new ConcurrentHashMap<>();
  private final Map<String, Long> unknownUntil = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private volatile AcceptedListener accepted = (d, h, r, t) -> {};

  /** Told about every accepted envelope once it is committed, with its telemetry. Must be quick. */
  @FunctionalInterface
  public interface AcceptedListener {
    void accepted(String deviceId, byte[] envelopeHash, long receivedAt, Telemetry telemetry);
  }

  /** Sets the listener for accepted envelopes (GPU challenges react to commitments and openings). */
  public void onAccepted(AcceptedListener l) {
    this.accepted = java.util.Objects.requireNonNull(l, "listener");
  }

  public IngestPipeline(Store store, PipelineConfig config, Clock clock) {
    this(store, config, clock, PipelineListener.NONE);
  }

  /** @param listener told about every committed decision (metrics; the batcher counts accepted ones) */
  public IngestPipeline(Store store, PipelineConfig config, Clock clock, PipelineListener listener) {
    this(store, config, clock, listener, null);
  }

  /**
   * @param batches gives each accepted envelope its batch id as it is written ({@link
   *     dev.popw.coordinator.batch.Batcher#assigner()}); null writes envelopes without one
   */
  public IngestPipeline(Store store, PipelineConfig config, Clock clock, PipelineListener listener,
      dev.popw.coordinator.batch.BatchAssigner batches) {
    this.listener = listener;
    this.store = store;
    this.config = config;
    this.clock = clock;
    this.verifier = EnvelopeVerifier.builder().maxEnvelopeBytes(config.maxEnvelopeBytes()).build();
    this.verifyPool = Executors.newFixedThreadPool(config.verifyThreads(), r -> {
      Thread t = new Thread(r, "popw-verify");
      t.setDaemon(true);
      return t;
    });
    this.writer = new BatchWriter(store, config.writeBatchSize(), config.writeBatchDelay(), batches);
  }

  /**
   * Verifies and stores one envelope.
   *
   * @param envelope the bytes as received
   * @param topicDeviceId the device id named by the MQTT topic it came on, or {@code null} (CoAP)
   * @return the decision, completed once it is persisted; completes exceptionally only if the
   *     database fails (the device then gets no receipt and sends again)
   */
  public CompletableFuture<IngestResult> submit(byte[] envelope, String topicDeviceId) {
    long receivedAt = clock.millis();
    long started = System.nanoTime();
    return CompletableFuture.supplyAsync(() -> verifier.verify(envelope), verifyPool)
        .thenCompose(vr -> decide(vr, envelope, topicDeviceId, receivedAt))
        .whenComplete((r, e) -> {
          if (r != null) {
            count(r.status() == IngestStatus.ACCEPTED ? "ACCEPTED" : r.reason());
            listener.decided(r, System.nanoTime() - started);
          }
        });
  }

  private CompletableFuture<IngestResult> decide(VerificationResult vr, byte[] envelope, String topicDeviceId, long receivedAt) {
    if (!vr.isOk()) {
      // Not authenticated: anyone can name a victim's key, so the rejection is not the device's.
      // It is stored under no device; the id it claims is kept in the detail.
      String claimed = vr.deviceId().map(Object::toString).orElse(null);
      long seq = vr.telemetry().map(Telemetry::getSequence).orElse(0L);
      return reject(vr.reason().name(), claimed == null ? vr.detail() : vr.detail() + " (claims " + claimed + ")", null, seq,
          vr.envelopeHash().orElse(null), receivedAt, envelope.length <= config.maxEnvelopeBytes() ? envelope : null, null);
    }
    Telemetry t = vr.telemetry().orElseThrow();
    String deviceId = vr.deviceId().orElseThrow().toString();
    byte[] hash = vr.envelopeHash().orElseThrow();
    long seq = t.getSequence();
    if (topicDeviceId != null && !topicDeviceId.equals(deviceId)) {
      return reject(CoordinatorReason.TOPIC_MISMATCH, "sent on the topic of " + topicDeviceId, deviceId, seq, hash, receivedAt, envelope, null);
    }
    if (!config.networkId().equals(t.getNetworkId())) {
      return reject(CoordinatorReason.WRONG_NETWORK, "for network '" + t.getNetworkId() + "', this is '" + config.networkId() + "'",
          deviceId, seq, hash, receivedAt, envelope, null);
    }
    DeviceState state = state(deviceId);
    if (state == null) {
      return reject(CoordinatorReason.NOT_REGISTERED, "device is not registered", deviceId, seq, hash, receivedAt, envelope, null);
    }
    if (!state.record.active()) {
      return reject(CoordinatorReason.DEVICE_INACTIVE, "device is deactivated", deviceId, seq, hash, receivedAt, envelope, null);
    }
    if (seq == 0) {
      return reject(CoordinatorReason.BAD_SEQUENCE, "sequence numbers start at 1", deviceId, seq, hash, receivedAt, envelope, null);
    }
    if (seq < 0) { // uint64 on the wire: 2^63 and above read as negative longs (docs/decisions.md)
      return reject(CoordinatorReason.BAD_SEQUENCE, "sequence numbers above 2^63-1 are not supported", deviceId, seq, hash,
          receivedAt, envelope, null);
    }
    if (t.getPayloadCase() == Telemetry.PayloadCase.PAYLOAD_NOT_SET) {
      return reject(CoordinatorReason.EMPTY_PAYLOAD, "telemetry has no payload", deviceId, seq, hash, receivedAt, envelope, null);
    }
    Telemetry.PayloadCase expected = payloadOf(state.record.kind());
    if (t.getPayloadCase() != expected) {
      return reject(CoordinatorReason.WRONG_KIND, "a " + t.getPayloadCase() + " payload from a device registered as "
          + (expected == null ? "kind " + state.record.kind() : expected), deviceId, seq, hash, receivedAt, envelope, null);
    }
    int flags = 0;
    if (t.getSimulated()) {
      if (!config.acceptSimulated()) {
        return reject(CoordinatorReason.SIMULATED, "telemetry from a simulated source; this coordinator accepts real hardware only",
            deviceId, seq, hash, receivedAt, envelope, null);
      }
      flags |= AcceptedEnvelope.Flags.SIMULATED;
    }
    long now = receivedAt;
    long deviceTime = t.getTimestampMs(); // uint64 on the wire: compared as unsigned
    if (Long.compareUnsigned(deviceTime, now + config.maxClockSkew().toMillis()) > 0) {
      return reject(CoordinatorReason.FUTURE_TIMESTAMP, "device clock is " + Long.toUnsignedString(deviceTime - now) + " ms ahead",
          deviceId, seq, hash, receivedAt, envelope, null);
    }
    // From here 0 <= deviceTime <= now + skew, so signed arithmetic is exact.
    if (deviceTime < now - config.freshness().toMillis()) {
      if (t.getPayloadCase() != Telemetry.PayloadCase.SENSOR) {
        return reject(CoordinatorReason.STALE, "telemetry is " + (now - t.getTimestampMs()) / 1000 + " s old",
            deviceId, seq, hash, receivedAt, envelope, null);
      }
      flags |= AcceptedEnvelope.Flags.BACKFILL;
    }
    Optional<String> outOfBounds = PayloadBounds.check(t);
    if (outOfBounds.isPresent()) {
      return reject(CoordinatorReason.OUT_OF_BOUNDS, outOfBounds.get(), deviceId, seq, hash, receivedAt, envelope, null);
    }
    CompletableFuture<Void> written;
    int finalFlags;
    synchronized (state) {
      byte[] existing = state.hashOf(seq);
      if (existing != null) {
        if (Arrays.equals(existing, hash)) {
          IngestResult duplicate = new IngestResult(IngestStatus.DUPLICATE, "DUPLICATE", "already accepted", deviceId, seq, hash, 0);
          CompletableFuture<Void> pending = state.pending.get(seq);
          if (pending == null) {
            return CompletableFuture.completedFuture(duplicate);
          }
          // The first copy is not committed yet: answering now would acknowledge an envelope that a
          // failed write could still lose. The copy is answered after the commit, or fails with it.
          return pending.handle((ok, err) -> {
            if (err != null) {
              throw new IllegalStateException("database write of the first copy failed", err);
            }
            return duplicate;
          });
        }
        return reject(CoordinatorReason.EQUIVOCATION, "sequence " + seq + " was accepted with other content",
            deviceId, seq, hash, receivedAt, envelope, existing);
      }
      // A missing seq - 1 is not flagged here: it may still arrive (envelopes are verified in
      // parallel and resent out of order). Gaps are sequence numbers that never arrived, computed
      // from the stored envelopes (EnvelopeStore.sequenceGaps).
      byte[] previous = seq > 1 ? state.hashOf(seq - 1) : null;
      if (previous != null && !Arrays.equals(previous, t.getPrevHash().toByteArray())) {
        flags |= AcceptedEnvelope.Flags.CHAIN_GAP;
      }
      state.reserve(seq, hash);
      finalFlags = flags;
      // Queued under the device's lock, so a copy checked next finds the write to wait for.
      written = writer.write(new AcceptedEnvelope(hash, deviceId, seq, t.getTimestampMs(), receivedAt,
          t.getPayloadCase().getNumber(), flags, envelope));
      state.pending.put(seq, written);
    }
    return written.handle((ok, err) -> {
      synchronized (state) {
        state.pending.remove(seq);
        if (err != null) {
          state.release(seq, hash); // not stored: the resend must not look like a duplicate
        } else {
          state.committed(seq);
        }
      }
      if (err != null) {
        throw new IllegalStateException("database write failed", err);
      }
      try {
        accepted.accepted(deviceId, hash, receivedAt, t);
      } catch (RuntimeException e) {
        // a listener's failure is not the envelope's
      }
      return new IngestResult(IngestStatus.ACCEPTED, "", null, deviceId, seq, hash, finalFlags);
    });
  }

  /** The payload a device of this registered kind sends (DeviceRecord.kind(): 1 sensor, 2 coverage, 3 gpu). */
  private static Telemetry.PayloadCase payloadOf(int kind) {
    return switch (kind) {
      case 1 -> Telemetry.PayloadCase.SENSOR;
      case 2 -> Telemetry.PayloadCase.COVERAGE;
      case 3 -> Telemetry.PayloadCase.GPU;
      default -> null;
    };
  }

  private CompletableFuture<IngestResult> reject(CoordinatorReason reason, String detail, String deviceId, long seq, byte[] hash,
      long receivedAt, byte[] envelope, byte[] conflictsWith) {
    return reject(reason.name(), detail, deviceId, seq, hash, receivedAt, envelope, conflictsWith);
  }

  private CompletableFuture<IngestResult> reject(String reason, String detail, String deviceId, long seq, byte[] hash,
      long receivedAt, byte[] envelope, byte[] conflictsWith) {
    RejectionRecord rec = new RejectionRecord(deviceId, seq == 0 ? null : seq, hash, reason, detail, receivedAt, envelope, conflictsWith);
    IngestResult result = new IngestResult(IngestStatus.REJECTED, reason, detail, deviceId, seq, hash, 0);
    return writer.write(rec).handle((ok, err) -> result); // a lost rejection record must not block the answer
  }

  private DeviceState state(String deviceId) {
    DeviceState s = states.get(deviceId);
    if (s != null) {
      return s;
    }
    Long until = unknownUntil.get(deviceId);
    long now = System.currentTimeMillis();
    if (until != null && until > now) {
      return null;
    }
    Optional<DeviceRecord> rec = store.devices().device(deviceId);
    if (rec.isEmpty()) {
      unknownUntil.put(deviceId, now + NEGATIVE_CACHE_MS);
      return null;
    }
    DeviceState loaded = new DeviceState(rec.get(), config.sequenceWindow());
    loaded.load(store.envelopes().recentSequences(deviceId, config.sequenceWindow()));
    DeviceState raced = states.putIfAbsent(deviceId, loaded);
    return raced != null ? raced : loaded;
  }

  /** Forget cached state of a device after its registration or status changed. */
  public void deviceChanged(String deviceId) {
    states.remove(deviceId);
    unknownUntil.remove(deviceId);
  }

  private void count(String outcome) {
    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
  }

  /** Envelopes processed since start, by outcome: ACCEPTED, DUPLICATE or the rejection reason. */
  public Map<String, Long> outcomeCounts() {
    Map<String, Long> m = new TreeMap<>();
    outcomes.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** Writes waiting for the database. */
  public int writeQueueDepth() {
    return writer.queueDepth();
  }

  @Override
  public void close() {
    verifyPool.shutdown();
    try {
      verifyPool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writer.close();
  }

  /**
   * What the pipeline remembers of one device: its record and its accepted sequence numbers from
   * the newest down to {@code recent.firstKey()} (all of them in that range: the invariant that
   * makes "absent" mean "never accepted"). Older ones are looked up in the database; old ones
   * accepted but not yet committed wait in {@code belowWindow}. Guarded by the instance lock.
   */
  private final class DeviceState {
    final DeviceRecord record;
    final int window;
    final String id;
    final TreeMap<Long, byte[]> recent = new TreeMap<>();
    final Map<Long, byte[]> belowWindow = new java.util.HashMap<>();
    /** Accepted sequence numbers whose write has not committed yet, with the write (BatchWriter's future). */
    final Map<Long, CompletableFuture<Void>> pending = new java.util.HashMap<>();

    DeviceState(DeviceRecord record, int window) {
      this.record = record;
      this.window = window;
      this.id = record.id().toString();
    }

    void load(Map<Long, byte[]> newestAccepted) {
      recent.putAll(newestAccepted);
    }

    byte[] hashOf(long seq) {
      byte[] h = recent.get(seq);
      if (h == null) {
        h = belowWindow.get(seq);
      }
      if (h != null || recent.isEmpty() || seq >= recent.firstKey()) {
        return h;
      }
      return store.envelopes().acceptedHash(id, seq).orElse(null);
    }

    void reserve(long seq, byte[] hash) {
      if (!recent.isEmpty() && seq < recent.firstKey()) {
        belowWindow.put(seq, hash);
        return;
      }
      recent.put(seq, hash);
      while (recent.size() > window) {
        recent.pollFirstEntry();
      }
    }

    /** After the commit: old sequence numbers are now found in the database. */
    void committed(long seq) {
      belowWindow.remove(seq);
    }

    void release(long seq, byte[] hash) {
      recent.remove(seq, hash);
      belowWindow.remove(seq, hash);
    }
  }
}
