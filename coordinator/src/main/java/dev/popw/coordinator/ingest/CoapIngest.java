package dev.popw.coordinator.ingest;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Map;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;

/**
 * The coordinator's CoAP endpoint: {@code POST /v1/telemetry} with a {@code SignedEnvelope}. The
 * response carries the {@code Receipt} once the envelope is committed, piggybacked on the
 * acknowledgement when that takes less than {@link #ACCEPT_AFTER_MS} (the usual case: two
 * datagrams per envelope); otherwise the request is acknowledged then and a separate response
 * follows, so the device does not retransmit while the database works. {@code 2.01 Created} when accepted, {@code 2.03
 * Valid} for a duplicate, {@code 4.00 Bad Request} with the reason when rejected, {@code 5.03} when
 * the database failed (the device sends again). Plain UDP, and DTLS with pre-shared keys and
 * Connection ID when keys are configured.
 */
public final class CoapIngest implements AutoCloseable {
  static {
    CoapConfig.register();
    UdpConfig.register();
    DtlsConfig.register();
  }

  /** How long a response may take before the request is acknowledged on its own (clients retransmit after 2-3 s). */
  static final long ACCEPT_AFTER_MS = 500;

  private final CoapServer server;
  private final java.util.concurrent.ScheduledExecutorService acceptTimer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "popw-coap-accept");
        t.setDaemon(true);
        return t;
      });
  private final CoapEndpoint plain;
  private final CoapEndpoint secure;

  /**
   * @param plainPort UDP port for coap://, or -1 for none (0: any free port)
   * @param securePort UDP port for coaps://, or -1 for none
   * @param pskKeys identity -> secret for DTLS; required when securePort is not -1
   */
  private final dev.popw.identity.DeviceSigner receiptKey;

  /** @param receiptKey the coordinator's Ed25519 key; every receipt in a response is signed with it */
  public CoapIngest(String bindHost, int plainPort, int securePort, Map<String, byte[]> pskKeys, IngestPipeline pipeline, Clock clock,
      dev.popw.identity.DeviceSigner receiptKey) {
    this.receiptKey = java.util.Objects.requireNonNull(receiptKey, "receiptKey");
    Configuration cfg = Configuration.createStandardWithoutFile()
        // Bursts from many devices: larger socket buffers drop fewer datagrams, two receivers and
        // senders keep the socket drained while the protocol stage works.
        .set(UdpConfig.UDP_RECEIVE_BUFFER_SIZE, 4 * 1024 * 1024)
        .set(UdpConfig.UDP_SEND_BUFFER_SIZE, 4 * 1024 * 1024)
        .set(UdpConfig.UDP_RECEIVER_THREAD_COUNT, 2)
        .set(UdpConfig.UDP_SENDER_THREAD_COUNT, 2)
        // No message deduplication: Californium's keeps every exchange for EXCHANGE_LIFETIME
        // (247 s), 3-4 KB each, which is gigabytes of heap at 10,000 requests/s (1.3 GB after
        // a 450,000-request benchmark run). The pipeline is idempotent instead: a retransmitted
        // request is answered DUPLICATE once the first copy is committed, at the price of
        // checking its signature again.
        .set(CoapConfig.DEDUPLICATOR, CoapConfig.NO_DEDUPLICATOR);
    server = new CoapServer(cfg);
    if (plainPort >= 0) {
      plain = new CoapEndpoint.Builder().setConfiguration(cfg).setInetSocketAddress(new InetSocketAddress(bindHost, plainPort)).build();
      server.addEndpoint(plain);
    } else {
      plain = null;
    }
    if (securePort >= 0) {
      AdvancedMultiPskStore store = new AdvancedMultiPskStore();
      pskKeys.forEach(store::setKey);
      DtlsConnectorConfig dtls = DtlsConnectorConfig.builder(cfg)
          .set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.SERVER_ONLY)
          .set(DtlsConfig.DTLS_CONNECTION_ID_LENGTH, 6)
          .setAddress(new InetSocketAddress(bindHost, securePort))
          .setAdvancedPskStore(store)
          .build();
      secure = new CoapEndpoint.Builder().setConfiguration(cfg).setConnector(new DTLSConnector(dtls)).build();
      server.addEndpoint(secure);
    } else {
      secure = null;
    }
    CoapResource v1 = new CoapResource("v1");
    v1.add(new CoapResource("telemetry") {
      @Override
      public void handlePOST(CoapExchange exchange) {
        // Answer when committed, piggybacked if that is quick; acknowledge on its own if it is not,
        // so the device does not retransmit while the database works (a separate response follows).
        java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> accept = acceptTimer.schedule(() -> {
          if (answered.compareAndSet(false, true)) {
            exchange.accept();
          }
        }, ACCEPT_AFTER_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        pipeline.submit(exchange.getRequestPayload(), null).whenComplete((r, err) -> {
          if (answered.compareAndSet(false, true)) {
            accept.cancel(false);
          }
          if (err != null) {
            exchange.respond(CoAP.ResponseCode.SERVICE_UNAVAILABLE, "database unavailable; send again later");
            return;
          }
          CoAP.ResponseCode code = switch (r.status()) {
            case ACCEPTED -> CoAP.ResponseCode.CREATED;
            case DUPLICATE -> CoAP.ResponseCode.VALID;
            case REJECTED -> CoAP.ResponseCode.BAD_REQUEST;
          };
          exchange.respond(code, r.signedReceipt(clock.millis(), receiptKey), MediaTypeRegistry.APPLICATION_OCTET_STREAM);
        });
      }
    });
    v1.add(new CoapResource("challenges") {
      @Override
      public void handlePOST(CoapExchange exchange) {
        answerPoll(exchange);
      }
    });
    server.add(v1);
  }

  private volatile java.util.function.Function<String, byte[]> challenges = id -> null;

  /**
   * What {@code POST /v1/challenges} answers: the signed GPU challenge message waiting for the
   * polling device, if any.
   */
  public void challenges(java.util.function.Function<String, byte[]> waitingFor) {
    this.challenges = java.util.Objects.requireNonNull(waitingFor, "waitingFor");
  }

  /**
   * A {@code ChallengePoll} names a device; the answer is its waiting message (2.05, or 2.05 with no
   * payload when nothing waits). The poll is not authenticated and the message is public (signed),
   * but the answer is never larger than the poll, so the endpoint amplifies nothing: a message
   * larger than the poll is refused with 4.13 and the poll size it needs.
   */
  private void answerPoll(CoapExchange exchange) {
    byte[] req = exchange.getRequestPayload();
    String device;
    try {
      device = dev.popw.identity.DeviceId.fromBytes(dev.popw.proto.v1.ChallengePoll.parseFrom(req).getDeviceId().toByteArray()).toString();
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      exchange.respond(CoAP.ResponseCode.BAD_REQUEST);
      return;
    }
    byte[] waiting = challenges.apply(device);
    if (waiting == null) {
      exchange.respond(CoAP.ResponseCode.CONTENT);
    } else if (waiting.length > req.length) {
      exchange.respond(CoAP.ResponseCode.REQUEST_ENTITY_TOO_LARGE, "poll with " + waiting.length + " bytes");
    } else {
      exchange.respond(CoAP.ResponseCode.CONTENT, waiting, MediaTypeRegistry.APPLICATION_OCTET_STREAM);
    }
  }

  public void start() {
    server.start();
  }

  /** The bound coap:// port, or -1. */
  public int plainPort() {
    return plain == null ? -1 : plain.getAddress().getPort();
  }

  /** The bound coaps:// port, or -1. */
  public int securePort() {
    return secure == null ? -1 : secure.getAddress().getPort();
  }

  @Override
  public void close() {
    server.destroy();
    acceptTimer.shutdownNow();
  }
}
