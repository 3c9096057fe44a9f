package dev.popw.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of this process over a measured run, in microseconds per envelope: the whole process
 * (JIT and GC included) and its threads grouped by name (digits dropped, so "popw-verify-3" and
 * "popw-verify-4" add up). Tells where the time goes without a profiler.
 */
final class CpuProfile {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> before = new HashMap<>();
  private final Map<Long, String> names = new HashMap<>();
  private final long processBefore;
  private final long wallBefore;

  private CpuProfile() {
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null) {
        before.put(t.getThreadId(), Math.max(0, threads.getThreadCpuTime(t.getThreadId())));
        names.put(t.getThreadId(), t.getThreadName());
      }
    }
    processBefore = processCpu();
    wallBefore = System.nanoTime();
  }

  static CpuProfile start() {
    return new CpuProfile();
  }

  String report(long envelopes) {
    double wall = (System.nanoTime() - wallBefore) / 1e9;
    long process = processCpu() - processBefore;
    Map<String, Long> byGroup = new TreeMap<>();
    long threadsTotal = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t == null) {
        continue;
      }
      long now = threads.getThreadCpuTime(t.getThreadId());
      if (now < 0) {
        continue;
      }
      long used = now - before.getOrDefault(t.getThreadId(), 0L);
      threadsTotal += used;
      byGroup.merge(t.getThreadName().replaceAll("[0-9]+", "N"), used, Long::sum);
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("  cpu: process %.2f cores busy of %d, %.0f us per envelope; Java threads %.0f us, the rest (JIT, GC, exited threads) %.0f us%n",
        process / 1e9 / wall, Runtime.getRuntime().availableProcessors(), process / 1e3 / envelopes,
        threadsTotal / 1e3 / envelopes, (process - threadsTotal) / 1e3 / envelopes));
    byGroup.entrySet().stream().filter(e -> e.getValue() / 1e3 / envelopes >= 1)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .forEach(e -> sb.append(String.format("       %6.1f us  %s%n", e.getValue() / 1e3 / envelopes, e.getKey())));
    return sb.toString();
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
