package dev.popw.coordinator.validation;

import dev.popw.gpuproof.ProofParameters;
import java.util.Objects;

/**
 * A GPU capacity challenge as the coordinator issued it: everything its verdict depends on besides
 * the device's answers, recorded when it was issued (and, for {@code openIssuedAt}, when the open
 * request went out). With the stored evidence this makes a challenge's verdict a pure function.
 *
 * @param id the challenge id, increasing per coordinator
 * @param gpuClass the class from the settings table the challenge was sized for
 * @param parameters seed, n, tile, matrices and probe size
 * @param openSeed coordinator entropy that picks the tiles to open (sent to no one)
 * @param openedTiles how many tiles are opened (k)
 * @param probeReads how many probe blocks are read back
 * @param issuedAt coordinator clock, Unix ms
 * @param commitDeadlineMs the commitment must be received within this many ms after issuedAt
 * @param tooFastMs a commitment received sooner is impossibly fast for the class (TOO_FAST)
 * @param openDeadlineMs the openings must be received within this many ms after the commitment
 * @param units capacity units of the challenged GPU's class
 * @param openIssuedAt when the open request was issued; null if it never was
 */
public record ChallengeRecord(long id, String deviceId, String gpuUuid, String gpuClass, ProofParameters parameters, byte[] openSeed,
    int openedTiles, int probeReads, long issuedAt, long commitDeadlineMs, long tooFastMs, long openDeadlineMs, double units,
    Long openIssuedAt) {
  public ChallengeRecord {
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(parameters, "parameters");
    if (openSeed == null || openSeed.length != 32) {
      throw new IllegalArgumentException("an open seed is 32 bytes");
    }
    openSeed = openSeed.clone();
  }

  @Override
  public byte[] openSeed() {
    return openSeed.clone();
  }

  /** After this time no answer counts: the last moment an opening can arrive. */
  public long expiresAt() {
    return issuedAt + commitDeadlineMs + openDeadlineMs;
  }

  public ChallengeRecord withOpenIssuedAt(long at) {
    return new ChallengeRecord(id, deviceId, gpuUuid, gpuClass, parameters, openSeed, openedTiles, probeReads, issuedAt, commitDeadlineMs,
        tooFastMs, openDeadlineMs, units, at);
  }
}
