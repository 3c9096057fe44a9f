package dev.popw.coordinator.epoch;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Coverage determinism through the embedded H2 database. */
class CoverageDeterminismH2Test extends CoverageDeterminismContract {
  @TempDir Path dir;
  private int n;

  @Override
  Database newDatabase() {
    return TestDatabases.h2(dir.resolve("db" + n++));
  }
}
