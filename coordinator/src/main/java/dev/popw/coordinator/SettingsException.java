package dev.popw.coordinator;

/** The settings file or an environment override is wrong. The message names the key and the fix. */
public final class SettingsException extends RuntimeException {
  public SettingsException(String message) {
    super(message);
  }
}
