package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.api.ApiSettings;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.VerdictSink;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.WorkValidator;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.Await;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import dev.popw.testing.SampleTelemetry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, items 4 and 6: the HTTP API's limits against a running coordinator, attacked the way
 * the report did (slow bodies, a 10 MB body, a flood) over real connections.
 */
class ApiLimitsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  /** How long a request that should answer may take before the test calls it unanswered: generous, not a speed bound. */
  private static final Duration ANSWER = Duration.ofSeconds(10);
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(ANSWER).build();

  /**
   * 16 connections send their requests a byte at a time (8 stall in the headers, 8 in the body):
   * before, 8 such bodies took the API's 4 threads and /health and /metrics no longer answered. Now
   * they hold I/O threads only until the read timeout, no worker at all, and are then closed.
   */
  @Test
  void slow_requests_neither_stop_health_metrics_nor_workers_and_are_cut_off_at_the_read_timeout() throws Exception {
    ApiSettings api = ApiSettings.defaults().toBuilder().readTimeout(Duration.ofSeconds(5)).workers(2).queue(0).rateLimit(0, 1).build();
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    List<Socket> slow = new ArrayList<>();
    try (Coordinator c = coordinator(api)) {
      String base = "http://127.0.0.1:" + c.apiPort();
      for (int i = 0; i < 16; i++) {
        Socket s = new Socket("127.0.0.1", c.apiPort());
        s.setSoTimeout(60_000);
        String start = i % 2 == 0
            ? "POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
            : "GET /v1/batches HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        s.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        slow.add(s);
      }
      // A byte every 200 ms on each: no single read waits long, the request as a whole never ends.
      trickle.scheduleAtFixedRate(() -> slow.forEach(s -> {
        try {
          s.getOutputStream().write('a');
          s.getOutputStream().flush();
        } catch (IOException closed) {
          // cut off by the coordinator: what the test waits for
        }
      }), 200, 200, TimeUnit.MILLISECONDS);

      // Every poll of /metrics must answer while the coordinator takes up all 16 (and the scrape itself).
      Await.until(Duration.ofSeconds(30), () -> gauge(scrape(base), "popw_api_threads_busy") >= 17, () -> scrape(base));
      String during = scrape(base);
      assertEquals(0.0, gauge(during, "popw_api_refused_total{reason=\"read_timeout\"}"), "the slow requests are all still open");
      assertEquals(200, send(base + "/health").statusCode(), "/health answers during the attack");
      assertEquals(200, send(base + "/v1/batches").statusCode(), "so does an endpoint that needs a worker: slow requests hold none");

      for (Socket s : slow) {
        assertClosedWithoutAnswer(s);
      }
      assertEquals(16.0, gauge(scrape(base), "popw_api_refused_total{reason=\"read_timeout\"}"));
      assertEquals(200, send(base + "/health").statusCode());
    } finally {
      trickle.shutdownNow();
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  /** A 10 MB body (declared, or chunked) is answered 413 with a JSON error while the client is still sending it. */
  @Test
  void a_body_over_the_limit_is_answered_413_before_it_is_read() throws Exception {
    try (Coordinator c = coordinator(ApiSettings.defaults())) {
      String base = "http://127.0.0.1:" + c.apiPort();
      for (boolean chunked : new boolean[] {false, true}) {
        try (Socket s = new Socket("127.0.0.1", c.apiPort())) {
          s.setSoTimeout(60_000);
          OutputStream out = s.getOutputStream();
          out.write(("POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
              + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 10000000\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
          CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
            byte[] piece = new byte[64 * 1024];
            try {
              for (int sent = 0; sent < 10_000_000; sent += piece.length) {
                if (chunked) {
                  out.write((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                out.write(piece);
                if (chunked) {
                  out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
              }
            } catch (IOException e) {
              // the coordinator closed the connection after answering: expected
            }
          });
          String response = readResponse(s.getInputStream());
          assertTrue(response.startsWith("HTTP/1.1 413 "), (chunked ? "chunked: " : "declared: ") + response);
          String body = response.substring(response.indexOf("\r\n\r\n") + 4);
          assertTrue(JSON.readTree(body).get("error").asText().contains("over the limit of 65536 bytes"), body);
          assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), response);
          upload.get(60, TimeUnit.SECONDS);
        }
      }
      assertEquals(2.0, gauge(scrape(base), "popw_api_refused_total{reason=\"body_too_large\"}"));
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      assertEquals(201, post(base + "/v1/devices", Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()))
          .statusCode(), "a registration, well under the limit, still registers");
    }
  }

  /**
   * One worker and one place in the queue: with an audit holding the worker and a request waiting,
   * the next request is answered 503 with Retry-After, and /health and /metrics still answer.
   */
  @Test
  void a_full_worker_pool_answers_503_with_retry_after_and_health_still_answers() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
    AtomicBoolean hold = new AtomicBoolean();
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    WorkValidator holding = new WorkValidator() { // judges no envelope; while `hold` is set, an audit waits in it
      @Override
      public WorkKind kind() {
        return WorkKind.GPU;
      }

      @Override
      public String parameters() {
        return "holding test validator";
      }

      @Override
      public void validate(EpochEvidence evidence, VerdictSink out) {
        if (hold.get()) {
          held.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
    ApiSettings api = ApiSettings.defaults().toBuilder().workers(1).queue(1).threads(8).build();
    CoordinatorSettings settings = settings(api).withEpochs(Duration.ofMinutes(10), Duration.ofSeconds(30));
    try (Coordinator c = Coordinator.builder(settings).clock(clock).closeEpochsAutomatically(false).validator(holding).start()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", clock));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(clock).networkId("popw-test").build();
      assertTrue(c.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().accepted());
      clock.set(Instant.parse("2026-11-24T12:10:31Z"));
      assertEquals(1, c.epochs().tick().size());
      long epoch = Instant.parse("2026-11-24T12:00:00Z").toEpochMilli() / 600_000;

      hold.set(true);
      CompletableFuture<HttpResponse<String>> audit = sendAsync(base + "/v1/epochs/" + epoch + "/audit");
      assertTrue(held.await(ANSWER.toSeconds(), TimeUnit.SECONDS), "the audit holds the only worker");
      CompletableFuture<HttpResponse<String>> queued = sendAsync(base + "/v1/batches");
      Await.until(ANSWER, () -> gauge(scrape(base), "popw_api_queue_depth") == 1.0, () -> scrape(base));

      HttpResponse<String> busy = send(base + "/v1/batches");
      assertEquals(503, busy.statusCode(), busy.body());
      assertEquals("1", busy.headers().firstValue("Retry-After").orElse(null));
      assertTrue(JSON.readTree(busy.body()).get("error").asText().startsWith("the API is busy"), busy.body());
      assertEquals(200, send(base + "/health").statusCode(), "/health takes no worker");
      String metrics = scrape(base);
      assertEquals(1.0, gauge(metrics, "popw_api_workers_busy"));
      assertEquals(1.0, gauge(metrics, "popw_api_refused_total{reason=\"busy\"}"));

      release.countDown();
      assertEquals(200, audit.get(ANSWER.toSeconds(), TimeUnit.SECONDS).statusCode());
      assertEquals(200, queued.get(ANSWER.toSeconds(), TimeUnit.SECONDS).statusCode(), "the queued request is served");
      assertEquals(200, send(base + "/v1/batches").statusCode());
    } finally {
      release.countDown();
    }
  }

  /** A client over its budget gets 429 with Retry-After; another address is not affected. */
  @Test
  void a_flooding_client_is_answered_429_and_others_are_not() throws Exception {
    ApiSettings api = ApiSettings.defaults().toBuilder().rateLimit(1, 5).build();
    try (Coordinator c = coordinator(api)) {
      String base = "http://127.0.0.1:" + c.apiPort();
      for (int i = 0; i < 5; i++) {
        assertEquals(200, send(base + "/v1/batches").statusCode(), "request " + (i + 1) + " of the burst");
      }
      HttpResponse<String> limited = untilLimited(base + "/v1/batches");
      assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) >= 1);
      assertTrue(JSON.readTree(limited.body()).get("error").asText().startsWith("too many requests"), limited.body());
      untilLimited(base + "/health"); // every request counts, /health too

      if (InetAddress.getByName("127.0.0.2").isLoopbackAddress() && canBind("127.0.0.2")) {
        try (Socket other = new Socket()) {
          other.bind(new InetSocketAddress("127.0.0.2", 0));
          other.connect(new InetSocketAddress("127.0.0.1", c.apiPort()));
          other.setSoTimeout(60_000);
          other.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          assertTrue(readResponse(other.getInputStream()).startsWith("HTTP/1.1 200 "), "another address has its own budget");
        }
      }
      String[] metrics = new String[1];
      Await.until(Duration.ofSeconds(30), () -> {
        HttpResponse<String> r = send(base + "/metrics");
        metrics[0] = r.body();
        return r.statusCode() == 200;
      }, () -> "the budget did not come back: " + metrics[0]);
      assertTrue(gauge(metrics[0], "popw_api_refused_total{reason=\"rate_limited\"}") >= 2.0, metrics[0]);
      assertTrue(gauge(metrics[0], "popw_api_rate_limit_clients") >= 1.0);
    }
  }

  /** The API, the embedded broker and CoAP listen on loopback by default: not on this machine's other addresses. */
  @Test
  void by_default_nothing_listens_beyond_loopback() throws Exception {
    InetAddress external = null;
    for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
        if (nif.isUp() && !a.isLoopbackAddress() && a instanceof java.net.Inet4Address) {
          external = a;
        }
      }
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(external != null, "this machine has no address besides loopback");
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir).withEmbeddedMqtt(0).withApiPort(0)
        .toBuilder().coapPort(-1).build();
    try (Coordinator c = Coordinator.start(s)) {
      assertEquals(200, send("http://127.0.0.1:" + c.apiPort() + "/health").statusCode());
      for (int port : new int[] {c.apiPort(), c.mqttPort()}) {
        try (Socket sock = new Socket()) {
          sock.connect(new InetSocketAddress(external, port), 5_000);
          fail("port " + port + " answers on " + external.getHostAddress());
        } catch (IOException refused) {
          // not listening there
        }
      }
    }
  }

  /** Sends requests until one is answered 429; at 1 a second, 50 quick ones cannot all pass. */
  private HttpResponse<String> untilLimited(String url) {
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = send(url);
      if (r.statusCode() == 429) {
        return r;
      }
      assertEquals(200, r.statusCode(), r.body());
    }
    throw new AssertionError("no 429 in 50 requests to " + url);
  }

  private static boolean canBind(String address) {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(address, 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The socket is closed by the coordinator (end of stream or reset) without a byte of response. */
  private static void assertClosedWithoutAnswer(Socket s) {
    try {
      int b = s.getInputStream().read();
      assertEquals(-1, b, "a cut-off request gets no response");
    } catch (SocketTimeoutException e) {
      fail("the slow connection is still open after 60 s");
    } catch (IOException reset) {
      // closed with unread bytes in the coordinator's buffer: a reset
    }
  }

  /** Reads an HTTP response with a Content-Length body. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int length = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return buf.toString(StandardCharsets.UTF_8);
      }
      buf.write(b);
      String s = buf.toString(StandardCharsets.UTF_8);
      int end = s.indexOf("\r\n\r\n");
      if (end >= 0 && length < 0) {
        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(s);
        length = m.find() ? Integer.parseInt(m.group(1)) : 0;
      }
      if (end >= 0 && buf.size() >= end + 4 + length) {
        return s;
      }
    }
  }

  private Coordinator coordinator(ApiSettings api) {
    return Coordinator.start(settings(api));
  }

  private CoordinatorSettings settings(ApiSettings api) {
    return CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir).withCoap("127.0.0.1", -1, -1, Map.of())
        .withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1)).toBuilder().api(api).build();
  }

  private HttpResponse<String> send(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(ANSWER).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(url + " did not answer: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private CompletableFuture<HttpResponse<String>> sendAsync(String url) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(ANSWER).header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String scrape(String base) {
    HttpResponse<String> r = send(base + "/metrics");
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** The value of a Prometheus sample, by its name and labels as printed; fails when absent. */
  static double gauge(String scrape, String sample) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Double.parseDouble(line.substring(sample.length() + 1).trim());
      }
    }
    throw new AssertionError("no sample " + sample + " in\n" + scrape);
  }
}
