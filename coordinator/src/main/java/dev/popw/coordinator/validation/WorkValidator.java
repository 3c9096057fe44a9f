package dev.popw.coordinator.validation;

/**
 * Decides whether the work that one kind of envelope claims really happened. One default exists
 * per kind ({@link Validators#defaults}); {@code Coordinator.builder().validator(...)} replaces it.
 *
 * <p>A validator must be a pure function of the {@link EpochEvidence} it is given and of its own
 * published parameters: no wall clock, no randomness, no dependence on thread timing or on the
 * order envelopes arrived in. The coordinator re-runs it to audit a closed epoch and compares the
 * results byte for byte. Doubles are allowed (Java's floating point is deterministic since Java
 * 17); transcendental functions must come from {@link StrictMath}.
 */
public interface WorkValidator {
  /** The kind of evidence this validator judges. */
  WorkKind kind();

  /**
   * A canonical text of every parameter the validator uses, hashed into the epoch record so that
   * an auditor knows which parameters were published.
   */
  String parameters();

  /** Emits exactly one verdict per envelope of its kind, and one summary per device with such envelopes. */
  void validate(EpochEvidence evidence, VerdictSink out);

  /**
   * How far before the epoch's start the validator reads evidence as context
   * ({@link EpochEvidence#forEachDevice(WorkKind, long, long, java.util.function.BiConsumer)});
   * the registry snapshot of the epoch covers the devices of that span too. Zero by default.
   */
  default java.time.Duration lookback() {
    return java.time.Duration.ZERO;
  }
}
