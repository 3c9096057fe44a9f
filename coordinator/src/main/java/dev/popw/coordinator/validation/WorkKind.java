package dev.popw.coordinator.validation;

import dev.popw.proto.v1.Telemetry;

/** The three kinds of physical work, with the payload field that carries each. */
public enum WorkKind {
  SENSOR(Telemetry.PayloadCase.SENSOR),
  COVERAGE(Telemetry.PayloadCase.COVERAGE),
  GPU(Telemetry.PayloadCase.GPU);

  private final Telemetry.PayloadCase payload;

  WorkKind(Telemetry.PayloadCase payload) {
    this.payload = payload;
  }

  /** The Telemetry payload field number, as stored in {@code envelopes.payload_kind}. */
  public int payloadNumber() {
    return payload.getNumber();
  }

  public Telemetry.PayloadCase payload() {
    return payload;
  }

  /** The kind of a stored payload number. */
  public static WorkKind ofPayload(int payloadNumber) {
    for (WorkKind k : values()) {
      if (k.payloadNumber() == payloadNumber) {
        return k;
      }
    }
    throw new IllegalArgumentException("no work kind for payload field " + payloadNumber);
  }
}
