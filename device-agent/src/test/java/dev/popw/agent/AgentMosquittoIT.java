package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.popw.agent.cli.AgentCli;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.SettingsLoader;
import dev.popw.coordinator.cli.CoordinatorCli;
import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.DeviceSigners;
import dev.popw.testing.Await;
import dev.popw.testing.Mosquitto;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent against an external Mosquitto that authenticates devices by certificate (configured by
 * {@code popw-coordinator mosquitto-config}): {@code popw-agent register} stores the certificate
 * the coordinator issues for the device's key, and {@code popw-agent run}'s ssl:// transport
 * presents it, with no certificate setting at all.
 */
class AgentMosquittoIT {
  @TempDir static Path tmp;
  static Mosquitto broker;
  static Coordinator coordinator;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Mosquitto.installedBinary() != null,
        "SKIPPED: no Mosquitto binary (/usr/sbin/mosquitto); install it with 'apt-get install mosquitto'");
    port = Mosquitto.freePort();
    Path bundle = tmp.resolve("bundle");
    Path settings = tmp.resolve("coordinator.toml");
    Files.writeString(settings, String.join("\n", "network_id = \"popw-test\"", "data_dir = \"" + tmp.resolve("data") + "\"",
        "[mqtt]", "url = \"ssl://127.0.0.1:" + port + "\"", "[mqtt.tls]", "ca_file = \"" + bundle.resolve("ca.crt") + "\"",
        "cert_file = \"" + bundle.resolve("coordinator.crt") + "\"", "key_file = \"" + bundle.resolve("coordinator.key") + "\"",
        "[coap]", "port = -1", "[api]", "port = 0", ""));
    assertEquals(0, CoordinatorCli.execute("mosquitto-config", bundle.toString(), "-c", settings.toString(), "--port",
        Integer.toString(port), "--bind", "127.0.0.1", "--host", "127.0.0.1"));
    broker = Mosquitto.startIncluding(tmp.resolve("broker"), bundle, port);
    coordinator = Coordinator.start(SettingsLoader.load(settings, Map.of()));
    Await.until(Duration.ofSeconds(15), coordinator::mqttConnected, () -> "coordinator not connected: " + broker.log());
  }

  @AfterAll
  static void stop() throws Exception {
    if (coordinator != null) {
      coordinator.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private static Path config(String name) throws Exception {
    Path cfg = tmp.resolve(name + ".toml");
    Files.writeString(cfg, String.join("\n", "network_id = \"popw-test\"", "key_file = \"" + tmp.resolve(name + ".key") + "\"",
        "state_dir = \"" + tmp.resolve(name) + "\"", "[transport]", "url = \"ssl://127.0.0.1:" + port + "\"",
        "ca_file = \"" + tmp.resolve("bundle/ca.crt") + "\"", "[coordinator]", "api_url = \"http://127.0.0.1:" + coordinator.apiPort() + "\"",
        "[sources.simulated]", "sensor = true", "interval_seconds = 1", ""));
    return cfg;
  }

  private static String register(Path cfg) {
    PrintStream out = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true));
    try {
      assertEquals(0, AgentCli.execute("register", "--owner", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--config", cfg.toString()));
    } finally {
      System.setOut(out);
    }
    return buf.toString();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ed25519", "p256"})
  void registering_stores_the_certificate_and_the_agent_delivers_with_it(String type) throws Exception {
    Path cfg = config("agent-" + type);
    assertEquals(0, AgentCli.execute("keygen", "--type", type, "--config", cfg.toString()));
    String said = register(cfg);
    assertTrue(said.contains("MQTT client certificate for this device's key stored in"), said);
    assertTrue(Files.exists(tmp.resolve("agent-" + type).resolve(DeviceCertificate.FILE)));
    DeviceId id;
    try (DeviceSigner s = DeviceSigners.open(tmp.resolve("agent-" + type + ".key").toString())) {
      id = s.deviceId();
    }
    try (Agent agent = Agent.start(AgentSettings.load(cfg, Map.of()))) {
      Await.until(Duration.ofSeconds(30), () -> agent.client().status().acknowledged() >= 2,
          () -> agent.client().status() + "; broker log: " + broker.logTail(30));
      assertEquals(0, agent.client().status().ignoredReceipts(), agent.client().status().toString());
    }
    assertTrue(coordinator.store().envelopes().acceptedSequences(id.toString()).size() >= 2);
    assertTrue(broker.log().contains(" as " + id + " "), "the broker knows the agent by its certificate: " + broker.logTail(30));
  }

  @Test
  void a_secp256k1_device_registers_and_is_told_why_it_gets_no_certificate() throws Exception {
    Path cfg = config("agent-k1");
    assertEquals(0, AgentCli.execute("keygen", "--type", "secp256k1", "--config", cfg.toString()));
    String said = register(cfg);
    assertTrue(said.contains("registered ") && said.contains("no MQTT client certificate") && said.contains("secp256k1"), said);
    assertFalse(Files.exists(tmp.resolve("agent-k1").resolve(DeviceCertificate.FILE)));
  }
}
