package dev.popw.coordinator.validation;

/** Distances on the Earth, computed with {@link StrictMath} so every machine gets the same bits. */
public final class Geo {
  /** Mean Earth radius (IUGG), metres. */
  public static final double EARTH_RADIUS_M = 6_371_008.8;

  private Geo() {}

  /** Great-circle distance in metres between two points in degrees (haversine). */
  public static double distanceM(double lat1, double lon1, double lat2, double lon2) {
    double p1 = StrictMath.toRadians(lat1);
    double p2 = StrictMath.toRadians(lat2);
    double dp = p2 - p1;
    double dl = StrictMath.toRadians(lon2 - lon1);
    double s1 = StrictMath.sin(dp / 2);
    double s2 = StrictMath.sin(dl / 2);
    double a = s1 * s1 + StrictMath.cos(p1) * StrictMath.cos(p2) * s2 * s2;
    return 2 * EARTH_RADIUS_M * StrictMath.atan2(StrictMath.sqrt(a), StrictMath.sqrt(1 - a));
  }
}
