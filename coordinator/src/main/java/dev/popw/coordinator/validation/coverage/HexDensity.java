package dev.popw.coordinator.validation.coverage;

import com.uber.h3core.H3Core;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * HIP-17 hex-density transmit scaling, with HIP-104's limits per resolution. Interactive devices
 * (a valid beacon with a valid witness this epoch) are counted in the hex of their location at
 * the density resolution (11). Going from the finest configured resolution to the coarsest, a
 * hex's unclipped density is the sum of its children's clipped densities, and its clipped density
 * is {@code min(unclipped, limit)} with {@link HexResolution#limit} of the number of hexes in its
 * 1-ring (itself included) whose unclipped density reaches the resolution's target. A device's
 * scale is the product, over its hex's ancestors, of clipped / unclipped.
 *
 * <p>One deliberate difference from Helium's oracle (iot_verifier hex_density.rs): the occupied
 * count reads the ring's <em>unclipped</em> densities of the same resolution, all computed before
 * any is clipped. The oracle reads a map that it clips while it iterates a hash set, so its counts
 * depend on iteration order; ours depend only on the set of hexes.
 */
public final class HexDensity {
  private final Map<Long, Double> scaleByCell = new TreeMap<>();
  private final Map<Long, long[]> densities = new TreeMap<>(); // cell -> {unclipped, clipped}

  /**
   * @param cells each interactive device's hex at {@code densityResolution}, one entry per device
   */
  public HexDensity(List<Long> cells, int densityResolution, List<HexResolution> resolutions) {
    H3Core h3 = H3.get();
    TreeMap<Long, Long> level = new TreeMap<>();
    for (long c : cells) {
      level.merge(c, 1L, Long::sum);
    }
    level.forEach((c, n) -> densities.put(c, new long[] {n, n}));
    for (HexResolution r : resolutions) {
      if (r.resolution() >= densityResolution) {
        continue;
      }
      TreeMap<Long, Long> parents = new TreeMap<>();
      for (Map.Entry<Long, Long> e : level.entrySet()) {
        long clipped = densities.get(e.getKey())[1];
        parents.merge(h3.cellToParent(e.getKey(), r.resolution()), clipped, Long::sum);
      }
      TreeMap<Long, Long> next = new TreeMap<>();
      for (Map.Entry<Long, Long> p : parents.entrySet()) {
        long occupied = 0;
        for (long n : new TreeSet<>(h3.gridDisk(p.getKey(), 1))) {
          Long u = parents.get(n);
          if (u != null && u >= r.target()) {
            occupied++;
          }
        }
        long clipped = Math.min(p.getValue(), r.limit(occupied));
        densities.put(p.getKey(), new long[] {p.getValue(), clipped});
        next.put(p.getKey(), clipped);
      }
      level = next;
    }
    for (long c : new TreeSet<>(cells)) {
      double scale = 1.0;
      for (HexResolution r : resolutions) {
        if (r.resolution() > densityResolution) {
          continue;
        }
        long a = r.resolution() == densityResolution ? c : h3.cellToParent(c, r.resolution());
        long[] d = densities.get(a);
        if (d != null && d[0] > 0) {
          scale = scale * d[1] / d[0];
        }
      }
      scaleByCell.put(c, scale);
    }
  }

  /** The transmit scale of a device in this hex (0 for a hex without interactive devices). */
  public double scale(long cell) {
    return scaleByCell.getOrDefault(cell, 0.0);
  }

  /** {unclipped, clipped} density of a hex at any computed resolution, or null. */
  public long[] density(long cell) {
    long[] d = densities.get(cell);
    return d == null ? null : d.clone();
  }
}
