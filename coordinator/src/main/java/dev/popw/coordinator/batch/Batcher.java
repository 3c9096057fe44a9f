package dev.popw.coordinator.batch;

import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals accepted envelopes into batches, by count or by time, whichever comes first. Envelopes
 * carry their batch id from the moment they are written ({@link BatchAssigner}, which also tells
 * the batcher when a batch is full); sealing builds the Merkle tree, stores the batch row, then
 * hands the batch to the {@link Settlement}. Also answers proof queries, rebuilding a batch's tree from the
 * database (a few recent trees are cached) in the layout its stored root was built with.
 */
public final class Batcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Batcher.class);

  private final Store store;
  private final Settlement settlement;
  private final Clock clock;
  private final int maxEnvelopes;
  private final Duration maxAge;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final Map<Long, Function<byte[], List<byte[]>>> trees = new LinkedHashMap<>(8, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Function<byte[], List<byte[]>>> e) {
      return size() > 8;
    }
  };
  private final Thread thread;
  private final BatchAssigner assigner;
  private final java.util.function.BooleanSupplier sealerRole;
  private boolean heldRole; // the clustered thread's, and sealAll's under this
  private volatile java.util.function.Consumer<SealedBatch> onSealed = b -> {};
  private volatile boolean running = true;
  private boolean batchFull;
  private long lastSealed;

  public Batcher(Store store, Settlement settlement, Clock clock, int maxEnvelopes, Duration maxAge) {
    this(store, settlement, clock, maxEnvelopes, maxAge, null);
  }

  /**
   * A batcher for one node of a cluster when {@code sealerRole} is given (docs/scale-out.md):
   * envelopes are written with no batch id ({@link #assigner()} is null) and this node seals them
   * only while {@code sealerRole} says it holds the sealing role, each batch in one transaction
   * ({@link dev.popw.coordinator.store.BatchStore#sealUnbatched}).
   */
  public Batcher(Store store, Settlement settlement, Clock clock, int maxEnvelopes, Duration maxAge,
      java.util.function.BooleanSupplier sealerRole) {
    if (maxEnvelopes < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + maxEnvelopes);
    }
    this.store = store;
    this.settlement = settlement;
    this.clock = clock;
    this.maxEnvelopes = maxEnvelopes;
    this.maxAge = maxAge;
    this.sealerRole = sealerRole;
    if (sealerRole != null) {
      this.assigner = null;
      this.thread = new Thread(this::runClustered, "popw-batcher");
      thread.setDaemon(true);
      thread.start();
      return;
    }
    this.lastSealed = store.batches().maxSealedBatchId();
    long open = Math.max(lastSealed + 1, store.batches().maxAssignedBatchId());
    int adopted = store.batches().adoptUnassigned(open);
    if (adopted > 0) {
      LOG.info("{} envelopes without a batch id joined batch {}", adopted, open);
    }
    this.assigner = new BatchAssigner(open, (int) Math.min(Integer.MAX_VALUE, store.batches().countInBatch(open)), maxEnvelopes, this::full);
    this.thread = new Thread(this::run, "popw-batcher");
    thread.setDaemon(true);
    thread.start();
  }

  /** The sealing loop of a cluster node: seals while it holds the role, a full batch at once, the rest by age. */
  private void runClustered() {
    long nextTimed = clock.millis() + maxAge.toMillis();
    while (running) {
      try {
        lock.lock();
        try {
          wake.awaitNanos(Math.min(CLOCK_POLL_NANOS * 2, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
              Math.max(1, nextTimed - clock.millis()))));
        } finally {
          lock.unlock();
        }
        if (!running) {
          return;
        }
        if (!sealerRole.getAsBoolean()) {
          synchronized (this) {
            heldRole = false;
          }
          continue;
        }
        if (store.batches().countUnbatched(maxEnvelopes) >= maxEnvelopes) {
          sealClustered(true);
        } else if (clock.millis() >= nextTimed) {
          sealClustered(false);
          nextTimed = clock.millis() + maxAge.toMillis();
        }
      } catch (InterruptedException e) {
        if (running) {
          Thread.currentThread().interrupt();
        }
        return;
      } catch (RuntimeException e) {
        LOG.error("sealing a batch failed; retrying: {}", e.getMessage());
      }
    }
  }

  /** Seals full batches (all unbatched envelopes unless {@code fullOnly}) on a cluster's schema. */
  private synchronized List<SealedBatch> sealClustered(boolean fullOnly) {
    if (!heldRole) {
      store.batches().syncBatchIds(); // the role is new here: ids are this node's to hand out now
      heldRole = true;
    }
    List<SealedBatch> sealed = new java.util.ArrayList<>();
    while (!fullOnly || store.batches().countUnbatched(maxEnvelopes) >= maxEnvelopes) {
      Optional<SealedBatch> b = store.batches().sealUnbatched(maxEnvelopes, clock.millis(), hashes -> MerkleTree.of(hashes).root());
      if (b.isEmpty()) {
        break;
      }
      SealedBatch batch = b.get();
      settlement.submit(batch);
      onSealed.accept(batch);
      sealed.add(batch);
      if (batch.envelopeCount() < maxEnvelopes) {
        break; // that was all
      }
    }
    return sealed;
  }

  /** What the ingest pipeline's database writer uses to give envelopes their batch ids; null on a cluster's schema. */
  public BatchAssigner assigner() {
    return assigner;
  }

  private void full() {
    lock.lock();
    try {
      batchFull = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Called with each sealed batch (metrics, events). */
  public void onSealed(java.util.function.Consumer<SealedBatch> listener) {
    this.onSealed = listener;
  }

  /** How often the sealing thread looks at the clock for the age limit (the clock decides, not this). */
  private static final long CLOCK_POLL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);

  private void run() {
    long nextTimed = clock.millis() + maxAge.toMillis();
    while (running) {
      try {
        boolean full;
        lock.lock();
        try {
          while (running && !batchFull && clock.millis() < nextTimed) {
            wake.awaitNanos(Math.min(CLOCK_POLL_NANOS, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
                Math.max(1, nextTimed - clock.millis()))));
          }
          full = batchFull;
          batchFull = false;
        } finally {
          lock.unlock();
        }
        if (!running) {
          return;
        }
        if (full) {
          seal(true);
        } else {
          seal(false);
          nextTimed = clock.millis() + maxAge.toMillis();
        }
      } catch (InterruptedException e) {
        if (running) {
          Thread.currentThread().interrupt();
        }
        return;
      } catch (RuntimeException e) {
        LOG.error("sealing a batch failed; retrying at the next interval: {}", e.getMessage());
      }
    }
  }

  /** Seals everything waiting, in batches of at most the configured size. Returns what it sealed. */
  public List<SealedBatch> sealAll() {
    if (sealerRole != null) {
      return sealClustered(false);
    }
    return seal(false);
  }

  /**
   * Seals every closed batch not sealed yet, in id order; unless {@code fullOnly}, first closes the
   * open batch (the timer and {@link #sealAll}). Waits for the writer to commit the batches' rows.
   */
  private synchronized List<SealedBatch> seal(boolean fullOnly) {
    List<SealedBatch> sealed = new java.util.ArrayList<>();
    long upTo = fullOnly ? assigner.highestClosed() : assigner.close();
    try {
      assigner.awaitCommitted(upTo);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return sealed;
    }
    for (long id = lastSealed + 1; id <= upTo; id++) {
      List<byte[]> hashes = store.batches().batchHashes(id);
      if (hashes.isEmpty()) {
        lastSealed = id; // every write for it failed; the id stays unused
        continue;
      }
      MerkleTree tree = MerkleTree.of(hashes);
      SealedBatch batch = store.batches().insertBatch(id, tree.root(), hashes.size(), clock.millis());
      lastSealed = id;
      synchronized (trees) {
        trees.put(batch.id(), tree::proof);
      }
      settlement.submit(batch);
      onSealed.accept(batch);
      sealed.add(batch);
    }
    return sealed;
  }

  /** The Merkle proof of an envelope, once its batch is sealed. */
  public Optional<InclusionProof> proof(byte[] envelopeHash) {
    Optional<SealedBatch> batch = store.batches().batchOf(envelopeHash);
    if (batch.isEmpty()) {
      return Optional.empty();
    }
    long id = batch.get().id();
    Function<byte[], List<byte[]>> tree;
    synchronized (trees) {
      tree = trees.get(id);
    }
    if (tree == null) {
      tree = rebuild(batch.get(), store.batches().batchHashes(id));
      synchronized (trees) {
        trees.put(id, tree);
      }
    }
    return Optional.of(new InclusionProof(batch.get(), tree.apply(envelopeHash)));
  }

  /**
   * A sealed batch's tree rebuilt from its stored envelope hashes, in the layout that gave its stored
   * root: OpenZeppelin's ({@link MerkleTree}) or, for a batch sealed by an older coordinator, the
   * legacy one ({@link LegacyMerkleTree}), so that its proofs verify against the root it committed.
   * Returns the tree's proof function.
   *
   * @throws IllegalStateException if neither layout gives the stored root (the stored hashes or the
   *     root were changed): a proof would not verify, so none is given
   */
  static Function<byte[], List<byte[]>> rebuild(SealedBatch batch, List<byte[]> hashes) {
    if (!hashes.isEmpty()) {
      MerkleTree tree = MerkleTree.of(hashes);
      if (Arrays.equals(tree.root(), batch.merkleRoot())) {
        return tree::proof;
      }
      LegacyMerkleTree legacy = LegacyMerkleTree.of(hashes);
      if (Arrays.equals(legacy.root(), batch.merkleRoot())) {
        LOG.debug("batch {} was sealed with the legacy tree layout; its proofs use it", batch.id());
        return legacy::proof;
      }
    }
    throw new IllegalStateException("batch " + batch.id() + ": its stored root is the root of neither tree layout over its "
        + hashes.size() + " stored envelopes (" + batch.envelopeCount() + " when sealed)");
  }

  /**
   * Stops the timer thread without interrupting it: an interrupt during file I/O closes the
   * embedded database's file channel (ClosedByInterruptException).
   */
  @Override
  public void close() {
    running = false;
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
