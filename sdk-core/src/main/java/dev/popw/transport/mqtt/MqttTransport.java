package dev.popw.transport.mqtt;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceId;
import dev.popw.proto.v1.Receipt;
import dev.popw.receipt.ReceiptCheck;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Backoff;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportException;
import dev.popw.transport.TransportListener;
import dev.popw.transport.tls.PemTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MQTT v5 over Eclipse Paho: QoS 1 publishes, TLS with optional client certificates, a
 * configurable in-flight window, reconnection with exponential backoff and jitter.
 *
 * <p>Paho keeps nothing on disk here ({@code MemoryPersistence}): the device's outbox is the
 * durable store, and it resends whatever was not acknowledged.
 */
public final class MqttTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(MqttTransport.class);

  private final String serverUri;
  private final String clientId;
  private final String username;
  private final char[] password;
  private final SSLContext tls;
  private final int window;
  private final AckMode ackMode;
  private final Duration ackTimeout;
  private final Duration connectTimeout;
  private final int keepAliveSeconds;
  private final String topicPrefix;
  private final Backoff backoff;
  private final ScheduledExecutorService scheduler;
  private final Map<ByteString, CompletableFuture<Acknowledgement>> awaitingReceipt = new ConcurrentHashMap<>();
  private final dev.popw.internal.logging.RateLimitedLog ignoredLog = new dev.popw.internal.logging.RateLimitedLog(LOG, 60_000);
  private final AtomicInteger serverReceiveMaximum = new AtomicInteger(Integer.MAX_VALUE);

  /**
   * A connection attempt is scheduled or under way. Reconnection is single-flight: a lost
   * connection can be reported twice (a failed SUBSCRIBE and Paho's {@code disconnected}), and two
   * attempts made the second fail with "Client is connected" and mark a live connection lost.
   */
  private final AtomicBoolean attempting = new AtomicBoolean();

  private volatile MqttAsyncClient client;
  private volatile boolean connected;
  private volatile boolean closed;
  private volatile TransportListener listener = TransportListener.NONE;
  private volatile ReceiptTrust trust;
  private DeviceId device;
  private volatile dev.popw.identity.DeviceSigner signer;
  private volatile String networkId;
  private volatile java.time.Clock tokenClock;
  private String telemetryTopic;
  private String receiptsTopic;
  private String challengesTopic;
  private volatile java.util.function.Consumer<byte[]> challengeHandler;

  private MqttTransport(Builder b) {
    this.serverUri = b.serverUri;
    this.clientId = b.clientId;
    this.username = b.username;
    this.password = b.password;
    this.tls = b.serverUri.startsWith("ssl://") || b.caCertificates != null || b.clientCertificate != null
        ? PemTls.context(b.caCertificates, b.clientCertificate, b.clientKey) : null;
    this.window = b.inFlightWindow;
    this.ackMode = b.ackMode;
    this.ackTimeout = b.ackTimeout;
    this.connectTimeout = b.connectTimeout;
    this.keepAliveSeconds = b.keepAliveSeconds;
    this.topicPrefix = b.topicPrefix;
    this.backoff = new Backoff(b.reconnectInitial, b.reconnectMax);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-mqtt");
      t.setDaemon(true);
      return t;
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The client id a device uses unless {@link Builder#clientId} says otherwise: the method-specific
   * id of its {@code did:key}, that is the device id without {@code "did:key:"} ({@code z6Mk…} for
   * Ed25519, 48 characters; {@code zDn…} and {@code zQ3s…}, 49, for P-256 and secp256k1). It is
   * the whole device id, so two devices never share one (a broker disconnects the older of two
   * clients with the same id), and it holds only base58 letters and digits, the characters every
   * MQTT broker must accept. MQTT 3.1.1 and 5 oblige a broker to accept only 23 characters;
   * Mosquitto, HiveMQ, EMQX, VerneMQ and the coordinator's embedded broker accept these lengths
   * (docs/decisions.md).
   */
  public static String defaultClientId(DeviceId device) {
    String did = device.toString();
    return did.substring("did:key:".length());
  }

  /**
   * Authenticates with a fresh {@link ConnectToken} on every connection attempt (user name = the
   * device id), unless the builder set a user name of its own.
   */
  @Override
  public void authenticateWith(dev.popw.identity.DeviceSigner signer, String networkId, java.time.Clock clock) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.networkId = Objects.requireNonNull(networkId, "networkId");
    this.tokenClock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public void start(DeviceId device, ReceiptTrust receipts, TransportListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    this.trust = Objects.requireNonNull(receipts, "receipts");
    this.device = device;
    this.telemetryTopic = Topics.telemetry(topicPrefix, device);
    this.receiptsTopic = Topics.receipts(topicPrefix, device);
    this.challengesTopic = Topics.challenges(topicPrefix, device);
    String id = clientId != null ? clientId : defaultClientId(device);
    try {
      client = new MqttAsyncClient(serverUri, id, new MemoryPersistence());
    } catch (MqttException e) {
      throw new TransportException("invalid MQTT server URI '" + serverUri + "': " + e.getMessage(), e);
    }
    client.setCallback(new Callback());
    attempting.set(true);
    scheduler.execute(this::connect);
  }

  /** One connection attempt; runs only while {@link #attempting} is held. */
  private void connect() {
    if (closed) {
      attempting.set(false);
      return;
    }
    if (client.isConnected()) { // already connected counts as connected
      afterConnect();
      return;
    }
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setSessionExpiryInterval(0L);
    o.setAutomaticReconnect(false); // we reconnect ourselves, with jitter
    o.setConnectionTimeout((int) Math.max(1, connectTimeout.toSeconds()));
    o.setKeepAliveInterval(keepAliveSeconds);
    if (username != null) {
      o.setUserName(username);
      o.setPassword(password == null ? null : new String(password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } else if (signer != null) {
      o.setUserName(device.toString());
      try {
        o.setPassword(ConnectToken.password(signer, networkId, client.getClientId(), tokenClock.millis())
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      } catch (RuntimeException e) { // a signer that failed (secure element unplugged): retry later
        onConnectFailed(e);
        return;
      }
    }
    if (tls != null) {
      o.setSocketFactory(tls.getSocketFactory());
    }
    try {
      client.connect(o, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          MqttProperties p = token.getResponseProperties();
          Integer rm = p == null ? null : p.getReceiveMaximum();
          serverReceiveMaximum.set(rm == null || rm <= 0 ? 65_535 : rm);
          afterConnect();
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          onConnectFailed(e);
        }
      });
    } catch (MqttException e) {
      if (e.getReasonCode() == MqttClientException.REASON_CODE_CLIENT_CONNECTED) {
        afterConnect();
      } else {
        onConnectFailed(e);
      }
    }
  }

  private void afterConnect() {
    java.util.List<String> topics = new java.util.ArrayList<>();
    if (ackMode == AckMode.RECEIPT) {
      topics.add(receiptsTopic);
    }
    if (challengeHandler != null) {
      topics.add(challengesTopic);
    }
    subscribe(topics);
  }

  /** Subscribes to the topics one after the other, then counts as connected. */
  private void subscribe(java.util.List<String> topics) {
    if (topics.isEmpty()) {
      onConnected();
      return;
    }
    String topic = topics.get(0);
    try {
      client.subscribe(topic, 1, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          subscribe(topics.subList(1, topics.size()));
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          LOG.warn("cannot subscribe to {}: {}", topic, e.toString());
          disconnectQuietly();
          onConnectFailed(e);
        }
      });
    } catch (MqttException e) {
      disconnectQuietly();
      onConnectFailed(e);
    }
  }

  /** Subscribes to the device's challenges topic on every connection. */
  @Override
  public boolean onChallenges(java.util.function.Consumer<byte[]> handler, Duration pollInterval) {
    this.challengeHandler = Objects.requireNonNull(handler, "handler");
    return true;
  }

  private void onConnected() {
    connected = true;
    attempting.set(false);
    if (!client.isConnected()) {
      // Lost again before this attempt finished; the loss was not followed up while it ran.
      connected = false;
      scheduleReconnect(new TransportException("connection lost while connecting"));
      return;
    }
    backoff.reset();
    listener.connected();
  }

  private void onConnectFailed(Throwable e) {
    connected = false;
    listener.disconnected(e);
    attempting.set(false);
    scheduleReconnect(e);
  }

  /** Schedules the next attempt unless one is already scheduled or under way. */
  private void scheduleReconnect(Throwable cause) {
    if (closed || !attempting.compareAndSet(false, true)) {
      return;
    }
    long delay = backoff.nextDelayMillis();
    LOG.info("MQTT {} unavailable ({}); retrying in {} ms", serverUri, explain(cause), delay);
    scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /** What went wrong, in words a device's owner can act on. */
  static String explain(Throwable cause) {
    if (cause == null) {
      return "disconnected";
    }
    if (cause instanceof MqttException e) {
      switch (e.getReasonCode()) {
        case 0x86:
          return "the broker refused the device's credentials: its connect token is wrong or stale, or the device clock is off by minutes"
              + " (a transport used without DeviceClient needs authenticateWith(signer, networkId, clock))";
        case 0x87:
          return "the broker did not authorize this device: is it registered (popw-agent register) and active?";
        default:
          break;
      }
    }
    return cause.getMessage();
  }

  @Override
  public boolean isConnected() {
    return connected;
  }

  @Override
  public int maxInFlight() {
    return Math.min(window, serverReceiveMaximum.get());
  }

  @Override
  public CompletableFuture<Acknowledgement> send(byte[] envelope, byte[] envelopeHash) {
    CompletableFuture<Acknowledgement> f = new CompletableFuture<>();
    MqttAsyncClient c = client;
    if (!connected || c == null) {
      f.completeExceptionally(new TransportException("not connected to " + serverUri));
      return f;
    }
    ByteString key = ByteString.copyFrom(envelopeHash);
    if (ackMode == AckMode.RECEIPT) {
      awaitingReceipt.put(key, f);
      scheduler.schedule(() -> {
        if (awaitingReceipt.remove(key, f)) {
          f.completeExceptionally(new TimeoutException("no receipt within " + ackTimeout.toMillis() + " ms"));
        }
      }, ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    MqttMessage m = new MqttMessage(envelope);
    m.setQos(1);
    try {
      c.publish(telemetryTopic, m, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          if (ackMode == AckMode.PUBACK) {
            f.complete(Acknowledgement.brokerOnly());
          }
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          awaitingReceipt.remove(key, f);
          f.completeExceptionally(e);
        }
      });
    } catch (MqttException e) {
      awaitingReceipt.remove(key, f);
      f.completeExceptionally(e);
    }
    return f;
  }

  private void onReceipt(byte[] payload) {
    // Anyone allowed to publish on the receipts topic can put a message here: believe only what
    // the pinned coordinator key signed for this device, before it can complete (and so remove)
    // an awaited envelope.
    ReceiptCheck check = trust.check(payload, device);
    if (!check.isValid()) {
      ignoredLog.warn("ignoring a receipt on {}: {}", receiptsTopic, check.failure());
      listener.receiptIgnored(check.failure());
      return;
    }
    Receipt r = check.receipt();
    CompletableFuture<Acknowledgement> f = awaitingReceipt.remove(r.getEnvelopeHash());
    if (f != null) {
      f.complete(Acknowledgement.of(check));
    }
  }

  private void failAwaiting(Throwable cause) {
    for (Map.Entry<ByteString, CompletableFuture<Acknowledgement>> e : awaitingReceipt.entrySet()) {
      if (awaitingReceipt.remove(e.getKey(), e.getValue())) {
        e.getValue().completeExceptionally(new TransportException("connection lost before the receipt arrived", cause));
      }
    }
  }

  @Override
  public String describe() {
    return "mqtt " + serverUri + (ackMode == AckMode.PUBACK ? " (ack: PUBACK)" : "");
  }

  private void disconnectQuietly() {
    try {
      client.disconnectForcibly(0, 1000, false);
    } catch (MqttException | RuntimeException e) {
      // already gone
    }
  }

  @Override
  public void close() {
    closed = true;
    connected = false;
    scheduler.shutdownNow();
    MqttAsyncClient c = client;
    if (c != null) {
      try {
        if (c.isConnected()) {
          c.disconnect(1000).waitForCompletion(2000);
        }
      } catch (MqttException e) {
        disconnectQuietly();
      }
      try {
        c.close(true);
      } catch (MqttException e) {
        // closing anyway
      }
    }
    failAwaiting(new TransportException("transport closed"));
  }

  private final class Callback implements MqttCallback {
    @Override
    public void disconnected(MqttDisconnectResponse response) {
      connected = false;
      Throwable cause = response.getException() != null ? response.getException()
          : new TransportException("disconnected by the broker: " + response.getReasonString());
      failAwaiting(cause);
      listener.disconnected(cause);
      scheduleReconnect(cause);
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
      LOG.warn("MQTT error: {}", exception.toString());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      if (topic.equals(receiptsTopic)) {
        onReceipt(message.getPayload());
      } else if (topic.equals(challengesTopic) && challengeHandler != null) {
        try {
          challengeHandler.accept(message.getPayload());
        } catch (RuntimeException e) {
          LOG.warn("the challenge handler failed: {}", e.toString());
        }
      }
    }

    @Override
    public void deliveryComplete(IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {}

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {}
  }

  /** Builds an {@link MqttTransport}; {@link #build()} fails fast on bad settings. */
  public static final class Builder {
    private String serverUri;
    private String clientId;
    private String username;
    private char[] password;
    private Path caCertificates;
    private Path clientCertificate;
    private Path clientKey;
    private int inFlightWindow = 64;
    private AckMode ackMode = AckMode.RECEIPT;
    private Duration ackTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int keepAliveSeconds = 30;
    private String topicPrefix = Topics.PREFIX;
    private Duration reconnectInitial = Duration.ofMillis(500);
    private Duration reconnectMax = Duration.ofSeconds(60);

    private Builder() {}

    /** Required: {@code tcp://host:1883} or {@code ssl://host:8883}. */
    public Builder serverUri(String uri) {
      this.serverUri = uri;
      return this;
    }

    /** Default: {@link MqttTransport#defaultClientId}, the device's did:key without its {@code did:key:} prefix. */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    public Builder credentials(String username, char[] password) {
      this.username = username;
      this.password = password == null ? null : password.clone();
      return this;
    }

    /** PEM bundle of the CAs that sign the broker's certificate (server authentication). */
    public Builder caCertificates(Path pem) {
      this.caCertificates = pem;
      return this;
    }

    /** Mutual TLS: the device's certificate chain (PEM) and its PKCS#8 key. */
    public Builder clientCertificate(Path certificatePem, Path keyPem) {
      this.clientCertificate = certificatePem;
      this.clientKey = keyPem;
      return this;
    }

    /**
     * Envelopes awaiting acknowledgement at once. Default 64; the broker's Receive Maximum caps
     * it (Mosquitto's default is 20). Paho's own default of 10 is what caps throughput in
     * paho.mqtt.java#35.
     */
    public Builder inFlightWindow(int window) {
      this.inFlightWindow = window;
      return this;
    }

    public Builder ackMode(AckMode mode) {
      this.ackMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** How long to wait for a receipt before sending again. Default 30 s. */
    public Builder ackTimeout(Duration timeout) {
      this.ackTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder keepAliveSeconds(int seconds) {
      this.keepAliveSeconds = seconds;
      return this;
    }

    public Builder topicPrefix(String prefix) {
      this.topicPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** Reconnect delays: exponential from {@code initial} to {@code max}, with jitter. Default 0.5 s to 60 s. */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      this.reconnectInitial = initial;
      this.reconnectMax = max;
      return this;
    }

    public MqttTransport build() {
      if (serverUri == null || !(serverUri.startsWith("tcp://") || serverUri.startsWith("ssl://"))) {
        throw new IllegalStateException("MQTT server URI must start with tcp:// or ssl://, got " + serverUri);
      }
      if (inFlightWindow < 1) {
        throw new IllegalStateException("in-flight window must be at least 1, got " + inFlightWindow);
      }
      new Backoff(reconnectInitial, reconnectMax); // validates
      return new MqttTransport(this);
    }
  }
}
