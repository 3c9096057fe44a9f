package dev.popw.coordinator.validation;

/** The outcome of a GPU capacity challenge. The names are part of the API and of the epoch's summary hash. */
public enum ChallengeStatus {
  /** The device committed in time, not impossibly fast, and every opened tile and probe block was right. */
  VALID(1),
  /** It did not (the reason says how). */
  INVALID(2),
  /** The coordinator did not do its part (the open request was not sent in time): counts neither way. */
  VOID(3);

  private final int code;

  ChallengeStatus(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
