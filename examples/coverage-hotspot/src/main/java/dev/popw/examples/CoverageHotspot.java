package dev.popw.examples;

import dev.popw.agent.coverage.CoverageSource;
import dev.popw.client.DeviceClient;
import dev.popw.identity.DeviceSigners;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * A coverage hotspot: listens for the LoRa concentrator's packet forwarder on udp/1680, reports
 * every PoPW beacon it hears as a signed witness, and beacons itself once every 6 h with the
 * coordinator's entropy (args: key file, broker URL, state directory, coordinator key, API URL).
 */
public final class CoverageHotspot {
  public static void main(String[] args) throws Exception {
    DeviceClient client = DeviceClient.builder()
        .signer(DeviceSigners.open(args.length > 0 ? args[0] : "/etc/popw/device.key"))
        .transport(MqttTransport.builder().serverUri(args.length > 1 ? args[1] : "tcp://127.0.0.1:1883").build())
        .stateDirectory(Path.of(args.length > 2 ? args[2] : "/var/lib/popw"))
        .networkId("popw-devnet")
        // the coordinator key (64 hex digits) that signs receipts: POST /v1/devices answers with it
        .coordinatorKey(args.length > 3 ? args[3] : java.util.Objects.requireNonNullElse(System.getenv("POPW_COORDINATOR_KEY"), ""))
        .build();
    // beacons carry the coordinator's signed entropy, fetched from its API and checked against the pinned key
    String api = args.length > 4 ? args[4] : "http://127.0.0.1:8080";
    String key = args.length > 3 ? args[3] : java.util.Objects.requireNonNullElse(System.getenv("POPW_COORDINATOR_KEY"), "");
    CoverageSource radio = new CoverageSource("0.0.0.0", 1680, Duration.ofHours(6), Duration.ofMinutes(30),
        new CoverageSource.BeaconRadio(868.1, "SF9BW125", 14), client.signer().deviceId().toBytes(), 0,
        new dev.popw.agent.coverage.HttpEntropySource(api, dev.popw.entropy.EntropyTrust.pinned(java.util.HexFormat.of().parseHex(key),
            "popw-devnet", 30_000), Clock.systemUTC()), Clock.systemUTC());
    radio.start(client::submit, Executors.newSingleThreadScheduledExecutor());   // witnesses and beacons → signed → MQTT
    Thread.currentThread().join();
  }
}
