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
  private String url;
  private String user;
  private String password;
  private String schema;
  private boolean cluster;

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
   * PostgreSQL, optionally in a schema of its own (created if missing), as the schema's only
   * coordinator: see {@link #postgres(String, String, String, String, boolean)}.
   *
   * @throws StoreException if another coordinator already uses the schema
   */
  public static Database postgres(String jdbcUrl, String user, String password, String schema) {
    return postgres(jdbcUrl, user, password, schema, false);
  }

  /**
   * PostgreSQL, optionally in a schema of its own (created if missing). The coordinator holds a
   * session advisory lock on the schema for as long as it runs: exclusive when it is the schema's
   * only coordinator ({@code cluster} false: it counts batch ids in memory and trusts its own
   * duplicate windows), shared when it is one node of a cluster ({@code cluster} true: the database
   * decides duplicates and hands out ids, docs/scale-out.md). So a lone coordinator and cluster
   * nodes never write one schema together, in either order. The lock goes with the connection, so a
   * killed coordinator does not keep it.
   *
   * @throws StoreException if the schema is in use in the other mode
   */
  public static Database postgres(String jdbcUrl, String user, String password, String schema, boolean cluster) {
    Database db = open(jdbcUrl, user, password, schema, true);
    db.url = jdbcUrl;
    db.user = user;
    db.password = password;
    db.schema = schema;
    db.cluster = cluster;
    try {
      java.sql.Connection c = db.connect("owner");
      boolean locked = false;
      // A cluster node waits a little for a lone coordinator's exclusive lock to go (a restart in
      // the other mode), and for a starting node of its own cluster; a lone one does not wait.
      long deadline = System.currentTimeMillis() + (cluster ? 3_000 : 0);
      do {
        try (var st = c.createStatement();
            var rs = st.executeQuery("SELECT " + (cluster ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock")
                + "(hashtext(current_schema() || ':popw-coordinator'))")) {
          rs.next();
          locked = rs.getBoolean(1);
        }
        if (!locked && System.currentTimeMillis() < deadline) {
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      } while (!locked && System.currentTimeMillis() < deadline);
      if (!locked) {
        c.close();
        db.close();
        String where = schema == null ? "" : " schema '" + schema + "'";
        throw new StoreException(cluster
            ? "a coordinator that is not a cluster node already uses this database" + where
                + "; stop it, or set cluster.enabled = true on every coordinator of the schema"
            : "another coordinator already uses this database" + where
                + "; give each its own database or schema, or run them all as one cluster (cluster.enabled = true, docs/scale-out.md)");
      }
      db.ownerLock = c;
    } catch (java.sql.SQLException e) {
      db.close();
      throw new StoreException("cannot lock the database for this coordinator: " + e.getMessage(), e);
    }
    return db;
  }

  /**
   * A new connection of its own (not from the pool) to this PostgreSQL database, in its schema,
   * named {@code popw:<purpose>} in {@code pg_stat_activity}: the owner lock, the role locks and
   * the LISTEN connection live on such connections, so that they go exactly when it goes.
   */
  public java.sql.Connection connect(String purpose) throws java.sql.SQLException {
    if (url == null) {
      throw new IllegalStateException("a dedicated connection needs PostgreSQL");
    }
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", user);
    p.setProperty("password", password == null ? "" : password);
    p.setProperty("ApplicationName", ("popw:" + purpose).length() > 63 ? ("popw:" + purpose).substring(0, 63) : "popw:" + purpose);
    p.setProperty("tcpKeepAlive", "true");
    java.sql.Connection c = java.sql.DriverManager.getConnection(url, p);
    if (schema != null) {
      c.setSchema(schema);
    }
    return c;
  }

  /** Whether this coordinator is one node of a cluster sharing the schema. */
  public boolean isCluster() {
    return cluster;
  }

  /** The PostgreSQL schema, or null for the user's default one (or the embedded database). */
  public String schema() {
    return schema;
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
