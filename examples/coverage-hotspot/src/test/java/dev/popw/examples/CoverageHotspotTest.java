package dev.popw.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.agent.coverage.Beacon;
import dev.popw.agent.coverage.CoverageSource;
import dev.popw.agent.coverage.Gwmp;
import dev.popw.client.DeviceClient;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.MqttReceiptResponder;
import dev.popw.transport.mqtt.MqttTransport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test: a simulated packet forwarder delivers a neighbour's beacon; the witness arrives signed over a real Mosquitto. */
class CoverageHotspotTest {
  @TempDir Path tmp;

  @Test
  void a_heard_beacon_arrives_as_a_signed_witness() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("mosquitto"));
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.tcpUri());
        SoftwareSigner key = SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, new SecureRandom());
        DeviceClient client = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(key).transport(MqttTransport.builder().serverUri(broker.tcpUri()).build())
            .stateDirectory(tmp.resolve("state")).networkId("popw-devnet").build();
        DatagramSocket forwarder = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      CoverageSource radio = new CoverageSource("127.0.0.1", 0, Duration.ofHours(6), Duration.ofMinutes(30),
          new CoverageSource.BeaconRadio(868.1, "SF9BW125", 14), key.deviceId().toBytes(), 0,
          () -> new dev.popw.entropy.EntropyCheck(null, dev.popw.entropy.EntropyFailure.MALFORMED, "no coordinator in this test"),
          Clock.systemUTC());
      radio.start(client::submit, scheduler);
      String beacon = Base64.getEncoder().encodeToString(new Beacon(new byte[8], new byte[16], Beacon.tagOf(new byte[] {7})).encode());
      byte[] push = Gwmp.fromGateway(Gwmp.PUSH_DATA, 1, 0x0102030405060708L,
          "{\"rxpk\":[{\"tmst\":77,\"freq\":867.9,\"rssi\":-112,\"lsnr\":-6.25,\"datr\":\"SF9BW125\",\"data\":\"" + beacon + "\"}]}");
      forwarder.send(new DatagramPacket(push, push.length, radio.address()));
      long deadline = System.currentTimeMillis() + 20_000;
      while (coordinator.received().isEmpty() && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      radio.close();
      assertTrue(!coordinator.received().isEmpty(), "the witness arrived");
      CoverageReport w = coordinator.received().get(0).result().telemetry().orElseThrow().getCoverage();
      assertTrue(coordinator.received().get(0).result().isOk());
      assertEquals(CoverageReport.Role.WITNESS, w.getRole());
      assertEquals(-112f, w.getRssiDbm());
      assertEquals(867_900_000L, w.getFrequencyHz());
    } finally {
      scheduler.shutdownNow();
    }
  }
}
