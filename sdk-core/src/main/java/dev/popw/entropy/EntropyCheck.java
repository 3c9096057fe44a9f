package dev.popw.entropy;

import dev.popw.proto.v1.Entropy;
import java.util.Objects;

/**
 * The outcome of checking one {@code SignedEntropy}: the entropy, when a beacon may use it, or why not.
 *
 * @param entropy the entropy when {@link #isValid()}; null otherwise
 * @param failure why it was refused; null when valid
 * @param detail the numbers behind a refusal ("issued 2026-11-24T12:00:00Z, expired 200 s ago"), empty when valid
 */
public record EntropyCheck(Entropy entropy, EntropyFailure failure, String detail) {
  public EntropyCheck {
    if ((entropy == null) == (failure == null)) {
      throw new IllegalArgumentException("exactly one of entropy and failure");
    }
    Objects.requireNonNull(detail, "detail");
  }

  static EntropyCheck valid(Entropy e) {
    return new EntropyCheck(e, null, "");
  }

  static EntropyCheck invalid(EntropyFailure f, String detail) {
    return new EntropyCheck(null, f, detail);
  }

  public boolean isValid() {
    return entropy != null;
  }
}
