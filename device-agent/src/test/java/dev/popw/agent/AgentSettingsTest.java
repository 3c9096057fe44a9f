package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentSettingsTest {
  @TempDir Path tmp;

  @Test
  void the_sample_file_loads_and_equals_the_defaults() {
    AgentSettings sample = AgentSettings.load(Path.of("config/agent.toml"), Map.of());
    assertEquals(AgentSettings.defaults(), sample.values());
    assertEquals(0x76, sample.integer("sources.bme280.address", 0, 0x77), "hex integers work");
    assertEquals(868.1, sample.number("sources.coverage.frequency_mhz"));
  }

  @Test
  void file_then_environment_override_the_defaults() throws Exception {
    Path f = tmp.resolve("agent.toml");
    Files.writeString(f, "network_id = \"popw-test\"\n[sources.gpu]\nenabled = true\ninterval_seconds = 5\n");
    AgentSettings s = AgentSettings.load(f, Map.of("POPW_SOURCES_GPU_INTERVAL_SECONDS", "7", "POPW_TRANSPORT_URL", "coap://10.0.0.1",
        "POPW_SOURCES_BME280_ADDRESS", "0x77"));
    assertEquals("popw-test", s.string("network_id"));
    assertTrue(s.bool("sources.gpu.enabled"));
    assertEquals(7, s.integer("sources.gpu.interval_seconds", 1, 100));
    assertEquals("coap://10.0.0.1", s.string("transport.url"));
    assertEquals(0x77, s.integer("sources.bme280.address", 0, 0x77));
  }

  @Test
  void mistakes_name_the_key() throws Exception {
    Path f = tmp.resolve("bad.toml");
    Files.writeString(f, "[sources.gpu]\nenable = true\n");
    assertTrue(assertThrows(AgentSettingsException.class, () -> AgentSettings.load(f, Map.of())).getMessage()
        .contains("unknown setting 'sources.gpu.enable'"));
    Files.writeString(f, "[sources.gpu]\nenabled = \"yes\"\n");
    assertTrue(assertThrows(AgentSettingsException.class, () -> AgentSettings.load(f, Map.of())).getMessage()
        .contains("'sources.gpu.enabled'"));
    assertTrue(assertThrows(AgentSettingsException.class, () -> AgentSettings.load(null, Map.of("POPW_OUTBOX_MAX_MEGABYTES", "lots")))
        .getMessage().contains("POPW_OUTBOX_MAX_MEGABYTES"));
    Files.writeString(f, "network_id = ");
    assertTrue(assertThrows(AgentSettingsException.class, () -> AgentSettings.load(f, Map.of())).getMessage().contains("not valid TOML"));
    assertTrue(assertThrows(AgentSettingsException.class, () -> AgentSettings.load(tmp.resolve("none.toml"), Map.of())).getMessage()
        .contains("does not exist"));
    AgentSettings range = AgentSettings.load(null, Map.of("POPW_SOURCES_GPU_INTERVAL_SECONDS", "0"));
    assertTrue(assertThrows(AgentSettingsException.class, () -> range.seconds("sources.gpu.interval_seconds", 1, 10)).getMessage()
        .contains("between 1 and 10"));
  }

  @Test
  void unknown_popw_variables_are_warnings_that_name_the_likely_intended_one() {
    assertEquals(java.util.List.of(
        "POPW_MQTT_PORT is not a popw-agent setting and is ignored (settings: device-agent/config/agent.toml)",
        "POPW_TRANSPORT_ULR is not a popw-agent setting and is ignored; did you mean POPW_TRANSPORT_URL?"),
        AgentSettings.unknownVariables(Map.of("POPW_TRANSPORT_ULR", "tcp://127.0.0.1:1884", "POPW_MQTT_PORT", "1884",
            "POPW_SOURCES_GPU_ENABLED", "true", "POPW_AGENT_JAVA_OPTS", "-Xmx48m")));
    assertEquals("tcp://127.0.0.1:1883", AgentSettings.load(null, Map.of("POPW_TRANSPORT_ULR", "tcp://127.0.0.1:1884")).string("transport.url"),
        "a warning, not an override");
  }

  @Test
  void an_i2c_address_out_of_range_is_named_in_hex() {
    AgentSettings s = AgentSettings.load(null, Map.of("POPW_SOURCES_BME280_ADDRESS", "0x78"));
    assertEquals("setting 'sources.bme280.address' must be an I2C address from 0x03 to 0x77, got 0x78",
        assertThrows(AgentSettingsException.class, () -> s.i2cAddress("sources.bme280.address")).getMessage());
    assertEquals(0x76, AgentSettings.load(null, Map.of()).i2cAddress("sources.bme280.address"));
  }

  /** The coordinator refuses another kind's telemetry (WRONG_KIND): the agent says so at start instead of queueing it. */
  @Test
  void a_source_of_another_kind_than_the_device_is_named_in_one_line() {
    assertEquals(null, Agent.kindMismatch(AgentSettings.load(null, Map.of("POPW_SOURCES_SIMULATED_SENSOR", "true"))));
    String why = Agent.kindMismatch(AgentSettings.load(null, Map.of("POPW_SOURCES_SIMULATED_SENSOR", "true",
        "POPW_SOURCES_SIMULATED_GPU", "true")));
    assertTrue(why.startsWith("source 'simulated.gpu' produces gpu telemetry, but this device is a sensor device"), why);
    assertEquals(null, Agent.kindMismatch(AgentSettings.load(null, Map.of("POPW_KIND", "gpu", "POPW_SOURCES_GPU_ENABLED", "true"))));
  }
}
