package dev.popw.receipt;

/**
 * Why a device ignored a receipt. Stable names: they appear in logs and status output.
 */
public enum ReceiptFailure {
  /** Not a parseable {@code SignedReceipt} carrying a {@code Receipt}. */
  MALFORMED,
  /** No signature (an unsigned or pre-signing receipt). */
  UNSIGNED,
  /** Signed, but announces a coordinator key other than the pinned one. */
  UNTRUSTED_KEY,
  /** The signature does not verify under the pinned coordinator key (forged or tampered). */
  BAD_SIGNATURE,
  /** Correctly signed, but for another device, or bound to no device and no envelope. */
  WRONG_DEVICE
}
