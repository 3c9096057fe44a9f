package dev.popw.identity.ecc608;

import java.io.IOException;

/** The chip answered with an error status, or its answer failed the CRC. */
public final class Ecc608Exception extends IOException {
  private static final long serialVersionUID = 1L;
  private final int status;

  Ecc608Exception(int status, String message) {
    super(message);
    this.status = status;
  }

  /** The status byte (datasheet: 0x01 miscompare, 0x03 parse error, 0x05 ECC fault, 0x0F execution error, 0xFF CRC error), -1 for a bad answer. */
  public int status() {
    return status;
  }
}
