package dev.popw.coordinator.ingest;

/**
 * Which sequence numbers of one device were accepted, for the {@code size} numbers ending at the
 * highest one seen: one bit each ({@code size / 8} bytes, 128 for the default 1,024), instead of
 * a sorted map with a 32-byte hash per number (119 KB a device). Invariant: for every number in
 * {@code [base, base + size)} its bit is set exactly when it was accepted (committed, or reserved
 * and not released), so a clear bit there means "never accepted" without asking the database.
 * Numbers below {@code base} are not known here ({@link #covers} is false): the database knows.
 * Not thread-safe: the pipeline guards it with its device's lock.
 */
final class SequenceWindow {
  private final int size;
  private final long[] bits;
  /** The lowest number the window covers; only grows. */
  private long base;

  /** A window over nothing accepted yet, covering {@code [0, size)}. */
  SequenceWindow(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("window size must be at least 1, got " + size);
    }
    this.size = size;
    this.bits = new long[(size + 63) / 64];
  }

  /**
   * A window ending at {@code top}, the device's highest accepted number, holding {@code accepted}:
   * every accepted number in {@code (top - size, top]} (from the database).
   */
  static SequenceWindow loaded(int size, long top, long[] accepted) {
    SequenceWindow w = new SequenceWindow(size);
    if (top >= size) {
      w.base = top - size + 1;
    }
    for (long s : accepted) {
      if (w.covers(s)) {
        w.set(s, true);
      }
    }
    return w;
  }

  /** Whether the window knows {@code seq}: at or above its base (numbers above its top were never accepted). */
  boolean covers(long seq) {
    return seq >= base;
  }

  /** Whether {@code seq} was accepted; only meaningful where {@link #covers} is true. */
  boolean contains(long seq) {
    return seq >= base && seq < base + size && (bits[index(seq) >>> 6] & (1L << index(seq))) != 0;
  }

  /** Marks {@code seq} accepted, moving the window up when it is above the top; below the base: nothing (the database will know). */
  void add(long seq) {
    if (seq < base) {
      return;
    }
    if (seq >= base + size) {
      long newBase = seq - size + 1;
      if (newBase - base >= size) {
        java.util.Arrays.fill(bits, 0L);
      } else {
        for (long s = base; s < newBase; s++) {
          set(s, false);
        }
      }
      base = newBase;
    }
    set(seq, true);
  }

  /** Forgets {@code seq} (its write failed: it was not accepted after all). */
  void remove(long seq) {
    if (seq >= base && seq < base + size) {
      set(seq, false);
    }
  }

  long base() {
    return base;
  }

  private void set(long seq, boolean on) {
    int i = index(seq);
    if (on) {
      bits[i >>> 6] |= 1L << i;
    } else {
      bits[i >>> 6] &= ~(1L << i);
    }
  }

  private int index(long seq) {
    return (int) Math.floorMod(seq, (long) size);
  }
}
