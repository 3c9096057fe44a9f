package dev.popw.coordinator.validation.gpu;

import dev.popw.gpuproof.TileVerifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The published parameters of GPU capacity proofs ({@code [gpu_proofs]} in coordinator.toml): how
 * often devices are challenged, how a challenge is sized and timed per GPU class, how many tiles
 * and probe blocks are opened, and how the epoch's capacity units are counted. Immutable.
 *
 * @param minInterval shortest pause between a device's challenges (each pause is uniform in [min, max])
 * @param onlineWindow only devices that sent a GPU report this recently are challenged
 * @param openedTiles k, the tiles opened per challenge: a device that computed a fraction f of
 *     the tiles passes with probability at most f^k
 * @param probeReads memory probe blocks read back per challenge
 * @param probeFraction the probe fills this fraction of the challenged GPU's reported memory (capped per class)
 * @param openDeadline time from the commitment's arrival to the last opening's
 * @param networkAllowance added to every commitment deadline for delivery both ways
 * @param deadlineSlack the computation may take this many times what the class's throughput needs
 * @param reportInterval uptime counts the epoch's slots of this length holding a valid GPU report
 * @param maxInFlight challenges awaiting an answer at once, over all devices; devices beyond wait
 * @param verify how opened tiles are checked
 * @param classes the class table, matched in order; put a "*" class last for models no row names
 */
public record GpuProofRules(boolean enabled, Duration minInterval, Duration maxInterval, Duration onlineWindow, int openedTiles,
    int probeReads, double probeFraction, Duration openDeadline, Duration networkAllowance, double deadlineSlack,
    Duration reportInterval, int maxInFlight, TileVerifier.Method verify, List<GpuClass> classes) {

  /** The class table's names, in matching order; each is a settings section. */
  public static final List<String> CLASS_NAMES = List.of("h200", "h100", "a100", "l40s", "rtx4090", "rtx3090", "l4", "t4", "default");

  public GpuProofRules {
    classes = List.copyOf(classes);
    if (minInterval.isNegative() || maxInterval.compareTo(minInterval) < 0) {
      throw new IllegalArgumentException("gpu_proofs.max_interval_seconds must be at least min_interval_seconds");
    }
    if (openedTiles < 1) {
      throw new IllegalArgumentException("gpu_proofs.opened_tiles must be at least 1");
    }
    if (!(probeFraction >= 0 && probeFraction <= 1)) {
      throw new IllegalArgumentException("gpu_proofs.probe_fraction must be between 0 and 1");
    }
    if (!(deadlineSlack >= 1)) {
      throw new IllegalArgumentException("gpu_proofs.deadline_slack must be at least 1");
    }
    if (reportInterval.toMillis() < 1000) {
      throw new IllegalArgumentException("gpu_proofs.report_interval_seconds must be at least 1");
    }
  }

  /**
   * The defaults. The throughputs are estimates from the vendors' dense INT8 peaks (peak_tops) and
   * an assumed sustained share of them for this project's CUDA prover (tops): not measured on a GPU
   * yet (docs/gpu-proofs.md). Challenge sizes aim at about 30 s of work at the assumed throughput, so that the deadline
   * (10 s allowance + 1.5 x 30 s) cannot be met by a device of less than about 0.55 times the class's throughput.
   */
  public static GpuProofRules defaults() {
    List<GpuClass> c = new ArrayList<>();
    c.add(new GpuClass("h200", List.of("H200"), 500, 1979, 16384, 8, 1706, 10, 65536));
    c.add(new GpuClass("h100", List.of("H100"), 500, 1979, 16384, 8, 1706, 10, 65536));
    c.add(new GpuClass("a100", List.of("A100"), 200, 624, 16384, 8, 683, 4, 65536));
    c.add(new GpuClass("l40s", List.of("L40S"), 220, 733, 16384, 8, 751, 4.4, 65536));
    c.add(new GpuClass("rtx4090", List.of("RTX 4090"), 200, 661, 16384, 8, 683, 4, 65536));
    c.add(new GpuClass("rtx3090", List.of("RTX 3090"), 90, 285, 16384, 8, 307, 1.8, 65536));
    c.add(new GpuClass("l4", List.of("NVIDIA L4"), 75, 243, 16384, 8, 256, 1.5, 65536));
    c.add(new GpuClass("t4", List.of("Tesla T4", "NVIDIA T4"), 40, 130, 16384, 8, 137, 0.8, 65536));
    // Models no row names, and the CPU reference prover: a challenge a CPU answers in seconds.
    c.add(new GpuClass("default", List.of("*"), 0.01, 100, 2048, 8, 1, 0.0002, 64));
    return new GpuProofRules(true, Duration.ofMinutes(15), Duration.ofMinutes(60), Duration.ofMinutes(10), 32, 32, 0.5,
        Duration.ofSeconds(30), Duration.ofSeconds(10), 1.5, Duration.ofSeconds(60), 1000, TileVerifier.Method.AUTO, c);
  }

  /** The class of a model: the first row that matches it, or null. */
  public GpuClass classFor(String model) {
    for (GpuClass g : classes) {
      if (g.matches(model)) {
        return g;
      }
    }
    return null;
  }

  public GpuClass byName(String name) {
    for (GpuClass g : classes) {
      if (g.name().equals(name)) {
        return g;
      }
    }
    return null;
  }

  /** Commitment deadline for a class: the allowance plus slack times the work at the class's throughput. */
  public long commitDeadlineMs(GpuClass c) {
    return networkAllowance.toMillis() + (long) Math.ceil(deadlineSlack * 1000 * c.operations() / (c.tops() * 1e12));
  }

  /** Below this a commitment is TOO_FAST: the work at the class's peak throughput. */
  public long tooFastMs(GpuClass c) {
    return (long) Math.floor(1000 * c.operations() / (c.peakTops() * 1e12));
  }

  public GpuProofRules withClasses(List<GpuClass> classes) {
    return new GpuProofRules(enabled, minInterval, maxInterval, onlineWindow, openedTiles, probeReads, probeFraction, openDeadline,
        networkAllowance, deadlineSlack, reportInterval, maxInFlight, verify, classes);
  }

  public GpuProofRules withIntervals(Duration min, Duration max) {
    return new GpuProofRules(enabled, min, max, onlineWindow, openedTiles, probeReads, probeFraction, openDeadline, networkAllowance,
        deadlineSlack, reportInterval, maxInFlight, verify, classes);
  }

  public GpuProofRules withTiming(Duration openDeadline, Duration networkAllowance, double deadlineSlack) {
    return new GpuProofRules(enabled, minInterval, maxInterval, onlineWindow, openedTiles, probeReads, probeFraction, openDeadline,
        networkAllowance, deadlineSlack, reportInterval, maxInFlight, verify, classes);
  }

  public GpuProofRules withEnabled(boolean on) {
    return new GpuProofRules(on, minInterval, maxInterval, onlineWindow, openedTiles, probeReads, probeFraction, openDeadline,
        networkAllowance, deadlineSlack, reportInterval, maxInFlight, verify, classes);
  }

  public GpuProofRules withReportInterval(Duration interval) {
    return new GpuProofRules(enabled, minInterval, maxInterval, onlineWindow, openedTiles, probeReads, probeFraction, openDeadline,
        networkAllowance, deadlineSlack, interval, maxInFlight, verify, classes);
  }

  /** Canonical text of what the validator uses (hashed into every epoch record). */
  public String canonical() {
    StringBuilder b = new StringBuilder("gpu-proof/v1");
    b.append(";report_interval_ms=").append(reportInterval.toMillis());
    b.append(";verify=").append(verify.name().toLowerCase(Locale.ROOT));
    b.append(";bounds=utilization_percent[0,100],temperature_c[-20,130],power_w[0,2000],memory_used<=memory_total");
    b.append(";classes=");
    for (int i = 0; i < classes.size(); i++) {
      b.append(i == 0 ? "" : ",").append(classes.get(i).canonical());
    }
    return b.toString();
  }
}
