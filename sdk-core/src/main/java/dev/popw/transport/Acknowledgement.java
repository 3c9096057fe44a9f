package dev.popw.transport;

import dev.popw.proto.v1.Receipt;
import java.util.Optional;

/**
 * Proof that an envelope reached the other side: the coordinator's {@link Receipt} when the
 * transport carries one, or only the broker's acknowledgement (MQTT PUBACK mode).
 */
public final class Acknowledgement {
  private static final Acknowledgement BROKER = new Acknowledgement(null);
  private final Receipt receipt;

  private Acknowledgement(Receipt receipt) {
    this.receipt = receipt;
  }

  public static Acknowledgement of(Receipt receipt) {
    return new Acknowledgement(receipt);
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
