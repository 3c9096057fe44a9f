package dev.popw.transport;

/** A send failed or timed out. The message is written for the user. */
public class TransportException extends RuntimeException {
  public TransportException(String message) {
    super(message);
  }

  public TransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
