package dev.popw.coordinator.registry;

/** A registration was refused. The message is written for the device owner. */
public final class RegistrationException extends RuntimeException {
  public RegistrationException(String message) {
    super(message);
  }
}
