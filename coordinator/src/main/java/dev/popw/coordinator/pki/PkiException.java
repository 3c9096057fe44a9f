package dev.popw.coordinator.pki;

/** A certificate cannot be issued, or a CA file is unusable; the message is fit for the operator. */
public final class PkiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean unsupportedKey;

  PkiException(String message, boolean unsupportedKey) {
    super(message);
    this.unsupportedKey = unsupportedKey;
  }

  PkiException(String message, Throwable cause) {
    super(message, cause);
    this.unsupportedKey = false;
  }

  /** True when the device's key type cannot authenticate a TLS connection (secp256k1). */
  public boolean unsupportedKey() {
    return unsupportedKey;
  }
}
