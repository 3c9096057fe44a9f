package dev.popw.agent.sensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A register map standing in for an I2C chip: reads return the bytes, writes are recorded. */
final class FakeI2c implements I2cDevice {
  final byte[] registers = new byte[256];
  final List<int[]> writes = new ArrayList<>();
  int busyReads;
  boolean failing;

  @Override
  public void readRegisters(int register, byte[] buffer) throws IOException {
    if (failing) {
      throw new IOException("Remote I/O error");
    }
    if (register == Bme280.REG_STATUS && busyReads > 0) {
      busyReads--;
      buffer[0] = 0x08;
      return;
    }
    System.arraycopy(registers, register, buffer, 0, buffer.length);
  }

  @Override
  public void writeRegister(int register, int value) {
    writes.add(new int[] {register, value});
  }

  void u16(int reg, int v) {
    registers[reg] = (byte) v;
    registers[reg + 1] = (byte) (v >> 8);
  }

  /** Loads calibration words the way the chip stores them (datasheet table 16). */
  void calibration(Bme280.Calibration c) {
    registers[Bme280.REG_CHIP_ID] = (byte) Bme280.CHIP_ID;
    int[] words = {c.t1(), c.t2(), c.t3(), c.p1(), c.p2(), c.p3(), c.p4(), c.p5(), c.p6(), c.p7(), c.p8(), c.p9()};
    for (int i = 0; i < words.length; i++) {
      u16(0x88 + 2 * i, words[i]);
    }
    registers[0xA1] = (byte) c.h1();
    u16(0xE1, c.h2());
    registers[0xE3] = (byte) c.h3();
    registers[0xE4] = (byte) (c.h4() >> 4);
    registers[0xE5] = (byte) ((c.h4() & 0x0F) | (c.h5() & 0x0F) << 4);
    registers[0xE6] = (byte) (c.h5() >> 4);
    registers[0xE7] = (byte) c.h6();
  }

  /** Loads raw ADC values into the data registers 0xF7..0xFE. */
  void adc(int t, int p, int h) {
    registers[0xF7] = (byte) (p >> 12);
    registers[0xF8] = (byte) (p >> 4);
    registers[0xF9] = (byte) ((p & 0x0F) << 4);
    registers[0xFA] = (byte) (t >> 12);
    registers[0xFB] = (byte) (t >> 4);
    registers[0xFC] = (byte) ((t & 0x0F) << 4);
    registers[0xFD] = (byte) (h >> 8);
    registers[0xFE] = (byte) h;
  }
}
