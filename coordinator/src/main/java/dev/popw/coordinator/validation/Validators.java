package dev.popw.coordinator.validation;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** One validator per kind of work (a kind without one gets no verdicts). Immutable. */
public final class Validators {
  private final Map<WorkKind, WorkValidator> byKind;

  private Validators(Map<WorkKind, WorkValidator> byKind) {
    this.byKind = Collections.unmodifiableMap(new EnumMap<>(byKind));
  }

  /**
   * These validators, one per kind (a later one replaces an earlier one of its kind). The
   * coordinator's defaults are {@code dev.popw.coordinator.epoch.DefaultValidators#of}.
   */
  public static Validators of(WorkValidator... validators) {
    Map<WorkKind, WorkValidator> m = new EnumMap<>(WorkKind.class);
    for (WorkValidator v : validators) {
      m.put(v.kind(), v);
    }
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

  /** The longest look-back of any validator. */
  public java.time.Duration lookback() {
    java.time.Duration d = java.time.Duration.ZERO;
    for (WorkValidator v : byKind.values()) {
      if (v.lookback().compareTo(d) > 0) {
        d = v.lookback();
      }
    }
    return d;
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
