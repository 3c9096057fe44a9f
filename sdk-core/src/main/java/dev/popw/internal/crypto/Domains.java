package dev.popw.internal.crypto;

/**
 * Domain separation: every signed message is a domain prefix ({@code "popw.v1.<Kind>\0"}) followed by
 * the message bytes, so a signature made for one kind of message never verifies as another.
 */
public final class Domains {
  private Domains() {}

  /** {@code domain || message}. */
  public static byte[] prefixed(byte[] domain, byte[] message) {
    byte[] m = new byte[domain.length + message.length];
    System.arraycopy(domain, 0, m, 0, domain.length);
    System.arraycopy(message, 0, m, domain.length, message.length);
    return m;
  }
}
