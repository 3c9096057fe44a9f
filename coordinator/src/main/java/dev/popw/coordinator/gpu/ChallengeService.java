package dev.popw.coordinator.gpu;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.store.GpuChallengeStore;
import dev.popw.coordinator.validation.ChallengeRecord;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.GpuFingerprint;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.gpu.ChallengeJudge;
import dev.popw.coordinator.validation.gpu.GpuClass;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.gpuproof.Challenges;
import dev.popw.gpuproof.OpenSelection;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.MatmulChallenge;
import dev.popw.proto.v1.OpenRequest;
import dev.popw.proto.v1.Telemetry;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues GPU capacity challenges and drives them (docs/gpu-proofs.md). For every active GPU device
 * that reported recently and has a pinned fingerprint, at times drawn from the coordinator's
 * entropy (a pause uniform in [min, max] after the previous challenge expired): sizes a challenge
 * by the challenged GPU's class, records it, signs it with the receipt key and publishes it
 * (MQTT topic {@code popw/v1/devices/<id>/challenges}; CoAP devices poll it). When the device's
 * commitment arrives (an ordinary envelope), names the tiles and probe blocks to open, records and
 * sends the open request. When the openings are in, checks the challenge at once (the live check,
 * logged, counted and shown by the API); the epoch's validator decides it again from the same
 * records when the epoch closes.
 *
 * <p>Also pins each device registration's GPU fingerprint from its first GPU report.
 *
 * <p>Everything runs on one thread, in the order events arrive; {@link #tick()} is also public so
 * that tests with an injected clock can drive it.
 *
 * <p>On a cluster's node ({@link #role}, docs/scale-out.md) only the node holding the role issues
 * challenges and expires them, but any node takes a device's answers: the challenge's state is read
 * from its stored row (the record, the root once opened: the named tiles and blocks follow from it
 * and the open seed), the open request is recorded only where none is, and the live check only
 * where none is, so that of two nodes acting on one challenge at once exactly one opens it and
 * exactly one check is stored; CoAP polls are answered from the stored rows too.
 */
public final class ChallengeService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChallengeService.class);

  /** Where a signed challenge message goes (besides the CoAP mailbox). */
  @FunctionalInterface
  public interface Publisher {
    void publish(String deviceId, byte[] signedChallenge);
  }

  private final GpuChallengeStore store;
  private final GpuProofRules rules;
  private final DeviceSigner key;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final ScheduledExecutorService thread;
  private volatile Publisher publisher = (d, b) -> {};
  private final AtomicLong nextId;

  // All state below is touched on the service thread only (or under synchronized for tick()).
  private final Map<String, Pending> pendingByDevice = new ConcurrentHashMap<>();
  private final Map<String, Long> nextAt = new ConcurrentHashMap<>();
  private final Map<String, Long> lastReportAt = new ConcurrentHashMap<>();
  private final Map<String, Integer> nextGpu = new ConcurrentHashMap<>();
  private final Map<String, byte[]> mailbox = new ConcurrentHashMap<>();
  private final Set<String> unclassified = ConcurrentHashMap.newKeySet();

  private final LongAdder issued = new LongAdder();
  private final LongAdder opened = new LongAdder();
  private final LongAdder deferred = new LongAdder();
  private final LongAdder polls = new LongAdder();
  private final Map<String, LongAdder> checked = new ConcurrentHashMap<>();

  /** One challenge awaiting its answers. */
  private static final class Pending {
    ChallengeRecord record;
    byte[] root;
    Set<Long> tiles = Set.of();
    Set<Long> blocks = Set.of();
    boolean checked;

    Pending(ChallengeRecord record) {
      this.record = record;
    }
  }

  public ChallengeService(GpuChallengeStore store, GpuProofRules rules, DeviceSigner coordinatorKey, Clock clock) {
    this.store = store;
    this.rules = rules;
    this.key = coordinatorKey;
    this.clock = clock;
    this.nextId = new AtomicLong(store.lastId());
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-gpu-challenges");
      t.setDaemon(true);
      return t;
    });
    reloadPending(); // a restart: keep serving what is still open
  }

  /** The challenges still open, from the database: after a restart, or when a cluster node takes the role. */
  private void reloadPending() {
    for (ChallengeRecord c : store.pending(clock.millis())) {
      pendingByDevice.put(c.deviceId(), pending(c, store.row(c.id()).map(GpuChallengeStore.ChallengeRow::root).orElse(null)));
    }
  }

  /** A challenge's state from its record and stored root: opened when both the open time and the root are stored. */
  private static Pending pending(ChallengeRecord c, byte[] root) {
    Pending p = new Pending(c);
    if (c.openIssuedAt() != null && root != null) {
      p.root = root;
      p.tiles = new HashSet<>(OpenSelection.tiles(c.openSeed(), root, c.openedTiles(), c.parameters().leaves()));
      p.blocks = new HashSet<>(OpenSelection.probeBlocks(c.openSeed(), root, c.probeReads(), c.parameters().probeBlocks()));
    }
    return p;
  }

  public GpuProofRules rules() {
    return rules;
  }

  public void publishWith(Publisher p) {
    this.publisher = p;
  }

  private volatile java.util.function.BooleanSupplier role = () -> true;
  /** A cluster node's: answers are matched and judged from the stored challenge rows. */
  private volatile boolean cluster;
  private boolean holding = true; // whether the last roleTick held the role (guarded by this)
  private long onlineReadAt; // a cluster holder's last read of when devices reported (nanoTime; guarded by this)
  private boolean onlineRead; // guarded by this
  /** How often the cluster node issuing challenges reads which GPU devices reported to any node. */
  private static final long ONLINE_REREAD_NANOS = 5_000_000_000L;

  /**
   * Makes this a cluster node's service (docs/scale-out.md): it issues and expires challenges only
   * while {@code role} says this node holds the epochs role, so that devices are challenged by one
   * node, and it takes answers to any node's challenges, judged from the stored rows.
   */
  public ChallengeService role(java.util.function.BooleanSupplier role) {
    this.role = java.util.Objects.requireNonNull(role, "role");
    this.cluster = true;
    return this;
  }

  /** Ticks every {@code pollMs} on the service thread. */
  public ChallengeService start(long pollMs) {
    thread.scheduleWithFixedDelay(() -> {
      try {
        roleTick();
      } catch (RuntimeException e) {
        LOG.warn("GPU challenges: {}", e.toString());
      }
    }, pollMs, pollMs, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * {@link #tick()} while this node holds the role. A cluster node that loses it forgets its
   * challenges in flight (the new holder expires them); one that takes it reads the challenges
   * still open from the database, as a restarted coordinator does.
   */
  synchronized void roleTick() {
    if (!role.getAsBoolean()) {
      if (holding && cluster) {
        pendingByDevice.clear();
        nextAt.clear();
        mailbox.clear();
      }
      holding = false;
      return;
    }
    if (!holding) {
      reloadPending(); // the id goes past the stored ones at each issue (issue)
      holding = true;
    }
    tick();
  }

  /** Expires what is over and issues what is due, by the clock. */
  public synchronized void tick() {
    if (!rules.enabled()) {
      return;
    }
    long now = clock.millis();
    for (Pending p : List.copyOf(pendingByDevice.values())) {
      if (p.record.expiresAt() < now) {
        pendingByDevice.remove(p.record.deviceId(), p);
        mailbox.remove(p.record.deviceId());
        if (cluster) {
          expireFromStore(p);
        } else if (!p.checked) {
          check(p); // no (complete) answer in time: the live check says what is missing
        }
        nextAt.put(p.record.deviceId(), p.record.expiresAt() + pause());
      }
    }
    if (cluster && (!onlineRead || System.nanoTime() - onlineReadAt >= ONLINE_REREAD_NANOS)) {
      store.lastReceived().forEach((d, at) -> lastReportAt.merge(d, at, Math::max)); // reports that reached other nodes
      onlineReadAt = System.nanoTime();
      onlineRead = true;
    }
    for (String device : store.activeGpuDevices()) {
      Long seen = lastReportAt.get(device);
      if (seen == null || now - seen > rules.onlineWindow().toMillis() || pendingByDevice.containsKey(device)) {
        continue;
      }
      long due = nextAt.computeIfAbsent(device, d -> now + pause());
      if (due > now) {
        continue;
      }
      if (pendingByDevice.size() >= rules.maxInFlight()) {
        deferred.increment();
        continue;
      }
      issue(device, now);
    }
  }

  /** A cluster holder's expiry: the check only if no node stored one, judged from the stored record (another node may have opened it). */
  private void expireFromStore(Pending p) {
    Optional<GpuChallengeStore.ChallengeRow> row = store.row(p.record.id());
    if (row.isPresent() && row.get().liveStatus() == null) {
      check(pending(row.get().record(), row.get().root()));
    }
  }

  private long pause() {
    long min = rules.minInterval().toMillis();
    long span = rules.maxInterval().toMillis() - min;
    return min + (span <= 0 ? 0 : (long) (random.nextDouble() * (span + 1)));
  }

  private void issue(String device, long now) {
    OptionalLong reg = store.registrationTime(device);
    if (reg.isEmpty()) {
      return;
    }
    Optional<GpuFingerprint.Pin> pin = store.pinOf(device, reg.getAsLong());
    if (pin.isEmpty() || pin.get().fingerprint().gpus().isEmpty()) {
      return;
    }
    List<GpuFingerprint.Card> gpus = pin.get().fingerprint().gpus();
    int index = Math.floorMod(nextGpu.merge(device, 1, Integer::sum) - 1, gpus.size());
    GpuFingerprint.Card card = gpus.get(index);
    GpuClass cls = rules.classFor(card.model());
    if (cls == null) {
      if (unclassified.add(device + card.model())) {
        LOG.warn("GPU challenges: no class in gpu_proofs.classes matches '{}' of {}; it is not challenged", card.model(), device);
      }
      nextAt.put(device, now + pause());
      return;
    }
    long probeMib = Math.min(cls.maxProbeMib(), (long) Math.floor(rules.probeFraction() * card.memoryMib()));
    byte[] seed = new byte[32];
    byte[] openSeed = new byte[32];
    random.nextBytes(seed);
    random.nextBytes(openSeed);
    ProofParameters params;
    try {
      params = new ProofParameters(seed, cls.n(), cls.tile(), cls.matrices(), Math.max(0, probeMib) << 20);
    } catch (IllegalArgumentException e) {
      LOG.warn("GPU challenges: class {} gives no valid challenge: {}", cls.name(), e.getMessage());
      nextAt.put(device, now + pause());
      return;
    }
    if (cluster) {
      nextId.accumulateAndGet(store.lastId(), Math::max); // a node that held the role before may have issued more
    }
    long id = nextId.incrementAndGet();
    ChallengeRecord rec = new ChallengeRecord(id, device, card.uuid(), cls.name(), params, openSeed, rules.openedTiles(), rules.probeReads(),
        now, rules.commitDeadlineMs(cls), rules.tooFastMs(cls), rules.openDeadline().toMillis(), cls.units(), null);
    Challenge c = Challenge.newBuilder().setChallengeId(id).setDeviceId(ByteString.copyFrom(DeviceId.parse(device).toBytes()))
        .setIssuedAtMs(now).setWork(MatmulChallenge.newBuilder().setSeed(ByteString.copyFrom(seed)).setN(cls.n()).setTile(cls.tile())
            .setMatrices(cls.matrices()).setGpuUuid(card.uuid()).setCommitDeadlineMs(rec.commitDeadlineMs())
            .setOpenDeadlineMs(rec.openDeadlineMs()).setProbeBytes(params.probeBytes()).setGpuClass(cls.name()))
        .build();
    byte[] signed = Challenges.sign(c, key);
    store.insert(rec, signed);
    pendingByDevice.put(device, new Pending(rec));
    if (!cluster) {
      mailbox.put(device, signed);
    }
    issued.increment();
    LOG.info("GPU challenge {} to {}: class {}, {}, commit within {} ms", id, device, cls.name(), params.describe(), rec.commitDeadlineMs());
    publisher.publish(device, signed);
  }

  /** Tells the service about an accepted (committed) envelope; GPU ones are acted on, on the service thread. */
  public void accepted(String deviceId, byte[] hash, long receivedAt, Telemetry t) {
    if (t.getPayloadCase() != Telemetry.PayloadCase.GPU) {
      return;
    }
    thread.execute(() -> {
      try {
        onGpu(deviceId, hash, receivedAt, t.getGpu());
      } catch (RuntimeException e) {
        LOG.warn("GPU challenges: handling a report of {} failed: {}", deviceId, e.toString());
      }
    });
  }

  private synchronized void onGpu(String deviceId, byte[] hash, long receivedAt, GpuReport r) {
    if (r.getGpusCount() > 0) {
      lastReportAt.merge(deviceId, receivedAt, Math::max);
      OptionalLong reg = store.registrationTime(deviceId);
      if (reg.isPresent() && store.pinIfAbsent(deviceId, reg.getAsLong(), GpuFingerprint.of(r), receivedAt, hash)) {
        LOG.info("GPU fingerprint of {} pinned: {}", deviceId, GpuFingerprint.of(r).canonical());
      }
    }
    if (!r.hasProof()) {
      return;
    }
    GpuProof proof = r.getProof();
    Pending p;
    if (cluster) {
      // any node's challenge, in the state the database holds (another node may have opened it)
      Optional<GpuChallengeStore.ChallengeRow> row = store.row(proof.getChallengeId());
      if (row.isEmpty() || !row.get().record().deviceId().equals(deviceId) || row.get().liveStatus() != null) {
        return; // unknown, another device's, or already checked: the epoch's validator judges the envelope
      }
      p = pending(row.get().record(), row.get().root());
    } else {
      p = pendingByDevice.get(deviceId);
      if (p == null || p.record.id() != proof.getChallengeId() || p.checked) {
        return; // late, unknown or already checked: the epoch's validator judges the envelope
      }
    }
    if (proof.hasCommitment() && p.root == null) {
      byte[] root = proof.getCommitment().getRoot().toByteArray();
      if (root.length != 32 || receivedAt - p.record.issuedAt() > p.record.commitDeadlineMs()) {
        check(p); // malformed or late: no openings to ask for
        return;
      }
      open(p, root);
    } else if (proof.hasFailure() || (proof.hasOpening() && p.root != null && complete(p))) {
      check(p);
    }
  }

  private void open(Pending p, byte[] root) {
    ChallengeRecord c = p.record;
    ProofParameters params = c.parameters();
    List<Long> tiles = OpenSelection.tiles(c.openSeed(), root, c.openedTiles(), params.leaves());
    List<Long> blocks = OpenSelection.probeBlocks(c.openSeed(), root, c.probeReads(), params.probeBlocks());
    long now = clock.millis();
    Challenge msg = Challenge.newBuilder().setChallengeId(c.id()).setDeviceId(ByteString.copyFrom(DeviceId.parse(c.deviceId()).toBytes()))
        .setIssuedAtMs(now).setOpen(OpenRequest.newBuilder().setRoot(ByteString.copyFrom(root)).addAllTiles(tiles).addAllProbeBlocks(blocks))
        .build();
    byte[] signed = Challenges.sign(msg, key);
    if (!store.recordOpen(c.id(), now, root, signed)) {
      LOG.debug("GPU challenge {} was opened by another cluster node", c.id());
      return; // the stored open request stands (and was sent by the node that stored it)
    }
    p.record = c.withOpenIssuedAt(now);
    p.root = root;
    p.tiles = new HashSet<>(tiles);
    p.blocks = new HashSet<>(blocks);
    if (!cluster) {
      mailbox.put(c.deviceId(), signed);
    }
    opened.increment();
    publisher.publish(c.deviceId(), signed);
  }

  /** Whether the stored answers hold every named tile and block. */
  private boolean complete(Pending p) {
    Set<Long> tiles = new HashSet<>();
    Set<Long> blocks = new HashSet<>();
    for (Evidence e : store.responses(p.record)) {
      GpuProof proof = e.telemetry().getGpu().getProof();
      if (proof.hasOpening()) {
        proof.getOpening().getTilesList().forEach(t -> tiles.add(t.getIndex()));
        proof.getOpening().getProbeReadsList().forEach(b -> blocks.add(b.getBlock()));
      }
    }
    return tiles.containsAll(p.tiles) && blocks.containsAll(p.blocks);
  }

  /** The live check: the same judgment the epoch makes, from the stored records. */
  private void check(Pending p) {
    p.checked = true;
    mailbox.remove(p.record.deviceId());
    long t0 = System.nanoTime();
    ChallengeVerdict v = ChallengeJudge.judge(p.record, store.responses(p.record), rules.verify());
    long micros = (System.nanoTime() - t0) / 1000;
    if (!store.recordLiveOnce(v)) {
      LOG.debug("GPU challenge {} was checked already (by another cluster node, or before a restart)", p.record.id());
      return; // its check stands (and the epoch decides again from the records)
    }
    checked.computeIfAbsent(v.status() + "/" + v.reason(), k -> new LongAdder()).increment();
    LOG.info("GPU challenge {} of {}: {} {} ({} us): {}", p.record.id(), p.record.deviceId(), v.status(), v.reason(), micros, v.explanation());
  }

  /** The signed message waiting for a device (CoAP poll), if any. */
  public Optional<byte[]> waitingFor(String deviceId) {
    polls.increment();
    if (cluster) {
      return store.waitingFor(deviceId, clock.millis()); // the node a device polls may not be the one that sent its messages
    }
    return Optional.ofNullable(mailbox.get(deviceId));
  }

  public long issuedCount() {
    return issued.sum();
  }

  public long openedCount() {
    return opened.sum();
  }

  /** Devices due for a challenge that waited because max_in_flight challenges were out. */
  public long deferredCount() {
    return deferred.sum();
  }

  public long pollCount() {
    return polls.sum();
  }

  public int inFlight() {
    return pendingByDevice.size();
  }

  /** Live checks by "STATUS/REASON". */
  public long checkedCount(String statusReason) {
    LongAdder a = checked.get(statusReason);
    return a == null ? 0 : a.sum();
  }

  /** Every "STATUS/REASON" a live check can give. */
  public static List<String> outcomes() {
    List<String> out = new java.util.ArrayList<>();
    out.add("VALID/" + WorkReason.OK);
    out.add("VOID/" + WorkReason.NOT_OPENED);
    for (String r : List.of(WorkReason.TIMEOUT, WorkReason.TOO_FAST, WorkReason.BAD_COMMITMENT, WorkReason.WRONG_TILE,
        WorkReason.INCOMPLETE_OPENING, WorkReason.MEMORY_MISMATCH, WorkReason.PROVER_FAILED)) {
      out.add("INVALID/" + r);
    }
    return out;
  }

  /** Waits until events handed in so far are handled (tests). */
  public void awaitIdle() throws InterruptedException {
    java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
    thread.execute(l::countDown);
    l.await(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
