package dev.popw.coordinator.store;

/** A rejected envelope: why, and what we could read of it. Nullable fields where parsing failed. */
public record RejectionRecord(String deviceId, Long sequence, byte[] hash, String reason, String detail, long receivedAt,
    byte[] envelope, byte[] conflictsWith) {}
