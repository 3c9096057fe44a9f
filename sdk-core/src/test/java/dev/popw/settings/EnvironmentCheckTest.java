package dev.popw.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvironmentCheckTest {
  static final Set<String> KNOWN = Set.of("POPW_TRANSPORT_URL", "POPW_NETWORK_ID", "POPW_SOURCES_SIMULATED_SENSOR", "POPW_STATE_DIR");

  @Test
  void a_misspelled_variable_is_named_with_the_likely_intended_one() {
    assertEquals(List.of("POPW_TRANSPORT_ULR is not a popw-agent setting and is ignored; did you mean POPW_TRANSPORT_URL?"),
        EnvironmentCheck.unknownVariables(Map.of("POPW_TRANSPORT_ULR", "tcp://x:1884"), KNOWN, "popw-agent", "agent.toml"));
    assertEquals("POPW_SOURCES_SIMULATED_SENSOR", EnvironmentCheck.closest("POPW_SOURCES_SIMULATED_SENSORS", KNOWN));
    assertEquals("POPW_NETWORK_ID", EnvironmentCheck.closest("POPW_NETWORKID", KNOWN));
  }

  @Test
  void a_variable_close_to_nothing_points_at_the_settings_reference() {
    assertEquals(List.of("POPW_MQTT_PORT is not a popw-agent setting and is ignored (settings: agent.toml)"),
        EnvironmentCheck.unknownVariables(Map.of("POPW_MQTT_PORT", "1884"), KNOWN, "popw-agent", "agent.toml"));
    assertNull(EnvironmentCheck.closest("POPW_X", KNOWN));
  }

  @Test
  void settings_other_programs_variables_and_launcher_variables_pass() {
    Map<String, String> env = Map.of("POPW_TRANSPORT_URL", "tcp://x", "POPW_DEBUG", "1", "POPW_AGENT_JAR", "a.jar", "PATH", "/bin",
        "POPW_TEST_PG_URL", "jdbc:postgresql://x/y", "popw_transport_url", "lower case is not ours");
    assertEquals(List.of(), EnvironmentCheck.unknownVariables(env, KNOWN, "popw-agent", "agent.toml"));
  }

  @Test
  void the_edit_distance_is_levenshtein() {
    assertEquals(3, EnvironmentCheck.distance("kitten", "sitting"));
    assertEquals(0, EnvironmentCheck.distance("", ""));
    assertEquals(4, EnvironmentCheck.distance("", "abcd"));
  }
}
