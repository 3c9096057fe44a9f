package dev.popw.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of this process over a measured run, in microseconds per envelope: the whole process
 * and its threads grouped by name (digits dropped, so "popw-verify-3" and "popw-verify-4" add up),
 * the JVM's own threads included (JIT compilers, garbage collector), read from
 * {@code /proc/self/task} (Linux; names are cut to 15 characters there). Threads that ended during
 * the run count in the process total only. Tells where the time goes without a profiler.
 */
final class CpuProfile {
  private static final Path TASKS = Path.of("/proc/self/task");
  private static final double TICK_NANOS = 1e9 / 100; // USER_HZ, 100 on Linux

  private final Map<String, Long> before;
  private final long processBefore;
  private final long wallBefore;

  private CpuProfile() {
    before = threadTicks();
    processBefore = processCpu();
    wallBefore = System.nanoTime();
  }

  static CpuProfile start() {
    return new CpuProfile();
  }

  String report(long envelopes) {
    double wall = (System.nanoTime() - wallBefore) / 1e9;
    long process = processCpu() - processBefore;
    Map<String, Long> after = threadTicks();
    Map<String, Double> byGroup = new TreeMap<>();
    double threadsTotal = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long ticks = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (ticks <= 0) {
        continue;
      }
      double nanos = ticks * TICK_NANOS;
      threadsTotal += nanos;
      String name = e.getKey().substring(e.getKey().indexOf(' ') + 1);
      byGroup.merge(name.replaceAll("[0-9]+", "N").trim(), nanos, Double::sum);
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("  cpu: process %.2f cores busy of %d, %.0f us per envelope; live threads %.0f us, threads that ended %.0f us%n",
        process / 1e9 / wall, Runtime.getRuntime().availableProcessors(), process / 1e3 / envelopes,
        threadsTotal / 1e3 / envelopes, Math.max(0, process - threadsTotal) / 1e3 / envelopes));
    byGroup.entrySet().stream().filter(e -> e.getValue() / 1e3 / envelopes >= 1)
        .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
        .forEach(e -> sb.append(String.format("       %6.1f us  %s%n", e.getValue() / 1e3 / envelopes, e.getKey())));
    return sb.toString();
  }

  /** "tid name" -> user + system clock ticks, for every live thread of this process. */
  private static Map<String, Long> threadTicks() {
    Map<String, Long> out = new HashMap<>();
    if (!Files.isDirectory(TASKS)) {
      return out;
    }
    try (Stream<Path> tasks = Files.list(TASKS)) {
      tasks.forEach(t -> {
        try {
          String stat = Files.readString(t.resolve("stat"));
          int close = stat.lastIndexOf(')');
          String name = stat.substring(stat.indexOf('(') + 1, close);
          String[] f = stat.substring(close + 2).split(" ");
          out.put(t.getFileName() + " " + name, Long.parseLong(f[11]) + Long.parseLong(f[12])); // utime, stime
        } catch (IOException | RuntimeException e) {
          // the thread ended between list and read
        }
      });
    } catch (IOException e) {
      // no per-thread figures
    }
    return out;
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
