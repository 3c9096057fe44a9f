package dev.popw.coordinator.store;

/** A batch the coordinator has sealed: its id, Merkle root and size. */
public record SealedBatch(long id, byte[] merkleRoot, int envelopeCount, long sealedAt) {}
