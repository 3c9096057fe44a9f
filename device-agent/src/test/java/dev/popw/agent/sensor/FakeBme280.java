package dev.popw.agent.sensor;

/** A BME280 register map with the datasheet example loaded, for tests outside this package. */
public final class FakeBme280 {
  private FakeBme280() {}

  /** Opens a fake chip that reads 25.08 °C and 100653 Pa. */
  public static Bme280Source.Opener withExampleReading() {
    return () -> {
      FakeI2c chip = new FakeI2c();
      chip.calibration(Bme280Test.CAL);
      chip.adc(519888, 415148, 30000);
      return chip;
    };
  }
}
