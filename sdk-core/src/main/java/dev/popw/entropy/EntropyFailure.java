package dev.popw.entropy;

/** Why a device refused a {@code SignedEntropy}. */
public enum EntropyFailure {
  /** Not a well-formed SignedEntropy, or its value is not 32 bytes. */
  MALFORMED,
  /** No signature. */
  UNSIGNED,
  /** It announces another coordinator key than the pinned one. */
  UNTRUSTED_KEY,
  /** The signature does not verify under the pinned key. */
  BAD_SIGNATURE,
  /** Issued for another network. */
  WRONG_NETWORK,
  /** Past its expiry (a beacon carrying it would be refused as ENTROPY_EXPIRED). */
  EXPIRED,
  /** Issued later than the device's clock allows (more than the clock tolerance ahead). */
  FROM_THE_FUTURE
}
