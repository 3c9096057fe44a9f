package dev.popw.transport.coap;

import dev.popw.identity.DeviceId;
import dev.popw.proto.v1.Receipt;
import dev.popw.receipt.ReceiptCheck;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Backoff;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportException;
import dev.popw.transport.TransportListener;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.MessageObserverAdapter;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.auth.RawPublicKeyIdentity;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.eclipse.californium.scandium.dtls.x509.SingleCertificateProvider;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CoAP over Eclipse Californium: each envelope is a confirmable POST to {@code /v1/telemetry}; the
 * coordinator's {@link Receipt} comes back in the response. {@code coaps://} runs DTLS 1.2
 * (Scandium) with a pre-shared key or raw public keys, and with DTLS Connection ID (RFC 9146), so
 * that a NAT rebinding (a new source port) does not break the session.
 */
public final class CoapTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(CoapTransport.class);

  static {
    CoapConfig.register();
    UdpConfig.register();
    DtlsConfig.register();
  }

  private final URI uri;
  private final int window;
  private final long responseTimeoutMs;
  private final CoapEndpoint endpoint;
  private final Backoff backoff;
  private final ScheduledExecutorService scheduler;
  private volatile boolean available = true;
  private volatile boolean closed;
  private volatile TransportListener listener = TransportListener.NONE;
  private volatile ReceiptTrust trust;
  private volatile DeviceId device;
  private volatile java.util.function.Consumer<byte[]> challengeHandler;
  private volatile Duration challengePoll;
  private final dev.popw.internal.logging.RateLimitedLog ignoredLog = new dev.popw.internal.logging.RateLimitedLog(LOG, 60_000);

  private CoapTransport(Builder b) {
    this.uri = b.uri;
    this.window = b.inFlightWindow;
    this.responseTimeoutMs = b.responseTimeout.toMillis();
    this.backoff = new Backoff(b.retryInitial, b.retryMax);
    Configuration cfg = Configuration.createStandardWithoutFile();
    cfg.set(CoapConfig.ACK_TIMEOUT, (int) b.ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
    cfg.set(CoapConfig.MAX_RETRANSMIT, b.maxRetransmit);
    cfg.set(CoapConfig.NSTART, Math.max(1, b.inFlightWindow));
    CoapEndpoint.Builder eb = new CoapEndpoint.Builder().setConfiguration(cfg);
    if ("coaps".equals(uri.getScheme())) {
      DtlsConnectorConfig.Builder db = DtlsConnectorConfig.builder(cfg)
          .set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.CLIENT_ONLY)
          .set(DtlsConfig.DTLS_CONNECTION_ID_LENGTH, b.connectionIdLength)
          .setAddress(new InetSocketAddress(b.localPort));
      if (b.pskIdentity != null) {
        db.setAdvancedPskStore(new AdvancedSinglePskStore(b.pskIdentity, b.pskSecret));
      }
      if (b.rpkPrivate != null) {
        db.setCertificateIdentityProvider(new SingleCertificateProvider(b.rpkPrivate, b.rpkPublic));
        StaticNewAdvancedCertificateVerifier.Builder vb = StaticNewAdvancedCertificateVerifier.builder();
        if (b.trustedServerKey != null) {
          vb.setTrustedRPKs(new RawPublicKeyIdentity(b.trustedServerKey));
        } else {
          vb.setTrustAllRPKs();
        }
        db.setAdvancedCertificateVerifier(vb.build());
      }
      eb.setConnector(new DTLSConnector(db.build()));
    } else {
      eb.setInetSocketAddress(new InetSocketAddress(b.localPort));
    }
    this.endpoint = eb.build();
    this.maxMessageSize = cfg.get(CoapConfig.MAX_MESSAGE_SIZE);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-coap");
      t.setDaemon(true);
      return t;
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void start(DeviceId device, ReceiptTrust receipts, TransportListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.trust = Objects.requireNonNull(receipts, "receipts");
    this.device = device;
    try {
      endpoint.start();
    } catch (java.io.IOException e) {
      throw new TransportException("cannot open a UDP socket for CoAP: " + e.getMessage(), e);
    }
    listener.connected();
    if (challengeHandler != null) {
      scheduler.scheduleWithFixedDelay(this::pollChallenges, 0, challengePoll.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Polls {@code POST /v1/challenges} beside the telemetry URI every {@code pollInterval}. */
  @Override
  public boolean onChallenges(java.util.function.Consumer<byte[]> handler, Duration pollInterval) {
    if (pollInterval.toMillis() < 100) {
      throw new IllegalArgumentException("the challenge poll interval must be at least 100 ms");
    }
    this.challengeHandler = Objects.requireNonNull(handler, "handler");
    this.challengePoll = pollInterval;
    return true;
  }

  /** Size of a challenge poll: the coordinator answers no more bytes than a poll has (no amplification). */
  public static final int CHALLENGE_POLL_BYTES = 1024;

  /** The URI of the challenges resource: the telemetry URI's last segment replaced. */
  URI challengesUri() {
    return uri.resolve("challenges");
  }

  /** A {@code ChallengePoll} padded to {@value #CHALLENGE_POLL_BYTES} bytes. */
  static byte[] challengePoll(DeviceId device) {
    byte[] id = device.toBytes();
    int head = dev.popw.proto.v1.ChallengePoll.newBuilder().setDeviceId(com.google.protobuf.ByteString.copyFrom(id)).build()
        .getSerializedSize();
    int pad = CHALLENGE_POLL_BYTES - head - 3; // tag byte and a two-byte length
    return dev.popw.proto.v1.ChallengePoll.newBuilder().setDeviceId(com.google.protobuf.ByteString.copyFrom(id))
        .setPadding(com.google.protobuf.ByteString.copyFrom(new byte[pad])).build().toByteArray();
  }

  private void pollChallenges() {
    if (closed) {
      return;
    }
    Request req = Request.newPost();
    req.setURI(challengesUri());
    req.setConfirmable(true);
    req.setPayload(challengePoll(device));
    req.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
    req.addMessageObserver(new MessageObserverAdapter() {
      @Override
      public void onResponse(Response response) {
        if (response.getCode().isSuccess() && response.getPayloadSize() > 0) {
          try {
            challengeHandler.accept(response.getPayload());
          } catch (RuntimeException e) {
            LOG.warn("the challenge handler failed: {}", e.toString());
          }
        }
      }
    });
    endpoint.sendRequest(req);
  }

  /** CoAP has no connection: the transport is available unless the last request failed. */
  @Override
  public boolean isConnected() {
    return available && !closed;
  }

  @Override
  public int maxInFlight() {
    return window;
  }

  /** The tail of the queue of block-wise sends; guarded by {@code this}. */
  private CompletableFuture<?> blockwiseTail = CompletableFuture.completedFuture(null);
  private final int maxMessageSize;

  /**
   * Sends one envelope. One larger than a CoAP message (a GPU proof's opening) goes block-wise
   * (RFC 7959), and those go one at a time: Californium keeps one block-wise transfer per peer and
   * URI and drops an earlier one when a second starts, which left concurrent large envelopes
   * without a response.
   */
  @Override
  public CompletableFuture<Acknowledgement> send(byte[] envelope, byte[] envelopeHash) {
    if (envelope.length + 64 <= maxMessageSize) {
      return sendNow(envelope, envelopeHash);
    }
    CompletableFuture<Acknowledgement> result = new CompletableFuture<>();
    synchronized (this) {
      CompletableFuture<?> prev = blockwiseTail;
      blockwiseTail = result.handle((a, e) -> null);
      prev.whenComplete((x, y) -> sendNow(envelope, envelopeHash).whenComplete((a, e) -> {
        if (e != null) {
          result.completeExceptionally(e);
        } else {
          result.complete(a);
        }
      }));
    }
    return result;
  }

  private CompletableFuture<Acknowledgement> sendNow(byte[] envelope, byte[] envelopeHash) {
    CompletableFuture<Acknowledgement> f = new CompletableFuture<>();
    Request req = Request.newPost();
    req.setURI(uri);
    req.setConfirmable(true);
    req.setPayload(envelope);
    req.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
    req.addMessageObserver(new MessageObserverAdapter() {
      @Override
      public void onResponse(Response response) {
        handle(response, envelopeHash, f);
      }

      @Override
      public void onTimeout() {
        fail(f, new TimeoutException("no CoAP response from " + uri));
      }

      @Override
      protected void failed() {
        fail(f, new TransportException("CoAP request to " + uri + " failed"));
      }

      @Override
      public void onSendError(Throwable error) {
        fail(f, new TransportException("cannot send to " + uri + ": " + error.getMessage(), error));
      }
    });
    endpoint.sendRequest(req);
    // After an empty ACK the server owes a separate response; if it dies first, Californium would
    // wait for the whole exchange lifetime (minutes). Bound it.
    scheduler.schedule(() -> {
      if (!f.isDone()) {
        req.cancel();
        fail(f, new TimeoutException("no CoAP response from " + uri + " within " + responseTimeoutMs + " ms"));
      }
    }, responseTimeoutMs, TimeUnit.MILLISECONDS);
    return f;
  }

  private void handle(Response response, byte[] hash, CompletableFuture<Acknowledgement> f) {
    CoAP.ResponseCode code = response.getCode();
    ReceiptCheck check = null;
    if (response.getPayloadSize() > 0 && (code.isSuccess() || code.isClientError())) {
      // A spoofed or altered response (plain coap:// has no integrity) must not end delivery.
      check = trust.check(response.getPayload(), device);
      if (!check.isValid()) {
        ignoredLog.warn("ignoring a receipt from {}: {}", uri, check.failure());
        listener.receiptIgnored(check.failure());
        if (!(code.isClientError() && check.failure() == dev.popw.receipt.ReceiptFailure.MALFORMED)) {
          fail(f, new TransportException("coordinator answered " + code + " with a receipt that does not verify: " + check.failure()));
          return;
        }
        check = null;
      }
    }
    if (check != null) {
      Receipt receipt = check.receipt();
      // The response answers this request only if it names this envelope: a replayed genuine
      // receipt for another envelope must not end this one's delivery.
      if (!java.util.Arrays.equals(receipt.getEnvelopeHash().toByteArray(), hash)) {
        listener.receiptIgnored(dev.popw.receipt.ReceiptFailure.WRONG_DEVICE);
        fail(f, new TransportException("coordinator answered with a receipt for another envelope"));
        return;
      }
      if (code.isSuccess()) {
        backoff.reset();
      }
      f.complete(Acknowledgement.of(check)); // a client error is final: resending will not help
    } else {
      String text = response.getPayloadSize() > 0 && !code.isSuccess()
          ? new String(response.getPayload(), StandardCharsets.UTF_8) : "";
      fail(f, new TransportException("coordinator answered " + code + (text.isEmpty() ? "" : ": " + text)));
    }
  }

  private void fail(CompletableFuture<Acknowledgement> f, Throwable e) {
    if (!f.completeExceptionally(e) || closed) {
      return;
    }
    if (available) {
      available = false;
      listener.disconnected(e);
      long delay = backoff.nextDelayMillis();
      LOG.info("CoAP {} unavailable ({}); retrying in {} ms", uri, e.getMessage(), delay);
      scheduler.schedule(() -> {
        available = true;
        listener.connected();
      }, delay, TimeUnit.MILLISECONDS);
    }
  }

  /** The local address the endpoint is bound to. */
  public InetSocketAddress localAddress() {
    return endpoint.getAddress();
  }

  @Override
  public String describe() {
    return "coap " + uri;
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    endpoint.destroy();
  }

  /** Builds a {@link CoapTransport}; {@link #build()} fails fast on bad settings. */
  public static final class Builder {
    private URI uri;
    private int inFlightWindow = 32;
    private String pskIdentity;
    private byte[] pskSecret;
    private PrivateKey rpkPrivate;
    private PublicKey rpkPublic;
    private PublicKey trustedServerKey;
    private int connectionIdLength = 6;
    private int localPort;
    private Duration ackTimeout = Duration.ofSeconds(2);
    private int maxRetransmit = 4;
    private Duration responseTimeout = Duration.ofSeconds(30);
    private Duration retryInitial = Duration.ofMillis(500);
    private Duration retryMax = Duration.ofSeconds(60);

    private Builder() {}

    /** Required: {@code coap://host:5683/v1/telemetry} or {@code coaps://host:5684/v1/telemetry}. */
    public Builder uri(String uri) {
      this.uri = URI.create(uri);
      return this;
    }

    /** Requests awaiting a response at once. Default 32. */
    public Builder inFlightWindow(int window) {
      this.inFlightWindow = window;
      return this;
    }

    /** DTLS with a pre-shared key. */
    public Builder psk(String identity, byte[] secret) {
      this.pskIdentity = Objects.requireNonNull(identity, "identity");
      this.pskSecret = secret.clone();
      return this;
    }

    /**
     * DTLS with raw public keys (RFC 7250): the device's EC P-256 key pair, and the server key to
     * trust ({@code null} trusts any server key: for development only).
     */
    public Builder rawPublicKey(PrivateKey privateKey, PublicKey publicKey, PublicKey trustedServerKey) {
      this.rpkPrivate = Objects.requireNonNull(privateKey, "privateKey");
      this.rpkPublic = Objects.requireNonNull(publicKey, "publicKey");
      this.trustedServerKey = trustedServerKey;
      return this;
    }

    /**
     * Length of the Connection ID this client asks the server to use; 0 supports the extension
     * without one of its own. Default 6. The server side chooses the CID that makes rebinding work.
     */
    public Builder connectionIdLength(int length) {
      this.connectionIdLength = length;
      return this;
    }

    /** Local UDP port; 0 (default) picks a free one. */
    public Builder localPort(int port) {
      this.localPort = port;
      return this;
    }

    /** CoAP ACK_TIMEOUT (RFC 7252). Default 2 s. */
    public Builder ackTimeout(Duration timeout) {
      this.ackTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Longest wait for a response, retransmissions included; a separate response (after an empty
     * ACK) counts too. Default 30 s.
     */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** CoAP MAX_RETRANSMIT. Default 4. */
    public Builder maxRetransmit(int count) {
      this.maxRetransmit = count;
      return this;
    }

    /** Pause after a failed request: exponential with jitter. Default 0.5 s to 60 s. */
    public Builder retryBackoff(Duration initial, Duration max) {
      this.retryInitial = initial;
      this.retryMax = max;
      return this;
    }

    public CoapTransport build() {
      if (uri == null || !("coap".equals(uri.getScheme()) || "coaps".equals(uri.getScheme()))) {
        throw new IllegalStateException("CoAP URI must start with coap:// or coaps://, got " + uri);
      }
      if ("coaps".equals(uri.getScheme()) && pskIdentity == null && rpkPrivate == null) {
        throw new IllegalStateException("coaps:// needs credentials: a pre-shared key or a raw public key pair");
      }
      if (inFlightWindow < 1) {
        throw new IllegalStateException("in-flight window must be at least 1, got " + inFlightWindow);
      }
      new Backoff(retryInitial, retryMax);
      return new CoapTransport(this);
    }
  }
}
