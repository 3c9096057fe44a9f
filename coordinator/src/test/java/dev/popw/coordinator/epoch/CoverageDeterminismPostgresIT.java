package dev.popw.coordinator.epoch;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.testing.TestDatabases;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Coverage determinism through a real PostgreSQL, each database a schema of its own. */
class CoverageDeterminismPostgresIT extends CoverageDeterminismContract {
  private final List<String> schemas = new ArrayList<>();

  @Override
  Database newDatabase() {
    String s = TestDatabases.newSchema();
    schemas.add(s);
    return TestDatabases.postgres(s);
  }

  @AfterEach
  void dropSchemas() {
    schemas.forEach(TestDatabases::dropSchema);
    schemas.clear();
  }
}
