package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.agent.cli.AgentCli;
import dev.popw.agent.source.Source;
import dev.popw.agent.source.TelemetrySink;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import dev.popw.transport.Acknowledgement;
import dev.popw.transport.Transport;
import dev.popw.transport.TransportException;
import dev.popw.transport.TransportListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code popw-agent status} reports, from the status file the agent writes, with a transport the test controls. */
class AgentStatusTest {
  @TempDir Path tmp;
  Path config;
  AgentSettings settings;

  @BeforeEach
  void settings() throws Exception {
    config = tmp.resolve("agent.toml");
    Files.writeString(config, "network_id = \"popw-test\"\nkey_file = \"" + tmp.resolve("device.key") + "\"\nstate_dir = \""
        + tmp.resolve("state") + "\"\n[coordinator]\nkey = \"" + dev.popw.testing.TestKeys.COORDINATOR_PUBLIC_KEY + "\"\n");
    KeyFiles.generate(KeyType.ED25519, tmp.resolve("device.key")).close();
    settings = AgentSettings.load(config, Map.of());
  }

  @Test
  void right_after_a_restart_produced_and_recovered_account_for_everything_queued() throws Exception {
    ControlledTransport offline = new ControlledTransport();
    ManualSource first = new ManualSource();
    Agent a = start(offline, first);
    first.emit(3);
    a.close(); // the coordinator never answered: three stay in the outbox
    assertEquals(3, status().path("queued").asLong());

    ManualSource second = new ManualSource();
    Agent b = start(new ControlledTransport(), second);
    try {
      b.writeStatus();
      JsonNode st = status();
      assertEquals(3, st.path("queued").asLong(), st.toString());
      assertEquals(3, st.path("recovered_at_start").asLong(), "queued by the earlier run: " + st);
      assertEquals(0, st.path("produced").asLong(), st.toString());
      second.emit(2);
      b.writeStatus();
      st = status();
      assertEquals(5, st.path("queued").asLong(), st.toString());
      assertEquals(2, st.path("produced").asLong(), "counted once in the outbox, not when durable: " + st);
      assertTrue(st.path("queued").asLong() <= st.path("recovered_at_start").asLong() + st.path("produced").asLong(), st.toString());
    } finally {
      b.close();
    }
  }

  @Test
  void a_stopped_agent_is_not_connected_and_times_are_iso_8601() throws Exception {
    ControlledTransport t = new ControlledTransport();
    t.connect();
    ManualSource src = new ManualSource();
    Agent a = start(t, src);
    src.emit(2);
    a.writeStatus();
    assertTrue(status().path("connected").asBoolean(), status().toString());
    a.close();
    JsonNode st = status();
    assertFalse(st.path("running").asBoolean(), st.toString());
    assertFalse(st.path("connected").asBoolean(), "stopped, so not connected: " + st);
    assertEquals(2, st.path("acknowledged").asLong(), st.toString());
    assertEquals(0, st.path("ignored_receipts").asLong(), "forged or unsigned receipts are counted here: " + st);
    Instant started = Instant.parse(st.path("started_at").asText());
    Instant updated = Instant.parse(st.path("updated_at").asText());
    assertFalse(updated.isBefore(started), st.toString());
    assertTrue(Duration.between(updated, Instant.now()).abs().toMinutes() < 5, st.toString());
    st.fieldNames().forEachRemaining(f -> assertFalse(f.endsWith("_ms"), "no epoch milliseconds: " + f));

    String out = cli("status", "--config", config.toString());
    assertTrue(out.lines().anyMatch(l -> l.matches("started_at\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("connected\\s+false")), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("running\\s+false")), out);
  }

  @Test
  void the_last_error_goes_away_when_delivery_recovers() throws Exception {
    ControlledTransport t = new ControlledTransport();
    ManualSource src = new ManualSource();
    Agent a = start(t, src);
    try {
      t.disconnect(new TransportException("Connection refused"));
      a.writeStatus();
      assertTrue(status().path("last_error").asText().contains("Connection refused"), status().toString());
      t.connect();
      src.emit(1);
      assertTrue(a.client().drain(Duration.ofSeconds(10)), a.client().status().toString());
      a.writeStatus();
      assertFalse(status().has("last_error"), "recovered: " + status());
    } finally {
      a.close();
    }
  }

  /** Issue 13: an agent checks receipts against a pinned coordinator key, or refuses to run. */
  @Test
  void without_a_coordinator_key_the_agent_refuses_to_run_unless_development_allows_it() throws Exception {
    Files.writeString(config, "network_id = \"popw-test\"\nkey_file = \"" + tmp.resolve("device.key") + "\"\nstate_dir = \""
        + tmp.resolve("state") + "\"\n");
    AgentSettings noKey = AgentSettings.load(config, Map.of());
    AgentSettingsException e = org.junit.jupiter.api.Assertions.assertThrows(AgentSettingsException.class, () -> Agent.receiptTrust(noKey));
    assertTrue(e.getMessage().contains("popw-agent register") && e.getMessage().contains("coordinator.key"), e.getMessage());
    assertFalse(Agent.receiptTrust(AgentSettings.load(config, Map.of("POPW_COORDINATOR_ACCEPT_UNSIGNED_RECEIPTS", "true"))).verifies());
    // What 'popw-agent register' stores.
    Files.createDirectories(tmp.resolve("state"));
    Files.writeString(tmp.resolve("state").resolve(Agent.COORDINATOR_KEY_FILE), dev.popw.testing.TestKeys.COORDINATOR_PUBLIC_KEY + "\n");
    assertTrue(Agent.receiptTrust(noKey).verifies());
    org.junit.jupiter.api.Assertions.assertArrayEquals(dev.popw.testing.TestKeys.coordinator().publicKey(),
        Agent.receiptTrust(noKey).coordinatorKey().orElseThrow());
    AgentSettingsException bad = org.junit.jupiter.api.Assertions.assertThrows(AgentSettingsException.class,
        () -> Agent.receiptTrust(AgentSettings.load(config, Map.of("POPW_COORDINATOR_KEY", "abcd"))));
    assertTrue(bad.getMessage().startsWith("coordinator.key"), bad.getMessage());
  }

  @Test
  void the_status_command_says_not_connected_for_an_agent_that_died_connected() throws Exception {
    Files.createDirectories(tmp.resolve("state"));
    Files.writeString(tmp.resolve("state").resolve(Agent.STATUS_FILE), "{\"pid\": 2147483000, \"running\": true, \"connected\": true,"
        + " \"updated_at\": \"" + Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\", \"queued\": 0}\n");
    String out = cli("status", "--config", config.toString());
    assertTrue(out.lines().anyMatch(l -> l.matches("running\\s+false")), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("connected\\s+false")), out);
  }

  private Agent start(Transport transport, Source source) {
    return Agent.start(settings, dev.popw.identity.DeviceSigners.open(tmp.resolve("device.key").toString()), transport, List.of(source),
        Duration.ofMillis(500));
  }

  private JsonNode status() throws Exception {
    return new ObjectMapper().readTree(tmp.resolve("state").resolve(Agent.STATUS_FILE).toFile());
  }

  private static String cli(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      AgentCli.execute(args);
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  /** A source that produces when the test says so. */
  static final class ManualSource implements Source {
    private volatile TelemetrySink sink;

    @Override
    public String name() {
      return "manual";
    }

    @Override
    public void start(TelemetrySink sink, ScheduledExecutorService scheduler) {
      this.sink = sink;
    }

    void emit(int n) {
      for (int i = 0; i < n; i++) {
        sink.accept(Telemetry.newBuilder().setSensor(SensorReading.newBuilder().setSensorModel("TEST")));
      }
    }

    @Override
    public String status() {
      return "ok";
    }
  }

  /** Connected when the test says so; while connected, the broker acknowledges every envelope. */
  static final class ControlledTransport implements Transport {
    private volatile boolean connected;
    private volatile TransportListener listener = TransportListener.NONE;

    @Override
    public void start(DeviceId device, dev.popw.receipt.ReceiptTrust receipts, TransportListener listener) {
      this.listener = listener;
    }

    void connect() {
      connected = true;
      listener.connected();
    }

    void disconnect(Throwable cause) {
      connected = false;
      listener.disconnected(cause);
    }

    @Override
    public boolean isConnected() {
      return connected;
    }

    @Override
    public int maxInFlight() {
      return 8;
    }

    @Override
    public CompletableFuture<Acknowledgement> send(byte[] envelope, byte[] envelopeHash) {
      return connected ? CompletableFuture.completedFuture(Acknowledgement.brokerOnly())
          : CompletableFuture.failedFuture(new TransportException("not connected"));
    }

    @Override
    public String describe() {
      return "controlled";
    }

    @Override
    public void close() {}
  }
}
