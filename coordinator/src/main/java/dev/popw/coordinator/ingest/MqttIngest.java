package dev.popw.coordinator.ingest;

import dev.popw.transport.Backoff;
import dev.popw.transport.mqtt.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes telemetry from an MQTT broker (Mosquitto, EMQX, HiveMQ): subscribes to every device's
 * telemetry topic, through a shared subscription ({@code $share/<group>/...}) so that several
 * coordinators split the load, feeds the pipeline and publishes each receipt on the device's
 * receipts topic after the envelope is committed. The receipt is the device's acknowledgement.
 *
 * <p>The session is persistent (clean start off, one hour expiry): while the coordinator restarts,
 * the broker keeps its telemetry queued.
 */
public final class MqttIngest implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MqttIngest.class);

  private final String uri;
  private final String clientId;
  private final String sharedGroup;
  private final IngestPipeline pipeline;
  private final Clock clock;
  private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
  private final ScheduledExecutorService scheduler;
  private final BlockingQueue<Outgoing> receipts = new LinkedBlockingQueue<>();
  private final Thread publisher;
  private volatile Semaphore window = new Semaphore(20);
  private volatile MqttAsyncClient client;
  private volatile boolean running = true;

  private final dev.popw.identity.DeviceSigner receiptKey;
  /** Signs receipts in groups when set; null: each alone, on the completing thread. */
  private volatile ReceiptBatcher batcher;
  private final javax.net.ssl.SSLContext tls;

  /** @param receiptKey the coordinator's Ed25519 key; every receipt it publishes is signed with it */
  public MqttIngest(String uri, String clientId, String sharedGroup, IngestPipeline pipeline, Clock clock,
      dev.popw.identity.DeviceSigner receiptKey) {
    this(uri, clientId, sharedGroup, pipeline, clock, receiptKey, null);
  }

  /**
   * @param tls for an {@code ssl://} broker: the trusted CAs and the coordinator's client
   *     certificate ({@link dev.popw.transport.tls.PemTls}); null: the JVM's defaults
   */
  public MqttIngest(String uri, String clientId, String sharedGroup, IngestPipeline pipeline, Clock clock,
      dev.popw.identity.DeviceSigner receiptKey, javax.net.ssl.SSLContext tls) {
    this.tls = tls;
    this.receiptKey = java.util.Objects.requireNonNull(receiptKey, "receiptKey");
    this.uri = uri;
    this.clientId = clientId;
    this.sharedGroup = sharedGroup;
    this.pipeline = pipeline;
    this.clock = clock;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "popw-mqtt-ingest");
      t.setDaemon(true);
      return t;
    });
    this.publisher = new Thread(this::publishReceipts, "popw-receipts");
    publisher.setDaemon(true);
  }

  /** Signs the receipts it publishes through {@code b} (one signature per group) instead of one by one. */
  public void signReceiptsWith(ReceiptBatcher b) {
    this.batcher = b;
  }

  /** Connects (retrying in the background) and starts consuming. */
  public void start() {
    publisher.start();
    scheduler.execute(this::connect);
  }

  public boolean isConnected() {
    MqttAsyncClient c = client;
    return c != null && c.isConnected();
  }

  private String subscription() {
    String all = Topics.allTelemetry(Topics.PREFIX);
    return sharedGroup == null || sharedGroup.isBlank() ? all : "$share/" + sharedGroup + "/" + all;
  }

  private void connect() {
    if (!running) {
      return;
    }
    try {
      MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
      c.setCallback(new Callback(c));
      MqttConnectionOptions o = new MqttConnectionOptions();
      o.setCleanStart(false);
      o.setSessionExpiryInterval(3600L);
      o.setAutomaticReconnect(false);
      o.setKeepAliveInterval(30);
      o.setConnectionTimeout(10);
      if (tls != null) {
        o.setSocketFactory(tls.getSocketFactory());
      }
      IMqttToken t = c.connect(o);
      t.waitForCompletion(15_000);
      Integer rm = t.getResponseProperties() == null ? null : t.getResponseProperties().getReceiveMaximum();
      window = new Semaphore(rm == null || rm <= 0 ? 65_535 : rm);
      c.subscribe(subscription(), 1).waitForCompletion(10_000);
      client = c;
      backoff.reset();
      LOG.info("consuming telemetry from {} ({})", uri, subscription());
    } catch (MqttException e) {
      long delay = backoff.nextDelayMillis();
      LOG.warn("cannot connect to MQTT broker {} ({}); retrying in {} ms", uri, e.getMessage(), delay);
      scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }
  }

  private void onTelemetry(String topic, byte[] payload) {
    String deviceId = deviceOf(topic);
    pipeline.submit(payload, deviceId).whenComplete((result, err) -> {
      if (err != null || deviceId == null) {
        return; // not committed: no receipt, the device sends again
      }
      String receiptTopic = Topics.PREFIX + "/" + deviceId + "/receipts";
      ReceiptBatcher b = batcher;
      if (b == null) {
        receipts.add(new Outgoing(receiptTopic, result.signedReceipt(clock.millis(), receiptKey)));
      } else {
        b.submit(result, signed -> receipts.add(new Outgoing(receiptTopic, signed)));
      }
    });
  }

  /**
   * Publishes a coordinator message (the signed entropy on {@code popw/v1/network/entropy}, a signed
   * GPU challenge on a device's topic), QoS 1, through the same client, queue and in-flight window
   * as the receipts. Dropped while disconnected: entropy follows within its interval, a challenge
   * times out as VOID.
   */
  public void publish(String topic, byte[] payload) {
    receipts.add(new Outgoing(topic, payload));
  }

  /** popw/v1/devices/{id}/telemetry -> id; null for any other topic. */
  public static String deviceOf(String topic) {
    String prefix = Topics.PREFIX + "/";
    if (!topic.startsWith(prefix) || !topic.endsWith("/telemetry")) {
      return null;
    }
    return topic.substring(prefix.length(), topic.length() - "/telemetry".length());
  }

  private void publishReceipts() {
    while (running) {
      try {
        Outgoing o = receipts.poll(200, TimeUnit.MILLISECONDS);
        if (o == null) {
          continue;
        }
        MqttAsyncClient c = client;
        if (c == null || !c.isConnected()) {
          continue; // lost; the device resends and gets a DUPLICATE receipt
        }
        Semaphore w = window;
        w.acquire();
        MqttMessage m = new MqttMessage(o.payload);
        m.setQos(1);
        try {
          c.publish(o.topic, m, null, new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
              w.release();
            }

            @Override
            public void onFailure(IMqttToken token, Throwable e) {
              w.release();
            }
          });
        } catch (MqttException e) {
          w.release();
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    running = false;
    scheduler.shutdownNow();
    publisher.interrupt();
    MqttAsyncClient c = client;
    if (c != null) {
      try {
        c.disconnect(2_000).waitForCompletion(3_000);
      } catch (MqttException e) {
        // closing anyway
      }
      try {
        c.close(true);
      } catch (MqttException e) {
        // closing anyway
      }
    }
  }

  private record Outgoing(String topic, byte[] payload) {}

  private final class Callback implements MqttCallback {
    private final MqttAsyncClient owner;

    Callback(MqttAsyncClient owner) {
      this.owner = owner;
    }

    @Override
    public void disconnected(MqttDisconnectResponse r) {
      if (running && client == owner) {
        client = null;
        LOG.warn("MQTT broker {} disconnected: {}; reconnecting", uri, r.getReasonString());
        try {
          owner.close(true);
        } catch (MqttException e) {
          // replaced below
        }
        scheduler.schedule(MqttIngest.this::connect, backoff.nextDelayMillis(), TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void mqttErrorOccurred(MqttException e) {
      LOG.warn("MQTT error: {}", e.toString());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      onTelemetry(topic, message.getPayload());
    }

    @Override
    public void deliveryComplete(IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {}

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {}
  }
}
