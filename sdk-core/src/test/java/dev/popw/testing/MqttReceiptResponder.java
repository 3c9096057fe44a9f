package dev.popw.testing;

import com.google.protobuf.ByteString;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.VerificationResult;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Receipt;
import dev.popw.transport.mqtt.Topics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * Stands in for the coordinator until it exists: subscribes to every device's telemetry on a real
 * broker, verifies each envelope with sdk-core's verifier, records it and publishes a receipt on
 * the device's receipts topic. After a broker restart it reconnects with a fresh client object
 * (Paho's own automatic reconnect resends stale in-flight state into a resumed session, which
 * Mosquitto rejects as a protocol error).
 */
public final class MqttReceiptResponder implements AutoCloseable {
  private static final dev.popw.identity.SoftwareSigner COORDINATOR_KEY = TestKeys.coordinator();
  private final String uri;
  private final SSLContext tls;
  private final boolean persistent;
  private final String clientId = "popw-test-coordinator-" + System.nanoTime();
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();
  private final List<ReceivedEnvelope> received = new CopyOnWriteArrayList<>();
  private final Thread keeper;
  private volatile MqttAsyncClient client;
  private volatile boolean running = true;
  private volatile boolean answering = true;

  private MqttReceiptResponder(String uri, SSLContext tls, boolean persistent) throws MqttException {
    this.uri = uri;
    this.tls = tls;
    this.persistent = persistent;
    connectOnce();
    if (client == null) {
      throw new IllegalStateException("test coordinator cannot connect to " + uri);
    }
    keeper = new Thread(this::keepConnected, "test-coordinator-reconnect");
    keeper.setDaemon(true);
    keeper.start();
  }

  public static MqttReceiptResponder connect(String uri) throws MqttException {
    return new MqttReceiptResponder(uri, null, false);
  }

  public static MqttReceiptResponder connect(String uri, SSLContext tls) throws MqttException {
    return new MqttReceiptResponder(uri, tls, false);
  }

  /** With a persistent session, like a production coordinator: messages queue while it is away. */
  public static MqttReceiptResponder connectPersistent(String uri) throws MqttException {
    return new MqttReceiptResponder(uri, null, true);
  }

  private void connectOnce() {
    try {
      MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
      c.setCallback(new Callback(c));
      MqttConnectionOptions o = new MqttConnectionOptions();
      o.setCleanStart(!persistent);
      if (persistent) {
        o.setSessionExpiryInterval(3600L); // the broker queues telemetry for us while we are away
      }
      if (tls != null) {
        o.setSocketFactory(tls.getSocketFactory());
      }
      c.connect(o).waitForCompletion(5_000);
      c.subscribe(Topics.allTelemetry(Topics.PREFIX), 1).waitForCompletion(5_000);
      client = c;
    } catch (MqttException e) {
      client = null;
    }
  }

  private void keepConnected() {
    while (running) {
      MqttAsyncClient c = client;
      if (c == null || !c.isConnected()) {
        if (c != null) {
          try {
            c.close(true);
          } catch (MqttException e) {
            // replaced below
          }
        }
        connectOnce();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** While false, envelopes are recorded but not answered (a coordinator that is down). */
  public void answering(boolean on) {
    this.answering = on;
  }

  private void onTelemetry(MqttAsyncClient c, String topic, byte[] payload) {
    VerificationResult r = verifier.verify(payload);
    long seq = r.telemetry().map(t -> t.getSequence()).orElse(-1L);
    byte[] hash = r.envelopeHash().orElse(new byte[0]);
    received.add(new ReceivedEnvelope(topic, r, seq, Hex.encode(hash)));
    if (!answering) {
      return;
    }
    Receipt receipt = Receipt.newBuilder()
        .setEnvelopeHash(ByteString.copyFrom(hash))
        .setSequence(seq)
        .setStatus(r.isOk() ? Receipt.Status.ACCEPTED : Receipt.Status.REJECTED)
        .setReason(r.isOk() ? "" : r.reason().name())
        .setDeviceId(r.telemetry().map(t -> t.getDeviceId()).orElse(ByteString.EMPTY))
        .setCoordinatorTimeMs(System.currentTimeMillis())
        .build();
    String receiptsTopic = topic.substring(0, topic.length() - "telemetry".length()) + "receipts";
    try {
      MqttMessage m = new MqttMessage(dev.popw.receipt.Receipts.sign(receipt, COORDINATOR_KEY));
      m.setQos(1);
      c.publish(receiptsTopic, m);
    } catch (MqttException e) {
      // the device will resend and we answer then
    }
  }

  public List<ReceivedEnvelope> received() {
    return received;
  }

  @Override
  public void close() throws MqttException {
    running = false;
    keeper.interrupt();
    MqttAsyncClient c = client;
    if (c != null) {
      try {
        c.disconnect().waitForCompletion(2_000);
      } catch (MqttException e) {
        // broker may be gone
      }
      c.close(true);
    }
  }

  private final class Callback implements MqttCallback {
    private final MqttAsyncClient owner;

    Callback(MqttAsyncClient owner) {
      this.owner = owner;
    }

    @Override
    public void disconnected(MqttDisconnectResponse r) {}

    @Override
    public void mqttErrorOccurred(MqttException e) {}

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      onTelemetry(owner, topic, message.getPayload());
    }

    @Override
    public void deliveryComplete(IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {}

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {}
  }
}
