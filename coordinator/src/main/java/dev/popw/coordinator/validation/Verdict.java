package dev.popw.coordinator.validation;

import java.util.Objects;

/**
 * A validator's decision about one accepted envelope.
 *
 * @param envelopeHash SHA-256 of the signed envelope (32 bytes)
 * @param deviceId the device's did:key
 * @param sequence the envelope's sequence number
 * @param kind the payload kind ({@link WorkKind})
 * @param status VALID, INVALID or PENDING
 * @param reason a stable reason name ({@link WorkReason}); never renamed, only added to
 * @param explanation the numbers that decided it, in plain words ("temperature jumped 14.2 °C in
 *     60 s; limit 2.0 °C"); formatted with {@link java.util.Locale#ROOT} so it is the same on every
 *     machine
 */
public record Verdict(byte[] envelopeHash, String deviceId, long sequence, WorkKind kind, VerdictStatus status, String reason,
    String explanation) {
  public Verdict {
    Objects.requireNonNull(envelopeHash, "envelopeHash");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(explanation, "explanation");
    explanation = bounded(explanation);
    if (envelopeHash.length != 32) {
      throw new IllegalArgumentException("envelope hash must be 32 bytes");
    }
  }

  public static Verdict valid(Evidence e, String explanation) {
    return new Verdict(e.hash(), e.deviceId(), e.sequence(), e.kind(), VerdictStatus.VALID, WorkReason.OK, explanation);
  }

  public static Verdict invalid(Evidence e, String reason, String explanation) {
    return new Verdict(e.hash(), e.deviceId(), e.sequence(), e.kind(), VerdictStatus.INVALID, reason, explanation);
  }

  public boolean isValid() {
    return status == VerdictStatus.VALID;
  }

  /** Explanations are stored in 1,000 characters at most; longer ones are cut here, before they are hashed. */
  public static String bounded(String s) {
    return s.length() <= 1000 ? s : s.substring(0, 997) + "...";
  }
}
