package dev.popw.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.client.DeviceClient;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.testing.Await;
import dev.popw.testing.DeliveryAssertions;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.MqttReceiptResponder;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TcpProxy;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MQTT transport recovers by itself from connections that are lost between CONNACK and SUBACK
 * (issue 13): a client-id take-over fight and a flapping link each lost it for good, with the log
 * repeating "unavailable (Client is connected); retrying" while the queue grew.
 */
class MqttReconnectIT {
  @TempDir Path tmp;

  private DeviceClient device(SoftwareSigner signer, String uri) {
    MqttTransport transport = MqttTransport.builder().serverUri(uri)
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .ackTimeout(Duration.ofSeconds(3))
        .build();
    return DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(signer).transport(transport)
        .stateDirectory(tmp.resolve("state"))
        .networkId("popw-test").clock(Clock.systemUTC()).build();
  }

  @Test
  void reconnects_and_delivers_everything_after_a_client_id_take_over_fight() throws Exception {
    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    String clientId = MqttTransport.defaultClientId(signer.deviceId());
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"));
        TcpProxy cellular = new TcpProxy(broker.port());
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.tcpUri());
        DeviceClient device = device(signer, cellular.tcpUri())) {
      cellular.latency(Duration.ofMillis(100)); // the device's link is slow; the intruder's is not
      int n = 0;
      for (; n < 5; n++) {
        device.submit(SampleTelemetry.weather()).join();
      }
      Await.until(Duration.ofSeconds(10), () -> device.status().acknowledged() == 5, () -> device.status().toString());
      // A second client with the same id takes the session over at the worst moment: each time the
      // broker has answered the device's CONNECT and before the device's SUBSCRIBE has crossed its
      // slow link. The device's next connection kicks the intruder off in turn; 10 rounds, then the
      // intruder gives up.
      MqttAsyncClient intruder = new MqttAsyncClient(broker.tcpUri(), clientId, new MemoryPersistence());
      intruder.setCallback(new Quiet());
      MqttConnectionOptions o = new MqttConnectionOptions();
      o.setCleanStart(true);
      AtomicInteger rounds = new AtomicInteger();
      cellular.onFirstReply(() -> {
        if (rounds.get() >= 10) {
          return;
        }
        try {
          if (intruder.isConnected()) {
            intruder.disconnect().waitForCompletion(5000);
          }
          intruder.connect(o).waitForCompletion(5000);
          rounds.incrementAndGet();
        } catch (MqttException e) {
          throw new IllegalStateException(e);
        }
      });
      intruder.connect(o).waitForCompletion(5000); // round 0: the device is kicked off while idle
      for (; n < 15; n++) {
        device.submit(SampleTelemetry.weather());
        Thread.sleep(100);
      }
      Await.until(Duration.ofSeconds(30), () -> rounds.get() >= 10, () -> "take-overs: " + rounds.get());
      if (intruder.isConnected()) {
        intruder.disconnect().waitForCompletion(5000);
      }
      intruder.close(true);
      for (int i = 0; i < 5; i++, n++) {
        device.submit(SampleTelemetry.weather()).join();
      }
      assertTrue(device.drain(Duration.ofSeconds(30)), "drained: " + device.status() + "\nbroker log:\n" + broker.logTail(30));
      Set<Long> expected = LongStream.rangeClosed(1, n).boxed().collect(Collectors.toSet());
      DeliveryAssertions.assertCompleteChain(coordinator.received(), expected);
      assertEquals(0, device.status().queued());
      Thread.sleep(1000); // a stray second reconnection chain would now mark the live connection lost
      assertTrue(device.status().connected(), device.status().toString());
      device.submit(SampleTelemetry.weather()).join();
      assertTrue(device.drain(Duration.ofSeconds(10)), "still delivering: " + device.status());
    }
  }

  @Test
  void reconnects_and_delivers_everything_after_a_flapping_link() throws Exception {
    SoftwareSigner signer = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("broker"));
        TcpProxy link = new TcpProxy(broker.port());
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.tcpUri())) {
      link.dropAfterFirstReply(10); // ten connections in a row die just after their CONNACK
      try (DeviceClient device = device(signer, link.tcpUri())) {
        for (int i = 0; i < 20; i++) {
          device.submit(SampleTelemetry.weather()).join();
        }
        Await.until(Duration.ofSeconds(30), () -> link.dropped() >= 10, () -> "dropped " + link.dropped());
        assertTrue(device.drain(Duration.ofSeconds(30)), "drained: " + device.status() + "\nbroker log:\n" + broker.logTail(30));
        DeliveryAssertions.assertCompleteChain(coordinator.received(), LongStream.rangeClosed(1, 20).boxed().collect(Collectors.toSet()));
        Thread.sleep(1000);
        assertTrue(device.status().connected(), device.status().toString());
      }
    }
  }

  private static final class Quiet implements MqttCallback {
    @Override
    public void disconnected(MqttDisconnectResponse response) {}

    @Override
    public void mqttErrorOccurred(MqttException exception) {}

    @Override
    public void messageArrived(String topic, MqttMessage message) {}

    @Override
    public void deliveryComplete(IMqttToken token) {}

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {}

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {}
  }
}
