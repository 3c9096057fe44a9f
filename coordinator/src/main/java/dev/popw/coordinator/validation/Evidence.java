package dev.popw.coordinator.validation;

import dev.popw.proto.v1.Telemetry;

/**
 * One accepted envelope as a validator sees it: what the device signed, and when the coordinator
 * received it (the recorded receipt time, never the wall clock at validation).
 *
 * @param receivedAt coordinator receipt time, Unix ms; decides the epoch
 * @param deviceTime the device's signed timestamp, Unix ms
 * @param flags ingest flags ({@code AcceptedEnvelope.Flags})
 */
public record Evidence(byte[] hash, String deviceId, long sequence, long deviceTime, long receivedAt, int flags, WorkKind kind,
    Telemetry telemetry) {}
