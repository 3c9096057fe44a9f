package dev.popw.coordinator.epoch;

import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.store.VerdictStore;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.EpochResult;
import dev.popw.coordinator.validation.Validators;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes epochs: when the injected clock passes an epoch's end plus the close delay, snapshots the
 * registry for it, runs every validator over its stored evidence, stores verdicts, summaries and
 * hashes in one transaction, and tells the listeners. What it decides depends only on the
 * clock's readings, never on how often {@link #tick()} runs.
 *
 * <p>{@link #revalidate(long)} recomputes a closed epoch from the stored evidence, the stored
 * registry snapshot and the current validators, and compares the hashes: the audit of the work layer.
 */
public final class EpochManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EpochManager.class);
  /** At most this many empty epochs are recorded in a row; longer silences are skipped. */
  static final int MAX_EMPTY_RUN = 1000;

  private final VerdictStore store;
  private final Validators validators;
  private final EpochSchedule schedule;
  private final Clock clock;
  private final List<Consumer<EpochRecord>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private Long next; // the next epoch to close, once known; guarded by lock
  private Thread thread;
  private volatile boolean running;

  public EpochManager(VerdictStore store, Validators validators, EpochSchedule schedule, Clock clock) {
    this.store = store;
    this.validators = validators;
    this.schedule = schedule;
    this.clock = clock;
  }

  public EpochSchedule schedule() {
    return schedule;
  }

  public Validators validators() {
    return validators;
  }

  /** Called after each epoch is closed and stored. */
  public void onClosed(Consumer<EpochRecord> listener) {
    listeners.add(listener);
  }

  /** The epoch the clock is in now. */
  public long currentEpoch() {
    return schedule.epochOf(clock.millis());
  }

  private volatile java.util.function.BooleanSupplier role = () -> true;

  /**
   * On a cluster node: the background thread closes epochs (and what hangs off closing them) only
   * while {@code role} says this node holds the epoch role (docs/scale-out.md). Where the last
   * holder stopped is read from the database when the role comes back.
   */
  public EpochManager role(java.util.function.BooleanSupplier role) {
    this.role = java.util.Objects.requireNonNull(role, "role");
    return this;
  }

  /** Checks the clock every {@code pollMs} in a daemon thread. */
  public EpochManager start(long pollMs) {
    running = true;
    thread = new Thread(() -> {
      while (running) {
        try {
          if (role.getAsBoolean()) {
            tick();
          } else {
            synchronized (lock) {
              next = null; // another node closes epochs meanwhile: read where it got to when the role comes back
            }
          }
        } catch (RuntimeException e) {
          LOG.error("closing an epoch failed; retrying: {}", e.getMessage());
        }
        try {
          Thread.sleep(pollMs);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "popw-epochs");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Closes every epoch whose close time the clock has passed. Returns what it closed. */
  public List<EpochRecord> tick() {
    synchronized (lock) {
      long now = clock.millis();
      List<EpochRecord> closed = new java.util.ArrayList<>();
      if (next != null && schedule.closesAt(next) > now) {
        return closed; // nothing due: no database query (this runs every second)
      }
      if (next == null) {
        Optional<Long> last = store.lastClosed();
        if (last.isPresent()) {
          next = last.get() + 1;
        } else {
          Optional<Long> first = store.firstReceiptAtOrAfter(Long.MIN_VALUE);
          if (first.isEmpty()) {
            return closed; // no evidence yet: nothing to close, and the first envelope may come any time
          }
          next = schedule.epochOf(first.get());
        }
      }
      int emptyRun = 0;
      while (schedule.closesAt(next) <= now) {
        if (emptyRun >= MAX_EMPTY_RUN) {
          Optional<Long> upcoming = store.firstReceiptAtOrAfter(schedule.startOf(next));
          long resume = Math.min(upcoming.map(schedule::epochOf).orElse(Long.MAX_VALUE), schedule.epochOf(now));
          if (resume > next) {
            LOG.info("no evidence in epochs {} to {}: not recording them one by one", next, resume - 1);
            next = resume;
            emptyRun = 0;
            continue;
          }
        }
        EpochRecord rec = close(next, now);
        closed.add(rec);
        emptyRun = rec.envelopes() == 0 ? emptyRun + 1 : 0;
        next = next + 1;
      }
      return closed;
    }
  }

  /**
   * Deletes a closed epoch's verdicts, summaries and record (its registry snapshot stays), so the
   * next {@link #tick()} closes it again from the stored evidence: a repair, and what the
   * re-validation tests do.
   */
  public void reopen(long epoch) {
    synchronized (lock) {
      store.deleteResults(epoch);
      next = null;
    }
  }

  private EpochRecord close(long epoch, long now) {
    long start = schedule.startOf(epoch);
    long end = schedule.endOf(epoch);
    long t0 = System.nanoTime();
    // the snapshot also covers the devices of the validators' look-back (coverage: earlier beacons)
    store.snapshotRegistry(epoch, start - validators.lookback().toMillis(), end);
    long t1 = System.nanoTime();
    EpochResult r = EpochResult.compute(store.evidence(epoch, start, end), validators);
    long t2 = System.nanoTime();
    EpochRecord rec = store.saveClosed(r, start, end, now);
    long t3 = System.nanoTime();
    if (rec.envelopes() > 0) {
      LOG.info("epoch {} closed: {} verdicts ({} valid, {} invalid) in {} ms (registry snapshot {}, evidence and validation {},"
          + " storing {}), verdict-set hash 0x{}", epoch, rec.envelopes(), rec.valid(), rec.invalid(), (t3 - t0) / 1_000_000,
          (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, java.util.HexFormat.of().formatHex(rec.verdictSetHash()));
    }
    for (Consumer<EpochRecord> l : listeners) {
      try {
        l.accept(rec);
      } catch (RuntimeException e) {
        LOG.warn("an epoch listener failed: {}", e.toString());
      }
    }
    return rec;
  }

  /** Recomputes a closed epoch from its stored evidence. */
  public EpochResult recompute(long epoch) {
    return EpochResult.compute(evidence(epoch), validators);
  }

  /** The stored evidence of an epoch, with its stored registry snapshot. */
  public EpochEvidence evidence(long epoch) {
    return store.evidence(epoch, schedule.startOf(epoch), schedule.endOf(epoch));
  }

  /** The outcome of re-validating a closed epoch. */
  public record Audit(long epoch, boolean matches, byte[] storedHash, byte[] recomputedHash, boolean storedVerdictsMatch,
      boolean parametersMatch) {}

  /**
   * Re-runs validation over a closed epoch's stored evidence and compares: the recomputed
   * verdict-set hash with the recorded one, the stored verdict rows with the recomputed ones
   * (canonical bytes), and the parameters.
   *
   * @throws IllegalArgumentException if the epoch is not closed
   */
  public Audit revalidate(long epoch) {
    EpochRecord rec = store.epoch(epoch).orElseThrow(() -> new IllegalArgumentException("epoch " + epoch + " is not closed"));
    EpochResult again = recompute(epoch);
    EpochResult stored = EpochResult.of(epoch, store.verdicts(epoch), store.summaries(epoch), store.challengeVerdicts(epoch),
        store.parameters(epoch).orElse(""));
    boolean rows = Arrays.equals(EpochResult.encodeVerdicts(epoch, stored.verdicts()), EpochResult.encodeVerdicts(epoch, again.verdicts()))
        && Arrays.equals(EpochResult.encodeChallenges(stored.challenges()), EpochResult.encodeChallenges(again.challenges()));
    boolean hash = Arrays.equals(rec.verdictSetHash(), again.verdictSetHash());
    boolean params = Arrays.equals(rec.parametersHash(), again.parametersHash());
    return new Audit(epoch, hash && rows && params, rec.verdictSetHash(), again.verdictSetHash(), rows, params);
  }

  /** Verdict lookups for the API. */
  public VerdictStore store() {
    return store;
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
