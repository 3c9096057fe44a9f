package dev.popw.coordinator.ingest;

import com.google.protobuf.ByteString;
import dev.popw.proto.v1.Receipt;

/**
 * The coordinator's decision on one envelope. {@code reason} is empty for ACCEPTED, "DUPLICATE"
 * for duplicates, else a {@link dev.popw.envelope.Reason} or {@link CoordinatorReason} name.
 * {@code flags} are the {@link dev.popw.coordinator.store.AcceptedEnvelope.Flags} of an accepted
 * envelope. Nullable fields are those the envelope did not get far enough to have.
 */
public record IngestResult(IngestStatus status, String reason, String detail, String deviceId, long sequence,
    byte[] envelopeHash, int flags) {

  public boolean accepted() {
    return status == IngestStatus.ACCEPTED;
  }

  /**
   * Whether the envelope verified as signed by a registered device: accepted, a duplicate, or
   * rejected by a check after the registration lookup. A rejection before its signature verified
   * names no device; one that names the network or topic wrongly is decided before the lookup, and
   * NOT_REGISTERED is the lookup failing: none of these authenticates the sender (CoAP answers
   * them no larger than they asked).
   */
  public boolean fromRegisteredDevice() {
    if (status != IngestStatus.REJECTED) {
      return true;
    }
    return deviceId != null && !reason.equals(CoordinatorReason.NOT_REGISTERED.name())
        && !reason.equals(CoordinatorReason.WRONG_NETWORK.name()) && !reason.equals(CoordinatorReason.TOPIC_MISMATCH.name());
  }

  /** The receipt the device gets. */
  public Receipt toReceipt(long nowMs) {
    Receipt.Builder b = Receipt.newBuilder()
        .setSequence(sequence)
        .setCoordinatorTimeMs(nowMs)
        .setStatus(switch (status) {
          case ACCEPTED -> Receipt.Status.ACCEPTED;
          case DUPLICATE -> Receipt.Status.DUPLICATE;
          case REJECTED -> Receipt.Status.REJECTED;
        })
        .setReason(reason == null ? "" : reason);
    if (envelopeHash != null) {
      b.setEnvelopeHash(ByteString.copyFrom(envelopeHash));
    }
    if (deviceId != null) {
      ByteString id = deviceIdBytes(deviceId);
      if (id != null) {
        b.setDeviceId(id);
      } // else a topic that names no valid device: the receipt stays bound by its envelope hash only
    }
    return b.build();
  }

  /** Binary device ids of recent receipts: parsing a did:key (base58) for every receipt cost 2-3 us. */
  private static final java.util.concurrent.ConcurrentHashMap<String, ByteString> ID_BYTES = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int ID_CACHE_SIZE = 65_536;

  private static ByteString deviceIdBytes(String deviceId) {
    ByteString b = ID_BYTES.get(deviceId);
    if (b != null) {
      return b;
    }
    try {
      b = ByteString.copyFrom(dev.popw.identity.DeviceId.parse(deviceId).toBytes());
    } catch (RuntimeException e) {
      return null; // not cached: names that do not parse are not worth memory
    }
    if (ID_BYTES.size() >= ID_CACHE_SIZE) {
      ID_BYTES.clear(); // bounded, like the verifier's key cache
    }
    ID_BYTES.put(deviceId, b);
    return b;
  }

  /**
   * The receipt as sent to the device: a {@code SignedReceipt} signed with the coordinator's key
   * (docs/wire-format.md, Receipts).
   */
  public byte[] signedReceipt(long nowMs, dev.popw.identity.DeviceSigner coordinatorKey) {
    return dev.popw.receipt.Receipts.sign(toReceipt(nowMs), coordinatorKey);
  }

  @Override
  public String toString() {
    return status + (reason == null || reason.isEmpty() ? "" : " " + reason) + " " + deviceId + "#" + sequence
        + (detail == null ? "" : " (" + detail + ")");
  }
}
