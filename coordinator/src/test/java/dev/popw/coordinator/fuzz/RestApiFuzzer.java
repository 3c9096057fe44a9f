package dev.popw.coordinator.fuzz;

import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.fuzz.FuzzStats;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the REST API's request handling: raw HTTP requests over a socket to
 * a running coordinator (API only, embedded database) that knows one device, its envelopes and a
 * sealed batch, so that the seeds reach the found-as well as the not-found paths.
 *
 * <p>The first byte of an input is the mode. Bit 0 clear: the rest is the raw request (request
 * line, headers, body, pipelined requests, garbage). Set: the rest is a request target (path and
 * query) up to the first newline and a body after it, sent as a well-formed request whose method
 * (bits 1-2) and content type (bits 3-4) the mode picks; bytes that cannot stand in a request
 * line are percent-encoded. That way mutations of paths, queries and bodies reach the API's own
 * parsing instead of stopping at the HTTP server's.
 *
 * <p>Findings: any 5xx answer (but the HTTP server's 501 for an unknown transfer coding), a stack trace in a body, a server that neither answers nor closes
 * within 10 s, and a /health that stops answering 200 (checked every 256 runs and at the end).
 */
class RestApiFuzzer {
  static {
    // What Jazzer instruments for coverage in this fork: the API, what it reads (store, registry) and the
    // JDK's HTTP server (read when the fuzz test starts, after this class is initialized).
    System.setProperty("jazzer.instrument", "dev.popw.coordinator.api.**,dev.popw.coordinator.registry.**,dev.popw.coordinator.store.**,dev.popw.registration.**,sun.net.httpserver.**");
    // The JDK's HTTP server writes headers and body in two segments; with Nagle's algorithm and
    // the client's delayed ACK every answer waits ~40 ms, which would cap the runs at ~25/s.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final String[] METHODS = {"GET", "POST", "PUT", "HEAD"};
  private static final String[] CONTENT_TYPES = {"application/octet-stream", "application/json", "text/plain; charset=utf-8", null};
  private static final Pattern STATUS = Pattern.compile("(?:^|\r\n)HTTP/1\\.[01] (\\d{3})");
  /**
   * A Java stack frame ("at dev.popw.X.y(X.java:12)", "at java.base/...") or a thread's death
   * notice ('Exception in thread "main" java.lang.IllegalStateException'). An echo of the request
   * inside a JSON string cannot fake the latter: its quotes would be escaped.
   */
  private static final Pattern STACK_TRACE = Pattern.compile(
      "\\bat [\\w$]+(?:[./][\\w$<>]+)+\\((?:[\\w$]+\\.java:\\d+|Native Method|Unknown Source)\\)"
          + "|Exception in thread \"[^\"]*\" [\\w$.]+(?:Exception|Error)");
  private static final FuzzStats STATS = new FuzzStats("RestApiFuzzer");
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

  @TempDir
  static Path dir;
  private static Coordinator coordinator;
  private static String device;
  private static String hash;
  private static byte[] registration;

  @BeforeAll
  static void start() throws IOException {
    coordinator = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1))
        // every input comes from one address: the per-client rate limit would answer most of them 429
        .toBuilder().api(dev.popw.coordinator.api.ApiSettings.defaults().toBuilder().rateLimit(0, 1).build()).build());
    SoftwareSigner signer = TestKeys.signer(KeyType.ED25519);
    registration = Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC());
    coordinator.registry().register(registration);
    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
    SealedEnvelope last = null;
    for (int i = 0; i < 3; i++) {
      last = sealer.seal(SampleTelemetry.weather());
      if (!coordinator.pipeline().submit(last.bytes(), null).join().accepted()) {
        throw new IllegalStateException("the fixture's envelope was not accepted");
      }
    }
    coordinator.batcher().sealAll();
    device = URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8);
    hash = HexFormat.of().formatHex(last.hash());
    // Warm-up: the classes of the usual paths load now and are instrumented when Jazzer starts.
    for (byte[] seed : (Iterable<byte[]>) requests()::iterator) {
      try {
        new RestApiFuzzer().run(seed);
      } catch (AssertionError e) {
        // a seed that fails is reported by its own run
      }
    }
    healthAnswers();
    STATS.reset();
  }

  @AfterAll
  static void stop() throws IOException {
    try (SilentCloseable network = FuzzSupport.allowLoopback(coordinator.apiPort())) {
      healthAnswers();
    } finally {
      STATS.report();
      coordinator.close();
    }
  }

  static Stream<byte[]> requests() {
    List<byte[]> seeds = new ArrayList<>();
    List<String> gets = List.of("/health", "/metrics", "/v1/chain", "/v1/batches?offset=0&limit=5", "/v1/batches/1", "/v1/batches/x",
        "/v1/devices/" + device, "/v1/devices/" + device + "/envelopes?offset=1&limit=2", "/v1/devices/" + device + "/verdicts?status=VALID&limit=3",
        "/v1/devices/" + device + "/epochs?limit=2", "/v1/devices/did%3Akey%3Az6MkNobody", "/v1/devices/%zz", "/v1/devices/did%25key",
        "/v1/envelopes/" + hash, "/v1/envelopes/0x" + hash + "/receipt", "/v1/envelopes/" + hash + "/verdict", "/v1/envelopes/" + "00".repeat(32),
        "/v1/epochs", "/v1/epochs/current", "/v1/epochs/0", "/v1/epochs/0/devices", "/v1/epochs/0/audit", "/v1/epochs/-1",
        "/v1/nothing", "/v1/devices/", "//v1//devices//",
        // the explorer's page and endpoints (ExplorerRoutes)
        "/", "/explorer/", "/explorer/app.js", "/explorer/..%2Fpom.xml", "/v1/network", "/v1/devices?kind=SENSOR&status=ACTIVE&limit=2",
        "/v1/devices?owner=0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "/v1/devices/" + device + "/rejections?limit=2",
        "/v1/owners/0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "/v1/map/hexes?resolution=7", "/v1/search?q=" + hash, "/v1/search?q=1");
    for (String target : gets) {
      seeds.add(templated(0, 3, target, new byte[0]));
      seeds.add(raw("GET " + target + " HTTP/1.1\r\nHost: coordinator\r\n\r\n"));
    }
    byte[] json = ("{\"registration\": \"" + Base64.getEncoder().encodeToString(registration) + "\"}").getBytes(StandardCharsets.UTF_8);
    seeds.add(templated(1, 0, "/v1/devices", registration));
    seeds.add(templated(1, 1, "/v1/devices", json));
    seeds.add(templated(1, 1, "/v1/devices", "{\"registration\": 7}".getBytes(StandardCharsets.UTF_8)));
    seeds.add(templated(2, 2, "/v1/devices", new byte[] {1, 2, 3}));
    seeds.add(templated(3, 3, "/health", new byte[0]));
    seeds.add(raw("POST /v1/devices HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n"
        + new String(json, StandardCharsets.UTF_8)));
    seeds.add(raw("POST /v1/devices HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
    seeds.add(raw("GET /health HTTP/1.1\r\nHost: c\r\n\r\nGET /v1/epochs/current HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n"));
    seeds.add(raw("GET /v1/devices/" + device + "?limit=1&offset=0&x HTTP/1.0\r\n\r\n"));
    return seeds.stream();
  }

  private static byte[] raw(String request) {
    return FuzzSupport.concat(new byte[] {0}, request.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] templated(int method, int contentType, String target, byte[] body) {
    return FuzzSupport.concat(new byte[] {(byte) (1 | method << 1 | contentType << 3)},
        target.getBytes(StandardCharsets.UTF_8), new byte[] {'\n'}, body);
  }

  /** The bytes to send for an input (see the class comment). */
  static byte[] request(byte[] input) {
    if (input.length == 0 || (input[0] & 1) == 0) {
      return input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length);
    }
    int m = input[0] & 0xff;
    int nl = 1;
    while (nl < input.length && input[nl] != '\n') {
      nl++;
    }
    StringBuilder target = new StringBuilder();
    for (int i = 1; i < nl; i++) {
      int c = input[i] & 0xff;
      if (c <= 0x20 || c >= 0x7f) {
        target.append(String.format("%%%02X", c));
      } else {
        target.append((char) c);
      }
    }
    if (target.length() == 0 || target.charAt(0) != '/') {
      target.insert(0, '/');
    }
    byte[] body = nl < input.length ? java.util.Arrays.copyOfRange(input, nl + 1, input.length) : new byte[0];
    String method = METHODS[(m >> 1) & 3];
    String type = CONTENT_TYPES[(m >> 3) & 3];
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: coordinator\r\n");
    if (type != null) {
      head.append("Content-Type: ").append(type).append("\r\n");
    }
    head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
    return FuzzSupport.concat(head.toString().getBytes(StandardCharsets.US_ASCII), body);
  }

  @MethodSource
  @FuzzTest(maxDuration = "10s")
  void requests(byte[] input) throws IOException {
    // Jazzer's SSRF detector is configured per run (it is reset when fuzzing starts).
    try (SilentCloseable network = FuzzSupport.allowLoopback(coordinator.apiPort())) {
      run(input);
    }
  }

  private void run(byte[] input) throws IOException {
    byte[] request = request(input);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    FuzzSupport.Ending end;
    try (Socket s = FuzzSupport.connect(coordinator.apiPort())) {
      end = FuzzSupport.sendAndDrain(s, request, received, "the API");
    }
    String answer = received.toString(StandardCharsets.ISO_8859_1);
    Matcher m = STATUS.matcher(answer);
    String outcome = "no-answer-" + end;
    while (m.find()) {
      String status = m.group(1);
      // 501 is the JDK HTTP server's answer to a transfer coding it does not know (RFC 9112,
      // section 6.1: "SHOULD respond with 501"); any other 5xx is a finding.
      boolean unknownCoding = status.equals("501") && answer.contains("Unsupported Transfer-Encoding value");
      if (status.charAt(0) == '5' && !unknownCoding) {
        throw new AssertionError("the API answered " + status + " to " + FuzzSupport.printable(request) + ":\n" + answer);
      }
      outcome = unknownCoding ? "501-unknown-transfer-coding" : status.charAt(0) + "xx";
    }
    Matcher trace = STACK_TRACE.matcher(answer);
    while (trace.find()) {
      // Error messages quote the path they could not route: only text the request did not bring counts.
      String echoable = new String(request, StandardCharsets.ISO_8859_1);
      if (!echoable.contains(trace.group()) && !percentDecoded(echoable).contains(trace.group())) {
        throw new AssertionError("a stack trace in the API's answer to " + FuzzSupport.printable(request) + ":\n" + answer);
      }
    }
    STATS.run(outcome);
    if (STATS.runs() % 256 == 0) {
      healthAnswers();
    }
  }

  /** The request with every %XX decoded (as bytes, ISO-8859-1), as a server's error message may quote it. */
  private static String percentDecoded(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static void healthAnswers() throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    try (Socket s = FuzzSupport.connect(coordinator.apiPort())) {
      FuzzSupport.sendAndDrain(s, "GET /health HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
          received, "GET /health");
    }
    String answer = received.toString(StandardCharsets.ISO_8859_1);
    if (!answer.startsWith("HTTP/1.1 200") || !answer.contains("\"status\"")) {
      throw new AssertionError("GET /health no longer answers 200: " + answer);
    }
  }
}
