package dev.popw.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/gpu-proofs.md documents every JSON field of the GPU challenge endpoints (GpuRoutes) as {@code `name`}. */
class GpuRoutesDocsTest {
  private static final Pattern FIELD = Pattern.compile("\\.(?:put|putArray|putObject|set)\\(\"([a-z_0-9]+)\"");

  @Test
  void every_gpu_challenge_json_field_is_documented() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "gpu-proofs.md"));
    Matcher m = FIELD.matcher(Files.readString(Path.of("src/main/java/dev/popw/coordinator/api/GpuRoutes.java")));
    Set<String> missing = new TreeSet<>();
    int found = 0;
    while (m.find()) {
      found++;
      if (!doc.contains("`" + m.group(1) + "`")) {
        missing.add(m.group(1));
      }
    }
    assertTrue(found > 25, "the scan found " + found + " fields");
    assertEquals(Set.of(), missing, "JSON fields not documented in docs/gpu-proofs.md");
  }
}
