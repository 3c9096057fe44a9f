package dev.popw.sequence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSequenceCounterTest {
  @TempDir Path dir;

  @Test
  void starts_at_one_and_continues_after_a_clean_restart_without_gaps() {
    Path f = dir.resolve("seq");
    try (FileSequenceCounter c = FileSequenceCounter.open(f, 100)) {
      assertEquals(1, c.next());
      assertEquals(2, c.next());
      assertEquals(3, c.next());
    }
    try (FileSequenceCounter c = FileSequenceCounter.open(f, 100)) {
      assertEquals(4, c.next());
    }
  }

  /**
   * A crash leaves on disk exactly what the last durable write put there. We capture that state
   * while the counter is open (a copy of the file, as a power cut would leave it) and restart from
   * it: numbers already handed out are never handed out again.
   */
  @Test
  void never_reuses_a_number_after_a_crash() throws IOException {
    for (int block : new int[] {1, 7, 1000}) {
      Path f = dir.resolve("seq-" + block);
      Path crashed = dir.resolve("crashed-" + block);
      long last;
      try (FileSequenceCounter c = FileSequenceCounter.open(f, block)) {
        for (int i = 0; i < 25; i++) {
          c.next();
        }
        last = c.next();
        Files.copy(f, crashed, StandardCopyOption.REPLACE_EXISTING);
      }
      try (FileSequenceCounter c = FileSequenceCounter.open(crashed, block)) {
        long resumed = c.next();
        assertTrue(resumed > last, "block " + block + ": resumed at " + resumed + " after handing out " + last);
        assertTrue(resumed <= last + block, "block " + block + ": skipped more than one block");
      }
    }
  }

  @Test
  void refuses_a_second_user_of_the_same_file() {
    Path f = dir.resolve("seq");
    try (FileSequenceCounter c = FileSequenceCounter.open(f)) {
      SequenceException e = assertThrows(SequenceException.class, () -> FileSequenceCounter.open(f));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
      c.next();
    }
    try (FileSequenceCounter c = FileSequenceCounter.open(f)) {
      assertEquals(2, c.next());
    }
  }

  @Test
  void refuses_a_corrupt_file_instead_of_restarting_at_one() throws IOException {
    Path f = dir.resolve("seq");
    try (FileSequenceCounter c = FileSequenceCounter.open(f)) {
      c.next();
    }
    Files.writeString(f, Files.readString(f).replace("reserved=1", "reserved=9"));
    SequenceException e = assertThrows(SequenceException.class, () -> FileSequenceCounter.open(f));
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    Files.writeString(f, "garbage");
    assertThrows(SequenceException.class, () -> FileSequenceCounter.open(f));
  }

  @Test
  void concurrent_callers_get_distinct_increasing_numbers() throws Exception {
    try (FileSequenceCounter c = FileSequenceCounter.open(dir.resolve("seq"), 64)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        futures.add(pool.submit(() -> {
          List<Long> got = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            got.add(c.next());
          }
          return got;
        }));
      }
      Set<Long> all = new HashSet<>();
      for (Future<List<Long>> f : futures) {
        List<Long> got = f.get();
        for (int i = 1; i < got.size(); i++) {
          assertTrue(got.get(i) > got.get(i - 1));
        }
        all.addAll(got);
      }
      pool.shutdown();
      assertEquals(2000, all.size());
      assertEquals(2001, c.peek());
    }
  }
}
