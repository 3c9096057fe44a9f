package dev.popw.coordinator.store;

import java.util.Map;

/**
 * A closed epoch as recorded.
 *
 * @param closedAt coordinator clock when it closed (Unix ms)
 * @param verdictSetHash SHA-256 of the canonical verdict set ({@link dev.popw.coordinator.validation.EpochResult})
 * @param byReason verdict counts by "STATUS/REASON", e.g. "INVALID/JUMP"
 */
public record EpochRecord(long epoch, long startMs, long endMs, long closedAt, long envelopes, long valid, long invalid,
    byte[] verdictSetHash, byte[] summaryHash, byte[] parametersHash, Map<String, Long> byReason) {}
