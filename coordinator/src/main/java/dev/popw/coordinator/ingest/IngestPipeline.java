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
  /** Counts registration changes: a state read from the database during one is read again. */
  private final java.util.concurrent.atomic.AtomicLong deviceChanges = new java.util.concurrent.atomic.AtomicLong();
  private final LongAdder statesLoaded = new LongAdder();
  private final LongAdder statesEvicted = new LongAdder();
  private final java.util.concurrent.ScheduledExecutorService sweeper;
  private final java.util.concurrent.atomic.AtomicBoolean sweepQueued = new java.util.concurrent.atomic.AtomicBoolean();
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
    this.verifier = EnvelopeVerifier.builder().maxEnvelopeBytes(config.maxEnvelopeBytes())
        .signatureEngine(config.signatureEngine()).build();
    this.verifyPool = Executors.newFixedThreadPool(config.verifyThreads(), r -> {
      Thread t = new Thread(r, "popw-verify");
      t.setDaemon(true);
      return t;
    });
    this.writer = new BatchWriter(store, config.writeBatchSize(), config.writeBatchDelay(), batches, verifyPool);
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-device-cache");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(10, Math.min(60_000, config.deviceIdle().toMillis() / 4));
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
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
    if (!state.active) {
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
    Telemetry.PayloadCase expected = payloadOf(state.kind);
    if (t.getPayloadCase() != expected) {
      return reject(CoordinatorReason.WRONG_KIND, "a " + t.getPayloadCase() + " payload from a device registered as "
          + (expected == null ? "kind " + state.kind : expected), deviceId, seq, hash, receivedAt, envelope, null);
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
    for (;;) {
      CompletableFuture<IngestResult> r = sequenced(state, t, envelope, deviceId, seq, hash, flags, receivedAt);
      if (r != null) {
        return r;
      }
      // The state was evicted while this envelope waited for its lock: read it back (all it
      // accepted is committed: a state is evicted only with no write pending).
      state = state(deviceId);
      if (state == null) {
        return reject(CoordinatorReason.NOT_REGISTERED, "device is not registered", deviceId, seq, hash, receivedAt, envelope, null);
      }
    }
  }

  /**
   * The checks against what the device sent before (duplicate, equivocation, chain), and the
   * write; under the device's lock. Null when the state was evicted meanwhile.
   */
  private CompletableFuture<IngestResult> sequenced(DeviceState state, Telemetry t, byte[] envelope, String deviceId, long seq,
      byte[] hash, int flags, long receivedAt) {
    CompletableFuture<byte[]> written;
    int finalFlags;
    synchronized (state) {
      if (state.retired) {
        return null;
      }
      byte[] existing = state.hashOf(seq, store);
      if (existing != null) {
        if (Arrays.equals(existing, hash)) {
          IngestResult duplicate = new IngestResult(IngestStatus.DUPLICATE, "DUPLICATE", "already accepted", deviceId, seq, hash, 0);
          CompletableFuture<byte[]> pending = state.pendingWrite(seq);
          if (pending == null) {
            return CompletableFuture.completedFuture(duplicate);
          }
          // The first copy is not committed yet: answering now would acknowledge an envelope that a
          // failed write could still lose. The copy is answered after the commit, or fails with it.
          return pending.thenCompose(taken -> taken == null || Arrays.equals(taken, hash) ? CompletableFuture.completedFuture(duplicate)
              // on a cluster the first copy lost to another node's envelope: this one equivocates with that
              : reject(CoordinatorReason.EQUIVOCATION, "sequence " + seq + " was accepted with other content", deviceId, seq, hash,
                  receivedAt, envelope, taken))
              .exceptionally(err -> {
                throw new IllegalStateException("database write of the first copy failed", err);
              });
        }
        return reject(CoordinatorReason.EQUIVOCATION, "sequence " + seq + " was accepted with other content",
            deviceId, seq, hash, receivedAt, envelope, existing);
      }
      // A missing seq - 1 is not flagged here: it may still arrive (envelopes are verified in
      // parallel and resent out of order). Gaps are sequence numbers that never arrived, computed
      // from the stored envelopes (EnvelopeStore.sequenceGaps).
      byte[] previous = seq > 1 ? state.hashOf(seq - 1, store) : null;
      if (previous != null && !Arrays.equals(previous, t.getPrevHash().toByteArray())) {
        flags |= AcceptedEnvelope.Flags.CHAIN_GAP;
      }
      finalFlags = flags;
      // Queued under the device's lock, so a copy checked next finds the write to wait for.
      written = writer.write(new AcceptedEnvelope(hash, deviceId, seq, t.getTimestampMs(), receivedAt,
          t.getPayloadCase().getNumber(), flags, envelope));
      state.reserve(seq, hash, written);
    }
    return written.handle((taken, err) -> {
      synchronized (state) {
        if (err != null) {
          state.release(seq); // not stored: the resend must not look like a duplicate
        } else if (taken != null) {
          state.takenElsewhere(seq, taken); // a cluster's other node stored this number first
        } else {
          state.committed(seq);
        }
      }
      if (err != null) {
        throw new IllegalStateException("database write failed", err);
      }
      if (taken != null) {
        return null; // decided below, by what the database holds
      }
      try {
        accepted.accepted(deviceId, hash, receivedAt, t);
      } catch (RuntimeException e) {
        // a listener's failure is not the envelope's
      }
      return new IngestResult(IngestStatus.ACCEPTED, "", null, deviceId, seq, hash, finalFlags);
    }).thenCompose(r -> r != null ? CompletableFuture.completedFuture(r) : decidedByDatabase(state, deviceId, seq, hash, receivedAt, envelope));
  }

  /**
   * On a cluster's schema: the database refused this envelope's number because another node stored
   * one with it first (at the same moment, or before this node's window knew). The same hash is a
   * duplicate; another is equivocation, stored with the envelope it conflicts with as evidence.
   */
  private CompletableFuture<IngestResult> decidedByDatabase(DeviceState state, String deviceId, long seq, byte[] hash, long receivedAt,
      byte[] envelope) {
    byte[] taken;
    synchronized (state) {
      taken = state.hashOf(seq, store);
    }
    if (taken == null || Arrays.equals(taken, hash)) {
      return CompletableFuture.completedFuture(new IngestResult(IngestStatus.DUPLICATE, "DUPLICATE", "already accepted", deviceId, seq, hash, 0));
    }
    return reject(CoordinatorReason.EQUIVOCATION, "sequence " + seq + " was accepted with other content", deviceId, seq, hash,
        receivedAt, envelope, taken);
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
      s.lastUsed = System.nanoTime();
      return s;
    }
    Long until = unknownUntil.get(deviceId);
    long now = System.currentTimeMillis();
    if (until != null && until > now) {
      return null;
    }
    long changes = deviceChanges.get();
    Optional<DeviceRecord> rec = store.devices().device(deviceId);
    if (rec.isEmpty()) {
      if (unknownUntil.size() >= config.maxCachedDevices()) {
        unknownUntil.values().removeIf(u -> u <= now);
        if (unknownUntil.size() >= config.maxCachedDevices()) {
          unknownUntil.clear(); // a flood of made-up devices: forget them all rather than grow
        }
      }
      unknownUntil.put(deviceId, now + NEGATIVE_CACHE_MS);
      return null;
    }
    DeviceState loaded = new DeviceState(rec.get(), config.sequenceWindow(), store.envelopes().sequenceTop(deviceId, config.sequenceWindow()));
    DeviceState raced = states.putIfAbsent(deviceId, loaded);
    if (raced != null) {
      raced.lastUsed = System.nanoTime();
      return raced;
    }
    statesLoaded.increment();
    if (deviceChanges.get() != changes) {
      loaded.refresh(store.devices().device(deviceId)); // the registration changed while it was read
    }
    if (states.size() > config.maxCachedDevices() && sweepQueued.compareAndSet(false, true)) {
      try {
        sweeper.execute(this::sweep);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        sweepQueued.set(false); // closing
      }
    }
    return loaded;
  }

  /**
   * Evicts the states of devices idle for {@code deviceIdle}, and, while more than {@code
   * maxCachedDevices} are held, the least recently used down to 90% of that bound. A state with a
   * write pending stays (its accepted numbers are not in the database yet).
   */
  private void sweep() {
    sweepQueued.set(false);
    try {
      long now = System.nanoTime();
      long idleBefore = now - config.deviceIdle().toNanos();
      long lruCutoff = Long.MIN_VALUE;
      int over = states.size() - config.maxCachedDevices();
      if (over > 0) {
        long[] used = states.values().stream().mapToLong(st -> st.lastUsed).toArray();
        Arrays.sort(used);
        int evict = Math.min(used.length, over + config.maxCachedDevices() / 10);
        if (evict > 0) {
          lruCutoff = used[evict - 1];
        }
      }
      for (Map.Entry<String, DeviceState> e : states.entrySet()) {
        DeviceState st = e.getValue();
        long used = st.lastUsed;
        if (used - idleBefore < 0 || used - lruCutoff <= 0 && lruCutoff != Long.MIN_VALUE) {
          if (st.retire()) {
            states.remove(e.getKey(), st);
            statesEvicted.increment();
          }
        }
      }
      long wall = System.currentTimeMillis();
      unknownUntil.values().removeIf(u -> u <= wall);
    } catch (RuntimeException e) {
      // the next sweep tries again
    }
  }

  /** Re-reads a device's registration (status, kind) after it changed. */
  public void deviceChanged(String deviceId) {
    deviceChanges.incrementAndGet();
    unknownUntil.remove(deviceId);
    DeviceState s = states.get(deviceId);
    if (s != null) {
      s.refresh(store.devices().device(deviceId));
    }
  }

  /** Devices whose state is in memory now. */
  public int cachedDevices() {
    return states.size();
  }

  /** Device states read from the database, and evicted from memory, since start. */
  public long[] deviceStateCounts() {
    return new long[] {statesLoaded.sum(), statesEvicted.sum()};
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
    sweeper.shutdownNow();
    verifyPool.shutdown();
    try {
      verifyPool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writer.close();
  }

  /**
   * What the pipeline remembers of one device, about 0.5 KB (docs/benchmarks.md, "Per-device
   * memory"): its status and kind, which recent sequence numbers it had accepted ({@link
   * SequenceWindow}, one bit each), the hash of its highest one (the chain check of the next), and
   * the accepted envelopes whose write has not committed yet. Any other hash (a resend, an
   * out-of-order predecessor, a number below the window) is read from the database, which has every
   * committed one. Guarded by the instance lock, except the volatile fields.
   */
  static final class DeviceState {
    final String id;
    volatile boolean active;
    volatile int kind;
    /** When it was last used, System.nanoTime(). */
    volatile long lastUsed = System.nanoTime();
    /** Evicted: whoever finds it under its lock must look the device up again. */
    boolean retired;
    final SequenceWindow window;
    long lastSeq = -1;
    byte[] lastHash;
    /** Numbers another node of a cluster stored first, with its hash (this node's write was skipped); usually null. */
    Map<Long, byte[]> overrides;
    /** Accepted sequence numbers whose write has not committed yet; null when there are none. */
    Map<Long, Pending> pending;

    record Pending(byte[] hash, CompletableFuture<byte[]> written) {}

    DeviceState(DeviceRecord record, int window, dev.popw.coordinator.store.EnvelopeStore.SequenceTop top) {
      this.id = record.id().toString();
      this.active = record.active();
      this.kind = record.kind();
      if (top == null) {
        this.window = new SequenceWindow(window);
      } else {
        this.window = SequenceWindow.loaded(window, top.top(), top.accepted());
        this.lastSeq = top.top();
        this.lastHash = top.topHash();
      }
    }

    void refresh(Optional<DeviceRecord> record) {
      record.ifPresent(r -> {
        active = r.active();
        kind = r.kind();
      });
    }

    /** The hash of the accepted envelope with this number, or null if none was accepted. */
    byte[] hashOf(long seq, Store store) {
      if (pending != null) {
        Pending p = pending.get(seq);
        if (p != null) {
          return p.hash;
        }
      }
      if (overrides != null) {
        byte[] o = overrides.get(seq);
        if (o != null) {
          return o;
        }
      }
      if (window.covers(seq)) {
        if (!window.contains(seq)) {
          return null; // the common case, a new number: no database read
        }
        if (seq == lastSeq) {
          return lastHash;
        }
      }
      return store.envelopes().acceptedHash(id, seq).orElse(null); // committed, so the database has it
    }

    CompletableFuture<byte[]> pendingWrite(long seq) {
      Pending p = pending == null ? null : pending.get(seq);
      return p == null ? null : p.written;
    }

    void reserve(long seq, byte[] hash, CompletableFuture<byte[]> written) {
      window.add(seq);
      if (pending == null) {
        pending = new java.util.HashMap<>(4);
      }
      pending.put(seq, new Pending(hash, written));
      if (seq > lastSeq) {
        lastSeq = seq;
        lastHash = hash;
      }
    }

    /** After the commit: the database has it. */
    void committed(long seq) {
      if (pending != null) {
        pending.remove(seq);
        if (pending.isEmpty()) {
          pending = null;
        }
      }
    }

    /**
     * After a write the database skipped (a cluster's other node holds the number with {@code
     * taken}): the number stays accepted, with the other envelope's hash.
     */
    void takenElsewhere(long seq, byte[] taken) {
      committed(seq);
      if (seq == lastSeq) {
        lastHash = taken;
      } else {
        overrides = overrides == null ? new java.util.HashMap<>(2) : overrides;
        if (overrides.size() >= 64) {
          overrides.clear(); // the database has them all; this only saves a read
        }
        overrides.put(seq, taken);
      }
    }

    /** After a failed write: not accepted after all. */
    void release(long seq) {
      committed(seq);
      window.remove(seq);
      if (seq == lastSeq) {
        lastSeq = -1; // the highest number's hash is read from the database from now on
        lastHash = null;
      }
    }

    /** Marks the state evicted unless a write is pending; true when it was. */
    synchronized boolean retire() {
      if (pending != null) {
        return false;
      }
      retired = true;
      return true;
    }
  }
}
