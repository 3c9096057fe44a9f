package dev.popw.coordinator.validation;

/** Where a validator puts its decisions. Not thread-safe: one validator writes at a time. */
public interface VerdictSink {
  void verdict(Verdict v);

  void summary(DeviceEpochSummary s);

  /** A coverage device's epoch in numbers (stored for the rewards work); ignored by default. */
  default void coverage(CoverageSummary s) {}

  /** One coverage report's reward units (stored for the rewards work); ignored by default. */
  default void units(ReportUnits u) {}

  /** A GPU capacity challenge's verdict (GPU validators); a sink that does not record them ignores it. */
  default void challenge(ChallengeVerdict v) {}
}
