package dev.popw.coordinator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the HTTP API checks before a route sees a request, in this order, each refusal a
 * JSON {@code {"error": ...}} counted in {@code popw_api_refused_total{reason}}:
 *
 * <ol>
 *   <li>the client's rate limit ({@link RateLimiter}): 429 with {@code Retry-After}, {@code rate_limited};
 *   <li>an operator token where one is needed ({@link #needsToken}): 401, {@code unauthorized};
 *   <li>the body: a declared {@code Content-Length} over the limit is answered 413 before a byte of
 *       the body is read, a chunked body when it passes the limit ({@code body_too_large}); the
 *       body is read under the read deadline ({@link ApiThreads});
 *   <li>a worker: at most {@code workers} requests are processed at once and {@code queue} wait;
 *       beyond that 503 with {@code Retry-After}, {@code busy}. {@code /health} and {@code /metrics}
 *       take no worker: they are answered on the I/O thread, so they answer while every worker is busy.
 * </ol>
 *
 * The route then runs on a {@link BufferedExchange} with the deadline disarmed, and the response
 * is written under the write deadline.
 */
final class RequestGuard implements HttpHandler {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Answered without a worker. */
  private static final Set<String> RESERVED = Set.of("/health", "/metrics");
  /** The reasons of {@code popw_api_refused_total}. */
  static final List<String> REASONS = List.of("rate_limited", "unauthorized", "body_too_large", "busy", ApiThreads.READ_TIMEOUT,
      ApiThreads.WRITE_TIMEOUT);
  /** The exchange attribute that names the operator token's source on an authorized request. */
  static final String OPERATOR = "popw.operator";

  /** Whether this request passed the operator-token check (it was needed and the token matched). */
  public static boolean isOperator(HttpExchange ex) {
    return ex.getAttribute(OPERATOR) != null;
  }

  private final ApiSettings settings;
  private final ApiThreads threads;
  private final HttpHandler routes;
  private final RateLimiter limiter;
  private final Semaphore workers;
  private final AtomicInteger waiting = new AtomicInteger();
  private final Map<String, Runnable> refused = new LinkedHashMap<>();

  RequestGuard(ApiSettings settings, ApiThreads threads, Metrics metrics, HttpHandler routes) {
    this.settings = settings;
    this.threads = threads;
    this.routes = routes;
    this.limiter = new RateLimiter(settings.rateLimitPerSecond(), settings.rateLimitBurst(), settings.rateLimitClients(), System::nanoTime);
    this.workers = new Semaphore(settings.workers());
    for (String r : REASONS) {
      refused.put(r, metrics.apiRefusals(r));
    }
    metrics.apiGauge("threads.busy", "API I/O threads running a request", threads::busy);
    metrics.apiGauge("threads.waiting", "requests waiting for an API I/O thread", threads::waiting);
    metrics.apiGauge("workers.busy", "API requests being processed", () -> settings.workers() - workers.availablePermits());
    metrics.apiGauge("queue.depth", "API requests waiting for a worker", waiting::get);
    metrics.apiGauge("rate.limit.clients", "client addresses the API rate limit tracks", limiter::clients);
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try {
      serve(ex, threads.current());
    } finally {
      ex.close();
    }
  }

  private void serve(HttpExchange ex, ApiThreads.Deadline deadline) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    long wait = limiter.take(ex.getRemoteAddress().getAddress());
    if (wait > 0) {
      refuse(ex, 429, "rate_limited", "too many requests from this address (at most " + settings.rateLimitPerSecond()
          + " a second, " + settings.rateLimitBurst() + " at once); retry in " + wait + " s", wait);
      return;
    }
    String operator = null;
    if (needsToken(method, path)) {
      Optional<String> who = settings.operatorTokens().match(bearer(ex.getRequestHeaders().getFirst("Authorization")));
      if (who.isEmpty()) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"popw-coordinator\"");
        refuse(ex, 401, "unauthorized", settings.operatorTokens().isEmpty()
            ? "operator actions are disabled: this coordinator has no operator token (api.operator_token_file or "
                + OperatorTokens.ENVIRONMENT + ")"
            : ex.getRequestHeaders().containsKey("Authorization") ? "the operator token is not valid"
            : "this endpoint needs an operator token: Authorization: Bearer <token>", 0);
        return;
      }
      operator = who.get();
    }
    byte[] body = body(ex);
    if (body == null) {
      return;
    }
    if (!deadline.disarm()) {
      throw new IOException("request cut off at its read deadline");
    }
    boolean reserved = RESERVED.contains(path);
    if (!reserved && !enter()) {
      threads.writing();
      refuse(ex, 503, "busy", "the API is busy (" + settings.workers() + " requests in progress, " + settings.queue()
          + " waiting); retry in 1 s", 1);
      return;
    }
    BufferedExchange buffered = new BufferedExchange(ex, body);
    if (operator != null) {
      buffered.setAttribute(OPERATOR, operator);
    }
    try {
      routes.handle(buffered);
    } finally {
      if (!reserved) {
        workers.release();
      }
    }
    threads.writing();
    buffered.sendTo(ex);
  }

  /**
   * Whether a request needs an operator token: everything under {@code /v1/operator/} (the check
   * that every operator endpoint, present and future, goes through: {@link OperatorRoutes#covers}),
   * and with {@code api.read_requires_token} every request but {@code /health} and registration.
   */
  boolean needsToken(String method, String path) {
    if (OperatorRoutes.covers(path) || CoverageRoutes.isOperatorAction(method, path)) {
      return true;
    }
    return settings.readRequiresToken() && !path.equals("/health") && !(method.equals("POST") && path.equals("/v1/devices"));
  }

  /** The token of an {@code Authorization: Bearer <token>} header; null without one. */
  static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String a = authorization.strip();
    return a.length() > 7 && a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ") ? a.substring(7).strip() : null;
  }

  /** The body, at most {@code max_body_bytes}; null when refused with 413 (the rest is not read). */
  private byte[] body(HttpExchange ex) throws IOException {
    int max = settings.maxBodyBytes();
    String declared = ex.getRequestHeaders().getFirst("Content-Length");
    if (declared != null && Long.parseLong(declared.strip()) > max) { // the JDK server already refused a malformed one
      tooLarge(ex, "request body of " + declared.strip() + " bytes is over the limit of " + max + " bytes");
      return null;
    }
    byte[] b = ex.getRequestBody().readNBytes(max + 1);
    if (b.length > max) {
      tooLarge(ex, "request body is over the limit of " + max + " bytes");
      return null;
    }
    return b;
  }

  /**
   * 413, then the connection is closed: the JDK server reads at most 64 KiB more of the body
   * ({@code sun.net.httpserver.drainAmount}) after the response is flushed, and closes a
   * connection whose body it did not finish. A client that reads while it sends gets the 413; one
   * that only reads once it sent everything may see the connection reset instead.
   */
  private void tooLarge(HttpExchange ex, String message) throws IOException {
    ex.getResponseHeaders().set("Connection", "close");
    refuse(ex, 413, "body_too_large", message + " (api.max_body_bytes)", 0);
  }

  /** Takes a worker, waiting in the queue if there is room there; false when there is none. */
  private boolean enter() {
    if (workers.tryAcquire()) {
      return true;
    }
    if (waiting.incrementAndGet() > settings.queue()) {
      waiting.decrementAndGet();
      return false;
    }
    try {
      workers.acquireUninterruptibly();
      return true;
    } finally {
      waiting.decrementAndGet();
    }
  }

  private void refuse(HttpExchange ex, int status, String reason, String message, long retryAfterSeconds) throws IOException {
    refused.get(reason).run();
    if (retryAfterSeconds > 0) {
      ex.getResponseHeaders().set("Retry-After", Long.toString(retryAfterSeconds));
    }
    byte[] body = JSON.writeValueAsBytes(Map.of("error", message));
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }
}
