package dev.popw.coordinator.validation;

/**
 * Entropy the coordinator issued (and signed and published): evidence like an envelope, stored
 * with its issue time on the coordinator's clock.
 *
 * @param value the 32 random bytes
 * @param issuedAtMs coordinator clock when issued
 * @param expiresAtMs a beacon report carrying it must be received before this
 */
public record IssuedEntropy(long sequence, byte[] value, long issuedAtMs, long expiresAtMs) {}
