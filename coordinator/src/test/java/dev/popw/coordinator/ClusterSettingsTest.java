package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code [cluster]} settings: read from the file, off by default, and refused where they cannot work. */
class ClusterSettingsTest {
  @TempDir Path dir;

  @Test
  void off_by_default_and_read_from_the_file() throws Exception {
    assertFalse(CoordinatorSettings.defaults().cluster().enabled());
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "[database]\npostgres_url = \"jdbc:postgresql://127.0.0.1:5432/test\"\n"
        + "[cluster]\nenabled = true\nnode_id = \"node-7\"\nrole_retry_ms = 250\nevent_poll_ms = 900\n");
    ClusterSettings c = SettingsLoader.load(f, Map.of()).cluster();
    assertTrue(c.enabled());
    assertEquals("node-7", c.effectiveNodeId());
    assertEquals(Duration.ofMillis(250), c.roleRetry());
    assertEquals(Duration.ofMillis(900), c.eventPoll());
    assertTrue(ClusterSettings.defaults().effectiveNodeId().endsWith("-" + ProcessHandle.current().pid()), "empty: host and pid");
  }

  @Test
  void a_cluster_needs_postgresql_and_sane_values() throws Exception {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "[cluster]\nenabled = true\n");
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(f, Map.of())).getMessage().contains("needs PostgreSQL"));
    Files.writeString(f, "[database]\npostgres_url = \"jdbc:postgresql://h/db\"\n[cluster]\nenabled = true\nnode_id = \"a b\"\n");
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(f, Map.of())).getMessage().contains("cluster.node_id"));
    Files.writeString(f, "[database]\npostgres_url = \"jdbc:postgresql://h/db\"\n[cluster]\nrole_retry_ms = 10\n");
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(f, Map.of())).getMessage().contains("between 50 and"));
    assertTrue(assertThrows(SettingsException.class, () -> SettingsLoader.load(null, Map.of("POPW_CLUSTER_ENABLED", "yes")))
        .getMessage().contains("true or false"));
  }
}
