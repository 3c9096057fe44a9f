package dev.popw.coordinator.batch;

/**
 * Gives each accepted envelope its batch id as it is written, so that sealing a batch never has to
 * update envelope rows (that update cost a quarter of the ingest throughput). The open batch takes
 * rows until it holds the configured maximum; then the next id opens. The database writer brackets
 * each transaction with {@link #begin} and {@link #end}; the {@link Batcher} seals a closed batch
 * once no uncommitted transaction still holds rows of it.
 */
public final class BatchAssigner {
  private final int max;
  private final Runnable onClosed;
  private long open;
  private int countInOpen;
  private long inFlightMin = Long.MAX_VALUE;

  BatchAssigner(long open, int countInOpen, int max, Runnable onClosed) {
    this.open = open;
    this.countInOpen = countInOpen;
    this.max = max;
    this.onClosed = onClosed;
  }

  /** Batch ids for the {@code n} envelopes of one transaction about to be written; call {@link #end} after it. */
  public long[] begin(int n) {
    boolean closed = false;
    long[] ids = new long[n];
    synchronized (this) {
      for (int i = 0; i < n; i++) {
        if (countInOpen >= max) {
          open++;
          countInOpen = 0;
        }
        ids[i] = open;
        countInOpen++;
        closed |= countInOpen == max;
      }
      inFlightMin = n == 0 ? Long.MAX_VALUE : ids[0];
    }
    if (closed) {
      onClosed.run();
    }
    return ids;
  }

  /** The transaction begun last has committed or failed. */
  public synchronized void end() {
    inFlightMin = Long.MAX_VALUE;
    notifyAll();
  }

  /** Closes the open batch if it holds any rows; returns the highest closed id. */
  synchronized long close() {
    if (countInOpen > 0) {
      open++;
      countInOpen = 0;
    }
    return open - 1;
  }

  /** The highest id that will get no more rows (a full open batch counts as closed). */
  synchronized long highestClosed() {
    return countInOpen >= max ? open : open - 1;
  }

  /** Waits until no uncommitted transaction holds rows of batches up to {@code id}. */
  synchronized void awaitCommitted(long id) throws InterruptedException {
    while (inFlightMin <= id) {
      wait(1000);
    }
  }
}
