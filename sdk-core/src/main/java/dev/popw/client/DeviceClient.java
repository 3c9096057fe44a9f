package dev.popw.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.Envelopes;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.DeviceSigner;
import dev.popw.outbox.FsyncPolicy;
import dev.popw.outbox.Outbox;
import dev.popw.outbox.OutboxConfig;
import dev.popw.outbox.OutboxEntry;
import dev.popw.outbox.OutboxStats;
import dev.popw.outbox.OverflowPolicy;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.sequence.FileSequenceCounter;
import dev.popw.receipt.ReceiptFailure;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Backoff;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportListener;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a device embeds: seal payloads into signed envelopes, queue them durably, deliver them in
 * the background, survive outages and reboots.
 *
 * <pre>{@code
 * DeviceClient client = DeviceClient.builder()
 *     .signer(DeviceSigners.open("file:/etc/popw/device.key"))
 *     .transport(MqttTransport.builder().serverUri("tcp://coordinator:1883").build())
 *     .coordinatorKey("3b6a27bc…")  // the coordinator's Ed25519 key: receipts must be signed by it
 *     .stateDirectory(Path.of("/var/lib/popw"))
 *     .networkId("popw-devnet")
 *     .build();
 * client.submit(reading).join();   // durably queued; delivered in the background
 * }</pre>
 *
 * <p>State directory: {@code outbox/} (the queue) and {@code sequence} (the counter). Both must
 * survive reboots; neither may be shared between devices or processes (both are locked).
 *
 * <p>Thread-safe.
 */
public final class DeviceClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceClient.class);

  private final DeviceSigner signer;
  private final Transport transport;
  private final Outbox outbox;
  private final FileSequenceCounter sequence;
  private final EnvelopeSealer sealer;
  private final Clock clock;
  private final Duration witnessTtl;
  private final Backoff retryBackoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
  private final Object sealLock = new Object();
  private final Object deliveryMonitor = new Object();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong ignoredReceipts = new AtomicLong();
  private final ReceiptTrust receiptTrust;
  private final Thread deliveryThread;
  private volatile boolean failedSinceRewind;
  private volatile boolean running = true;
  private volatile String lastError;

  private DeviceClient(Builder b) {
    this.signer = b.signer;
    this.transport = b.transport;
    this.clock = b.clock;
    this.receiptTrust = b.receiptTrust;
    this.witnessTtl = b.witnessTtl;
    Path state = b.stateDirectory;
    this.outbox = Outbox.open(OutboxConfig.builder(state.resolve("outbox"))
        .maxBytes(b.outboxMaxBytes).fsync(b.fsync).overflow(b.overflow).clock(b.clock).build());
    try {
      this.sequence = FileSequenceCounter.open(state.resolve("sequence"), b.sequenceBlock);
    } catch (RuntimeException e) {
      outbox.close();
      throw e;
    }
    EnvelopeSealer.Builder sb = EnvelopeSealer.builder().signer(signer).sequence(sequence).clock(clock).networkId(b.networkId);
    resumeChain(sb);
    this.sealer = sb.build();
    this.deliveryThread = new Thread(this::deliveryLoop, "popw-delivery");
    deliveryThread.setDaemon(true);
    transport.authenticateWith(signer, b.networkId, clock);
    transport.start(signer.deviceId(), receiptTrust, new TransportListener() {
      @Override
      public void connected() {
        LOG.info("connected: {}", transport.describe());
        lastError = null; // the connection problem is over
        wakeDelivery();
      }

      @Override
      public void disconnected(Throwable cause) {
        lastError = "disconnected: " + cause.getMessage();
        wakeDelivery();
      }

      @Override
      public void receiptIgnored(ReceiptFailure failure) {
        ignoredReceipts.incrementAndGet();
      }
    });
    deliveryThread.start();
  }

  /** Continues the hash chain and the sequence after the last envelope still in the outbox. */
  private void resumeChain(EnvelopeSealer.Builder sb) {
    outbox.lastAppended().ifPresent(last -> {
      try {
        SignedEnvelope env = SignedEnvelope.parseFrom(last.payload());
        Telemetry t = Telemetry.parseFrom(env.getTelemetry());
        if (signer.deviceId().matches(t.getDeviceId().toByteArray())) {
          sequence.advancePast(t.getSequence());
          sb.chainHead(Envelopes.hash(env.getTelemetry().toByteArray()));
        } else {
          LOG.warn("the outbox holds envelopes of another device key; starting a new hash chain");
        }
      } catch (InvalidProtocolBufferException e) {
        LOG.warn("cannot parse the last outbox entry; starting a new hash chain");
      }
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Seals and queues a sensor reading. The future completes once it is durably queued. */
  public CompletableFuture<SealedEnvelope> submit(SensorReading reading) {
    return submit(s -> s.seal(reading), 0);
  }

  /**
   * Seals and queues a coverage report. A witness expires {@code witnessTtl} after it is sealed
   * (a late witness is worthless) and is then dropped unsent; a beacon report does not expire.
   */
  public CompletableFuture<SealedEnvelope> submit(CoverageReport report) {
    long expires = report.getRole() == CoverageReport.Role.WITNESS ? clock.millis() + witnessTtl.toMillis() : 0;
    return submit(s -> s.seal(report), expires);
  }

  /** Seals and queues a GPU report. */
  public CompletableFuture<SealedEnvelope> submit(GpuReport report) {
    return submit(s -> s.seal(report), 0);
  }

  /** Seals and queues a coverage report that expires at {@code expiresAtMs} (Unix ms; 0: never). */
  public CompletableFuture<SealedEnvelope> submit(CoverageReport report, long expiresAtMs) {
    return submit(s -> s.seal(report), expiresAtMs);
  }

  /**
   * Seals and queues a telemetry whose payload (and {@code simulated} flag, for simulated
   * sources) is set; a witness report expires as with {@link #submit(CoverageReport)}.
   */
  public CompletableFuture<SealedEnvelope> submit(dev.popw.proto.v1.Telemetry.Builder payload) {
    long expires = payload.hasCoverage() && payload.getCoverage().getRole() == CoverageReport.Role.WITNESS
        ? clock.millis() + witnessTtl.toMillis() : 0;
    return submit(s -> s.seal(payload), expires);
  }

  private CompletableFuture<SealedEnvelope> submit(Function<EnvelopeSealer, SealedEnvelope> seal, long expiresAtMs) {
    if (!running) {
      return CompletableFuture.failedFuture(new IllegalStateException("device client is closed"));
    }
    SealedEnvelope sealed;
    CompletableFuture<OutboxEntry> queued;
    // Seal and append under one lock, so that outbox order = sequence order = hash-chain order.
    synchronized (sealLock) {
      sealed = seal.apply(sealer);
      queued = outbox.append(sealed.bytes(), expiresAtMs);
    }
    return queued.thenApply(e -> {
      submitted.incrementAndGet();
      return sealed;
    });
  }

  public DeviceStatus status() {
    OutboxStats s = outbox.stats();
    return new DeviceStatus(s.pending(), submitted.get(), sent.get(), acknowledged.get(), rejected.get(),
        s.dropped(), s.expired(), ignoredReceipts.get(), transport.isConnected(), transport.describe(), lastError);
  }

  public DeviceSigner signer() {
    return signer;
  }

  // ---------------------------------------------------------------- delivery

  private void deliveryLoop() {
    while (running) {
      try {
        deliverOnce();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        lastError = e.getMessage();
        LOG.error("delivery failed; retrying", e);
        sleep(retryBackoff.nextDelayMillis());
      }
    }
  }

  private void deliverOnce() throws InterruptedException {
    if (failedSinceRewind) {
      // Something was not acknowledged: wait for the rest of the window, then resend from the
      // oldest unacknowledged entry. Receivers treat repeats as duplicates.
      awaitInFlightBelow(1, 5_000);
      failedSinceRewind = false;
      outbox.rewind();
      sleep(retryBackoff.nextDelayMillis());
      return;
    }
    if (!transport.isConnected()) {
      synchronized (deliveryMonitor) {
        deliveryMonitor.wait(250);
      }
      return;
    }
    int room = transport.maxInFlight() - inFlight.get();
    if (room <= 0) {
      awaitInFlightBelow(transport.maxInFlight(), 250);
      return;
    }
    List<OutboxEntry> entries = outbox.poll(room);
    if (entries.isEmpty()) {
      outbox.awaitEntries(250, TimeUnit.MILLISECONDS);
      return;
    }
    for (OutboxEntry e : entries) {
      send(e);
    }
  }

  private void send(OutboxEntry e) {
    byte[] hash;
    try {
      hash = Envelopes.hash(SignedEnvelope.parseFrom(e.payload()).getTelemetry().toByteArray());
    } catch (InvalidProtocolBufferException ex) {
      LOG.error("outbox entry {} is not an envelope; discarding it", e.id());
      outbox.acknowledge(e.id());
      return;
    }
    inFlight.incrementAndGet();
    sent.incrementAndGet();
    transport.send(e.payload(), hash).whenComplete((ack, err) -> onOutcome(e, ack, err));
  }

  private void onOutcome(OutboxEntry e, Acknowledgement ack, Throwable err) {
    if (err == null && ack.receipt().isPresent() && receiptTrust.verifies() && !ack.isAuthenticated()) {
      // A transport that did not check the signature: do not let such a receipt end delivery.
      ignoredReceipts.incrementAndGet();
      err = new dev.popw.transport.TransportException("receipt for entry " + e.id() + " is not signed by the pinned coordinator key");
    }
    if (err == null) {
      outbox.acknowledge(e.id());
      acknowledged.incrementAndGet();
      retryBackoff.reset();
      if (ack.isRejected()) {
        rejected.incrementAndGet();
        lastError = "envelope " + ack.receipt().get().getSequence() + " rejected: " + ack.receipt().get().getReason();
        LOG.warn("coordinator rejected envelope {}: {}", ack.receipt().get().getSequence(), ack.receipt().get().getReason());
      } else {
        lastError = null; // delivery works again
      }
    } else {
      failedSinceRewind = true;
      lastError = err.getMessage();
      LOG.debug("entry {} not acknowledged: {}", e.id(), err.toString());
    }
    inFlight.decrementAndGet();
    wakeDelivery();
  }

  private void awaitInFlightBelow(int limit, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (deliveryMonitor) {
      while (inFlight.get() >= limit && running) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return;
        }
        deliveryMonitor.wait(left);
      }
    }
  }

  private void wakeDelivery() {
    synchronized (deliveryMonitor) {
      deliveryMonitor.notifyAll();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Waits until everything queued has been acknowledged, or the timeout passes.
   *
   * @return true if the outbox is empty
   */
  public boolean drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (outbox.stats().pending() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      sleep(20);
    }
    return true;
  }

  /**
   * Stops delivery and closes everything. Whatever was queued stays durably in the outbox and is
   * delivered after the next start; call {@link #drain} first to deliver it now.
   */
  @Override
  public void close() {
    if (!running) {
      return;
    }
    running = false;
    // No interrupt: one during a positional read would close an outbox segment's FileChannel
    // (ClosedByInterruptException). The loop wakes at least every 250 ms and sees running=false.
    wakeDelivery();
    try {
      deliveryThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    transport.close();
    synchronized (sealLock) {
      outbox.close();
      sequence.close();
    }
  }

  /** Builds a {@link DeviceClient}; {@link #build()} fails fast on a missing part. */
  public static final class Builder {
    private DeviceSigner signer;
    private Transport transport;
    private Path stateDirectory;
    private String networkId;
    private Clock clock = Clock.systemUTC();
    private Duration witnessTtl = Duration.ofMinutes(10);
    private FsyncPolicy fsync = FsyncPolicy.groupCommit(Duration.ofMillis(5));
    private OverflowPolicy overflow = OverflowPolicy.DROP_OLDEST;
    private long outboxMaxBytes = OutboxConfig.DEFAULT_MAX_BYTES;
    private int sequenceBlock = 64;
    private ReceiptTrust receiptTrust;

    private Builder() {}

    /**
     * Required (this, {@link #coordinatorKey(String)} or {@link #receiptTrust}): the coordinator's
     * Ed25519 public key (32 bytes). Only receipts it signed for this device end an envelope's
     * delivery; others are ignored and counted ({@link DeviceStatus#ignoredReceipts()}).
     */
    public Builder coordinatorKey(byte[] publicKey) {
      this.receiptTrust = ReceiptTrust.pinned(publicKey);
      return this;
    }

    /** {@link #coordinatorKey(byte[])} as 64 hex digits. */
    public Builder coordinatorKey(String publicKeyHex) {
      this.receiptTrust = ReceiptTrust.pinned(publicKeyHex);
      return this;
    }

    /**
     * Which receipts to believe; {@link ReceiptTrust#unverifiedForDevelopment()} is for development
     * only. See {@link #coordinatorKey(byte[])}.
     */
    public Builder receiptTrust(ReceiptTrust trust) {
      this.receiptTrust = Objects.requireNonNull(trust, "trust");
      return this;
    }

    /** Required: the device key. */
    public Builder signer(DeviceSigner signer) {
      this.signer = signer;
      return this;
    }

    /** Required: how envelopes reach the coordinator. */
    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    /** Required: where the outbox and the sequence counter live; must survive reboots. */
    public Builder stateDirectory(Path dir) {
      this.stateDirectory = dir;
      return this;
    }

    /** Required: the network the telemetry is for, e.g. {@code popw-devnet}. */
    public Builder networkId(String networkId) {
      this.networkId = networkId;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How long a coverage witness stays worth sending. Default 10 minutes. */
    public Builder witnessTtl(Duration ttl) {
      this.witnessTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** Default: group commit every 5 ms. Use {@link FsyncPolicy#everyWrite()} for the strictest. */
    public Builder fsync(FsyncPolicy fsync) {
      this.fsync = Objects.requireNonNull(fsync, "fsync");
      return this;
    }

    public Builder overflow(OverflowPolicy overflow) {
      this.overflow = Objects.requireNonNull(overflow, "overflow");
      return this;
    }

    /** The outbox's byte bound. Default 64 MiB. */
    public Builder outboxMaxBytes(long bytes) {
      this.outboxMaxBytes = bytes;
      return this;
    }

    /**
     * Sequence numbers reserved per durable write (see {@link FileSequenceCounter}). Default 64:
     * one counter fsync per 64 envelopes; a crash skips at most 64 numbers (the coordinator records
     * a sequence gap, which is allowed), a clean close skips none. Numbers are never reused: at start
     * the counter also moves past the last envelope in the outbox.
     */
    public Builder sequenceBlock(int block) {
      this.sequenceBlock = block;
      return this;
    }

    public DeviceClient build() {
      if (signer == null) {
        throw new IllegalStateException("DeviceClient needs a signer");
      }
      if (transport == null) {
        throw new IllegalStateException("DeviceClient needs a transport");
      }
      if (stateDirectory == null) {
        throw new IllegalStateException("DeviceClient needs a state directory");
      }
      if (networkId == null || networkId.isBlank()) {
        throw new IllegalStateException("DeviceClient needs a network id");
      }
      if (receiptTrust == null) {
        throw new IllegalStateException("DeviceClient needs the coordinator's key (coordinatorKey(...)) to check receipts;"
            + " receiptTrust(ReceiptTrust.unverifiedForDevelopment()) skips the check, for development only");
      }
      return new DeviceClient(this);
    }
  }
}
