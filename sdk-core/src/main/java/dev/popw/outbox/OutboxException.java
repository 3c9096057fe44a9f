package dev.popw.outbox;

/** The outbox cannot read or write its files. The message is written for the user. */
public class OutboxException extends RuntimeException {
  public OutboxException(String message) {
    super(message);
  }

  public OutboxException(String message, Throwable cause) {
    super(message, cause);
  }
}
