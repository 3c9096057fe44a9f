package dev.popw.coordinator.validation;

import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.coordinator.validation.sensor.SensorValidator;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** One validator per kind of work. Immutable. */
public final class Validators {
  private final Map<WorkKind, WorkValidator> byKind;

  private Validators(Map<WorkKind, WorkValidator> byKind) {
    this.byKind = Collections.unmodifiableMap(new EnumMap<>(byKind));
  }

  /** The defaults: {@link SensorValidator} with the given rules, {@link BoundsValidator} for coverage and GPU. */
  public static Validators defaults(SensorRules sensor) {
    Map<WorkKind, WorkValidator> m = new EnumMap<>(WorkKind.class);
    m.put(WorkKind.SENSOR, new SensorValidator(sensor));
    m.put(WorkKind.COVERAGE, BoundsValidator.coverage());
    m.put(WorkKind.GPU, BoundsValidator.gpu());
    return new Validators(m);
  }

  /** A copy with {@code v} judging its kind. */
  public Validators with(WorkValidator v) {
    Map<WorkKind, WorkValidator> m = new EnumMap<>(byKind);
    m.put(v.kind(), v);
    return new Validators(m);
  }

  public WorkValidator of(WorkKind kind) {
    return byKind.get(kind);
  }

  /** In kind order. */
  public Iterable<WorkValidator> all() {
    return byKind.values();
  }

  /** Every validator's canonical parameters, one per line, in kind order. */
  public String parameters() {
    StringBuilder b = new StringBuilder();
    for (WorkValidator v : byKind.values()) {
      b.append(v.kind()).append(": ").append(v.parameters()).append('\n');
    }
    return b.toString();
  }
}
