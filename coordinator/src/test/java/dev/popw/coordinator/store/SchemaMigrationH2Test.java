package dev.popw.coordinator.store;

import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.io.TempDir;

class SchemaMigrationH2Test extends SchemaMigrationContract {
  @TempDir
  Path dir;

  @Override
  FluentConfiguration flyway() {
    return Flyway.configure().locations("classpath:db/migration").dataSource(
        "jdbc:h2:file:" + dir.resolve("coordinator").toAbsolutePath() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH",
        "sa", "");
  }

  @Override
  Database open() {
    return Database.embedded(dir.resolve("coordinator"));
  }
}
