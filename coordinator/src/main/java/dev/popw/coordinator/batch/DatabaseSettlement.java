package dev.popw.coordinator.batch;

import dev.popw.coordinator.store.SealedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps batches in the database only (status SEALED); for development and until a chain is configured. */
public final class DatabaseSettlement implements Settlement {
  private static final Logger LOG = LoggerFactory.getLogger(DatabaseSettlement.class);

  @Override
  public void submit(SealedBatch batch) {
    LOG.info("batch {} sealed: {} envelopes, root 0x{} (database settlement: not sent to a chain)",
        batch.id(), batch.envelopeCount(), java.util.HexFormat.of().formatHex(batch.merkleRoot()));
  }

  @Override
  public String name() {
    return "database";
  }
}
