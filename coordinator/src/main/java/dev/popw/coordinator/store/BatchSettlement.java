package dev.popw.coordinator.store;

/**
 * A batch with its settlement state.
 *
 * @param status SEALED, SUBMITTED, CONFIRMED or FAILED
 * @param txHash 0x-prefixed hash of the commit transaction, once submitted
 * @param txRaw the signed transaction, stored before it was broadcast
 * @param blockNumber the block that holds the commit, once mined
 */
public record BatchSettlement(SealedBatch batch, String status, String txHash, Long txNonce, String txRaw,
    Long blockNumber, Long submittedAt, Long confirmedAt, Long chainId, String note) {

  public static final String SEALED = "SEALED";
  public static final String SUBMITTED = "SUBMITTED";
  public static final String CONFIRMED = "CONFIRMED";
  public static final String FAILED = "FAILED";
}
