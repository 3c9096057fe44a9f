package dev.popw.coordinator;

import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.EpochRecord;

/**
 * Told when something happened, so later parts (rewards, the explorer) listen instead of
 * re-reading tables on a timer. Called on the coordinator's own threads: return quickly, and do
 * not throw (a listener's exception is logged and ignored).
 */
public interface CoordinatorListener {
  /** An epoch closed: its verdicts are final and stored. */
  default void epochClosed(EpochRecord epoch) {}

  /** A batch was sealed: its root is stored and handed to settlement. */
  default void batchSealed(SealedBatch batch) {}

  /** A batch's commit is confirmed on-chain. */
  default void batchConfirmed(long batchId) {}
}
