package dev.popw.coordinator.batch;

import dev.popw.coordinator.store.SealedBatch;

/**
 * Where sealed batches go. The on-chain implementation commits each Merkle root to an EVM
 * contract; {@link DatabaseSettlement} only keeps them in the coordinator's database.
 */
public interface Settlement extends AutoCloseable {
  /** Takes a newly sealed batch. Must not block for long; chain work happens in the background. */
  void submit(SealedBatch batch);

  /** A short name for logs and the API: {@code database}, {@code evm}. */
  String name();

  /** Called with a batch id when its commit is confirmed (only settlements that confirm call it). */
  default void onConfirmed(java.util.function.LongConsumer listener) {}

  @Override
  default void close() {}
}
