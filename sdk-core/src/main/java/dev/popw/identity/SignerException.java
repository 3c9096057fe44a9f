package dev.popw.identity;

/** A signer could not be opened or could not sign. The message is written for the user. */
public class SignerException extends RuntimeException {
  public SignerException(String message) {
    super(message);
  }

  public SignerException(String message, Throwable cause) {
    super(message, cause);
  }
}
