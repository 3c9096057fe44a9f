package dev.popw.coordinator.batch;

import dev.popw.coordinator.store.SealedBatch;
import java.util.List;

/** An envelope's place in a sealed batch: the batch and the Merkle proof (siblings, leaf first). */
public record InclusionProof(SealedBatch batch, List<byte[]> proof) {}
