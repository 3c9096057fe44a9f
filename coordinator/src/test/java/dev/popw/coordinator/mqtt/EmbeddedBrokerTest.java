package dev.popw.coordinator.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.testing.Await;
import dev.popw.transport.mqtt.MqttTransport;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Test;

/** The embedded broker against real Paho clients (MQTT 5 and 3.1.1). */
class EmbeddedBrokerTest {

  @Test
  void puback_waits_for_the_in_process_consumer_and_clients_get_matching_messages() throws Exception {
    try (EmbeddedBroker broker = anonymous()) {
      CompletableFuture<Void> gate = new CompletableFuture<>();
      List<String> internal = new CopyOnWriteArrayList<>();
      broker.subscribeInternal("t/+/in", (topic, payload) -> {
        internal.add(topic);
        return gate;
      });
      broker.start();
      String uri = "tcp://127.0.0.1:" + broker.port();

      MqttAsyncClient pub = v5(uri, "pub", new CopyOnWriteArrayList<>());
      MqttMessage m = new MqttMessage("hello".getBytes());
      m.setQos(1);
      IMqttToken token = pub.publish("t/1/in", m);
      Thread.sleep(300);
      assertFalse(token.isComplete(), "no PUBACK before the consumer finished");
      assertEquals(List.of("t/1/in"), internal);
      gate.complete(null);
      token.waitForCompletion(5_000);
      assertTrue(token.isComplete());

      // Shared subscription: two members split the messages; a plain subscriber gets all of them.
      List<String> a = new CopyOnWriteArrayList<>();
      List<String> b = new CopyOnWriteArrayList<>();
      List<String> all = new CopyOnWriteArrayList<>();
      MqttAsyncClient ca = v5(uri, "a", a);
      ca.subscribe("$share/g/s/+", 1).waitForCompletion(5_000);
      MqttAsyncClient cb = v5(uri, "b", b);
      cb.subscribe("$share/g/s/+", 1).waitForCompletion(5_000);
      MqttClient v3 = new MqttClient(uri, "v3", new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
      MqttConnectOptions o3 = new MqttConnectOptions();
      o3.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      v3.connect(o3);
      v3.subscribe("s/#", 1, (t, msg) -> all.add(t));
      for (int i = 0; i < 10; i++) {
        MqttMessage x = new MqttMessage(new byte[] {(byte) i});
        x.setQos(1);
        pub.publish("s/" + i, x).waitForCompletion(5_000);
      }
      Await.until(Duration.ofSeconds(5), () -> all.size() == 10 && a.size() + b.size() == 10, () -> a + " " + b + " " + all);
      assertEquals(5, a.size(), "round robin within the group");
      assertEquals(5, b.size());
      v3.disconnect();
      v3.close();
      for (MqttAsyncClient c : List.of(pub, ca, cb)) {
        c.disconnect().waitForCompletion(2_000);
        c.close();
      }
    }
  }

  /**
   * Routing through the index of plain filters: each client gets the topics it subscribed to, one
   * copy when a plain and a wildcard filter both match, none after it unsubscribed or disconnected;
   * a client taking over an id gets what it subscribes to, the closed one nothing.
   */
  @Test
  void plain_and_wildcard_subscriptions_route_one_copy_each_until_removed() throws Exception {
    try (EmbeddedBroker broker = anonymous()) {
      broker.start();
      String uri = "tcp://127.0.0.1:" + broker.port();
      List<String> x = new CopyOnWriteArrayList<>();
      List<String> y = new CopyOnWriteArrayList<>();
      List<String> both = new CopyOnWriteArrayList<>();
      MqttAsyncClient cx = v5(uri, "x", x);
      cx.subscribe("d/x/receipts", 1).waitForCompletion(5_000);
      MqttAsyncClient cy = v5(uri, "y", y);
      cy.subscribe("d/y/receipts", 1).waitForCompletion(5_000);
      MqttAsyncClient cb = v5(uri, "both", both);
      cb.subscribe("d/x/receipts", 1).waitForCompletion(5_000);
      cb.subscribe("d/+/receipts", 1).waitForCompletion(5_000);
      assertEquals(4, broker.subscriptionCount());
      broker.publish("d/x/receipts", new byte[] {1}, 1);
      broker.publish("d/y/receipts", new byte[] {2}, 1);
      broker.publish("d/z/other", new byte[] {3}, 1);
      Await.until(Duration.ofSeconds(5), () -> x.size() == 1 && y.size() == 1 && both.size() == 2, () -> x + " " + y + " " + both);
      assertEquals(List.of("d/x/receipts"), x);
      assertEquals(List.of("d/y/receipts"), y);
      assertEquals(List.of("d/x/receipts", "d/y/receipts"), both, "one copy of d/x although two filters match");

      cx.unsubscribe("d/x/receipts").waitForCompletion(5_000);
      cb.unsubscribe("d/+/receipts").waitForCompletion(5_000);
      cy.disconnect().waitForCompletion(2_000);
      cy.close();
      Await.until(Duration.ofSeconds(5), () -> broker.subscriptionCount() == 1, () -> broker.subscriptionCount() + " subscriptions");
      broker.publish("d/x/receipts", new byte[] {4}, 1);
      broker.publish("d/y/receipts", new byte[] {5}, 1);
      Await.until(Duration.ofSeconds(5), () -> both.size() == 3, () -> both.toString());
      assertEquals("d/x/receipts", both.get(2), "the plain filter still routes after the wildcard went");

      // Take-over: a second client with the id "both" closes the first; only the new one receives.
      List<String> again = new CopyOnWriteArrayList<>();
      MqttAsyncClient cb2 = v5(uri, "both", again);
      cb2.subscribe("d/x/receipts", 1).waitForCompletion(5_000);
      Await.until(Duration.ofSeconds(5), () -> !cb.isConnected() && broker.subscriptionCount() == 1, () -> broker.subscriptionCount() + " subscriptions");
      broker.publish("d/x/receipts", new byte[] {6}, 1);
      Await.until(Duration.ofSeconds(5), () -> again.size() == 1, () -> again.toString());
      Thread.sleep(200);
      assertEquals(3, both.size(), "the closed session got nothing more");
      assertEquals(1, y.size());
      assertEquals(1, x.size());
      for (MqttAsyncClient c : List.of(cx, cb2)) {
        c.disconnect().waitForCompletion(2_000);
        c.close();
      }
      cb.close();
    }
  }

  /** Devices connect with their did:key's method-specific id (48-49 characters), above MQTT's guaranteed 23. */
  @Test
  void accepts_device_ids_as_client_ids_over_mqtt_5_and_3_1_1() throws Exception {
    try (EmbeddedBroker broker = anonymous()) {
      broker.start();
      String uri = "tcp://127.0.0.1:" + broker.port();
      List<MqttAsyncClient> v5 = new java.util.ArrayList<>();
      for (KeyType type : KeyType.values()) {
        String id = MqttTransport.defaultClientId(SoftwareSigner.generate(type, new SecureRandom()).deviceId());
        assertTrue(id.length() > 23, id);
        MqttAsyncClient c = v5(uri, id, new CopyOnWriteArrayList<>());
        assertTrue(c.isConnected(), id);
        v5.add(c);
      }
      String id = MqttTransport.defaultClientId(SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, new SecureRandom()).deviceId());
      MqttClient v3 = new MqttClient(uri, id, new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
      MqttConnectOptions o3 = new MqttConnectOptions();
      o3.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      v3.connect(o3);
      assertTrue(v3.isConnected());
      Await.until(Duration.ofSeconds(5), () -> broker.clientCount() == 4, () -> broker.clientCount() + " clients");
      v3.disconnect();
      v3.close();
      for (MqttAsyncClient c : v5) {
        c.disconnect().waitForCompletion(2_000);
        c.close();
      }
    }
  }

  /** A client id or topic a stranger chose cannot split the refusal's log line or forge another (found by fuzzing). */
  @Test
  void client_text_in_a_refusal_log_line_is_escaped_and_cut() {
    String forged = "x\n[main] INFO dev.popw.coordinator.Coordinator - FORGED line\u2028more\u202e";
    String q = EmbeddedBroker.quoted(forged);
    assertFalse(q.contains("\n") || q.contains("\u2028") || q.contains("\u202e"), q);
    assertTrue(q.startsWith("\"x\\u000a[main] INFO"), q);
    assertTrue(EmbeddedBroker.quoted("a".repeat(1000)).length() < 80, "cut at 64 characters");
  }

  /** A broker without authentication: these tests are about its MQTT mechanics (BrokerSecurityIT covers authentication). */
  private static EmbeddedBroker anonymous() {
    return new EmbeddedBroker("127.0.0.1", 0, BrokerSettings.defaults().withAnonymous(true), null);
  }

  private static MqttAsyncClient v5(String uri, String id, List<String> received) throws Exception {
    MqttAsyncClient c = new MqttAsyncClient(uri, id, new MemoryPersistence());
    c.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
      @Override
      public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse r) {}

      @Override
      public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException e) {}

      @Override
      public void messageArrived(String topic, MqttMessage message) {
        received.add(topic);
      }

      @Override
      public void deliveryComplete(IMqttToken token) {}

      @Override
      public void connectComplete(boolean reconnect, String serverUri) {}

      @Override
      public void authPacketArrived(int reasonCode, org.eclipse.paho.mqttv5.common.packet.MqttProperties properties) {}
    });
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setKeepAliveInterval(60);
    c.connect(o).waitForCompletion(TimeUnit.SECONDS.toMillis(5));
    return c;
  }
}
