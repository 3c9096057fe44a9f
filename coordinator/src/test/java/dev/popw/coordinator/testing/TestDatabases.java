package dev.popw.coordinator.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.popw.coordinator.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The two databases the coordinator supports, for tests: an embedded H2 file, and the machine's
 * PostgreSQL (127.0.0.1:5432, database {@code test}, trust auth) in a fresh schema per use. Set
 * {@code POPW_TEST_PG_URL} (and {@code POPW_TEST_PG_USER}) to use another server. Where no
 * PostgreSQL answers, CI fails and a developer's run skips the PostgreSQL variant.
 */
public final class TestDatabases {
  private TestDatabases() {}

  public static Database h2(Path dir) {
    return Database.embedded(dir.resolve("coordinator"));
  }

  /** A PostgreSQL database in a new schema; {@link #dropSchema} removes it. */
  /** The test PostgreSQL's JDBC URL: {@code POPW_TEST_PG_URL}, or the machine's. */
  public static String postgresUrl() {
    return env("POPW_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
  }

  /** The test PostgreSQL's user: {@code POPW_TEST_PG_USER}, or {@code postgres}. */
  public static String postgresUser() {
    return env("POPW_TEST_PG_USER", "postgres");
  }

  public static Database postgres(String schema) {
    return postgres(schema, false);
  }

  /** A PostgreSQL database in {@code schema}, as one node of a cluster when {@code cluster} (docs/scale-out.md). */
  public static Database postgres(String schema, boolean cluster) {
    String url = postgresUrl();
    String user = postgresUser();
    try (Connection c = DriverManager.getConnection(url, user, "")) {
      c.isValid(2);
    } catch (SQLException e) {
      String msg = "PostgreSQL not reachable at " + url + " as " + user + ": " + e.getMessage();
      if (System.getenv("CI") != null) {
        fail(msg);
      }
      Assumptions.abort(msg);
    }
    return Database.postgres(url, user, "", schema, cluster);
  }

  public static String newSchema() {
    return "popw_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  public static void dropSchema(String schema) {
    try (Connection c = DriverManager.getConnection(postgresUrl(), postgresUser(), ""); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      // best effort
    }
  }

  private static String env(String name, String dflt) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? dflt : v;
  }
}
