package dev.popw.coordinator;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code [cluster]} settings: several coordinators on one PostgreSQL schema and one broker
 * (docs/scale-out.md). Off by default; refused with the embedded database.
 *
 * @param enabled whether this coordinator joins the schema's cluster (shares it with others)
 * @param nodeId this node's name in logs, the role locks' connection and {@code GET /v1/cluster};
 *     empty: host name and process id
 * @param roleRetry how often a node that lacks a single role tries to take it, and checks that it
 *     still holds those it has (the takeover time after a node dies)
 * @param eventPoll how often a node reads the cluster's cache invalidations when no PostgreSQL
 *     notification woke it (the fallback when LISTEN/NOTIFY is lost)
 */
public record ClusterSettings(boolean enabled, String nodeId, Duration roleRetry, Duration eventPoll) {
  private static final String P = "cluster.";

  public static ClusterSettings defaults() {
    return new ClusterSettings(false, "", Duration.ofMillis(1000), Duration.ofMillis(2000));
  }

  /** The node id to use: the setting, or host name and process id. */
  public String effectiveNodeId() {
    if (!nodeId.isBlank()) {
      return nodeId;
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "node";
    }
    return host + "-" + ProcessHandle.current().pid();
  }

  static void keys(Map<String, Character> keys) {
    keys.put(P + "enabled", 'b');
    keys.put(P + "node_id", 's');
    keys.put(P + "role_retry_ms", 'i');
    keys.put(P + "event_poll_ms", 'i');
  }

  static void defaults(Map<String, String> m, ClusterSettings c) {
    m.put(P + "enabled", Boolean.toString(c.enabled()));
    m.put(P + "node_id", c.nodeId());
    m.put(P + "role_retry_ms", Long.toString(c.roleRetry().toMillis()));
    m.put(P + "event_poll_ms", Long.toString(c.eventPoll().toMillis()));
  }

  static ClusterSettings build(Map<String, String> v) {
    String enabled = v.get(P + "enabled").trim().toLowerCase(Locale.ROOT);
    if (!enabled.equals("true") && !enabled.equals("false")) {
      throw new SettingsException("setting 'cluster.enabled' (or " + SettingsLoader.envName(P + "enabled") + ") must be true or false, got '"
          + v.get(P + "enabled") + "'");
    }
    String node = v.get(P + "node_id").trim();
    if (node.length() > 40 || !node.matches("[A-Za-z0-9._-]*")) {
      throw new SettingsException("setting 'cluster.node_id' must be at most 40 letters, digits, '.', '_' or '-', got '" + node + "'");
    }
    return new ClusterSettings(enabled.equals("true"), node, Duration.ofMillis(millis(v, "role_retry_ms")),
        Duration.ofMillis(millis(v, "event_poll_ms")));
  }

  private static int millis(Map<String, String> v, String key) {
    String t = v.get(P + key).trim();
    int n;
    try {
      n = Integer.parseInt(t);
    } catch (NumberFormatException e) {
      throw new SettingsException("setting '" + P + key + "' must be a whole number of milliseconds, got '" + t + "'");
    }
    if (n < 50 || n > 600_000) {
      throw new SettingsException("setting '" + P + key + "' must be between 50 and 600000, got " + n);
    }
    return n;
  }
}
