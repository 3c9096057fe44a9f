package dev.popw.coordinator.ingest;

/** Told about every decision once it is committed (metrics). Must be quick. */
@FunctionalInterface
public interface PipelineListener {
  /**
   * @param result the decision
   * @param nanos time from receiving the bytes to the committed decision
   */
  void decided(IngestResult result, long nanos);

  PipelineListener NONE = (r, n) -> {};
}
