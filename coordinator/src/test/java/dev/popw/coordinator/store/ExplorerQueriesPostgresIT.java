package dev.popw.coordinator.store;

import dev.popw.coordinator.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;

class ExplorerQueriesPostgresIT extends ExplorerQueriesContract {
  private final String schema = TestDatabases.newSchema();

  @Override
  Database open() {
    return TestDatabases.postgres(schema);
  }

  @AfterEach
  void drop() {
    TestDatabases.dropSchema(schema);
  }
}
