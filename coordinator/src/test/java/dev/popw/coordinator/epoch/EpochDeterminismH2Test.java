package dev.popw.coordinator.epoch;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Epoch determinism on the embedded H2 database. */
class EpochDeterminismH2Test extends EpochDeterminismContract {
  @TempDir Path dir;
  private int n;

  @Override
  Database newDatabase() {
    return TestDatabases.h2(dir.resolve("db" + n++));
  }
}
