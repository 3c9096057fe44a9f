package dev.popw.coordinator.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits and the operator access of the HTTP API (settings section {@code [api]}; the port
 * stays {@code api.port} in the coordinator's settings). Every limit is counted in
 * {@code popw_api_refused_total{reason}} when it refuses a request; see docs/coordinator.md, "Limits".
 *
 * @param maxBodyBytes largest request body; a larger one is answered 413 without being read
 * @param readTimeout how long a request may take to arrive, from its first byte to the end of its
 *     body (headers and body together, not per read): slower connections are closed
 * @param writeTimeout how long writing a response may take
 * @param idleTimeout how long an idle keep-alive connection stays open (the JDK server's
 *     {@code sun.net.httpserver.idleInterval}, read once per JVM)
 * @param maxConnections open connections the server accepts; more are closed at once (the JDK's
 *     {@code jdk.httpserver.maxConnections}, read once per JVM)
 * @param threads threads that read requests and write responses, answer {@code /health},
 *     {@code /metrics} and refusals; more than {@code workers + queue}
 * @param workers requests processed at once (database work)
 * @param queue requests that may wait for a worker; more are answered 503 with Retry-After
 * @param rateLimitPerSecond requests per second per client address (token bucket; 0: no limit)
 * @param rateLimitBurst the bucket's size: requests a client may send at once
 * @param rateLimitClients client addresses tracked at most; the least recently seen is forgotten
 * @param operatorTokens tokens that authorize operator actions ({@code Authorization: Bearer})
 * @param readRequiresToken whether read endpoints (everything but {@code /health} and
 *     registration) need an operator token too
 */
public record ApiSettings(
    int maxBodyBytes,
    Duration readTimeout,
    Duration writeTimeout,
    Duration idleTimeout,
    int maxConnections,
    int threads,
    int workers,
    int queue,
    int rateLimitPerSecond,
    int rateLimitBurst,
    int rateLimitClients,
    OperatorTokens operatorTokens,
    boolean readRequiresToken) {

  /**
   * @throws IllegalArgumentException naming the setting that is out of range or inconsistent
   */
  public ApiSettings {
    Objects.requireNonNull(readTimeout, "readTimeout");
    Objects.requireNonNull(writeTimeout, "writeTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(operatorTokens, "operatorTokens");
    positive("api.max_body_bytes", maxBodyBytes);
    positive("api.read_timeout_seconds", readTimeout.toMillis());
    positive("api.write_timeout_seconds", writeTimeout.toMillis());
    positive("api.idle_timeout_seconds", idleTimeout.toSeconds());
    positive("api.max_connections", maxConnections);
    positive("api.workers", workers);
    positive("api.rate_limit_burst", rateLimitBurst);
    positive("api.rate_limit_clients", rateLimitClients);
    if (queue < 0 || rateLimitPerSecond < 0) {
      throw new IllegalArgumentException((queue < 0 ? "api.queue" : "api.rate_limit_per_second") + " must not be negative");
    }
    if (threads <= workers + queue) {
      throw new IllegalArgumentException("api.threads (" + threads + ") must be more than api.workers + api.queue (" + (workers + queue)
          + "), so that /health, /metrics and refusals still get a thread when every worker is busy and the queue is full");
    }
    if (readRequiresToken && operatorTokens.isEmpty()) {
      throw new IllegalArgumentException("api.read_requires_token is true but no operator token is configured"
          + " (api.operator_token_file or POPW_OPERATOR_TOKEN)");
    }
  }

  private static void positive(String key, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(key + " must be at least 1, got " + v);
    }
  }

  /** 64 KiB bodies, 10 s to send a request, 30 s to take a response, 64 threads, 8 workers, 32 waiting, 50 requests/s (burst 100) per client, no operator token. */
  public static ApiSettings defaults() {
    return new ApiSettings(64 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30), 512, 64, 8, 32, 50, 100,
        10_000, OperatorTokens.none(), false);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Mutable copy; {@link #build()} checks the values. */
  public static final class Builder {
    private int maxBodyBytes;
    private Duration readTimeout;
    private Duration writeTimeout;
    private Duration idleTimeout;
    private int maxConnections;
    private int threads;
    private int workers;
    private int queue;
    private int rateLimitPerSecond;
    private int rateLimitBurst;
    private int rateLimitClients;
    private OperatorTokens operatorTokens;
    private boolean readRequiresToken;

    private Builder(ApiSettings s) {
      maxBodyBytes = s.maxBodyBytes;
      readTimeout = s.readTimeout;
      writeTimeout = s.writeTimeout;
      idleTimeout = s.idleTimeout;
      maxConnections = s.maxConnections;
      threads = s.threads;
      workers = s.workers;
      queue = s.queue;
      rateLimitPerSecond = s.rateLimitPerSecond;
      rateLimitBurst = s.rateLimitBurst;
      rateLimitClients = s.rateLimitClients;
      operatorTokens = s.operatorTokens;
      readRequiresToken = s.readRequiresToken;
    }

    public Builder maxBodyBytes(int v) {
      maxBodyBytes = v;
      return this;
    }

    public Builder readTimeout(Duration v) {
      readTimeout = v;
      return this;
    }

    public Builder writeTimeout(Duration v) {
      writeTimeout = v;
      return this;
    }

    public Builder idleTimeout(Duration v) {
      idleTimeout = v;
      return this;
    }

    public Builder maxConnections(int v) {
      maxConnections = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder workers(int v) {
      workers = v;
      return this;
    }

    public Builder queue(int v) {
      queue = v;
      return this;
    }

    /** Requests per second per client address, and the burst; 0 per second turns the limit off. */
    public Builder rateLimit(int perSecond, int burst) {
      rateLimitPerSecond = perSecond;
      rateLimitBurst = burst;
      return this;
    }

    public Builder rateLimitClients(int v) {
      rateLimitClients = v;
      return this;
    }

    public Builder operatorTokens(OperatorTokens v) {
      operatorTokens = v;
      return this;
    }

    public Builder readRequiresToken(boolean v) {
      readRequiresToken = v;
      return this;
    }

    public ApiSettings build() {
      return new ApiSettings(maxBodyBytes, readTimeout, writeTimeout, idleTimeout, maxConnections, threads, workers, queue,
          rateLimitPerSecond, rateLimitBurst, rateLimitClients, operatorTokens, readRequiresToken);
    }
  }
}
