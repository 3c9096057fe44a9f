package dev.popw.coordinator.validation.coverage;

/**
 * The HIP-17 density limits of one H3 resolution (HIP-104's values by default): a hex's density is
 * clipped at {@code target × (max(0, occupied − neighbors) + 1)}, never above {@code max}, where
 * occupied is the number of hexes among it and its six neighbours whose density is at least {@code target}.
 */
public record HexResolution(int resolution, int neighbors, int target, int max) {
  public HexResolution {
    if (resolution < 0 || resolution > 15 || neighbors < 0 || target < 1 || max < target) {
      throw new IllegalArgumentException("validation.coverage.hex_density.res" + resolution
          + ": need 0 <= neighbors, 1 <= target <= max (got " + neighbors + ", " + target + ", " + max + ")");
    }
  }

  /** The density limit for a hex with {@code occupied} occupied hexes in its 1-ring (itself included). */
  public long limit(long occupied) {
    long over = Math.max(0, occupied - neighbors);
    return Math.min(max, (long) target * (over + 1));
  }
}
