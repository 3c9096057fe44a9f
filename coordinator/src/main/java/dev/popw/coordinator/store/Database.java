package dev.popw.coordinator.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The coordinator's SQL database: an embedded H2 file (the default, no service needed) or
 * PostgreSQL (production). Opening it applies the Flyway migrations in {@code db/migration}.
 */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final boolean postgres;
  private java.sql.Connection ownerLock;

  private Database(HikariDataSource ds, boolean postgres) {
    this.dataSource = ds;
    this.postgres = postgres;
  }

  /**
   * An embedded H2 database in {@code file} (".mv.db" is appended). {@code WRITE_DELAY=0} writes
   * every commit to the file at once, so a committed (and acknowledged) envelope survives the
   * process being killed; surviving a power cut needs PostgreSQL.
   */
  public static Database embedded(Path file) {
    String url = "jdbc:h2:file:" + file.toAbsolutePath()
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0";
    return open(url, "sa", "", null, false);
  }

  /**
   * PostgreSQL, optionally in a schema of its own (created if missing). The coordinator holds a
   * session advisory lock on the schema for as long as it runs: one coordinator per database
   * schema, because the batch ids it hands out and its duplicate checks assume it is the only
   * writer (several coordinators on one database is the later scale-out work). The lock goes with
   * the connection, so a killed coordinator does not keep it.
   *
   * @throws StoreException if another coordinator already uses the schema
   */
  public static Database postgres(String jdbcUrl, String user, String password, String schema) {
    Database db = open(jdbcUrl, user, password, schema, true);
    try {
      java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl, user, password);
      if (schema != null) {
        c.setSchema(schema);
      }
      boolean locked;
      try (var st = c.createStatement();
          var rs = st.executeQuery("SELECT pg_try_advisory_lock(hashtext(current_schema() || ':popw-coordinator'))")) {
        rs.next();
        locked = rs.getBoolean(1);
      }
      if (!locked) {
        c.close();
        db.close();
        throw new StoreException("another coordinator already uses this database" + (schema == null ? "" : " schema '" + schema + "'")
            + "; several coordinators on one database are not supported yet: give each its own database or schema");
      }
      db.ownerLock = c;
    } catch (java.sql.SQLException e) {
      db.close();
      throw new StoreException("cannot lock the database for this coordinator: " + e.getMessage(), e);
    }
    return db;
  }

  private static Database open(String url, String user, String password, String schema, boolean postgres) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setUsername(user);
    hc.setPassword(password);
    hc.setMaximumPoolSize(8);
    hc.setPoolName("popw-db");
    if (schema != null) {
      hc.setSchema(schema);
    }
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      throw new StoreException("cannot connect to the database at " + url + ": " + rootMessage(e), e);
    }
    try {
      var fw = Flyway.configure().dataSource(ds).locations("classpath:db/migration");
      if (schema != null) {
        fw.schemas(schema).defaultSchema(schema).createSchemas(true);
      }
      fw.load().migrate();
    } catch (RuntimeException e) {
      ds.close();
      throw new StoreException("cannot migrate the database schema at " + url + ": " + rootMessage(e), e);
    }
    return new Database(ds, postgres);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public boolean isPostgres() {
    return postgres;
  }

  @Override
  public void close() {
    if (ownerLock != null) {
      try {
        ownerLock.close();
      } catch (java.sql.SQLException e) {
        // closing anyway; the server drops the lock with the session
      }
    }
    dataSource.close();
  }
}
