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

  /** PostgreSQL, optionally in a schema of its own (created if missing). */
  public static Database postgres(String jdbcUrl, String user, String password, String schema) {
    return open(jdbcUrl, user, password, schema, true);
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
    dataSource.close();
  }
}
