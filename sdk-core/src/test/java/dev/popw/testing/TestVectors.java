package dev.popw.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Locates the shared third-party test vectors ({@code ../shared/testvectors} beside the checkout). */
public final class TestVectors {
  private TestVectors() {}

  /**
   * The vectors folder. Set by the build ({@code popw.testvectors.dir}). Where it is missing, CI
   * fails and a developer's run skips the vector tests with a message.
   */
  public static Path dir() {
    String prop = System.getProperty("popw.testvectors.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "testvectors");
    if (!Files.isDirectory(dir)) {
      String msg = "test vectors not found at " + dir.toAbsolutePath().normalize()
          + " (expected ../shared/testvectors beside the checkout)";
      if (System.getenv("CI") != null) {
        fail(msg);
      }
      Assumptions.abort(msg);
    }
    return dir;
  }

  public static Path wycheproof(String file) {
    Path p = dir().resolve("wycheproof").resolve(file);
    assertTrue(Files.isRegularFile(p), "missing Wycheproof file " + p);
    return p;
  }
}
