package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.agent.cli.AgentCli;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.store.EnvelopeRow;
import dev.popw.testing.Mosquitto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as its own process: telemetry queued while the coordinator is down is flushed when a
 * SIGTERM arrives just after the coordinator is back, and a restarted agent continues the sequence
 * (no number reused, nothing rejected).
 */
class AgentSigtermIT {
  @TempDir Path tmp;

  @Test
  void sigterm_flushes_the_outbox_and_a_restart_continues_the_sequence() throws Exception {
    int mqtt = Mosquitto.freePort();
    int api = Mosquitto.freePort();
    CoordinatorSettings cs = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(tmp.resolve("coordinator"))
        .withEmbeddedMqtt(mqtt).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(api);
    Path cfg = tmp.resolve("agent.toml");
    Files.writeString(cfg, String.join("\n", "network_id = \"popw-test\"", "key_file = \"" + tmp.resolve("device.key") + "\"",
        "state_dir = \"" + tmp.resolve("state") + "\"", "[transport]", "url = \"tcp://127.0.0.1:" + mqtt + "\"", "reconnect_max_seconds = 1",
        "[coordinator]", "api_url = \"http://127.0.0.1:" + api + "\"", "[sources.simulated]", "sensor = true", "interval_seconds = 1", ""));
    assertEquals(0, AgentCli.execute("keygen", "--config", cfg.toString()));
    String deviceId;
    try (Coordinator c = Coordinator.start(cs)) {
      assertEquals(0, AgentCli.execute("register", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--config", cfg.toString()));
      try (var signer = dev.popw.identity.DeviceSigners.open(tmp.resolve("device.key").toString())) {
        deviceId = signer.deviceId().toString();
      }
    }

    // 1. The coordinator is down: the agent queues.
    Process agent = startAgent(cfg);
    awaitStatus(st -> st.path("queued").asLong() >= 3, "three envelopes queued while the coordinator is down");
    // 2. The coordinator comes back and the agent is told to stop at once: it delivers before exiting.
    List<EnvelopeRow> firstRun;
    try (Coordinator c = Coordinator.start(cs)) {
      agent.destroy(); // SIGTERM
      assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "the agent exits");
      assertTrue(agent.exitValue() == 0 || agent.exitValue() == 143, "clean exit, got " + agent.exitValue());
      JsonNode st = status();
      assertEquals(0, st.path("queued").asLong(), "outbox flushed: " + st);
      assertEquals(false, st.path("running").asBoolean());
      firstRun = rows(c, deviceId);
      assertEquals(st.path("produced").asLong(), firstRun.size(), "every envelope produced reached the coordinator");
      assertTrue(firstRun.size() >= 3);
    }

    // 3. Restart: the sequence continues above the last number used, and nothing is rejected.
    try (Coordinator c = Coordinator.start(cs)) {
      Process again = startAgent(cfg);
      awaitStatus(st -> st.path("pid").asLong() == again.pid() && st.path("acknowledged").asLong() >= 2, "the restarted agent delivers");
      again.destroy();
      assertTrue(again.waitFor(30, TimeUnit.SECONDS));
      List<EnvelopeRow> all = rows(c, deviceId);
      long maxFirst = firstRun.stream().mapToLong(EnvelopeRow::sequence).max().orElseThrow();
      List<EnvelopeRow> second = all.stream().filter(r -> firstRun.stream().noneMatch(f -> f.sequence() == r.sequence())).toList();
      assertTrue(second.size() >= 2, "new envelopes after the restart");
      assertTrue(second.stream().allMatch(r -> r.sequence() > maxFirst), "sequence continues above " + maxFirst);
      assertEquals(Map.of(), c.store().envelopes().rejectionCounts(deviceId), "no duplicate, equivocation or other rejection");
    }
  }

  private Process startAgent(Path cfg) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"), AgentCli.class.getName(), "run",
        "--config", cfg.toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("agent-" + System.nanoTime() + ".log").toFile())
        .start();
  }

  private JsonNode status() throws Exception {
    Path f = tmp.resolve("state").resolve(Agent.STATUS_FILE);
    return Files.exists(f) ? new ObjectMapper().readTree(f.toFile()) : new ObjectMapper().createObjectNode();
  }

  private void awaitStatus(java.util.function.Predicate<JsonNode> p, String what) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      if (p.test(status())) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting until " + what + "; status " + status());
  }

  private static List<EnvelopeRow> rows(Coordinator c, String deviceId) {
    List<EnvelopeRow> l = new ArrayList<>(c.store().envelopes().envelopesOf(deviceId, 0, 10_000));
    l.sort(Comparator.comparingLong(EnvelopeRow::sequence));
    return l;
  }
}
