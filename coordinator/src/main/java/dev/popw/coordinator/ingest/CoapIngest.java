package dev.popw.coordinator.ingest;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.Exchange;
import org.eclipse.californium.core.network.interceptors.MessageInterceptorAdapter;
import org.eclipse.californium.core.server.ServerMessageDeliverer;
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
 *
 * <p>Nothing else is served (docs/security.md, "CoAP"): every other path is {@code 4.04} and every
 * other method on {@code /v1/telemetry} {@code 4.05}, both without payload; there is no banner at
 * {@code /} and no {@code /.well-known/core}. Requests over a source address's rate ({@link
 * SourceRateLimiter}) are dropped unanswered. An answer is never larger than its request unless
 * the request verified as an envelope signed by a registered device: a larger receipt is withheld
 * (the code goes without payload), and payloads of the answers Californium makes itself (to
 * malformed requests) are removed.
 */
public final class CoapIngest implements AutoCloseable {
  static {
    CoapConfig.register();
    UdpConfig.register();
    DtlsConfig.register();
  }

  /** How long a response may take before the request is acknowledged on its own (clients retransmit after 2-3 s). */
  static final long ACCEPT_AFTER_MS = 500;

  private static final java.util.List<String> TELEMETRY = java.util.List.of("v1", "telemetry");
  /** GPU devices poll their capacity challenges here (docs/gpu-proofs.md). */
  private static final java.util.List<String> CHALLENGES = java.util.List.of("v1", "challenges");
  /** Bytes of an empty acknowledgement: a CoAP header without token. */
  private static final int EMPTY_MESSAGE_BYTES = 4;

  private final CoapServer server;
  private final java.util.concurrent.ScheduledExecutorService acceptTimer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "popw-coap-accept");
        t.setDaemon(true);
        return t;
      });
  private final CoapEndpoint plain;
  private final CoapEndpoint secure;
  private final dev.popw.identity.DeviceSigner receiptKey;
  /** Signs receipts in groups when set; null: each alone, on the completing thread. */
  private volatile ReceiptBatcher batcher;
  private final IngestPipeline pipeline;
  private final Clock clock;
  private final SourceRateLimiter limiter;
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder payloadsWithheld = new LongAdder();
  private final LongAdder notFound = new LongAdder();
  private final LongAdder methodNotAllowed = new LongAdder();
  private final LongAdder blockwiseStarted = new LongAdder();

  /** An endpoint without a rate limit (tests). */
  public CoapIngest(String bindHost, int plainPort, int securePort, Map<String, byte[]> pskKeys, IngestPipeline pipeline, Clock clock,
      dev.popw.identity.DeviceSigner receiptKey) {
    this(bindHost, plainPort, securePort, pskKeys, pipeline, clock, receiptKey, SourceRateLimiter.off(), 1_000);
  }

  /**
   * @param plainPort UDP port for coap://, or -1 for none (0: any free port)
   * @param securePort UDP port for coaps://, or -1 for none
   * @param pskKeys identity -> secret for DTLS; required when securePort is not -1
   * @param receiptKey the coordinator's Ed25519 key; every receipt in a response is signed with it
   * @param limiter requests per source address (both endpoints)
   * @param blockwiseTransfers blockwise uploads reassembled at once (Californium's MAX_ACTIVE_PEERS)
   */
  public CoapIngest(String bindHost, int plainPort, int securePort, Map<String, byte[]> pskKeys, IngestPipeline pipeline, Clock clock,
      dev.popw.identity.DeviceSigner receiptKey, SourceRateLimiter limiter, int blockwiseTransfers) {
    this.receiptKey = java.util.Objects.requireNonNull(receiptKey, "receiptKey");
    this.pipeline = pipeline;
    this.clock = clock;
    this.limiter = java.util.Objects.requireNonNull(limiter, "limiter");
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
        .set(CoapConfig.DEDUPLICATOR, CoapConfig.NO_DEDUPLICATOR)
        // Reassembly of blockwise uploads: each buffers up to MAX_RESOURCE_BODY_SIZE (8 KiB), and
        // Californium's default of 150,000 at once is 1.2 GB from spoofed sources. When all are in
        // use a new upload is refused until one has been idle for the lifetime (default 5 min).
        .set(CoapConfig.MAX_ACTIVE_PEERS, blockwiseTransfers)
        .set(CoapConfig.BLOCKWISE_STATUS_LIFETIME, 30, java.util.concurrent.TimeUnit.SECONDS);
    server = new CoapServer(cfg);
    // Every request is answered by the deliverer below; the resource tree Californium builds
    // (its banner at "/", its /.well-known/core listing) is never reached.
    server.setMessageDeliverer(new Deliverer(server.getRoot(), cfg));
    if (plainPort >= 0) {
      plain = new CoapEndpoint.Builder().setConfiguration(cfg).setInetSocketAddress(new InetSocketAddress(bindHost, plainPort)).build();
      guard(plain);
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
      guard(secure);
      server.addEndpoint(secure);
    } else {
      secure = null;
    }
  }

  /**
   * The per-source rate limit, before Californium handles a request at all (blocks of a blockwise
   * transfer count one by one), and the payload rule for answers the coordinator did not build.
   */
  private void guard(CoapEndpoint endpoint) {
    endpoint.addInterceptor(new MessageInterceptorAdapter() {
      @Override
      public void receiveRequest(Request request) {
        if (!limiter.admit(request.getSourceContext().getPeerAddress().getAddress())) {
          rateLimited.increment();
          request.setCanceled(true); // dropped: the endpoint neither answers nor keeps it
        } else if (request.getOptions().hasBlock1() && request.getOptions().getBlock1().getNum() == 0) {
          blockwiseStarted.increment();
        }
      }

      @Override
      public void sendResponse(Response response) {
        if (!(response instanceof OwnResponse) && response.getPayloadSize() > 0) {
          // Californium's diagnostics for a malformed request can be longer than the request.
          response.setPayload((byte[]) null);
          payloadsWithheld.increment();
        }
      }
    });
  }

  /** Routes every request: telemetry to the pipeline, anything else a 4.04 or 4.05 without payload. */
  private final class Deliverer extends ServerMessageDeliverer {
    Deliverer(org.eclipse.californium.core.server.resources.Resource root, Configuration cfg) {
      super(root, cfg);
    }

    @Override
    protected boolean preDeliverRequest(Exchange exchange) {
      Request request = exchange.getRequest();
      java.util.List<String> path = request.getOptions().getUriPath();
      boolean telemetry = path.equals(TELEMETRY);
      if (!telemetry && !path.equals(CHALLENGES)) {
        notFound.increment();
        exchange.sendResponse(new OwnResponse(CoAP.ResponseCode.NOT_FOUND));
      } else if (request.getCode() != CoAP.Code.POST) {
        methodNotAllowed.increment();
        exchange.sendResponse(new OwnResponse(CoAP.ResponseCode.METHOD_NOT_ALLOWED));
      } else if (telemetry) {
        telemetry(exchange);
      } else {
        answerPoll(exchange);
      }
      return true;
    }
  }

  private void telemetry(Exchange exchange) {
    // Answer when committed, piggybacked if that is quick; acknowledge on its own if it is not,
    // so the device does not retransmit while the database works (a separate response follows).
    // 0: waiting, 1: answered in time (piggybacked), 2: acknowledged on its own (a separate answer follows)
    java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ScheduledFuture<?> accept = acceptTimer.schedule(() -> {
      if (state.compareAndSet(0, 2)) {
        exchange.sendAccept();
      }
    }, ACCEPT_AFTER_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    Request request = exchange.getRequest();
    pipeline.submit(request.getPayload(), null).whenComplete((r, err) -> {
      boolean acknowledged = !state.compareAndSet(0, 1);
      if (!acknowledged) {
        accept.cancel(false);
      }
      if (err != null) {
        // Only writes of verified envelopes of registered devices fail: the sender is authenticated.
        respond(exchange, CoAP.ResponseCode.SERVICE_UNAVAILABLE, "database unavailable; send again later".getBytes(
            java.nio.charset.StandardCharsets.UTF_8), MediaTypeRegistry.TEXT_PLAIN, true, acknowledged);
        return;
      }
      CoAP.ResponseCode code = switch (r.status()) {
        case ACCEPTED -> CoAP.ResponseCode.CREATED;
        case DUPLICATE -> CoAP.ResponseCode.VALID;
        case REJECTED -> CoAP.ResponseCode.BAD_REQUEST;
      };
      ReceiptBatcher b = batcher;
      if (b == null) {
        respond(exchange, code, r.signedReceipt(clock.millis(), receiptKey), MediaTypeRegistry.APPLICATION_OCTET_STREAM,
            r.fromRegisteredDevice(), acknowledged);
      } else {
        b.submit(r, signed -> respond(exchange, code, signed, MediaTypeRegistry.APPLICATION_OCTET_STREAM, r.fromRegisteredDevice(), acknowledged));
      }
    });
  }

  /**
   * Sends {@code code} with {@code payload}, or without it when the answer would be larger than the
   * request and the sender is not {@code authenticated}: a spoofed source address must not get more
   * bytes than were sent in its name. A separate answer (after an empty acknowledgement) to an
   * unauthenticated sender is sent once (NON), not retransmitted until acknowledged.
   */
  private void respond(Exchange exchange, CoAP.ResponseCode code, byte[] payload, int format, boolean authenticated,
      boolean acknowledged) {
    Request request = exchange.getRequest();
    OwnResponse response = new OwnResponse(code);
    // header, token, Content-Format (option header and at most one byte of value), payload marker
    int size = 4 + request.getTokenBytes().length + 2 + 1 + payload.length;
    int budget = requestBytes(request) - (acknowledged ? EMPTY_MESSAGE_BYTES : 0);
    if (authenticated || size <= budget) {
      response.setPayload(payload);
      response.getOptions().setContentFormat(format);
    } else {
      payloadsWithheld.increment();
    }
    if (acknowledged && !authenticated) {
      response.setType(CoAP.Type.NON);
    }
    exchange.sendResponse(response);
  }

  /**
   * The request's size, at least: header, token and payload (its options are not counted; a
   * request assembled from blocks counts all its payload, as its sender sent all of it).
   */
  static int requestBytes(Request request) {
    int payload = request.getPayloadSize();
    return 4 + request.getTokenBytes().length + (payload > 0 ? 1 + payload : 0);
  }

  /** A response built here; any other one (Californium's own) goes without payload. */
  private static final class OwnResponse extends Response {
    OwnResponse(CoAP.ResponseCode code) {
      super(code);
    }
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
  private void answerPoll(Exchange exchange) {
    byte[] req = exchange.getRequest().getPayload();
    String device;
    try {
      device = dev.popw.identity.DeviceId.fromBytes(dev.popw.proto.v1.ChallengePoll.parseFrom(req).getDeviceId().toByteArray()).toString();
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      exchange.sendResponse(new OwnResponse(CoAP.ResponseCode.BAD_REQUEST));
      return;
    }
    byte[] waiting = challenges.apply(device);
    OwnResponse r;
    if (waiting == null) {
      r = new OwnResponse(CoAP.ResponseCode.CONTENT);
    } else if (waiting.length > req.length) {
      // never more bytes than the poll: the device pads its poll (1,024 bytes)
      r = new OwnResponse(CoAP.ResponseCode.REQUEST_ENTITY_TOO_LARGE);
    } else {
      r = new OwnResponse(CoAP.ResponseCode.CONTENT);
      r.setPayload(waiting);
      r.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
    }
    exchange.sendResponse(r);
  }

  /** Signs the responses' receipts through {@code b} (one signature per group) instead of one by one. */
  public void signReceiptsWith(ReceiptBatcher b) {
    this.batcher = b;
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

  /** Requests dropped unanswered because their source address was over its rate. */
  public long rateLimited() {
    return rateLimited.sum();
  }

  /** Answers sent without their payload because it would have been larger than the request. */
  public long payloadsWithheld() {
    return payloadsWithheld.sum();
  }

  /** Requests answered 4.04 (no such path) and 4.05 (another method than POST on /v1/telemetry). */
  public long[] refused() {
    return new long[] {notFound.sum(), methodNotAllowed.sum()};
  }

  /** Blockwise uploads begun (a first block arrived). */
  public long blockwiseStarted() {
    return blockwiseStarted.sum();
  }

  /** Source addresses the rate limit tracks now. */
  public int trackedSources() {
    return limiter.trackedSources();
  }

  @Override
  public void close() {
    server.destroy();
    acceptTimer.shutdownNow();
  }
}
