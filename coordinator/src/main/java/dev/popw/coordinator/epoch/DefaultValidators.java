package dev.popw.coordinator.epoch;

import dev.popw.coordinator.validation.BoundsValidator;
import dev.popw.coordinator.validation.coverage.CoverageRules;
import dev.popw.coordinator.validation.coverage.CoverageValidator;
import dev.popw.coordinator.validation.coverage.Denylist;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.coordinator.validation.gpu.GpuProofValidator;
import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.coordinator.validation.sensor.SensorValidator;

/** The coordinator's default validators. */
public final class DefaultValidators {
  private DefaultValidators() {}

  /** {@link SensorValidator} with the given rules, {@link CoverageValidator} with default rules and no denylist, {@link GpuProofValidator} with default rules. */
  public static Validators of(SensorRules sensor) {
    return of(sensor, CoverageRules.defaults(), Denylist.none(), GpuProofRules.defaults());
  }

  /** {@link SensorValidator}, {@link CoverageValidator} with these rules and denylist, {@link GpuProofValidator} with default rules. */
  public static Validators of(SensorRules sensor, CoverageRules coverage, Denylist denylist) {
    return of(sensor, coverage, denylist, GpuProofRules.defaults());
  }

  /** {@link SensorValidator}, {@link CoverageValidator} and {@link GpuProofValidator} with these rules. */
  public static Validators of(SensorRules sensor, CoverageRules coverage, Denylist denylist, GpuProofRules gpu) {
    return Validators.of(new SensorValidator(sensor), new CoverageValidator(coverage, denylist), new GpuProofValidator(gpu));
  }
}
