package dev.popw.coordinator.validation.coverage;

/** Radio arithmetic, with {@link StrictMath} so that every machine gets the same bits. */
public final class Radio {
  /** Speed of light, m/s (exact). */
  public static final double C = 299_792_458.0;

  private Radio() {}

  /** Free-space path loss in dB (Friis): 20·log10(4π·d·f/c), d in metres, f in Hz; d below 1 m counts as 1 m. */
  public static double freeSpaceLossDb(double distanceM, double frequencyHz) {
    double d = Math.max(1.0, distanceM);
    return 20 * StrictMath.log10(4 * StrictMath.PI * d * frequencyHz / C);
  }
}
