package dev.popw.coordinator.store;

import dev.popw.identity.DeviceId;

/** A registered device. */
public record DeviceRecord(DeviceId id, String owner, int kind, boolean active, Double latitude, Double longitude,
    Long h3Cell, long registeredAt) {}
