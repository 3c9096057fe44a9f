package dev.popw.outbox;

/** An entry was refused because the outbox is full and its policy is {@link OverflowPolicy#REJECT_NEW}. */
public final class OutboxFullException extends OutboxException {
  public OutboxFullException(String message) {
    super(message);
  }
}
