package dev.popw.coordinator.store;

import dev.popw.coordinator.testing.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.AfterEach;

class SchemaMigrationPostgresIT extends SchemaMigrationContract {
  private final String schema = TestDatabases.newSchema();

  @Override
  FluentConfiguration flyway() {
    TestDatabases.postgres(schema).close(); // skips (or fails on CI) when PostgreSQL is not there; creates the schema
    TestDatabases.dropSchema(schema);
    return Flyway.configure().locations("classpath:db/migration").dataSource(TestDatabases.postgresUrl(), TestDatabases.postgresUser(), "")
        .schemas(schema).defaultSchema(schema).createSchemas(true);
  }

  @Override
  Database open() {
    return TestDatabases.postgres(schema);
  }

  @AfterEach
  void drop() {
    TestDatabases.dropSchema(schema);
  }
}
