package dev.popw.agent;

/** A user mistake in the agent's settings or arguments: printed as one line, exit status 1. */
public final class AgentSettingsException extends RuntimeException {
  public AgentSettingsException(String message) {
    super(message);
  }
}
