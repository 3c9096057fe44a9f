package dev.popw.receipt;

import dev.popw.proto.v1.Receipt;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of checking one receipt: the receipt, when it may be acted on, or why not.
 *
 * @param receipt the receipt when {@link #isValid()}; null otherwise
 * @param failure why the receipt was ignored; null when valid
 * @param authenticated true when the signature verified under the pinned coordinator key; false
 *     for a receipt admitted by {@link ReceiptTrust#unverifiedForDevelopment()}
 */
public record ReceiptCheck(Receipt receipt, ReceiptFailure failure, boolean authenticated) {
  public ReceiptCheck {
    if ((receipt == null) == (failure == null)) {
      throw new IllegalArgumentException("exactly one of receipt and failure");
    }
  }

  static ReceiptCheck valid(Receipt r, boolean authenticated) {
    return new ReceiptCheck(Objects.requireNonNull(r), null, authenticated);
  }

  static ReceiptCheck invalid(ReceiptFailure f) {
    return new ReceiptCheck(null, Objects.requireNonNull(f), false);
  }

  public boolean isValid() {
    return receipt != null;
  }

  public Optional<Receipt> validReceipt() {
    return Optional.ofNullable(receipt);
  }
}
