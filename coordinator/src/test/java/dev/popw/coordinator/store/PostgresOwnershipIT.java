package dev.popw.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.testing.TestDatabases;
import org.junit.jupiter.api.Test;

/** One coordinator per PostgreSQL schema: a second one is refused with a clear message until the first stops. */
class PostgresOwnershipIT {
  @Test
  void a_second_coordinator_on_the_same_schema_is_refused_until_the_first_closes() {
    String schema = TestDatabases.newSchema();
    try {
      Database first = TestDatabases.postgres(schema);
      StoreException e = assertThrows(StoreException.class, () -> TestDatabases.postgres(schema));
      assertTrue(e.getMessage().contains("another coordinator already uses this database"), e.getMessage());
      Database other = TestDatabases.postgres(TestDatabases.newSchema());
      other.close();
      first.close();
      TestDatabases.postgres(schema).close();
    } finally {
      TestDatabases.dropSchema(schema);
    }
  }
}
