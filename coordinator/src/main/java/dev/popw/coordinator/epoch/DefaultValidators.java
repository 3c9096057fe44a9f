package dev.popw.coordinator.epoch;

import dev.popw.coordinator.validation.BoundsValidator;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.coordinator.validation.gpu.GpuProofValidator;
import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.coordinator.validation.sensor.SensorValidator;

/** The coordinator's default validators. */
public final class DefaultValidators {
  private DefaultValidators() {}

  /** {@link SensorValidator} with the given rules, {@link BoundsValidator} for coverage, {@link GpuProofValidator} with the default rules. */
  public static Validators of(SensorRules sensor) {
    return of(sensor, GpuProofRules.defaults());
  }

  /** {@link SensorValidator}, {@link BoundsValidator} for coverage, {@link GpuProofValidator} for GPU devices. */
  public static Validators of(SensorRules sensor, GpuProofRules gpu) {
    return Validators.of(new SensorValidator(sensor), BoundsValidator.coverage(), new GpuProofValidator(gpu));
  }
}
