package dev.popw.coordinator.cluster;

import dev.popw.coordinator.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cache invalidation across a cluster's nodes (docs/scale-out.md). A node that changes something
 * other nodes cache (a device's registration or status, the denylist) writes a row to {@code
 * cluster_events} and sends a PostgreSQL {@code NOTIFY} in the same transaction; every node
 * {@code LISTEN}s on a connection of its own and, when woken or every {@code poll} at the latest
 * (the fallback when a notification is lost with a dropped connection), reads the rows it has not
 * seen and tells its listener. Applying an event only re-reads state from the database, so seeing
 * one twice is harmless; rows are re-read a little below the last id seen, because identity values
 * can commit out of order (ids applied already are skipped).
 */
public final class ClusterEvents implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterEvents.class);
  /** Ids re-read below the highest seen (transactions that took lower ids may commit later). */
  private static final long REREAD = 64;
  /** Events older than this are deleted (every node has read them long before). */
  private static final long KEEP_MS = 3_600_000;

  /** What changed: a device (its id), or the denylist (no subject). */
  public record Event(long id, String kind, String subject, String node) {}

  private final Database database;
  private final String node;
  private final String channel;
  private final long pollMs;
  private final Consumer<Event> listener;
  private final Thread thread;
  private volatile boolean running = true;
  private long lastSeen;
  /** Ids applied from {@code lastSeen - REREAD} up (the event thread's). */
  private final java.util.Set<Long> seen = new java.util.HashSet<>();
  private final java.util.concurrent.atomic.LongAdder received = new java.util.concurrent.atomic.LongAdder();

  public ClusterEvents(Database database, String node, Duration poll, Consumer<Event> listener) {
    this.database = database;
    this.node = node;
    this.channel = "popw_events_" + Integer.toHexString((database.schema() == null ? "" : database.schema()).hashCode());
    this.pollMs = poll.toMillis();
    this.listener = listener;
    try (Connection c = database.dataSource().getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(id), 0) FROM cluster_events")) {
      rs.next();
      lastSeen = rs.getLong(1); // what happened before this node started is in the database it reads anyway
    } catch (SQLException e) {
      throw new dev.popw.coordinator.store.StoreException("cannot read the cluster's events: " + e.getMessage(), e);
    }
    this.thread = new Thread(this::run, "popw-cluster-events");
    thread.setDaemon(true);
  }

  public ClusterEvents start() {
    thread.start();
    return this;
  }

  /** Tells the other nodes (and this one) that {@code kind} changed. */
  public void publish(String kind, String subject) {
    try (Connection c = database.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cluster_events (kind, subject, node, created_at) VALUES (?,?,?,?)")) {
        ps.setString(1, kind);
        ps.setString(2, subject);
        ps.setString(3, node);
        ps.setLong(4, System.currentTimeMillis());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
        ps.setString(1, channel);
        ps.setString(2, kind);
        ps.execute();
      }
      c.commit();
    } catch (SQLException e) {
      // the change itself is committed; other nodes see it when their caches expire or the next event comes
      LOG.warn("cannot tell the cluster that {} {} changed: {}", kind, subject, e.getMessage());
    }
  }

  /** Events read since start (this node's own included). */
  public long received() {
    return received.sum();
  }

  private void run() {
    Connection listen = null;
    long lastPrune = 0;
    while (running) {
      try {
        if (listen == null) {
          listen = database.connect(node + ":events");
          try (Statement st = listen.createStatement()) {
            st.execute("LISTEN " + channel);
          }
        }
        listen.unwrap(PGConnection.class).getNotifications((int) pollMs); // woken by a NOTIFY, or after poll
      } catch (SQLException e) {
        if (!running) {
          break;
        }
        LOG.warn("cluster notifications lost ({}); polling every {} ms until they are back", e.getMessage(), pollMs);
        close(listen);
        listen = null;
        sleep(pollMs);
      }
      try {
        readNew();
        long now = System.currentTimeMillis();
        if (now - lastPrune > 60_000) {
          lastPrune = now;
          try (Connection c = database.dataSource().getConnection();
              PreparedStatement ps = c.prepareStatement("DELETE FROM cluster_events WHERE created_at < ?")) {
            ps.setLong(1, now - KEEP_MS);
            ps.executeUpdate();
          }
        }
      } catch (SQLException | RuntimeException e) {
        LOG.warn("cannot read the cluster's events: {}", e.getMessage());
      }
    }
    close(listen);
  }

  private void readNew() throws SQLException {
    long from = Math.max(0, lastSeen - REREAD);
    try (Connection c = database.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT id, kind, subject, node FROM cluster_events WHERE id > ? ORDER BY id")) {
      ps.setLong(1, from);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Event e = new Event(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4));
          if (!seen.add(e.id())) {
            continue; // applied already
          }
          if (seen.size() > 4 * REREAD) {
            seen.removeIf(id -> id <= lastSeen - REREAD);
          }
          lastSeen = Math.max(lastSeen, e.id());
          received.increment();
          try {
            listener.accept(e);
          } catch (RuntimeException ex) {
            LOG.warn("applying cluster event {} failed: {}", e, ex.toString());
          }
        }
      }
    }
  }

  private static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    // Wake the listener out of its wait for a notification (up to a poll interval, a minute by
    // default) so that closing does not take that long; the other nodes read nothing new.
    try (Connection c = database.dataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("NOTIFY " + channel);
    } catch (SQLException | RuntimeException e) {
      // the database is gone: the wait ends with the poll
    }
    try {
      thread.join(pollMs + 2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
