package dev.popw.transport;

import dev.popw.proto.v1.Receipt;
import dev.popw.receipt.ReceiptCheck;
import java.util.Optional;

/**
 * Proof that an envelope reached the other side: the coordinator's {@link Receipt} when the
 * transport carries one, or only the broker's acknowledgement (MQTT PUBACK mode).
 */
public final class Acknowledgement {
  private static final Acknowledgement BROKER = new Acknowledgement(null, false);
  private final Receipt receipt;
  private final boolean authenticated;

  private Acknowledgement(Receipt receipt, boolean authenticated) {
    this.receipt = receipt;
    this.authenticated = authenticated;
  }

  /** A receipt whose signature nobody checked. A {@code DeviceClient} that pins a coordinator key does not act on it. */
  public static Acknowledgement of(Receipt receipt) {
    return new Acknowledgement(java.util.Objects.requireNonNull(receipt, "receipt"), false);
  }

  /**
   * The receipt of a passed {@link ReceiptCheck}: authenticated when its signature verified under
   * the pinned coordinator key.
   *
   * @throws IllegalArgumentException if the check failed
   */
  public static Acknowledgement of(ReceiptCheck check) {
    if (!check.isValid()) {
      throw new IllegalArgumentException("receipt check failed: " + check.failure());
    }
    return new Acknowledgement(check.receipt(), check.authenticated());
  }

  /** True if the receipt's signature verified under the pinned coordinator key. */
  public boolean isAuthenticated() {
    return authenticated;
  }

  /** Acknowledged by a broker, without a coordinator receipt. */
  public static Acknowledgement brokerOnly() {
    return BROKER;
  }

  public Optional<Receipt> receipt() {
    return Optional.ofNullable(receipt);
  }

  /** True if the coordinator refused the envelope. */
  public boolean isRejected() {
    return receipt != null && receipt.getStatus() == Receipt.Status.REJECTED;
  }
}
