package dev.popw.coordinator.validation;

import java.util.Objects;

/**
 * The decision on one GPU capacity challenge: data, with a stable reason
 * ({@link WorkReason}: OK, TIMEOUT, TOO_FAST, BAD_COMMITMENT, WRONG_TILE, ...) and an explanation
 * with the numbers. Decided when the epoch holding the challenge's expiry closes.
 *
 * @param units capacity units the challenge proved: its GPU class's units when VALID, else 0
 */
public record ChallengeVerdict(long challengeId, String deviceId, ChallengeStatus status, String reason, String explanation,
    double units) {
  public ChallengeVerdict {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reason, "reason");
    explanation = Verdict.bounded(Objects.requireNonNull(explanation, "explanation"));
  }

  public boolean isValid() {
    return status == ChallengeStatus.VALID;
  }
}
