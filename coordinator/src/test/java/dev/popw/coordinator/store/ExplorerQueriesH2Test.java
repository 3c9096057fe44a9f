package dev.popw.coordinator.store;

import dev.popw.coordinator.testing.TestDatabases;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class ExplorerQueriesH2Test extends ExplorerQueriesContract {
  @TempDir Path dir;

  @Override
  Database open() {
    return TestDatabases.h2(dir);
  }
}
