package dev.popw.testing;

import dev.popw.sequence.SequenceCounter;
import java.util.concurrent.atomic.AtomicLong;

/** An in-memory counter for unit tests that do not test persistence. */
public final class FixedSequence implements SequenceCounter {
  private final AtomicLong next;

  public FixedSequence(long first) {
    this.next = new AtomicLong(first);
  }

  @Override
  public long next() {
    return next.getAndIncrement();
  }
}
