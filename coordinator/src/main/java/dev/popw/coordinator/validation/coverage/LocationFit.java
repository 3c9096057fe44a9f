package dev.popw.coordinator.validation.coverage;

import dev.popw.coordinator.validation.Geo;
import java.util.List;

/**
 * Where a device must be, from its path losses to counterparts at known places (the beaconers it
 * heard and the witnesses that heard it): the position, and the log-distance law
 * {@code PL = A + 10·n·log10(d)}, that best explain the mean losses per counterpart, by weighted
 * least squares (weight {@code 1/(σs² + σf²/k)}: a link's shadowing is shared by all its k
 * samples, fast fading is not). For a given position A and n have a closed form (n clamped to its
 * range); the position is found by a deterministic compass search (steps from 8 km down to 50 m)
 * from the claimed position and from the counterparts' loss-weighted centroid, on a local plane
 * (equirectangular around the claimed position, good to about 0.1 % within 100 km).
 *
 * <p>The test: the claimed position is rejected when the best position lies more than
 * {@code maxOffsetM} from it and the claimed position's weighted residual exceeds the best one's
 * by more than {@code chi2Threshold} (a likelihood-ratio test with two degrees of freedom: 13.82
 * is the 99.9 % point of χ²(2)).
 */
public final class LocationFit {
  /** A counterpart: where it is, the mean path loss to it (dB) and how many samples the mean has. */
  public record Sample(double latitude, double longitude, double meanLossDb, int count) {}

  /**
   * @param bestLatitude where the losses fit best
   * @param offsetM distance from the claimed position to the best one
   * @param claimedResidual weighted residual at the claimed position (χ² units)
   * @param bestResidual weighted residual at the best position
   * @param exponent the path-loss exponent at the best position
   */
  public record Result(double bestLatitude, double bestLongitude, double offsetM, double claimedResidual, double bestResidual,
      double exponent, int counterparts, boolean rejected) {
    public double statistic() {
      return claimedResidual - bestResidual;
    }
  }

  /** Free parameters of the fit: A, n and the position's two coordinates. */
  public static final int PARAMETERS = 4;

  /** The position search uses at most this many counterparts. */
  static final int SEARCH_SAMPLES = 48;

  private LocationFit() {}

  public static Result fit(double lat0, double lon0, List<Sample> samples, CoverageRules.Fit p) {
    int m = samples.size();
    double[] x = new double[m];
    double[] y = new double[m];
    double[] loss = new double[m];
    double[] w = new double[m];
    double cos = StrictMath.cos(StrictMath.toRadians(lat0));
    double sigS = p.shadowingSigmaDb() * p.shadowingSigmaDb();
    double sigF = p.fadingSigmaDb() * p.fadingSigmaDb();
    double minLoss = Double.MAX_VALUE;
    int nearest = 0;
    for (int i = 0; i < m; i++) {
      Sample s = samples.get(i);
      x[i] = StrictMath.toRadians(s.longitude() - lon0) * cos * Geo.EARTH_RADIUS_M;
      y[i] = StrictMath.toRadians(s.latitude() - lat0) * Geo.EARTH_RADIUS_M;
      loss[i] = s.meanLossDb();
      w[i] = 1.0 / (sigS + sigF / Math.max(1, s.count()));
      if (loss[i] < minLoss) {
        minLoss = loss[i];
        nearest = i;
      }
    }
    double cx = 0;
    double cy = 0;
    double cw = 0;
    for (int i = 0; i < m; i++) {
      double k = StrictMath.pow(10, -(loss[i] - minLoss) / 20);
      cx += k * x[i];
      cy += k * y[i];
      cw += k;
    }
    double[][] starts = {{0, 0}, {cx / cw, cy / cw}, {x[nearest], y[nearest]}};
    // the search runs on at most SEARCH_SAMPLES counterparts spread evenly over the range of losses
    // (the spread is what locates a device); the test then uses all of them
    double[] sx = x;
    double[] sy = y;
    double[] sl = loss;
    double[] sw = w;
    if (m > SEARCH_SAMPLES) {
      Integer[] order = new Integer[m];
      for (int i = 0; i < m; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (i, j) -> loss[i] != loss[j] ? Double.compare(loss[i], loss[j]) : Integer.compare(i, j));
      sx = new double[SEARCH_SAMPLES];
      sy = new double[SEARCH_SAMPLES];
      sl = new double[SEARCH_SAMPLES];
      sw = new double[SEARCH_SAMPLES];
      for (int k = 0; k < SEARCH_SAMPLES; k++) {
        int i = order[(int) ((long) k * (m - 1) / (SEARCH_SAMPLES - 1))];
        sx[k] = x[i];
        sy[k] = y[i];
        sl[k] = loss[i];
        sw[k] = w[i];
      }
    }
    double[] claimed = residual(0, 0, x, y, loss, w, p);
    double[] best = null;
    double bx = 0;
    double by = 0;
    for (double[] s : starts) {
      double px = s[0];
      double py = s[1];
      double[] r = residual(px, py, sx, sy, sl, sw, p);
      double step = 8_000;
      int iterations = 0;
      while (step >= 50 && iterations++ < 200) {
        double[] bestHere = r;
        double nx = px;
        double ny = py;
        for (int d = 0; d < 8; d++) {
          double ang = d * StrictMath.PI / 4;
          double qx = px + step * StrictMath.cos(ang);
          double qy = py + step * StrictMath.sin(ang);
          double[] q = residual(qx, qy, sx, sy, sl, sw, p);
          if (q[0] < bestHere[0]) {
            bestHere = q;
            nx = qx;
            ny = qy;
          }
        }
        if (bestHere == r) {
          step /= 2;
        } else {
          r = bestHere;
          px = nx;
          py = ny;
        }
      }
      if (best == null || r[0] < best[0]) {
        best = r;
        bx = px;
        by = py;
      }
    }
    best = residual(bx, by, x, y, loss, w, p);
    if (best[0] > claimed[0]) {
      best = claimed; // the claimed place is the best found
      bx = 0;
      by = 0;
    }
    double offset = StrictMath.sqrt(bx * bx + by * by);
    double bestLat = lat0 + StrictMath.toDegrees(by / Geo.EARTH_RADIUS_M);
    double bestLon = lon0 + StrictMath.toDegrees(bx / (Geo.EARTH_RADIUS_M * cos));
    boolean rejected = offset > p.maxOffsetM() && claimed[0] - best[0] > p.chi2Threshold();
    return new Result(bestLat, bestLon, offset, claimed[0], best[0], best[1], m, rejected);
  }

  /** {weighted residual, exponent} at (px, py). */
  private static double[] residual(double px, double py, double[] x, double[] y, double[] loss, double[] w, CoverageRules.Fit p) {
    int m = x.length;
    double[] l = new double[m];
    double sw = 0;
    double sl = 0;
    double sm = 0;
    for (int i = 0; i < m; i++) {
      double dx = x[i] - px;
      double dy = y[i] - py;
      double d = Math.max(10.0, StrictMath.sqrt(dx * dx + dy * dy));
      l[i] = 10 * StrictMath.log10(d);
      sw += w[i];
      sl += w[i] * l[i];
      sm += w[i] * loss[i];
    }
    double lbar = sl / sw;
    double mbar = sm / sw;
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < m; i++) {
      sxy += w[i] * (l[i] - lbar) * (loss[i] - mbar);
      sxx += w[i] * (l[i] - lbar) * (l[i] - lbar);
    }
    double n = sxx > 0 ? sxy / sxx : p.minExponent();
    n = Math.max(p.minExponent(), Math.min(p.maxExponent(), n));
    double a = mbar - n * lbar;
    double s = 0;
    for (int i = 0; i < m; i++) {
      double e = loss[i] - a - n * l[i];
      s += w[i] * e * e;
    }
    return new double[] {s, n};
  }
}
