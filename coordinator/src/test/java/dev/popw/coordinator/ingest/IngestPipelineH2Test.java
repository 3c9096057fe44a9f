package dev.popw.coordinator.ingest;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline contract on the embedded H2 database. */
class IngestPipelineH2Test extends IngestPipelineContract {
  @TempDir Path dir;
  private int n;

  @Override
  Database database() {
    return TestDatabases.h2(dir.resolve("db" + n++));
  }
}
