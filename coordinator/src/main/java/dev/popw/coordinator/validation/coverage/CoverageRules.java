package dev.popw.coordinator.validation.coverage;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The coverage validator's published parameters, every one a setting ({@code [coverage]} in
 * coordinator.toml) with the default given here and its source in docs/coverage.md. Immutable.
 *
 * @param entropyWindow a beacon's entropy must have been issued at most this long before the coordinator received the beacon report
 * @param frequencyToleranceHz a witness's frequency may differ from its beacon's by this much
 * @param witnessWindow a witness may be received at most this long after its beacon
 * @param earlyWitnessWindow when a witness arrives before its beacon, the beacon must follow the first witness within this
 * @param minGridDistance witness and beaconer at least this many H3 cells apart at resolution {@code gridResolution}
 * @param gridResolution the H3 resolution of the minimum-distance rule (11: cells about 25 m across)
 * @param maxDistanceM witness and beaconer at most this far apart (great circle)
 * @param defaultAntennaGainDbi the antenna gain of a device that declares none
 * @param maxAntennaGainDbi a declared gain above this counts as this
 * @param maxTxPowerDbm a beacon's declared transmit power above this is IMPLAUSIBLE
 * @param rssiMarginDb received power may exceed the free-space limit by this much (measurement error); 0 in Helium
 * @param beaconInterval one valid beacon per device in each interval of this length (UTC-aligned)
 * @param reciprocityWindow a device earns only with a valid beacon and a valid witness received within this long before the epoch's end
 * @param maxRewardedWitnesses witnesses of one beacon beyond this many (by receipt time) are valid but unrewarded
 * @param witnessRedundancy HIP-15's N: the witness count at which the beaconer earns one unit
 * @param decayRate HIP-15's r: decay of the beaconer's extra reward above N witnesses
 * @param regions frequency plans; beacon and witness must be in the same
 * @param hex HIP-17/HIP-104 density limits per resolution, finest first
 * @param densityResolution devices are counted in hexes of this resolution (HIP-104: 11)
 * @param fit the location-fit check's parameters
 * @param ring the closed-ring check's parameters
 * @param check the range-consistency and minimum-counterpart checks' parameters
 */
public record CoverageRules(Duration entropyWindow, long frequencyToleranceHz, Duration witnessWindow, Duration earlyWitnessWindow,
    int minGridDistance, int gridResolution, double maxDistanceM, double defaultAntennaGainDbi, double maxAntennaGainDbi,
    double maxTxPowerDbm, double rssiMarginDb, Duration beaconInterval, Duration reciprocityWindow, int maxRewardedWitnesses,
    int witnessRedundancy, double decayRate, List<Region> regions, List<HexResolution> hex, int densityResolution, Fit fit,
    Ring ring, LocationCheck check) {

  /**
   * Location fit: a device's path losses to every counterpart it exchanged valid beacons with are
   * fitted to PL = A + 10·n·log10(d) with A, n free (n within [minExponent, maxExponent]) and the
   * position free; the device is flagged when the best position is more than {@code maxOffsetM}
   * from the claimed one and the claimed position explains the losses worse by more than
   * {@code chi2Threshold} (weighted residuals, weight 1/(σs² + σf²/k) per counterpart with k samples).
   */
  public record Fit(boolean enabled, int minCounterparts, double shadowingSigmaDb, double fadingSigmaDb, double minExponent,
      double maxExponent, double maxOffsetM, double chi2Threshold) {}

  /**
   * Closed rings: a connected group of at least {@code minSize} devices whose valid witnesses are
   * all of each other, while at least {@code minOutsiders} active devices of larger groups lie
   * within {@code outsiderRadiusM} of a member and exchanged no valid witness with any of them.
   */
  public record Ring(boolean enabled, int minSize, double outsiderRadiusM, int minOutsiders) {}

  /**
   * Range consistency and confirmation ({@code [coverage.location_check]}). Range: a link (the
   * valid witnesses between two devices, both directions) whose mean path loss over its k samples
   * is lower than the log-distance law {@code FSPL(1 m) + 10·exponent·log10(d)} at the claimed
   * distance d by more than {@code maxDeviations} standard deviations {@code sqrt(σs² + σf²/k)}
   * (the location fit's σ) is RANGE_INCONSISTENT: all its witnesses are INVALID. Confirmation: a
   * device with at least one but fewer than {@code minCounterparts} distinct counterparts on valid
   * links is UNCONFIRMED_LOCATION: its own reports earn nothing (0: off); so is a device whose
   * location fit puts it at least {@code maxFitOffsetM} from its claim without the likelihood test
   * rejecting the claim (0: off): the evidence points elsewhere and nothing confirms the claim. A
   * device with inconsistent links to at least {@code maxInconsistentLinks} devices, more than any
   * of them has, is RANGE_INCONSISTENT as a whole (0: off).
   */
  public record LocationCheck(boolean rangeEnabled, double exponent, double maxDeviations, int minCounterparts, double maxFitOffsetM,
      int maxInconsistentLinks) {
    public LocationCheck {
      if (!(exponent >= 2 && exponent <= 10) || !(maxDeviations > 0) || minCounterparts < 0 || !(maxFitOffsetM >= 0) || maxInconsistentLinks < 0) {
        throw new IllegalArgumentException("coverage.location_check: exponent must be 2 to 10 (free space is 2), max_deviations"
            + " positive, min_counterparts, max_fit_offset_m and max_inconsistent_links at least 0");
      }
    }

    public static LocationCheck defaults() {
      return new LocationCheck(true, 3.0, 4.0, 2, 5_000, 3);
    }

    /** Both checks off. */
    public static LocationCheck off() {
      return new LocationCheck(false, 3.0, 4.0, 0, 0, 0);
    }
  }

  public CoverageRules {
    regions = List.copyOf(regions);
    hex = List.copyOf(hex);
    if (beaconInterval.toMillis() < 1000 || reciprocityWindow.isNegative() || witnessWindow.isNegative()
        || earlyWitnessWindow.isNegative() || entropyWindow.toMillis() < 1000) {
      throw new IllegalArgumentException("coverage windows must be positive (beacon interval and entropy window at least 1 s)");
    }
    if (maxRewardedWitnesses < 1 || witnessRedundancy < 1 || !(decayRate > 0 && decayRate < 1)) {
      throw new IllegalArgumentException("validation.coverage: max_rewarded_witnesses and witness_redundancy must be at least 1,"
          + " decay_rate in (0, 1)");
    }
    if (gridResolution < 0 || gridResolution > 15 || densityResolution < 0 || densityResolution > 15) {
      throw new IllegalArgumentException("H3 resolutions are 0 to 15");
    }
  }

  public static CoverageRules defaults() {
    return new CoverageRules(Duration.ofSeconds(180), 100_000, Duration.ofMillis(4_000), Duration.ofMillis(1_500), 8, 11, 100_000,
        1.2, 15, 36, 0, Duration.ofHours(6), Duration.ofHours(48), 14, 4, 0.8,
        Region.parseList("EU868:863000000-870000000,US915:902000000-928000000,CN470:470000000-510000000,EU433:433050000-434790000"),
        List.of(new HexResolution(10, 2, 1, 1), new HexResolution(9, 2, 1, 1), new HexResolution(8, 2, 1, 1),
            new HexResolution(7, 4, 5, 10), new HexResolution(6, 4, 25, 50), new HexResolution(5, 4, 100, 200),
            new HexResolution(4, 2, 500, 1000)),
        11, new Fit(true, 3, 6, 3, 2.0, 4.5, 2_000, 13.82), new Ring(true, 3, 3_000, 3),
        LocationCheck.defaults());
  }

  /** How far back before an epoch's start the validator reads evidence (beacon interval, reciprocity, late witnesses). */
  public Duration lookback() {
    Duration d = reciprocityWindow.compareTo(beaconInterval) > 0 ? reciprocityWindow : beaconInterval;
    return d.plus(witnessWindow).plus(earlyWitnessWindow).plus(entropyWindow);
  }

  /** The region of a frequency, or null. */
  public Region regionOf(long hz) {
    for (Region r : regions) {
      if (r.contains(hz)) {
        return r;
      }
    }
    return null;
  }

  public CoverageRules withFit(Fit f) {
    return new CoverageRules(entropyWindow, frequencyToleranceHz, witnessWindow, earlyWitnessWindow, minGridDistance, gridResolution,
        maxDistanceM, defaultAntennaGainDbi, maxAntennaGainDbi, maxTxPowerDbm, rssiMarginDb, beaconInterval, reciprocityWindow,
        maxRewardedWitnesses, witnessRedundancy, decayRate, regions, hex, densityResolution, f, ring, check);
  }

  public CoverageRules withRing(Ring r) {
    return new CoverageRules(entropyWindow, frequencyToleranceHz, witnessWindow, earlyWitnessWindow, minGridDistance, gridResolution,
        maxDistanceM, defaultAntennaGainDbi, maxAntennaGainDbi, maxTxPowerDbm, rssiMarginDb, beaconInterval, reciprocityWindow,
        maxRewardedWitnesses, witnessRedundancy, decayRate, regions, hex, densityResolution, fit, r, check);
  }

  public CoverageRules withTiming(Duration entropyWindow, Duration witnessWindow, Duration earlyWitnessWindow, Duration beaconInterval,
      Duration reciprocityWindow) {
    return new CoverageRules(entropyWindow, frequencyToleranceHz, witnessWindow, earlyWitnessWindow, minGridDistance, gridResolution,
        maxDistanceM, defaultAntennaGainDbi, maxAntennaGainDbi, maxTxPowerDbm, rssiMarginDb, beaconInterval, reciprocityWindow,
        maxRewardedWitnesses, witnessRedundancy, decayRate, regions, hex, densityResolution, fit, ring, check);
  }

  public CoverageRules withCheck(LocationCheck c) {
    return new CoverageRules(entropyWindow, frequencyToleranceHz, witnessWindow, earlyWitnessWindow, minGridDistance, gridResolution,
        maxDistanceM, defaultAntennaGainDbi, maxAntennaGainDbi, maxTxPowerDbm, rssiMarginDb, beaconInterval, reciprocityWindow,
        maxRewardedWitnesses, witnessRedundancy, decayRate, regions, hex, densityResolution, fit, ring, c);
  }

  /** Canonical text of every parameter (hashed into each epoch record). */
  public String canonical() {
    StringBuilder b = new StringBuilder("coverage/v1");
    b.append(";entropy_window_ms=").append(entropyWindow.toMillis());
    b.append(";frequency_tolerance_hz=").append(frequencyToleranceHz);
    b.append(";witness_window_ms=").append(witnessWindow.toMillis());
    b.append(";early_witness_window_ms=").append(earlyWitnessWindow.toMillis());
    b.append(";min_grid_distance=").append(minGridDistance).append("@res").append(gridResolution);
    b.append(";max_distance_m=").append(num(maxDistanceM));
    b.append(";default_antenna_gain_dbi=").append(num(defaultAntennaGainDbi));
    b.append(";max_antenna_gain_dbi=").append(num(maxAntennaGainDbi));
    b.append(";max_tx_power_dbm=").append(num(maxTxPowerDbm));
    b.append(";rssi_margin_db=").append(num(rssiMarginDb));
    b.append(";beacon_interval_ms=").append(beaconInterval.toMillis());
    b.append(";reciprocity_window_ms=").append(reciprocityWindow.toMillis());
    b.append(";max_rewarded_witnesses=").append(maxRewardedWitnesses);
    b.append(";witness_redundancy=").append(witnessRedundancy);
    b.append(";decay_rate=").append(num(decayRate));
    b.append(";regions=").append(String.join(",", regions.stream().map(Region::toString).toList()));
    b.append(";density_resolution=").append(densityResolution);
    for (HexResolution h : hex) {
      b.append(";hex_res").append(h.resolution()).append('=').append(h.neighbors()).append(',').append(h.target()).append(',')
          .append(h.max());
    }
    b.append(";fit=").append(fit.enabled()).append(',').append(fit.minCounterparts()).append(',').append(num(fit.shadowingSigmaDb()))
        .append(',').append(num(fit.fadingSigmaDb())).append(',').append(num(fit.minExponent())).append(',')
        .append(num(fit.maxExponent())).append(',').append(num(fit.maxOffsetM())).append(',').append(num(fit.chi2Threshold()));
    b.append(";ring=").append(ring.enabled()).append(',').append(ring.minSize()).append(',').append(num(ring.outsiderRadiusM()))
        .append(',').append(ring.minOutsiders());
    b.append(";location_check=").append(check.rangeEnabled()).append(',').append(num(check.exponent())).append(',')
        .append(num(check.maxDeviations())).append(',').append(check.minCounterparts()).append(',')
        .append(num(check.maxFitOffsetM())).append(',').append(check.maxInconsistentLinks());
    return b.toString();
  }

  private static String num(double d) {
    return Double.toString(d).toLowerCase(Locale.ROOT);
  }
}
