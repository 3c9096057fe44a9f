package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.agent.cli.AgentCli;
import dev.popw.agent.coverage.Beacon;
import dev.popw.agent.coverage.CoverageSource;
import dev.popw.agent.coverage.Gwmp;
import dev.popw.agent.sensor.Bme280Source;
import dev.popw.agent.source.Source;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.DeviceSigners;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.testing.Mosquitto;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent end to end: registered through its CLI, then every source kind (the three simulated
 * ones, and the real parsers on fixtures: a BME280 register map, DS18B20 sysfs files, nvidia-smi
 * output for 8 GPUs, a simulated LoRa packet forwarder) → MQTT → a real coordinator (embedded
 * broker and database), which accepts each envelope; simulated ones are flagged as such.
 */
class AgentEndToEndIT {
  @TempDir Path tmp;

  @Test
  void every_source_kind_reaches_the_coordinator_signed_and_only_the_registered_kind_is_accepted() throws Exception {
    int mqtt = Mosquitto.freePort();
    int api = Mosquitto.freePort();
    try (Coordinator coordinator = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test")
        .withDataDirectory(tmp.resolve("coordinator")).withEmbeddedMqtt(mqtt).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(api))) {
      Path smi = tmp.resolve("nvidia-smi");
      Files.writeString(smi, "#!/bin/sh\ncat " + Path.of("src/test/resources/nvidia-smi/gpus-8.csv").toAbsolutePath() + "\n");
      Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwx------"));
      Path cfg = tmp.resolve("agent.toml");
      Files.writeString(cfg, String.join("\n", "network_id = \"popw-test\"", "key_file = \"" + tmp.resolve("device.key") + "\"",
          "state_dir = \"" + tmp.resolve("state") + "\"", "[transport]", "url = \"tcp://127.0.0.1:" + mqtt + "\"",
          "[coordinator]", "api_url = \"http://127.0.0.1:" + api + "\"",
          "[sources.ds18b20]", "enabled = true", "devices_dir = \"" + Path.of("src/test/resources/w1/good").toAbsolutePath() + "\"",
          "interval_seconds = 1", "[sources.gpu]", "enabled = true", "nvidia_smi = \"" + smi + "\"", "interval_seconds = 1",
          "[sources.coverage]", "enabled = true", "port = 0", "[sources.simulated]", "sensor = true", "gpu = true", "coverage = true",
          "interval_seconds = 1", ""));
      assertEquals(0, AgentCli.execute("keygen", "--type", "p256", "--config", cfg.toString()));
      assertEquals(0, AgentCli.execute("register", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--kind", "coverage",
          "--config", cfg.toString()));

      AgentSettings settings = AgentSettings.load(cfg, Map.of());
      // Registration pinned the coordinator's receipt key (the agent's default path: learn at registration).
      assertEquals(java.util.HexFormat.of().formatHex(coordinator.receiptKey()),
          Files.readString(settings.path("state_dir").resolve(Agent.COORDINATOR_KEY_FILE)).strip());
      DeviceSigner signer = DeviceSigners.open(tmp.resolve("device.key").toString());
      List<Source> sources = new ArrayList<>(Agent.sources(settings, signer.deviceId().toBytes()));
      sources.add(new Bme280Source(dev.popw.agent.sensor.FakeBme280.withExampleReading(), Duration.ofSeconds(1)));
      CoverageSource coverage = (CoverageSource) sources.stream().filter(s -> s instanceof CoverageSource).findFirst().orElseThrow();
      try (Agent agent = Agent.start(settings, signer, Agent.transport(settings), sources, Duration.ofSeconds(10));
          DatagramSocket forwarder = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
        // the packet forwarder connects and hears someone else's beacon
        send(forwarder, coverage, Gwmp.fromGateway(Gwmp.PULL_DATA, 1, 0xAA55L, null));
        String beacon = Base64.getEncoder().encodeToString(new Beacon(new byte[8], new byte[16], Beacon.tagOf(new byte[] {1})).encode());
        send(forwarder, coverage, Gwmp.fromGateway(Gwmp.PUSH_DATA, 2, 0xAA55L,
            "{\"rxpk\":[{\"tmst\":1000,\"freq\":868.5,\"rssi\":-101,\"lsnr\":-3.5,\"datr\":\"SF10BW125\",\"data\":\"" + beacon + "\"}]}"));
        Thread.sleep(300);
        assertTrue(coverage.beaconNow(), "our own beacon goes out through the forwarder");

        String id = signer.deviceId().toString();
        long deadline = System.currentTimeMillis() + 30_000;
        List<Telemetry> seen = List.of();
        while (System.currentTimeMillis() < deadline) {
          seen = received(coordinator, id);
          if (covers(seen)) {
            break;
          }
          Thread.sleep(200);
        }
        assertTrue(covers(seen), "every source kind arrived; got " + describe(seen));
        // Registered as COVERAGE: the other kinds arrive signed and are refused as WRONG_KIND (issue 13), nothing else.
        java.util.Map<String, Long> rejected = coordinator.store().envelopes().rejectionCounts(id);
        assertEquals(java.util.Set.of("WRONG_KIND"), rejected.keySet(), "only the other kinds are rejected: " + rejected);
        for (EnvelopeRow r : coordinator.store().envelopes().envelopesOf(id, 0, 1000)) {
          assertEquals(9, r.payloadKind(), "accepted envelopes are coverage reports");
        }
        // our beacon carries live entropy the coordinator issued and signed, and its id is derived from it (issue 14)
        CoverageReport own = seen.stream().filter(t -> t.hasCoverage() && !t.getSimulated()
            && t.getCoverage().getRole() == CoverageReport.Role.BEACON).findFirst().orElseThrow().getCoverage();
        var issued = coordinator.store().entropy().issued(0, Long.MAX_VALUE);
        assertTrue(issued.stream().anyMatch(e -> java.util.Arrays.equals(e.value(), own.getBeaconEntropy().toByteArray())),
            "the beacon's entropy is one the coordinator issued");
        org.junit.jupiter.api.Assertions.assertArrayEquals(dev.popw.entropy.Entropies.beaconId(own.getBeaconEntropy().toByteArray(),
            own.getBeaconNonce().toByteArray(), signer.deviceId().toBytes()), own.getBeaconId().toByteArray());
        assertTrue(agent.client().status().acknowledged() > 0, agent.client().status().toString());
        assertEquals(0, agent.client().status().ignoredReceipts(), "the genuine receipts verify: " + agent.client().status());
        for (Telemetry t : seen) {
          boolean simulatedSource = t.getSimulated();
          if (t.hasSensor()) {
            assertEquals(simulatedSource, t.getSensor().getSensorModel().startsWith("simulated"), t.getSensor().getSensorModel());
          }
        }
      }
    }
  }

  private static void send(DatagramSocket s, CoverageSource c, byte[] b) throws Exception {
    s.send(new DatagramPacket(b, b.length, c.address()));
  }

  private static List<Telemetry> received(Coordinator c, String deviceId) throws Exception {
    List<Telemetry> out = new ArrayList<>();
    for (EnvelopeRow r : c.store().envelopes().envelopesOf(deviceId, 0, 1000)) {
      byte[] bytes = c.store().envelopes().envelopeBytes(r.hash()).orElseThrow();
      out.add(Telemetry.parseFrom(SignedEnvelope.parseFrom(bytes).getTelemetry()));
    }
    for (dev.popw.coordinator.store.RejectionRecord r : c.store().envelopes().rejections(deviceId, "WRONG_KIND")) {
      out.add(Telemetry.parseFrom(SignedEnvelope.parseFrom(r.envelope()).getTelemetry()));
    }
    return out;
  }

  private static boolean covers(List<Telemetry> seen) {
    boolean simSensor = false, simGpu = false, simCoverage = false, bme = false, ds = false, gpus = false, witness = false, beacon = false;
    for (Telemetry t : seen) {
      if (t.getSimulated()) {
        simSensor |= t.hasSensor();
        simGpu |= t.hasGpu();
        simCoverage |= t.hasCoverage();
        continue;
      }
      bme |= t.hasSensor() && t.getSensor().getSensorModel().equals("BME280") && Math.abs(t.getSensor().getMeasurements(0).getValue() - 25.08) < 1e-9;
      ds |= t.hasSensor() && t.getSensor().getSensorModel().equals("DS18B20") && t.getSensor().getMeasurementsCount() == 2;
      gpus |= t.hasGpu() && t.getGpu().getGpusCount() == 8;
      witness |= t.hasCoverage() && t.getCoverage().getRole() == CoverageReport.Role.WITNESS && t.getCoverage().getRssiDbm() == -101f;
      beacon |= t.hasCoverage() && t.getCoverage().getRole() == CoverageReport.Role.BEACON;
    }
    return simSensor && simGpu && simCoverage && bme && ds && gpus && witness && beacon;
  }

  private static String describe(List<Telemetry> seen) {
    StringBuilder sb = new StringBuilder();
    for (Telemetry t : seen) {
      sb.append(t.getPayloadCase()).append(t.getSimulated() ? "(sim) " : " ");
    }
    return sb.toString();
  }
}
