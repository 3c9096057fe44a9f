package dev.popw.identity.ecc608;

import dev.popw.identity.SignerException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ecc608://i2c-1:0x60?slot=0}: the chip on I²C bus 1 at 7-bit address 0x60 (the factory
 * default, 0xC0 in the datasheet's 8-bit notation), the key in slot 0. Slots 0 to 15; only slots
 * configured for ECC private keys can hold one. (Helium's gateway-rs writes
 * {@code ecc://i2c-1:96?slot=0}: a decimal address is accepted too.)
 */
public record Ecc608Uri(int bus, int address, int slot) {
  private static final Pattern FORM = Pattern.compile("(?i)ecc(?:608)?://i2c-(\\d{1,2}):(0x[0-9a-f]{1,2}|\\d{1,3})(?:\\?slot=(\\d{1,2}))?");

  /** Parses the URI; the slot defaults to 0. */
  public static Ecc608Uri parse(String uri) {
    Matcher m = FORM.matcher(uri == null ? "" : uri.strip());
    if (!m.matches()) {
      throw new SignerException("not an ATECC608 signer URI: '" + uri + "' (expected ecc608://i2c-BUS:ADDRESS?slot=N, e.g. ecc608://i2c-1:0x60?slot=0)");
    }
    String a = m.group(2).toLowerCase(java.util.Locale.ROOT);
    int address = a.startsWith("0x") ? Integer.parseInt(a.substring(2), 16) : Integer.parseInt(a);
    if (address < 0x08 || address > 0x77) {
      throw new SignerException("I2C address " + m.group(2) + " in '" + uri + "' is not a 7-bit device address (0x08 to 0x77; the ATECC608's default is 0x60)");
    }
    int slot = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    if (slot > 15) {
      throw new SignerException("ATECC608 slot " + slot + " in '" + uri + "' does not exist (slots 0 to 15)");
    }
    return new Ecc608Uri(Integer.parseInt(m.group(1)), address, slot);
  }
}
