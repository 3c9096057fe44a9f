package dev.popw.coordinator.audit;

/** An export or audit that cannot go on: a missing or malformed file, an unknown epoch. The message is for the operator. */
public final class AuditException extends RuntimeException {
  public AuditException(String message) {
    super(message);
  }

  public AuditException(String message, Throwable cause) {
    super(message, cause);
  }
}
