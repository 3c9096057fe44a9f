package dev.popw.agent.hwkey;

import dev.popw.identity.DeviceSigner;
import dev.popw.identity.pkcs11.Pkcs11Signer;
import java.util.Locale;

/** Key generation in hardware for {@code popw-agent keygen --signer}: PKCS#11 tokens (TPM included) and the ATECC608. */
public final class HardwareKeys {
  private HardwareKeys() {}

  /** True for the URIs a hardware token opens: {@code pkcs11:}, {@code ecc608://}. */
  public static boolean isHardware(String uri) {
    String s = uri.strip().toLowerCase(Locale.ROOT);
    return s.startsWith("pkcs11:") || s.startsWith("ecc608:");
  }

  /** Makes a P-256 key in the token the URI names (never replacing a PKCS#11 key; an ECC608 slot is overwritten by GenKey). */
  public static DeviceSigner generate(String uri) {
    String s = uri.strip();
    if (s.toLowerCase(Locale.ROOT).startsWith("pkcs11:")) {
      return Pkcs11Signer.generate(s, System.getenv());
    }
    return Ecc608SignerProvider.open(s, true);
  }
}
