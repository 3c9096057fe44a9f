package dev.popw.agent.sensor;

import java.io.IOException;

/** Register access to one device on an I2C bus. {@link Pi4jI2c} is the Raspberry Pi implementation. */
public interface I2cDevice extends AutoCloseable {
  /** Reads {@code buffer.length} consecutive registers starting at {@code register}. */
  void readRegisters(int register, byte[] buffer) throws IOException;

  void writeRegister(int register, int value) throws IOException;

  default int readRegister(int register) throws IOException {
    byte[] b = new byte[1];
    readRegisters(register, b);
    return b[0] & 0xFF;
  }

  /** How messages name the device, e.g. {@code 0x76 on I2C bus 1}. */
  default String describe() {
    return "the I2C device";
  }

  @Override
  default void close() {}
}
