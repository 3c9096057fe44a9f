package dev.popw.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/coordinator.md documents every JSON field the API writes: each field name put into a JSON
 * object by RestApi, OperatorRoutes and ExplorerRoutes (and the health map of Coordinator) must appear there as {@code `name`}.
 */
class RestApiDocsTest {
  private static final Pattern FIELD = Pattern.compile("\\.(?:put|putArray|set)\\(\"([a-z_0-9]+)\"");

  @Test
  void every_json_field_is_documented() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "coordinator.md"));
    Set<String> fields = new TreeSet<>();
    for (Path source : List.of(Path.of("src/main/java/dev/popw/coordinator/api/RestApi.java"),
        Path.of("src/main/java/dev/popw/coordinator/api/OperatorRoutes.java"),
        Path.of("src/main/java/dev/popw/coordinator/api/ExplorerRoutes.java"),
        Path.of("src/main/java/dev/popw/coordinator/Coordinator.java"))) {
      Matcher m = FIELD.matcher(Files.readString(source));
      while (m.find()) {
        fields.add(m.group(1));
      }
    }
    assertTrue(fields.containsAll(Set.of("envelope_hash", "merkle_proof", "chain_last_error", "items")), "the scan found " + fields);
    Set<String> missing = new TreeSet<>();
    for (String f : fields) {
      if (!doc.contains("`" + f + "`")) {
        missing.add(f);
      }
    }
    assertEquals(Set.of(), missing, "JSON fields not documented in docs/coordinator.md");
  }

  /** The work layer's endpoints (WorkRoutes) are documented in docs/validation.md. */
  @Test
  void every_work_layer_json_field_is_documented() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "validation.md"));
    Set<String> missing = new TreeSet<>();
    Matcher m = FIELD.matcher(Files.readString(Path.of("src/main/java/dev/popw/coordinator/api/WorkRoutes.java")));
    int found = 0;
    while (m.find()) {
      found++;
      if (!doc.contains("`" + m.group(1) + "`")) {
        missing.add(m.group(1));
      }
    }
    assertTrue(found > 20, "the scan found " + found + " fields");
    assertEquals(Set.of(), missing, "JSON fields not documented in docs/validation.md");
  }

  /** The coverage endpoints (CoverageRoutes) are documented in docs/coverage.md. */
  @Test
  void every_coverage_json_field_is_documented() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "coverage.md"));
    Set<String> missing = new TreeSet<>();
    Matcher m = FIELD.matcher(Files.readString(Path.of("src/main/java/dev/popw/coordinator/api/CoverageRoutes.java")));
    int found = 0;
    while (m.find()) {
      found++;
      if (!doc.contains("`" + m.group(1) + "`")) {
        missing.add(m.group(1));
      }
    }
    assertTrue(found > 20, "the scan found " + found + " fields");
    assertEquals(Set.of(), missing, "JSON fields not documented in docs/coverage.md");
  }

  /** The rewards and data endpoints (RewardRoutes, DataRoutes) are documented in docs/rewards.md. */
  @Test
  void every_rewards_json_field_is_documented() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "rewards.md"));
    Set<String> missing = new TreeSet<>();
    Matcher m = FIELD.matcher(Files.readString(Path.of("src/main/java/dev/popw/coordinator/api/RewardRoutes.java"))
        + Files.readString(Path.of("src/main/java/dev/popw/coordinator/api/DataRoutes.java")));
    int found = 0;
    while (m.find()) {
      found++;
      if (!doc.contains("`" + m.group(1) + "`")) {
        missing.add(m.group(1));
      }
    }
    assertTrue(found > 30, "the scan found " + found + " fields");
    assertEquals(Set.of(), missing, "JSON fields not documented in docs/rewards.md");
  }
}
