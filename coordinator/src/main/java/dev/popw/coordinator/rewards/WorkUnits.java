package dev.popw.coordinator.rewards;

/** A device's reward units in one pool for an epoch, from its verdicts, with how they came about. */
public record WorkUnits(String deviceId, Pool pool, double units, String explanation) {}
