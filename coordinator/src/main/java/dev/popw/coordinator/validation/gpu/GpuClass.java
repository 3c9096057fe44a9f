package dev.popw.coordinator.validation.gpu;

import java.util.List;
import java.util.Locale;

/**
 * One row of the GPU class table ({@code [gpu_proofs.classes.<name>]}): which models it covers,
 * the throughput its deadline assumes, the peak nothing of the class can beat, the challenge size
 * and the capacity units a proven GPU of the class earns.
 *
 * @param match case-insensitive substrings of the nvidia-smi model name; "*" matches every model
 * @param tops sustained INT8 throughput the deadline assumes, tera-operations per second (a
 *     multiply-add is 2 operations)
 * @param peakTops the class's dense INT8 peak (datasheet): a commitment sooner than the work takes
 *     at this rate is TOO_FAST
 * @param n matrix dimension of its challenges
 * @param tile tile edge of the commitment
 * @param matrices products per challenge
 * @param units capacity units of one GPU of the class, for the rewards
 * @param maxProbeMib cap on the memory probe (MiB)
 */
public record GpuClass(String name, List<String> match, double tops, double peakTops, int n, int tile, int matrices, double units,
    long maxProbeMib) {
  public GpuClass {
    match = List.copyOf(match);
    if (!(tops > 0) || !(peakTops >= tops)) {
      throw new IllegalArgumentException("gpu_proofs.classes." + name + ": tops must be positive and peak_tops at least tops");
    }
    if (!(units >= 0)) {
      throw new IllegalArgumentException("gpu_proofs.classes." + name + ": units must not be negative");
    }
  }

  /** Whether a model name falls in this class. */
  public boolean matches(String model) {
    String m = model.toLowerCase(Locale.ROOT);
    for (String s : match) {
      if (s.equals("*") || (!s.isBlank() && m.contains(s.toLowerCase(Locale.ROOT)))) {
        return true;
      }
    }
    return false;
  }

  /** Integer operations of one challenge: 2 n^3 per product. */
  public double operations() {
    return 2.0 * matrices * (double) n * n * n;
  }

  /** Canonical text for the validator's parameters. */
  String canonical() {
    return String.format(Locale.ROOT, "%s:%s:tops=%s:peak=%s:n=%d:tile=%d:matrices=%d:units=%s:probe_mib=%d", name, String.join("+", match),
        Double.toString(tops), Double.toString(peakTops), n, tile, matrices, Double.toString(units), maxProbeMib);
  }
}
