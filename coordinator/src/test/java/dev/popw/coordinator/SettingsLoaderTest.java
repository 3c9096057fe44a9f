package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.cli.CoordinatorCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {
  @TempDir Path dir;

  /** The commented sample lists every key with its default: loading it changes nothing. */
  @Test
  void the_sample_file_states_exactly_the_defaults() {
    Path sample = Path.of("config", "coordinator.toml");
    assertEquals(SettingsLoader.describe(null, Map.of()), SettingsLoader.describe(sample, Map.of()));
    assertEquals(SettingsLoader.KEYS.size(), SettingsLoader.describe(sample, Map.of()).size());
  }

  @Test
  void the_file_and_then_the_environment_override_defaults() throws Exception {
    Path f = dir.resolve("c.toml");
    Path psk = dir.resolve("psk.txt");
    Files.writeString(psk, "# keys\ndevice-1:00112233\n");
    Files.writeString(f, "network_id = \"popw-testnet\"\n[mqtt]\nurl = \"tcp://broker:1883\"\n[coap]\ndtls_port = 5684\npsk_file = \""
        + psk + "\"\n[batch]\nmax_envelopes = 500\n");
    CoordinatorSettings s = SettingsLoader.load(f, Map.of("POPW_BATCH_MAX_AGE_SECONDS", "5", "POPW_MQTT_URL", "ssl://other:8883"));
    assertEquals("popw-testnet", s.networkId());
    assertEquals("ssl://other:8883", s.mqttUrl(), "environment wins over the file");
    assertEquals(500, s.batchMaxEnvelopes());
    assertEquals(Duration.ofSeconds(5), s.batchMaxAge());
    assertEquals(5684, s.coapsPort());
    assertArrayEquals(new byte[] {0, 0x11, 0x22, 0x33}, s.coapPskKeys().get("device-1"));
    assertNull(CoordinatorSettings.defaults().mqttUrl());
  }

  @Test
  void mistakes_are_named() throws Exception {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "[mqtt]\nurll = \"tcp://x:1\"\n");
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(f, Map.of())).getMessage().contains("mqtt.urll"));
    Files.writeString(f, "[coap]\nport = \"5683\"\n");
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(f, Map.of())).getMessage().contains("integer"));
    Files.writeString(f, "network_id = [\n");
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(f, Map.of())).getMessage().contains("TOML"));
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_MQTT_URL", "http://x")))
        .getMessage().contains("tcp://"));
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_COAP_DTLS_PORT", "5684")))
        .getMessage().contains("psk_file"));
  }

  @Test
  void the_cli_reports_a_bad_setting_in_one_line_with_exit_code_1() {
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      assertEquals(1, CoordinatorCli.execute("config", "--config", dir.resolve("missing.toml").toString()));
    } finally {
      System.setErr(err);
    }
    String out = buf.toString();
    assertTrue(out.startsWith("popw-coordinator: settings file"), out);
    assertEquals(1, out.strip().lines().count(), "one line, no stack trace: " + out);
    assertEquals(2, CoordinatorCli.execute("run", "--no-such-option"));
    assertEquals(0, CoordinatorCli.execute("run", "--help"));
  }

  /**
   * The documented several-coordinator setup lost data: with a shared subscription and a database
   * per coordinator, coordinators answered NOT_REGISTERED for devices registered elsewhere. The
   * default is now a plain subscription, and the unsafe combination is refused.
   */
  @Test
  void a_shared_subscription_with_the_embedded_database_is_refused() {
    assertEquals("", SettingsLoader.load(null, Map.of()).mqttSharedGroup(), "no shared subscription unless configured");
    SettingsException e = assertThrows(SettingsException.class,
        () -> SettingsLoader.load(null, Map.of("POPW_MQTT_SHARED_GROUP", "popw", "POPW_MQTT_URL", "tcp://127.0.0.1:1883")));
    assertTrue(e.getMessage().contains("NOT_REGISTERED"), e.getMessage());
    assertEquals("popw", SettingsLoader.load(null, Map.of("POPW_MQTT_SHARED_GROUP", "popw", "POPW_DATABASE_POSTGRES_URL",
        "jdbc:postgresql://127.0.0.1:5432/test")).mqttSharedGroup());
  }

  @Test
  void epochs_and_sensor_thresholds_are_settings() throws Exception {
    Path f = dir.resolve("v.toml");
    Files.writeString(f, "[epoch]\nlength_seconds = 3600\n[validation.sensor]\nstuck_after_seconds = 7200\n"
        + "[validation.sensor.temperature]\nmax_jump = 1.5\n");
    CoordinatorSettings s = SettingsLoader.load(f, Map.of("POPW_VALIDATION_SENSOR_TEMPERATURE_MAX", "55"));
    assertEquals(Duration.ofHours(1), s.epochs().length());
    assertEquals(Duration.ofHours(2), s.sensorRules().stuckAfter());
    var t = s.sensorRules().rule(dev.popw.proto.v1.Quantity.TEMPERATURE);
    assertEquals(1.5, t.maxJump());
    assertEquals(55.0, t.max());
    SettingsException bad = assertThrows(SettingsException.class,
        () -> SettingsLoader.load(null, Map.of("POPW_VALIDATION_SENSOR_TEMPERATURE_MIN", "70")));
    assertTrue(bad.getMessage().contains("above max"), bad.getMessage());
  }

  @Test
  void unknown_popw_variables_are_warnings_that_name_the_likely_intended_one() {
    assertEquals(java.util.List.of(
        "POPW_MQTT_PORTT is not a popw-coordinator setting and is ignored; did you mean POPW_MQTT_PORT?",
        "POPW_TRANSPORT_URL is not a popw-coordinator setting and is ignored (settings: coordinator/config/coordinator.toml)"),
        SettingsLoader.unknownVariables(Map.of("POPW_MQTT_PORTT", "1884", "POPW_TRANSPORT_URL", "tcp://127.0.0.1:1884",
            "POPW_API_PORT", "8081", "POPW_TEST_PG_URL", "jdbc:postgresql://127.0.0.1/test")));
    assertEquals(1883, SettingsLoader.load(null, Map.of("POPW_MQTT_PORTT", "1884")).mqttPort(), "a warning, not an override");
  }

  /** The real process with a misspelled override in its environment: one warning line, and the command still runs. */
  @Test
  void the_cli_warns_in_one_line_about_a_misspelled_variable() throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), CoordinatorCli.class.getName(), "config");
    pb.environment().keySet().removeIf(k -> k.startsWith("POPW_"));
    pb.environment().put("POPW_MQTT_PORTT", "1884");
    pb.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    String err = Files.readString(dir.resolve("err.txt"));
    assertEquals(0, p.exitValue(), err);
    assertEquals("popw-coordinator: warning: POPW_MQTT_PORTT is not a popw-coordinator setting and is ignored; did you mean POPW_MQTT_PORT?",
        err.strip());
    assertTrue(Files.readString(dir.resolve("out.txt")).contains("mqtt.port"));
  }
}
