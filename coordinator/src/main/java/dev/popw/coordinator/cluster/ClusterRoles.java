package dev.popw.coordinator.cluster;

import dev.popw.coordinator.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single roles of a cluster (docs/scale-out.md), each held by one node at a time through a
 * PostgreSQL session advisory lock on a connection of its own ({@code popw:<node>:roles} in {@code
 * pg_stat_activity}). Every {@code retry} the node tries to take the roles it lacks and checks the
 * connection it holds them on; when that connection fails, it stops acting on every role at once
 * (the server releases the locks with the session, so another node takes them at its next try). A
 * node killed outright loses its connection, and with it its roles, as its socket closes.
 */
public final class ClusterRoles implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterRoles.class);

  /** The roles that run on one node at a time. */
  public enum Role {
    /** Seals batches (gives envelopes their batch ids). */
    SEALER,
    /** Commits sealed batches and device attestations to the chain. */
    SETTLEMENT,
    /** Closes epochs: validation, verdicts, and what hangs off an epoch's close (rewards, GPU challenges). */
    EPOCHS;

    /** The role's name in logs, the API and the lock key. */
    public String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Database database;
  private final String node;
  private final long retryMs;
  private final Map<Role, Boolean> held = new EnumMap<>(Role.class);
  private final Thread thread;
  private volatile boolean running = true;
  private Connection connection; // the role thread's

  public ClusterRoles(Database database, String node, Duration retry) {
    this.database = database;
    this.node = node;
    this.retryMs = retry.toMillis();
    for (Role r : Role.values()) {
      held.put(r, false);
    }
    this.thread = new Thread(this::run, "popw-cluster-roles");
    thread.setDaemon(true);
  }

  /** Starts trying for the roles; the first try happens before this returns. */
  public ClusterRoles start() {
    tryOnce();
    thread.start();
    return this;
  }

  /** This node's name. */
  public String node() {
    return node;
  }

  /** Whether this node holds the role now. */
  public synchronized boolean holds(Role r) {
    return held.get(r);
  }

  /** A live view of {@link #holds}, for the parts a role gates. */
  public BooleanSupplier gate(Role r) {
    return () -> holds(r);
  }

  /** The roles this node holds. */
  public synchronized List<String> held() {
    List<String> out = new ArrayList<>();
    held.forEach((r, h) -> {
      if (h) {
        out.add(r.key());
      }
    });
    return out;
  }

  /**
   * Which node holds each role, read from PostgreSQL's lock table (the connection's application
   * name): null for a role nobody holds now.
   */
  public Map<String, String> holders() {
    try (Connection c = database.dataSource().getConnection()) {
      return holders(c);
    } catch (SQLException e) {
      throw new dev.popw.coordinator.store.StoreException("cannot read the cluster's role locks: " + e.getMessage(), e);
    }
  }

  /** {@link #holders()} over any connection to the cluster's schema (operators' tools, tests). */
  public static Map<String, String> holders(Connection c) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Role r : Role.values()) {
      out.put(r.key(), holderOf(c, r));
    }
    return out;
  }

  /** The node holding a role, from pg_locks (the application name of the lock's session, less "popw:" and ":roles"). */
  static String holderOf(Connection c, Role r) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        + " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND ((l.classid::bigint << 32) | l.objid::bigint) = " + key(r) + " AND l.objsubid = 1")) {
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String app = rs.getString(1);
        if (app.startsWith("popw:")) {
          app = app.substring(5);
        }
        return app.endsWith(":roles") ? app.substring(0, app.length() - 6) : app;
      }
    }
  }

  /** The lock key of a role in this schema: a 64-bit number from its name. */
  private static String key(Role r) {
    return "(hashtextextended(current_schema() || ':popw-role:" + r.key() + "', 0))";
  }

  private void run() {
    while (running) {
      try {
        Thread.sleep(retryMs);
      } catch (InterruptedException e) {
        return;
      }
      tryOnce();
    }
  }

  private void tryOnce() {
    try {
      if (connection == null) {
        connection = database.connect(node + ":roles");
      }
      try (PreparedStatement ps = connection.prepareStatement("SELECT 1"); ResultSet rs = ps.executeQuery()) {
        rs.next(); // the session (and every lock on it) is alive
      }
      for (Role r : Role.values()) {
        if (holds(r)) {
          continue;
        }
        boolean got;
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(" + key(r) + ")"); ResultSet rs = ps.executeQuery()) {
          rs.next();
          got = rs.getBoolean(1);
        }
        if (got) {
          synchronized (this) {
            held.put(r, true);
          }
          LOG.info("cluster node {} took the {} role", node, r.key());
        }
      }
    } catch (SQLException | RuntimeException e) {
      dropAll("its role connection failed: " + e.getMessage());
    }
  }

  private void dropAll(String why) {
    List<String> had = held();
    synchronized (this) {
      for (Role r : Role.values()) {
        held.put(r, false);
      }
    }
    if (!had.isEmpty()) {
      LOG.warn("cluster node {} gave up the roles {}: {}", node, had, why);
    }
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // it is the failed one
      }
      connection = null;
    }
  }

  /** Gives the roles back (closing their connection), so that another node takes them at once. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      for (Role r : Role.values()) {
        held.put(r, false);
      }
    }
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}
