package dev.popw.coordinator.validation;

/** The work layer's decision about one envelope. The names are part of the API and of the verdict-set hash. */
public enum VerdictStatus {
  /** The work happened as claimed, as far as the validator can tell. */
  VALID(1),
  /** The envelope is genuine evidence, but the claimed work did not happen (reason says why). */
  INVALID(2),
  /** Not decided yet: its epoch is still open and the validator waits for the rest of the epoch's evidence. */
  PENDING(3);

  private final int code;

  VerdictStatus(int code) {
    this.code = code;
  }

  /** The byte used for this status in the canonical verdict encoding. */
  public int code() {
    return code;
  }
}
