package dev.popw.coordinator.fuzz;

import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.fuzz.FuzzStats;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedReceipt;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.Message;
import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.serialization.UdpDataParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the CoAP ingest: every input is one UDP datagram to a running
 * coordinator's CoAP port (plain UDP, embedded database, one registered device). A datagram that
 * is a confirmable POST to /v1/telemetry must get its response (any code but 5.xx) or a reset;
 * after any other the harness sends a CoAP ping and waits for its reset, so the runs stay in step
 * with the server.
 *
 * <p>Findings: a 5.xx response, a confirmable telemetry request without an answer within 10 s, a ping without
 * its reset (the server stopped serving), and a valid envelope that is not accepted (checked every
 * 256 runs and at the end).
 */
class CoapIngestFuzzer {
  static {
    // What Jazzer instruments for coverage in this fork: the CoAP endpoint, the ingest pipeline and
    // Californium's message layer (read when the fuzz test starts, after this class is initialized).
    System.setProperty("jazzer.instrument", "dev.popw.coordinator.ingest.**,dev.popw.envelope.**,org.eclipse.californium.core.**");
  }

  private static final FuzzStats STATS = new FuzzStats("CoapIngestFuzzer");
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final SoftwareSigner DEVICE = TestKeys.signer(KeyType.ECDSA_P256);
  private static final UdpDataParser PARSER = new UdpDataParser();

  @TempDir
  static Path dir;
  private static Coordinator coordinator;
  private static DatagramSocket socket;
  private static InetSocketAddress server;
  private static EnvelopeSealer sealer;
  private static int ownMessageId;

  @BeforeAll
  static void start() throws IOException {
    coordinator = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", 0, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(-1)
        // every input comes from one address: the per-source rate limit would drop most of them
        .toBuilder().limits(dev.popw.coordinator.LimitSettings.defaults().withCoapRate(0, 1)).build());
    coordinator.registry().register(Registrations.sign(DEVICE, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    sealer = EnvelopeSealer.builder().signer(DEVICE).sequence(new FixedSequence(1)).networkId("popw-test").build();
    server = new InetSocketAddress("127.0.0.1", coordinator.coapPort());
    socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    socket.setSoTimeout(FuzzSupport.ANSWER_TIMEOUT_MS);
    // Warm-up: the classes of the usual paths load now and are instrumented when Jazzer starts.
    for (byte[] seed : (Iterable<byte[]>) datagrams()::iterator) {
      try {
        new CoapIngestFuzzer().run(seed);
      } catch (AssertionError e) {
        // a seed that fails is reported by its own run
      }
    }
    acceptsAValidEnvelope();
    STATS.reset();
  }

  @AfterAll
  static void stop() throws IOException {
    try (SilentCloseable network = FuzzSupport.allowLoopback(server.getPort())) {
      acceptsAValidEnvelope();
    } finally {
      STATS.report();
      socket.close();
      coordinator.close();
    }
  }

  static Stream<byte[]> datagrams() {
    List<byte[]> seeds = new ArrayList<>();
    byte[] envelope = sealer.seal(SampleTelemetry.weather()).bytes();
    seeds.add(request(0, 2, 0x7001, new byte[] {1, 2}, List.of("v1", "telemetry"), envelope)); // CON POST, accepted
    seeds.add(request(0, 2, 0x7002, new byte[] {3}, List.of("v1", "telemetry"), envelope)); // the same again: DUPLICATE
    seeds.add(request(1, 2, 0x7003, new byte[0], List.of("v1", "telemetry"), new byte[] {8, 1})); // NON POST, garbage
    seeds.add(request(0, 2, 0x7004, new byte[] {4, 5, 6, 7, 8, 9, 10, 11}, List.of("v1", "telemetry"), new byte[0]));
    seeds.add(request(0, 1, 0x7005, new byte[] {5}, List.of("v1", "telemetry"), new byte[0])); // GET
    seeds.add(request(0, 2, 0x7006, new byte[] {6}, List.of("v1", "nothing"), envelope));
    seeds.add(request(0, 1, 0x7007, new byte[] {7}, List.of(".well-known", "core"), new byte[0]));
    seeds.add(new byte[] {0x40, 0, 0x70, 0x08}); // ping
    seeds.add(new byte[] {0x60, 0, 0x70, 0x09}); // a stray ACK
    seeds.add(new byte[] {0x70, 0, 0x70, 0x0a}); // a stray RST
    // Block1 (option 27), Content-Format (12), Uri-Query (15), an unknown critical option (9)
    seeds.add(withOptions(0x700b, new byte[] {(byte) 0xB2, 'v', '1', 0x09, 't', 'e', 'l', 'e', 'm', 'e', 't', 'r', 'y',
        0x11, 0x2a, 0x31, 'x', (byte) 0xc1, 0x08}, envelope));
    seeds.add(withOptions(0x700c, new byte[] {(byte) 0x91, 0x01}, envelope));
    return seeds.stream();
  }

  /** A CoAP message: version 1, type (0 CON, 1 NON), code (1 GET, 2 POST), message id, token, Uri-Path segments, payload. */
  static byte[] request(int type, int code, int mid, byte[] token, List<String> path, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x40 | type << 4 | token.length);
    out.write(code);
    out.write(mid >> 8);
    out.write(mid);
    out.writeBytes(token);
    int delta = 11; // Uri-Path
    for (String segment : path) {
      byte[] b = segment.getBytes(StandardCharsets.UTF_8);
      out.write(delta << 4 | b.length); // segments here are shorter than 13 bytes
      out.writeBytes(b);
      delta = 0;
    }
    if (payload.length > 0) {
      out.write(0xFF);
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  private static byte[] withOptions(int mid, byte[] options, byte[] payload) {
    return FuzzSupport.concat(new byte[] {0x41, 0x02, (byte) (mid >> 8), (byte) mid, 0x42}, options, new byte[] {(byte) 0xFF}, payload);
  }

  @MethodSource
  @FuzzTest(maxDuration = "10s")
  void datagrams(byte[] input) throws IOException {
    // Jazzer's SSRF detector is configured per run (it is reset when fuzzing starts).
    try (SilentCloseable network = FuzzSupport.allowLoopback(server.getPort())) {
      run(input);
    }
  }

  private void run(byte[] input) throws IOException {
    socket.send(new DatagramPacket(input, input.length, server));
    Request telemetry = telemetryRequest(input);
    String outcome;
    if (telemetry != null) {
      // A confirmable request gets an answer: its response, or a reset (RFC 7252, 4.2). A
      // non-confirmable one may be dropped without one (e.g. for an unknown critical option, 5.4.1).
      Message answer = awaitAnswer(telemetry, "the telemetry request " + FuzzSupport.printable(input));
      outcome = "telemetry-" + (answer instanceof Response r ? r.getCode().toString() : answer.getType().toString());
    } else {
      int mid = nextOwnMessageId();
      byte[] ping = {0x40, 0, (byte) (mid >> 8), (byte) mid};
      socket.send(new DatagramPacket(ping, ping.length, server));
      awaitReset(mid, "a ping after " + FuzzSupport.printable(input));
      outcome = "other";
    }
    STATS.run(outcome);
    if (STATS.runs() % 256 == 0) {
      acceptsAValidEnvelope();
    }
  }

  /** The input as a request the coordinator must answer (CON POST /v1/telemetry), or null. */
  private static Request telemetryRequest(byte[] datagram) {
    Message m;
    try {
      m = PARSER.parseMessage(datagram);
    } catch (RuntimeException e) {
      return null; // not a CoAP message the server can parse either
    }
    if (m instanceof Request r && r.getCode() == CoAP.Code.POST
        && r.getType() == CoAP.Type.CON
        && r.getOptions().getUriPath().equals(List.of("v1", "telemetry"))) {
      return r;
    }
    return null;
  }

  /** Waits for the response to this request, or a reset of it; fails on any 5.xx seen meanwhile. */
  private static Message awaitAnswer(Request request, String what) throws IOException {
    long deadline = System.nanoTime() + FuzzSupport.ANSWER_TIMEOUT_MS * 1_000_000L;
    byte[] token = request.getToken().getBytes();
    while (true) {
      Message m = receive(deadline, what + " got no response and no reset");
      if (m instanceof Response r && Arrays.equals(r.getToken().getBytes(), token)) {
        return r;
      }
      if (m.getType() == CoAP.Type.RST && m.getMID() == request.getMID()) {
        return m;
      }
    }
  }

  /** Waits for the response with this token; fails on any 5.xx seen meanwhile. */
  private static Response awaitResponse(byte[] token, String what) throws IOException {
    long deadline = System.nanoTime() + FuzzSupport.ANSWER_TIMEOUT_MS * 1_000_000L;
    while (true) {
      Message m = receive(deadline, what + " got no response");
      if (m instanceof Response r && Arrays.equals(r.getToken().getBytes(), token)) {
        return r;
      }
    }
  }

  private static void awaitReset(int mid, String what) throws IOException {
    long deadline = System.nanoTime() + FuzzSupport.ANSWER_TIMEOUT_MS * 1_000_000L;
    while (true) {
      Message m = receive(deadline, what + " got no reset: the server stopped serving");
      if (m.getMID() == mid && (m.getType() == CoAP.Type.RST || m.getType() == CoAP.Type.ACK)) {
        return;
      }
    }
  }

  /** The next datagram from the server, parsed; a 5.xx response is a finding. */
  private static Message receive(long deadline, String onTimeout) throws IOException {
    byte[] buf = new byte[2048];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        throw new AssertionError(onTimeout + " within " + FuzzSupport.ANSWER_TIMEOUT_MS + " ms");
      }
      socket.setSoTimeout((int) Math.max(1, left));
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
      } catch (SocketTimeoutException e) {
        throw new AssertionError(onTimeout + " within " + FuzzSupport.ANSWER_TIMEOUT_MS + " ms", e);
      }
      byte[] d = Arrays.copyOf(p.getData(), p.getLength());
      Message m;
      try {
        m = PARSER.parseMessage(d);
      } catch (RuntimeException e) {
        throw new AssertionError("the server sent a datagram that is not CoAP: " + FuzzSupport.printable(d), e);
      }
      if (m instanceof Response r && r.getCode().codeClass == 5) {
        throw new AssertionError("the server answered " + r.getCode() + " (" + r.getPayloadString() + ")");
      }
      if (m.getType() == CoAP.Type.CON) {
        // a separate response: acknowledge it, or the server sends it again
        byte[] ack = {0x60, 0, (byte) (m.getMID() >> 8), (byte) m.getMID()};
        socket.send(new DatagramPacket(ack, ack.length, server));
      }
      return m;
    }
  }

  private static int nextOwnMessageId() {
    ownMessageId = (ownMessageId + 1) & 0xffff;
    return ownMessageId;
  }

  /** A freshly sealed envelope is answered 2.01 with a receipt that says ACCEPTED. */
  private static void acceptsAValidEnvelope() throws IOException {
    int mid = nextOwnMessageId();
    byte[] token = {(byte) 0xF0, (byte) (mid >> 8), (byte) mid};
    byte[] datagram = request(0, 2, mid, token, List.of("v1", "telemetry"), sealer.seal(SampleTelemetry.weather()).bytes());
    socket.send(new DatagramPacket(datagram, datagram.length, server));
    Response r = awaitResponse(token, "a valid envelope");
    Receipt receipt;
    try {
      receipt = Receipt.parseFrom(SignedReceipt.parseFrom(r.getPayload()).getReceipt());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("the answer to a valid envelope is not a signed receipt", e);
    }
    if (r.getCode() != CoAP.ResponseCode.CREATED || receipt.getStatus() != Receipt.Status.ACCEPTED) {
      throw new AssertionError("a valid envelope got " + r.getCode() + " " + receipt.getStatus() + " " + receipt.getReason());
    }
  }
}
