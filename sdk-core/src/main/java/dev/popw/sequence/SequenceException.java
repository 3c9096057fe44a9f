package dev.popw.sequence;

/** The sequence state cannot be read, written or locked. The message is written for the user. */
public final class SequenceException extends RuntimeException {
  public SequenceException(String message) {
    super(message);
  }

  public SequenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
