package dev.popw.coordinator.rewards;

import dev.popw.coordinator.validation.WorkKind;

/** The reward pools an epoch's emission is split into, one per kind of work (coverage: two). */
public enum Pool {
  SENSOR("sensor", WorkKind.SENSOR),
  COVERAGE_BEACON("coverage_beacon", WorkKind.COVERAGE),
  COVERAGE_WITNESS("coverage_witness", WorkKind.COVERAGE),
  GPU("gpu", WorkKind.GPU);

  private final String key;
  private final WorkKind kind;

  Pool(String key, WorkKind kind) {
    this.key = key;
    this.kind = kind;
  }

  /** The name in settings, the API and exports. */
  public String key() {
    return key;
  }

  public WorkKind kind() {
    return kind;
  }

  public static Pool ofKey(String key) {
    for (Pool p : values()) {
      if (p.key.equals(key)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown reward pool '" + key + "'");
  }
}
