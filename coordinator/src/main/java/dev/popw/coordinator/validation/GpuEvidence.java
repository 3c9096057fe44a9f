package dev.popw.coordinator.validation;

import java.util.List;
import java.util.Optional;

/**
 * What GPU validation needs beyond an epoch's envelopes: the challenges issued (as recorded), every
 * answer to one of them (which may lie in the epoch before), and the pinned GPU fingerprints. All of
 * it is recorded data that does not change once the epoch closes, so a re-validation sees the same.
 */
public interface GpuEvidence {
  /** Challenges whose expiry ({@link ChallengeRecord#expiresAt()}) lies in {@code [startMs, endMs)}, by id. */
  List<ChallengeRecord> decidedIn(long startMs, long endMs);

  Optional<ChallengeRecord> challenge(long id);

  /**
   * The challenged device's GPU envelopes that carry a proof for this challenge and were received
   * from its issue to its expiry, in sequence order.
   */
  List<Evidence> responses(ChallengeRecord challenge);

  /** The fingerprint pinned for the device's registration in force at {@code atMs}, if one was pinned by then. */
  Optional<GpuFingerprint.Pin> pin(String deviceId, long atMs);

  /** No challenges and no pins. */
  GpuEvidence NONE = new GpuEvidence() {
    @Override
    public List<ChallengeRecord> decidedIn(long startMs, long endMs) {
      return List.of();
    }

    @Override
    public Optional<ChallengeRecord> challenge(long id) {
      return Optional.empty();
    }

    @Override
    public List<Evidence> responses(ChallengeRecord challenge) {
      return List.of();
    }

    @Override
    public Optional<GpuFingerprint.Pin> pin(String deviceId, long atMs) {
      return Optional.empty();
    }
  };
}
