package dev.popw.coordinator.ingest;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The pipeline contract on a real PostgreSQL schema opened as one node of a cluster: the database
 * decides duplicates (insert-or-compare) and hands out ordinals and device numbers, and every
 * decision of the contract stays the same.
 */
class IngestPipelineClusterPostgresIT extends IngestPipelineContract {
  private final List<String> schemas = new ArrayList<>();
  private String current;

  @Override
  Database database() {
    if (current == null) {
      current = TestDatabases.newSchema();
      schemas.add(current);
    }
    return TestDatabases.postgres(current, true);
  }

  @AfterEach
  void dropSchemas() {
    schemas.forEach(TestDatabases::dropSchema);
    schemas.clear();
    current = null;
  }
}
