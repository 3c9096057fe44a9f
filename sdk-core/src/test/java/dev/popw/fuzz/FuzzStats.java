package dev.popw.fuzz;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fuzz target did, for its one summary line: runs, runs per second, edges covered (Jazzer's
 * coverage counters that were ever hit: libFuzzer's "cov") and the outcomes by kind. The line goes
 * to the build log (the fork's raw stderr, where libFuzzer writes too; Maven copies it through)
 * and to the test's output file. {@code bench/fuzz} collects these lines into its table.
 */
public final class FuzzStats {
  private final String target;
  private final Map<String, Long> outcomes = new TreeMap<>();
  private long runs;
  private long firstRunNanos;

  public FuzzStats(String target) {
    this.target = target;
  }

  /** Counts one run and its outcome (a short label: a reason code, a status). */
  public synchronized void run(String outcome) {
    if (runs++ == 0) {
      firstRunNanos = System.nanoTime();
    }
    outcomes.merge(outcome, 1L, Long::sum);
  }

  /** Forgets the runs so far (a warm-up's). */
  public synchronized void reset() {
    runs = 0;
    outcomes.clear();
  }

  public synchronized long runs() {
    return runs;
  }

  /** Prints the summary line; call it from {@code @AfterAll}. */
  public synchronized void report() {
    double seconds = runs == 0 ? 0 : (System.nanoTime() - firstRunNanos) / 1e9;
    String edges = coveredEdges();
    String line = String.format("[fuzz] %s: %,d runs in %.1f s (%,d/s), %s edges covered, outcomes %s",
        target, runs, seconds, seconds > 0 ? Math.round(runs / seconds) : 0, edges, outcomes);
    System.out.println(line);
    FileOutputStream err = new FileOutputStream(FileDescriptor.err); // not closed: that would close fd 2
    try {
      err.write((line + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
      err.flush();
    } catch (IOException e) {
      // the line is in the output file anyway
    }
  }

  /**
   * The number of coverage counters libFuzzer saw hit (its "cov"); "-" outside fuzzing, where
   * Jazzer's native driver is not loaded.
   */
  private static String coveredEdges() {
    try {
      Class<?> map = Class.forName("com.code_intelligence.jazzer.runtime.CoverageMap");
      int[] ids = (int[]) map.getMethod("getEverCoveredIds").invoke(null);
      return String.format("%,d", ids.length);
    } catch (ReflectiveOperationException | LinkageError e) {
      return "-";
    }
  }
}
