package dev.popw.transport;

import dev.popw.identity.DeviceId;
import dev.popw.receipt.ReceiptTrust;
import java.util.concurrent.CompletableFuture;

/**
 * Carries signed envelopes to a coordinator and brings back its acknowledgements. Implementations
 * live in their own packages ({@code dev.popw.transport.mqtt}, {@code dev.popw.transport.coap}) with
 * optional dependencies, so that a device needs only the one it uses.
 *
 * <p>Implementations are thread-safe and reconnect by themselves after {@link #start}.
 */
public interface Transport extends AutoCloseable {
  /**
   * Starts connecting in the background (and reconnecting after failures) on behalf of {@code
   * device}. Returns at once.
   *
   * @param receipts which coordinator receipts to believe: a transport completes a send only with
   *     a receipt that passes {@link ReceiptTrust#check}, and reports every other receipt to
   *     {@link TransportListener#receiptIgnored}
   */
  void start(DeviceId device, ReceiptTrust receipts, TransportListener listener);

  /**
   * Lets the transport authenticate to its server with the device's own key, where its protocol
   * needs it (MQTT: a signed connect token, {@link dev.popw.transport.mqtt.ConnectToken}). Called
   * by {@link dev.popw.client.DeviceClient} before {@link #start}; a transport used on its own
   * calls it itself. The default does nothing (CoAP: every envelope is signed already).
   *
   * @param clock the device clock that dates the tokens
   */
  default void authenticateWith(dev.popw.identity.DeviceSigner signer, String networkId, java.time.Clock clock) {}

  /**
   * Asks the transport to bring what the coordinator sends this device besides receipts: GPU
   * challenges (docs/gpu-proofs.md). MQTT subscribes to {@code .../<device>/challenges}; CoAP polls
   * {@code POST /v1/challenges} every {@code pollInterval}. Call before {@link #start}. The payloads
   * are not checked here: the handler must verify them ({@link dev.popw.gpuproof.Challenges#check}),
   * since anyone who can publish on the topic can put a message there. Called on the transport's
   * thread; keep it short.
   *
   * @return false when this transport cannot deliver challenges (the default)
   */
  default boolean onChallenges(java.util.function.Consumer<byte[]> handler, java.time.Duration pollInterval) {
    return false;
  }

  /** True while envelopes can be sent. */
  boolean isConnected();

  /** How many envelopes may be awaiting acknowledgement at once. */
  int maxInFlight();

  /**
   * Sends one envelope. The future completes when the other side has acknowledged it, or
   * exceptionally (not connected, timeout, I/O failure); the caller then sends it again later.
   *
   * @param envelope a serialized {@code SignedEnvelope}
   * @param envelopeHash its envelope hash, which receipts quote
   */
  CompletableFuture<Acknowledgement> send(byte[] envelope, byte[] envelopeHash);

  /** A short description for logs and status output, e.g. {@code mqtt tcp://host:1883}. */
  String describe();

  /** Disconnects and releases threads and sockets. */
  @Override
  void close();
}
