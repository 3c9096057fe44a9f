package dev.popw.testing;

import dev.popw.client.DeviceClient;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.KeyFiles;
import dev.popw.internal.encoding.Hex;
import dev.popw.outbox.FsyncPolicy;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A device in its own JVM, for crash tests: submits {@code count} envelopes with fsync per write
 * and prints {@code QUEUED <sequence> <hash>} once each is durably queued, then drains and prints
 * {@code DRAINED}.
 *
 * <p>Arguments: brokerUri stateDir keyFile count
 */
public final class DeviceProcessMain {
  private DeviceProcessMain() {}

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    Path state = Path.of(args[1]);
    Path key = Path.of(args[2]);
    int count = Integer.parseInt(args[3]);
    try (DeviceClient client = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust())
        .signer(KeyFiles.load(key))
        .transport(MqttTransport.builder().serverUri(uri).ackTimeout(Duration.ofSeconds(3))
            .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build())
        .stateDirectory(state)
        .networkId("popw-test")
        .fsync(FsyncPolicy.everyWrite())
        .build()) {
      for (int i = 0; i < count; i++) {
        SealedEnvelope e = client.submit(SampleTelemetry.weather()).join();
        System.out.println("QUEUED " + e.sequence() + " " + Hex.encode(e.hash()));
        System.out.flush();
      }
      client.drain(Duration.ofSeconds(60));
      System.out.println("DRAINED " + client.status());
      System.out.flush();
    }
  }
}
