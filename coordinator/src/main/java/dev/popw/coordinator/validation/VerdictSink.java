package dev.popw.coordinator.validation;

/** Where a validator puts its decisions. Not thread-safe: one validator writes at a time. */
public interface VerdictSink {
  void verdict(Verdict v);

  void summary(DeviceEpochSummary s);
}
