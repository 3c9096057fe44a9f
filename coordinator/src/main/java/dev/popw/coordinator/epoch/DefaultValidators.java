package dev.popw.coordinator.epoch;

import dev.popw.coordinator.validation.BoundsValidator;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.coordinator.validation.sensor.SensorValidator;

/** The coordinator's default validators. */
public final class DefaultValidators {
  private DefaultValidators() {}

  /** {@link SensorValidator} with the given rules, {@link BoundsValidator} for coverage and GPU. */
  public static Validators of(SensorRules sensor) {
    return Validators.of(new SensorValidator(sensor), BoundsValidator.coverage(), BoundsValidator.gpu());
  }
}
