package dev.popw.coordinator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The duplicate window's invariant, against a plain set of every accepted number: wherever the
 * window covers a number, its bit says exactly whether the number was accepted.
 */
class SequenceWindowTest {
  @ParameterizedTest
  @ValueSource(ints = {1, 4, 63, 64, 100, 1024})
  void every_covered_number_is_known_exactly(int size) {
    Random random = new Random(size);
    for (int run = 0; run < 20; run++) {
      Set<Long> accepted = new HashSet<>();
      long start = random.nextInt(3) == 0 ? 0 : random.nextInt(1_000_000);
      SequenceWindow w = new SequenceWindow(size);
      long top = start;
      for (int step = 0; step < 2_000; step++) {
        int op = random.nextInt(10);
        long seq;
        if (op < 6) {
          seq = top + 1 + (random.nextInt(4) == 0 ? random.nextInt(3 * size + 1) : 0); // mostly in order, some jumps
        } else {
          seq = Math.max(1, top - random.nextInt(2 * size + 2)); // out of order, resends, below the window
        }
        if (op == 9 && accepted.contains(seq)) {
          w.remove(seq); // a failed write
          accepted.remove(seq);
        } else if (!accepted.contains(seq)) {
          w.add(seq);
          accepted.add(seq);
        }
        top = Math.max(top, seq);
      }
      long base = w.base();
      assertTrue(base <= top && top < base + size, "the window ends at the highest number: base " + base + ", top " + top);
      for (long s = Math.max(0, base - size); s < base + 2L * size; s++) {
        if (w.covers(s)) {
          assertEquals(accepted.contains(s), w.contains(s), "number " + s + " (base " + base + ")");
        } else {
          assertTrue(s < base);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {4, 1024})
  void a_window_read_from_the_database_ends_at_the_highest_number(int size) {
    long top = 5_000;
    long[] stored = {top, top - 1, top - 3, top - size + 1, top - size, 17};
    SequenceWindow w = SequenceWindow.loaded(size, top, stored);
    assertEquals(top - size + 1, w.base());
    assertTrue(w.contains(top));
    assertTrue(w.contains(top - size + 1));
    assertFalse(w.covers(top - size), "below the window: the database is asked");
    assertFalse(w.contains(top + 1), "above the highest: never accepted");
    if (size > 4) {
      assertFalse(w.contains(top - 2));
    }
    SequenceWindow young = SequenceWindow.loaded(size, 3, new long[] {1, 3});
    assertTrue(young.covers(1) && young.contains(1) && !young.contains(2) && young.contains(3));
  }
}
