package dev.popw.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.testing.TestDatabases;
import org.junit.jupiter.api.Test;

/**
 * One coordinator per PostgreSQL schema: a second one is refused with a clear message until the first stops; cluster nodes
 * share a schema with each other, never with a lone coordinator.
 */
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

  @Test
  void cluster_nodes_share_a_schema_but_never_with_a_lone_coordinator() {
    String schema = TestDatabases.newSchema();
    try {
      Database node1 = TestDatabases.postgres(schema, true);
      Database node2 = TestDatabases.postgres(schema, true);
      StoreException lone = assertThrows(StoreException.class, () -> TestDatabases.postgres(schema, false));
      assertTrue(lone.getMessage().contains("cluster.enabled = true"), lone.getMessage());
      node1.close();
      node2.close();
      Database alone = TestDatabases.postgres(schema, false);
      StoreException node = assertThrows(StoreException.class, () -> TestDatabases.postgres(schema, true));
      assertTrue(node.getMessage().contains("a coordinator that is not a cluster node already uses this database"), node.getMessage());
      alone.close();
    } finally {
      TestDatabases.dropSchema(schema);
    }
  }
}
