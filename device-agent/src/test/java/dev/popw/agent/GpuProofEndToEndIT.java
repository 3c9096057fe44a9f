package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.agent.cli.AgentCli;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.GpuChallengeStore;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.gpu.GpuClass;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.identity.DeviceSigners;
import dev.popw.testing.Await;
import dev.popw.testing.Mosquitto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GPU capacity proofs end to end: a real coordinator (embedded broker, CoAP, database) challenges a
 * real agent (registered through its CLI, nvidia-smi stood in by a script printing an RTX 4090,
 * the CPU prover), over MQTT and over CoAP polling. The agent answers; the live check and the
 * epoch's verdict are VALID and the device earns capacity units; then the stand-in reports other GPUs
 * and the reports are FINGERPRINT_CHANGED.
 */
class GpuProofEndToEndIT {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"mqtt", "coap"})
  void an_agent_with_the_cpu_prover_answers_challenges_and_earns_units(String transport) throws Exception {
    int mqtt = Mosquitto.freePort();
    int api = Mosquitto.freePort();
    int coap = Mosquitto.freePort();
    GpuProofRules rules = GpuProofRules.defaults().withIntervals(Duration.ofSeconds(1), Duration.ofSeconds(2))
        .withTiming(Duration.ofSeconds(8), Duration.ofSeconds(8), 1.5).withReportInterval(Duration.ofSeconds(1))
        .withClasses(List.of(new GpuClass("rtx4090", List.of("RTX 4090"), 1e-3, 1e3, 256, 8, 2, 4, 2),
            new GpuClass("default", List.of("*"), 0.01, 100, 64, 8, 1, 0.0002, 1)));
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(tmp.resolve("coordinator"))
        .withEmbeddedMqtt(mqtt).withCoap("127.0.0.1", coap, -1, Map.of()).withApiPort(api)
        .withEpochs(Duration.ofSeconds(5), Duration.ofSeconds(1)).toBuilder().gpuProofs(rules).build();
    try (Coordinator coordinator = Coordinator.start(s)) {
      Path gpus = tmp.resolve("gpus.csv");
      Files.copy(Path.of("src/test/resources/nvidia-smi/gpus-1.csv"), gpus);
      Path smi = tmp.resolve("nvidia-smi");
      Files.writeString(smi, "#!/bin/sh\ncat " + gpus + "\n");
      Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwx------"));
      String url = transport.equals("mqtt") ? "tcp://127.0.0.1:" + mqtt : "coap://127.0.0.1:" + coap;
      Path cfg = tmp.resolve("agent.toml");
      Files.writeString(cfg, String.join("\n", "network_id = \"popw-test\"", "kind = \"gpu\"", "key_file = \"" + tmp.resolve("device.key") + "\"",
          "state_dir = \"" + tmp.resolve("state") + "\"", "[transport]", "url = \"" + url + "\"",
          "[coordinator]", "api_url = \"http://127.0.0.1:" + api + "\"",
          "[sources.gpu]", "enabled = true", "nvidia_smi = \"" + smi + "\"", "interval_seconds = 1", "prover = \"cpu\"",
          "challenge_poll_seconds = 1", ""));
      assertEquals(0, AgentCli.execute("keygen", "--type", "ed25519", "--config", cfg.toString()));
      assertEquals(0, AgentCli.execute("register", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--kind", "gpu",
          "--config", cfg.toString()));
      String id;
      try (var signer = DeviceSigners.open(tmp.resolve("device.key").toString())) {
        id = signer.deviceId().toString();
      }
      GpuChallengeStore store = coordinator.store().gpuChallenges();
      try (Agent agent = Agent.start(AgentSettings.load(cfg, Map.of()))) {
        Await.until(Duration.ofSeconds(90), () -> store.challengesOf(id, 0, 50).stream().anyMatch(r -> "VALID".equals(r.liveStatus())),
            () -> "no challenge checked VALID: " + rows(store, id) + "; agent: " + agent.sources().get(agent.sources().size() - 1).status());
        // The epoch holding a passed challenge's expiry closes: its verdict is VALID and the device earns units.
        Await.until(Duration.ofSeconds(60), () -> decided(store, id).isPresent(), () -> "no decided challenge: " + rows(store, id));
        GpuChallengeStore.ChallengeRow r = decided(store, id).orElseThrow();
        ChallengeVerdict v = r.verdict();
        assertEquals(ChallengeStatus.VALID, v.status(), v.explanation());
        assertEquals(4.0, v.units());
        Await.until(Duration.ofSeconds(30), () -> coordinator.verdicts().summaries(r.epoch()).stream().anyMatch(x -> x.deviceId().equals(id)),
            () -> "no summary");
        DeviceEpochSummary sum = coordinator.verdicts().summaries(r.epoch()).stream().filter(x -> x.deviceId().equals(id)).findFirst()
            .orElseThrow();
        assertTrue(sum.units() > 0, sum.explanation());
        assertTrue(sum.explanation().contains("capacity 4 (rtx4090 4)"), sum.explanation());

        // The GPUs change: 8 H100s instead of the pinned RTX 4090.
        Files.copy(Path.of("src/test/resources/nvidia-smi/gpus-8.csv"), gpus, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Await.until(Duration.ofSeconds(60), () -> coordinator.verdicts().verdictsOf(id, null, 0, 1000).stream()
            .anyMatch(x -> x.verdict().reason().equals(WorkReason.FINGERPRINT_CHANGED)), () -> "no FINGERPRINT_CHANGED verdict");
        String why = coordinator.verdicts().verdictsOf(id, null, 0, 1000).stream().filter(x -> x.verdict().reason()
            .equals(WorkReason.FINGERPRINT_CHANGED)).findFirst().orElseThrow().verdict().explanation();
        assertTrue(why.contains("GPU count 1 -> 8"), why);
        assertEquals(0, ((dev.popw.agent.gpu.ProofResponder) agent.sources().get(agent.sources().size() - 1)).ignored(),
            "every challenge message verified");
      }
    }
  }

  private static Optional<GpuChallengeStore.ChallengeRow> decided(GpuChallengeStore store, String id) {
    return store.challengesOf(id, 0, 50).stream().filter(r -> r.verdict() != null && r.verdict().status() == ChallengeStatus.VALID)
        .findFirst();
  }

  private static String rows(GpuChallengeStore store, String id) {
    StringBuilder b = new StringBuilder();
    for (GpuChallengeStore.ChallengeRow r : store.challengesOf(id, 0, 10)) {
      b.append("\n  #").append(r.record().id()).append(' ').append(r.liveStatus()).append(' ').append(r.liveReason()).append(": ")
          .append(r.liveExplanation()).append(r.verdict() == null ? "" : " / epoch: " + r.verdict().reason());
    }
    return b.toString();
  }
}
