package dev.popw.identity;

import java.nio.file.Path;

/** A key file is missing, unreadable, too widely readable or not a supported key. */
public final class KeyFileException extends SignerException {
  private final Path file;

  public KeyFileException(Path file, String message) {
    super(message);
    this.file = file;
  }

  public KeyFileException(Path file, String message, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  public Path file() {
    return file;
  }
}
