package dev.popw.coordinator.chain;

/**
 * A chain operation failed. {@link #retryable()} tells a transient failure (the node is
 * unreachable or answered with an RPC error) from one that retrying will not fix (a revert, a
 * missing contract, a wrong chain id).
 */
public class ChainException extends RuntimeException {
  private final boolean retryable;

  public ChainException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public ChainException(String message, Throwable cause, boolean retryable) {
    super(message, cause);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
