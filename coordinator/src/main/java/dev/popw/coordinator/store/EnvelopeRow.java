package dev.popw.coordinator.store;

/** An accepted envelope as stored (without its bytes). {@code batchId} is null until sealed. */
public record EnvelopeRow(byte[] hash, String deviceId, long sequence, long deviceTime, long receivedAt, int payloadKind,
    int flags, Long batchId) {}
