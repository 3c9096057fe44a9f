package dev.popw.coordinator.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two API limits only the JDK server can enforce, because only it sees connections that carry
 * no request: the idle keep-alive timeout ({@code sun.net.httpserver.idleInterval}, seconds; also
 * how long a new connection may stay silent) and the connection limit
 * ({@code jdk.httpserver.maxConnections}; JDK 17.0.7 and later). The JDK reads them once per JVM,
 * when its first HTTP server starts, so they are set from the settings of the first API started in
 * the JVM, unless given on the command line ({@code -D...}, which wins). A later API in the same JVM
 * with other values gets a warning, not its values. Neither limit is counted: the JDK closes those
 * connections without telling the application.
 */
final class JdkServerSettings {
  private static final Logger LOG = LoggerFactory.getLogger(JdkServerSettings.class);
  static final String IDLE = "sun.net.httpserver.idleInterval";
  static final String MAX_CONNECTIONS = "jdk.httpserver.maxConnections";
  private static String appliedIdle;
  private static String appliedMax;

  private JdkServerSettings() {}

  static synchronized void apply(ApiSettings s) {
    String idle = Long.toString(s.idleTimeout().toSeconds());
    String max = Integer.toString(s.maxConnections());
    if (appliedIdle == null) {
      appliedIdle = setIfAbsent(IDLE, idle, "api.idle_timeout_seconds");
      appliedMax = setIfAbsent(MAX_CONNECTIONS, max, "api.max_connections");
      return;
    }
    if (!appliedIdle.equals(idle) || !appliedMax.equals(max)) {
      LOG.warn("this JVM's HTTP servers keep idle connections {} s and accept {} connections (the JDK reads {} and {} once);"
          + " api.idle_timeout_seconds = {} and api.max_connections = {} of this API do not apply", appliedIdle, appliedMax, IDLE,
          MAX_CONNECTIONS, idle, max);
    }
  }

  private static String setIfAbsent(String property, String value, String setting) {
    String given = System.getProperty(property);
    if (given == null) {
      System.setProperty(property, value);
      return value;
    }
    if (!given.equals(value)) {
      LOG.warn("-D{}={} on the command line overrides {} = {}", property, given, setting, value);
    }
    return given;
  }
}
