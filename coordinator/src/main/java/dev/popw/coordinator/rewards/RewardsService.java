package dev.popw.coordinator.rewards;

import dev.popw.coordinator.chain.ChainException;
import dev.popw.coordinator.epoch.EpochSchedule;
import dev.popw.coordinator.store.DeviceRecord;
import dev.popw.coordinator.store.Store;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes each closed epoch's rewards, in epoch order, and commits the newest root on-chain
 * (docs/rewards.md). The standings (owner, consent, stake) are read once, when an epoch's rewards
 * are first computed, and stored: a recomputation reads the stored ones, like the registry snapshot.
 */
public final class RewardsService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RewardsService.class);

  private final Store store;
  private final RewardStore rewards;
  private final RewardsEngine engine;
  private final EpochSchedule schedule;
  private final String networkId;
  private final RewardsChain chain; // null: rewards are computed and served, not committed
  private final Clock clock;
  private final Slasher slasher;
  private final Object lock = new Object();
  private Thread thread;
  private volatile boolean running;
  private final List<java.util.function.LongConsumer> afterTick = new java.util.concurrent.CopyOnWriteArrayList<>();

  public RewardsService(Store store, RewardSettings settings, EpochSchedule schedule, String networkId, RewardsChain chain, Clock clock) {
    this.store = store;
    this.rewards = new RewardStore(store.dataSource());
    this.engine = new RewardsEngine(settings);
    this.schedule = schedule;
    this.networkId = networkId;
    this.chain = chain;
    this.clock = clock;
    this.slasher = chain == null ? null : new Slasher(store, chain, clock);
  }

  public RewardsEngine engine() {
    return engine;
  }

  public String networkId() {
    return networkId;
  }

  public Optional<RewardsChain> chain() {
    return Optional.ofNullable(chain);
  }

  public RewardStore store() {
    return rewards;
  }

  /** Called at the end of each {@link #tick()} with the newest closed epoch (the data credits' settlement). */
  public void afterTick(java.util.function.LongConsumer c) {
    afterTick.add(c);
  }

  private volatile java.util.function.BooleanSupplier role = () -> true;

  /**
   * On a cluster node: the background thread computes rewards, commits roots, slashes and settles
   * data credits only while {@code role} says this node holds the epoch role (docs/scale-out.md).
   */
  public RewardsService role(java.util.function.BooleanSupplier role) {
    this.role = java.util.Objects.requireNonNull(role, "role");
    return this;
  }

  /** Runs {@link #tick()} every {@code pollMs} in a daemon thread. */
  public RewardsService start(long pollMs) {
    running = true;
    thread = new Thread(() -> {
      while (running) {
        try {
          if (role.getAsBoolean()) {
            tick();
          }
        } catch (RuntimeException e) {
          LOG.warn("rewards: {}; retrying", e.getMessage());
        }
        try {
          Thread.sleep(pollMs);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "popw-rewards");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Computes the rewards of every closed epoch that has none yet, in order, then commits the newest pending root. */
  public List<EpochRewards> tick() {
    List<EpochRewards> done = new ArrayList<>();
    synchronized (lock) {
      Optional<Long> last = store.verdicts().lastClosed();
      if (last.isEmpty()) {
        return done;
      }
      long from = rewards.latest().map(r -> r.epoch() + 1).orElse(Long.MIN_VALUE);
      for (long e : closedEpochs(from, last.get())) {
        done.add(computeAndStore(e));
      }
      commitPending();
      if (slasher != null) {
        slasher.run();
      }
      for (java.util.function.LongConsumer c : afterTick) {
        c.accept(last.get());
      }
    }
    return done;
  }

  private List<Long> closedEpochs(long from, long to) {
    TreeSet<Long> out = new TreeSet<>();
    int offset = 0;
    while (true) {
      var page = store.verdicts().epochs(offset, 500);
      if (page.isEmpty()) {
        break;
      }
      boolean older = false;
      for (var r : page) {
        if (r.epoch() >= from && r.epoch() <= to) {
          out.add(r.epoch());
        } else if (r.epoch() < from) {
          older = true;
        }
      }
      if (older || page.size() < 500) {
        break;
      }
      offset += 500;
    }
    return new ArrayList<>(out);
  }

  private EpochRewards computeAndStore(long epoch) {
    RewardInputs in = inputs(epoch, true);
    EpochRewards r = engine.compute(in);
    String status = chain == null ? "NONE" : r.owners().isEmpty() ? "NONE" : "PENDING";
    rewards.save(r, clock.millis(), status);
    if (chain == null && !r.owners().isEmpty()) {
      rewards.markChain(epoch, "NONE", null, "no chain: the root is served by the API, not committed");
    }
    LOG.info("epoch {} rewards: {} POPW to {} owners ({} unallocated), root 0x{}", epoch,
        RewardSettings.weiToTokens(r.allocated()), r.paid().size(), RewardSettings.weiToTokens(r.unallocated()),
        HexFormat.of().formatHex(r.root()));
    return r;
  }

  /**
   * The inputs of an epoch's rewards: its stored summaries, the standings (stored, or read now and
   * stored when {@code takeStandings} and there are none), the emission, burns and cumulative totals.
   */
  public RewardInputs inputs(long epoch, boolean takeStandings) {
    List<WorkUnits> work = RewardsEngine.workOf(store.verdicts().summaries(epoch), store.verdicts().coverage(epoch));
    if (takeStandings && !rewards.hasStandings(epoch)) {
      rewards.snapshotStandings(epoch, liveStandings(work).values());
    }
    Map<String, Standing> standings = rewards.standings(epoch);
    long tokenEpoch = engine.settings().tokenEpoch(schedule.startOf(epoch), schedule.length().toMillis());
    BigInteger burned = rewards.row(epoch).map(RewardStore.Row::burnedPrevious)
        .orElseGet(() -> chain == null ? BigInteger.ZERO : chain.burned(tokenEpoch - 1));
    return new RewardInputs(epoch, tokenEpoch, engine.settings().emission(tokenEpoch), burned, work, standings,
        rewards.cumulativeUpTo(epoch, false));
  }

  /** Recomputes a stored epoch's rewards from its stored inputs. */
  public EpochRewards recompute(long epoch) {
    return engine.compute(inputs(epoch, false));
  }

  private Map<String, Standing> liveStandings(List<WorkUnits> work) {
    Map<String, Standing> out = new LinkedHashMap<>();
    for (WorkUnits w : work) {
      if (out.containsKey(w.deviceId())) {
        continue;
      }
      Optional<DeviceRecord> d = store.devices().device(w.deviceId());
      String owner = d.map(DeviceRecord::owner).orElse(null);
      boolean active = d.map(DeviceRecord::active).orElse(false);
      boolean consented = owner != null && rewards.consentOwner(w.deviceId()).map(owner::equalsIgnoreCase).orElse(false);
      // the stake is read only where it decides: a minimum stake is set, or it stands in for a missing consent
      boolean needStake = chain != null && owner != null && (engine.settings().minimumStake().signum() > 0 || !consented);
      out.put(w.deviceId(), needStake ? chain.standing(w.deviceId(), owner, active, consented)
          : new Standing(w.deviceId(), owner, active, consented, null, BigInteger.ZERO));
    }
    return out;
  }

  private void commitPending() {
    if (chain == null) {
      return;
    }
    Optional<RewardStore.Row> p = rewards.newestPending();
    if (p.isEmpty()) {
      return;
    }
    RewardStore.Row r = p.get();
    try {
      String tx = chain.commit(r.tokenEpoch(), r.root(), r.totalOwed());
      rewards.markChain(r.epoch(), "COMMITTED", tx, null);
      LOG.info("epoch {} rewards root committed as token epoch {} (tx {})", r.epoch(), r.tokenEpoch(), tx);
    } catch (ChainException e) {
      if (e.retryable() || e.getMessage().contains("EpochNotOver")) {
        rewards.markChain(r.epoch(), "PENDING", null, e.getMessage());
      } else {
        rewards.markChain(r.epoch(), "FAILED", null, e.getMessage());
        LOG.warn("epoch {} rewards root refused by the distributor: {}", r.epoch(), e.getMessage());
      }
    }
  }

  /**
   * Records an owner's consent to a device after checking it.
   *
   * @throws IllegalArgumentException when the device is unknown, the owner is not its registered owner, or the signature is wrong
   */
  public void consent(String deviceId, String owner, byte[] signature) {
    DeviceRecord d = store.devices().device(deviceId).orElseThrow(() -> new IllegalArgumentException("no device " + deviceId));
    if (!d.owner().equalsIgnoreCase(owner)) {
      throw new IllegalArgumentException("device " + deviceId + " is registered to " + d.owner() + ", not " + owner);
    }
    if (!Consent.verify(networkId, deviceId, d.owner(), signature)) {
      throw new IllegalArgumentException("the signature is not " + d.owner() + "'s consent to " + deviceId + " on network " + networkId);
    }
    rewards.saveConsent(deviceId, d.owner(), signature, clock.millis());
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
