package dev.popw.coordinator.ingest;

/** Told about every decision once it is committed (metrics, the batcher). Must be quick. */
@FunctionalInterface
public interface PipelineListener {
  /**
   * @param result the decision
   * @param nanos time from receiving the bytes to the committed decision
   */
  void decided(IngestResult result, long nanos);

  /** A listener that runs {@code action} for each accepted envelope. */
  static PipelineListener onAccepted(Runnable action) {
    return (r, n) -> {
      if (r.accepted()) {
        action.run();
      }
    };
  }

  PipelineListener NONE = (r, n) -> {};
}
