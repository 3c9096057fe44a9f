package dev.popw.coordinator.ingest;

import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.coordinator.store.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for the pipeline: one thread takes whatever is waiting (up to a batch size, or
 * what arrives within a short delay) and writes it in one transaction. Each write's future
 * completes only after its transaction commits: a receipt is never sent for an envelope that is not
 * yet in the database.
 *
 * <p>The futures of a large transaction are completed on {@code completions} (the verify pool), in
 * slices, mostly not on the writer thread: what depends on them (the device state, metrics, the MQTT acknowledgement or CoAP
 * response) then runs beside the next transaction instead of delaying it. The writer is one thread,
 * so everything it does caps the throughput; it does only the database's part (issue 18).
 */
final class BatchWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

  private final Store store;
  private final dev.popw.coordinator.batch.BatchAssigner batches;
  private final GroupWorker<Pending> worker;
  /** Where the futures of a committed transaction are completed; null: on the writer thread. */
  private final java.util.concurrent.Executor completions;
  /** Futures completed by one task of {@link #completions}. */
  static final int COMPLETION_SLICE = 128;

  BatchWriter(Store store, int batchSize, Duration delay, dev.popw.coordinator.batch.BatchAssigner batches) {
    this(store, batchSize, delay, batches, null);
  }

  BatchWriter(Store store, int batchSize, Duration delay, dev.popw.coordinator.batch.BatchAssigner batches,
      java.util.concurrent.Executor completions) {
    this.completions = completions;
    this.store = store;
    this.batches = batches;
    this.worker = new GroupWorker<>("popw-db-writer", batchSize, delay, this::flush);
  }

  /**
   * Queues an accepted envelope. The future completes after the commit with null when this write
   * stored it, or, on a cluster's schema, with the hash of the envelope another node had stored
   * with the same device and sequence (then this one was not written).
   */
  CompletableFuture<byte[]> write(AcceptedEnvelope accepted) {
    Pending p = new Pending(accepted, null);
    worker.add(p);
    return p.done;
  }

  CompletableFuture<byte[]> write(RejectionRecord rejected) {
    Pending p = new Pending(null, rejected);
    worker.add(p);
    return p.done;
  }

  int queueDepth() {
    return worker.size();
  }

  private void flush(List<Pending> batch) {
    List<AcceptedEnvelope> accepted = new ArrayList<>();
    List<RejectionRecord> rejected = new ArrayList<>();
    for (Pending p : batch) {
      if (p.accepted != null) {
        accepted.add(p.accepted);
      } else {
        rejected.add(p.rejected);
      }
    }
    long[] ids = batches == null ? null : batches.begin(accepted.size());
    try {
      byte[][] conflicts = store.envelopes().persist(accepted, ids, rejected);
      if (batches != null) {
        batches.end();
      }
      int i = 0;
      for (Pending p : batch) {
        p.conflict = p.accepted != null ? conflicts[i++] : null;
      }
      complete(batch, null);
    } catch (RuntimeException e) {
      if (batches != null) {
        batches.end();
      }
      LOG.error("database write of {} envelopes failed; devices will resend them: {}", batch.size(), e.getMessage());
      complete(batch, e);
    }
  }

  /**
   * Completes every future of a transaction: a small one here (as fast as it gets when the load is
   * light), a large one in slices on the completion executor, the last slice here.
   */
  private void complete(List<Pending> batch, RuntimeException failure) {
    if (completions == null || batch.size() <= COMPLETION_SLICE) {
      completeSlice(batch, failure);
      return;
    }
    int last = (batch.size() - 1) / COMPLETION_SLICE * COMPLETION_SLICE;
    for (int from = 0; from < last; from += COMPLETION_SLICE) {
      List<Pending> slice = List.copyOf(batch.subList(from, from + COMPLETION_SLICE));
      try {
        completions.execute(() -> completeSlice(slice, failure));
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        completeSlice(slice, failure);
      }
    }
    completeSlice(batch.subList(last, batch.size()), failure);
  }

  private static void completeSlice(List<Pending> slice, RuntimeException failure) {
    for (Pending p : slice) {
      if (failure == null) {
        p.done.complete(p.conflict);
      } else {
        p.done.completeExceptionally(failure);
      }
    }
  }

  /** Writes what is queued and stops; a write queued too late is written here. */
  @Override
  public void close() {
    List<Pending> rest = worker.close(30_000);
    if (!rest.isEmpty()) {
      flush(rest);
    }
  }

  private static final class Pending {
    final AcceptedEnvelope accepted;
    final RejectionRecord rejected;
    final CompletableFuture<byte[]> done = new CompletableFuture<>();
    byte[] conflict; // the stored hash a cluster write found instead of this one; set before done completes

    Pending(AcceptedEnvelope accepted, RejectionRecord rejected) {
      this.accepted = accepted;
      this.rejected = rejected;
    }
  }
}
