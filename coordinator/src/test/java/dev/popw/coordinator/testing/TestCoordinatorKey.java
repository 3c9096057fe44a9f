package dev.popw.coordinator.testing;

import dev.popw.identity.KeyFiles;
import dev.popw.testing.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;

/** Puts the shared test coordinator key ({@link TestKeys#coordinator()}) where a test coordinator loads it. */
public final class TestCoordinatorKey {
  private TestCoordinatorKey() {}

  /** Writes the key to {@code file} (mode 0600) unless it is there already; returns {@code file}. */
  public static Path write(Path file) {
    if (!Files.exists(file)) {
      KeyFiles.write(TestKeys.coordinator(), file);
    }
    return file;
  }
}
