package dev.popw.identity;

import java.util.Objects;

/**
 * Where a device key is held, as the signer reports it: {@code popw-agent info} prints it and the
 * registration carries it (field {@code key_storage}, see docs/wire-format.md). It is what the
 * device says, not an attestation: the coordinator records it, it proves nothing.
 *
 * @param kind the kind of key store
 * @param detail what names this one: the PKCS#11 token label, the ECC608 serial number; empty for
 *     a key file
 */
public record KeyStorage(Kind kind, String detail) {
  /** The kinds, numbered as {@code popw.v1.KeyStorage} on the wire. */
  public enum Kind {
    /** A key file read into memory ({@link SoftwareSigner}). */
    SOFTWARE(1),
    /** A PKCS#11 token other than a TPM (an HSM, a smart card, SoftHSM). */
    PKCS11(2),
    /** A TPM 2.0, through PKCS#11 (tpm2-pkcs11). */
    TPM(3),
    /** A Microchip ATECC608 secure element. */
    ECC608(4);

    private final int wireValue;

    Kind(int wireValue) {
      this.wireValue = wireValue;
    }

    public int wireValue() {
      return wireValue;
    }

    /** The kind of a wire value, or null for 0 (not said) and unknown values. */
    public static Kind fromWireValue(int v) {
      for (Kind k : values()) {
        if (k.wireValue == v) {
          return k;
        }
      }
      return null;
    }
  }

  public static final KeyStorage SOFTWARE = new KeyStorage(Kind.SOFTWARE, "");

  public KeyStorage {
    Objects.requireNonNull(kind, "kind");
    detail = detail == null ? "" : detail;
  }

  /** How {@code popw-agent info} prints it: {@code software}, {@code pkcs11 (token 'popw')}, ... */
  @Override
  public String toString() {
    String k = kind.name().toLowerCase(java.util.Locale.ROOT);
    return detail.isEmpty() ? k : k + " (" + detail + ")";
  }
}
