package dev.popw.transport;

/** Connection events of a {@link Transport}. Called on the transport's threads; keep it short. */
public interface TransportListener {
  void connected();

  /** The connection dropped or an attempt failed; the transport retries by itself. */
  void disconnected(Throwable cause);

  /**
   * A receipt arrived that the device does not believe (unsigned, signed by another key, tampered
   * or for another device) and was ignored: the envelope it names stays queued.
   */
  default void receiptIgnored(dev.popw.receipt.ReceiptFailure failure) {}

  /** A listener that ignores everything. */
  TransportListener NONE = new TransportListener() {
    @Override
    public void connected() {}

    @Override
    public void disconnected(Throwable cause) {}
  };
}
