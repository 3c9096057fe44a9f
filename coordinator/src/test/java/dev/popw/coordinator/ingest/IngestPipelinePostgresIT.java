package dev.popw.coordinator.ingest;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The pipeline contract on a real PostgreSQL, each test in a schema of its own. */
class IngestPipelinePostgresIT extends IngestPipelineContract {
  private final List<String> schemas = new ArrayList<>();
  private String current;

  @Override
  Database database() {
    if (current == null) {
      current = TestDatabases.newSchema();
      schemas.add(current);
    }
    return TestDatabases.postgres(current);
  }

  @AfterEach
  void dropSchemas() {
    schemas.forEach(TestDatabases::dropSchema);
    schemas.clear();
    current = null;
  }
}
