package dev.popw.coordinator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.LimitSettings;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedReceipt;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CoAP endpoint of a running coordinator, probed with hand-built datagrams from a raw UDP
 * socket (issue 13, item 4): nothing but {@code POST /v1/telemetry} is served, no answer to an
 * unauthenticated sender is larger than its request, and a source over its rate is dropped.
 */
class CoapHardeningTest {
  private static final int CON = 0;
  private static final int GET = 1;
  private static final int POST = 2;
  private static final int PUT = 3;
  private static final int DELETE = 4;
  private static final int URI_PATH = 11;
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

  @TempDir Path dir;
  private int mid = 1;

  private Coordinator coordinator(LimitSettings limits) {
    return Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", 0, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1))
        .toBuilder().limits(limits).build());
  }

  @Test
  void only_telemetry_posts_are_served_and_nothing_else_says_what_runs_here() throws Exception {
    try (Coordinator c = coordinator(LimitSettings.defaults()); DatagramSocket socket = new DatagramSocket()) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", c.coapPort());
      Object[][] cases = {
          {GET, List.of(), "4.04"}, // Californium's banner before
          {GET, List.of(".well-known", "core"), "4.04"}, // its resource listing before
          {GET, List.of("v1"), "4.04"},
          {POST, List.of("v1"), "4.04"},
          {POST, List.of("v1", "telemetry", "x"), "4.04"},
          {POST, List.of("v2", "telemetry"), "4.04"},
          {GET, List.of("v1", "telemetry"), "4.05"},
          {PUT, List.of("v1", "telemetry"), "4.05"},
          {DELETE, List.of("v1", "telemetry"), "4.05"},
      };
      for (Object[] k : cases) {
        @SuppressWarnings("unchecked")
        byte[] request = message(CON, (int) k[0], new byte[] {7, 7}, (List<String>) k[1], List.of(), null);
        byte[] answer = exchange(socket, server, request);
        String what = k[1] + " code " + k[0];
        assertEquals(k[2], code(answer), what);
        assertEquals(0, payload(answer).length, "no payload: " + what);
        assertTrue(answer.length <= request.length, what + ": " + answer.length + " bytes answer " + request.length);
      }
      long[] refused = scrape(c, "popw_coap_refused_total{code=\"4.04\"}", "popw_coap_refused_total{code=\"4.05\"}");
      assertEquals(6, refused[0]);
      assertEquals(3, refused[1]);
    }
  }

  /**
   * Amplification: a spoofed source address must get no more bytes than were sent in its name. A
   * tiny bogus envelope is rejected with 4.00 but without the signed receipt (about 160 bytes);
   * Californium's own diagnostics for malformed requests lose their text.
   */
  @Test
  void no_answer_to_an_unauthenticated_sender_is_larger_than_its_request() throws Exception {
    try (Coordinator c = coordinator(LimitSettings.defaults()); DatagramSocket socket = new DatagramSocket()) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", c.coapPort());
      List<String> telemetry = List.of("v1", "telemetry");
      Random random = new Random(13);
      List<byte[]> requests = new ArrayList<>();
      for (int n : new int[] {0, 1, 3, 20, 100}) {
        byte[] junk = new byte[n];
        random.nextBytes(junk);
        requests.add(message(CON, POST, new byte[0], telemetry, List.of(), n == 0 ? null : junk));
        requests.add(message(CON, POST, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, telemetry, List.of(), n == 0 ? null : junk));
      }
      // A well-signed envelope of a device that never registered: verified, but not authenticated as a device's.
      SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      byte[] unregistered = sealer(stranger).seal(SampleTelemetry.weather()).bytes();
      requests.add(message(CON, POST, new byte[0], telemetry, List.of(), unregistered));
      // Malformed CoAP: an unknown critical option (9), and an option of a length past the datagram's end.
      requests.add(message(CON, POST, new byte[] {1}, telemetry, List.<Object[]>of(new Object[] {9, new byte[1]}), new byte[] {1}));
      requests.add(new byte[] {0x41, 0x02, 0x00, 0x63, 0x05, (byte) 0xB8, 'v'});
      StringBuilder seen = new StringBuilder();
      for (byte[] request : requests) {
        List<byte[]> answers = answers(socket, server, request);
        byte[] answer = answers.get(answers.size() - 1);
        int bytes = answers.stream().mapToInt(a -> a.length).sum();
        seen.append(request.length).append(" -> ").append(code(answer)).append(' ').append(bytes).append('\n');
        assertTrue(bytes <= request.length, "a " + request.length + "-byte request got " + bytes + " bytes of answer ("
            + code(answer) + ")");
      }
      long withheld = scrape(c, "popw_coap_payloads_withheld_total")[0];
      assertTrue(withheld >= 10, "the withheld receipts are counted: " + withheld + "\n" + seen);
    }
  }

  @Test
  void a_registered_device_gets_its_signed_receipt() throws Exception {
    try (Coordinator c = coordinator(LimitSettings.defaults()); DatagramSocket socket = new DatagramSocket()) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", c.coapPort());
      SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(device, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = sealer(device);
      byte[] envelope = sealer.seal(SampleTelemetry.weather()).bytes();
      byte[] request = message(CON, POST, new byte[] {1, 2}, List.of("v1", "telemetry"), List.of(), envelope);
      byte[] answer = exchange(socket, server, request);
      assertEquals("2.01", code(answer));
      Receipt receipt = Receipt.parseFrom(SignedReceipt.parseFrom(payload(answer)).getReceipt());
      assertEquals(Receipt.Status.ACCEPTED, receipt.getStatus());
      // Rejected after the registration lookup: still the device's own, so its receipt comes too.
      byte[] empty = rawEnvelopeWithoutPayload(device);
      byte[] rejected = exchange(socket, server, message(CON, POST, new byte[] {3}, List.of("v1", "telemetry"), List.of(), empty));
      assertEquals("4.00", code(rejected));
      assertEquals("EMPTY_PAYLOAD", Receipt.parseFrom(SignedReceipt.parseFrom(payload(rejected)).getReceipt()).getReason());
    }
  }

  /**
   * A source over its rate is dropped without an answer; the drops are counted. The count of
   * answers is bounded by the bucket (5) plus what refills while the requests are sent (1 a
   * second), whatever the machine's speed.
   */
  @Test
  void a_source_over_its_rate_is_dropped() throws Exception {
    try (Coordinator c = coordinator(LimitSettings.defaults().withCoapRate(1, 5)); DatagramSocket socket = new DatagramSocket()) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", c.coapPort());
      int sent = 40;
      long started = System.nanoTime();
      for (int i = 0; i < sent; i++) {
        byte[] request = message(CON, GET, new byte[] {(byte) i}, List.of("nothing"), List.of(), null);
        socket.send(new DatagramPacket(request, request.length, server));
      }
      double sendingSeconds = (System.nanoTime() - started) / 1e9;
      int answers = 0;
      socket.setSoTimeout(1_500);
      try {
        while (true) {
          socket.receive(new DatagramPacket(new byte[64], 64));
          answers++;
        }
      } catch (SocketTimeoutException e) {
        // no more answers
      }
      assertTrue(answers >= 5, "the burst is served: " + answers);
      assertTrue(answers <= 5 + (int) Math.ceil(sendingSeconds) + 1, answers + " answers in " + sendingSeconds + " s");
      long dropped = scrape(c, "popw_coap_rate_limited_total")[0];
      assertEquals(sent - answers, dropped, "every unanswered request is a counted drop");
      assertEquals(1, scrape(c, "popw_coap_tracked_sources")[0]);
    }
  }

  /** An envelope over 1 KiB goes blockwise (the SDK's Californium client splits it) and is accepted as one. */
  @Test
  void a_large_envelope_arrives_blockwise_and_is_accepted() throws Exception {
    try (Coordinator c = coordinator(LimitSettings.defaults())) {
      SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(device, OWNER, DeviceKind.GPU, null, "popw-test", Clock.systemUTC()));
      dev.popw.envelope.SealedEnvelope big = sealer(device).seal(SampleTelemetry.gpus(16));
      assertTrue(big.bytes().length > 1024, "bigger than one CoAP message: " + big.bytes().length);
      try (dev.popw.transport.coap.CoapTransport coap = dev.popw.transport.coap.CoapTransport.builder()
          .uri("coap://127.0.0.1:" + c.coapPort() + "/v1/telemetry").build()) {
        coap.start(device.deviceId(), dev.popw.receipt.ReceiptTrust.pinned(c.receiptKey()), dev.popw.transport.TransportListener.NONE);
        var ack = coap.send(big.bytes(), big.hash()).get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(Receipt.Status.ACCEPTED, ack.receipt().orElseThrow().getStatus());
      }
      assertTrue(scrape(c, "popw_coap_blockwise_started_total")[0] >= 1);
    }
  }

  /**
   * Blockwise uploads are reassembled a bounded number at once (Californium kept up to 150,000,
   * 8 KiB each): with room for two, a third source's upload is not kept, so its second block finds
   * no transfer to continue (4.08 Request Entity Incomplete).
   */
  @Test
  void blockwise_uploads_are_reassembled_a_bounded_number_at_once() throws Exception {
    LimitSettings d = LimitSettings.defaults();
    LimitSettings two = new LimitSettings(d.coapRequestsPerSecond(), d.coapBurst(), d.coapTrackedSources(), d.rejectedBytesPerDevice(),
        d.rejectedBytesUnattributed(), d.rejectedBytesTotal(), d.cachedDevices(), d.deviceIdle(), 2);
    try (Coordinator c = coordinator(two)) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", c.coapPort());
      List<String> answers = new ArrayList<>();
      List<DatagramSocket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          sockets.add(new DatagramSocket());
        }
        for (int block = 0; block < 2; block++) {
          for (int i = 0; i < 3; i++) {
            // Block1 option (27): number, more blocks follow, 64-byte blocks (SZX 2)
            byte[] request = message(CON, POST, new byte[] {(byte) i}, List.of("v1", "telemetry"),
                List.<Object[]>of(new Object[] {27, new byte[] {(byte) ((block << 4) | 0x08 | 2)}}), new byte[64]);
            byte[] answer = exchange(sockets.get(i), server, request);
            answers.add("source " + i + " block " + block + ": " + code(answer));
            assertTrue(answer.length <= request.length, "no larger than the block: " + answer.length);
          }
        }
      } finally {
        sockets.forEach(DatagramSocket::close);
      }
      assertEquals(List.of("source 0 block 0: 2.31", "source 1 block 0: 2.31", "source 2 block 0: 2.31", "source 0 block 1: 2.31",
          "source 1 block 1: 2.31", "source 2 block 1: 4.08"), answers);
      assertEquals(3, scrape(c, "popw_coap_blockwise_started_total")[0]);
    }
  }

  private static EnvelopeSealer sealer(SoftwareSigner signer) {
    return EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(Clock.systemUTC()).networkId("popw-test").build();
  }

  /** An envelope whose telemetry has no payload: rejected EMPTY_PAYLOAD, after the registration lookup. */
  private static byte[] rawEnvelopeWithoutPayload(SoftwareSigner signer) {
    byte[] t = dev.popw.proto.v1.Telemetry.newBuilder().setDeviceId(com.google.protobuf.ByteString.copyFrom(signer.deviceId().toBytes()))
        .setSequence(9).setTimestampMs(System.currentTimeMillis()).setNetworkId("popw-test").build().toByteArray();
    return dev.popw.proto.v1.SignedEnvelope.newBuilder().setVersion(1).setKeyTypeValue(signer.keyType().wireValue())
        .setPublicKey(com.google.protobuf.ByteString.copyFrom(signer.publicKey())).setTelemetry(com.google.protobuf.ByteString.copyFrom(t))
        .setSignature(com.google.protobuf.ByteString.copyFrom(signer.sign(dev.popw.envelope.Envelopes.signingMessage(t))))
        .build().toByteArray();
  }

  /**
   * Sends one request and returns its answer: the datagram with its message id, or, after an empty
   * acknowledgement (the decision took long), the separate response with its token.
   */
  private static byte[] exchange(DatagramSocket socket, InetSocketAddress server, byte[] request) throws Exception {
    List<byte[]> all = answers(socket, server, request);
    return all.get(all.size() - 1);
  }

  /** Every datagram answering the request: an empty ACK and a separate response, or one answer. */
  private static List<byte[]> answers(DatagramSocket socket, InetSocketAddress server, byte[] request) throws Exception {
    socket.send(new DatagramPacket(request, request.length, server));
    socket.setSoTimeout(5_000);
    byte[] buf = new byte[4096];
    byte[] token = Arrays.copyOfRange(request, 4, 4 + (request[0] & 0x0f));
    List<byte[]> out = new ArrayList<>();
    while (true) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      socket.receive(p);
      byte[] r = Arrays.copyOf(p.getData(), p.getLength());
      boolean sameId = r[2] == request[2] && r[3] == request[3];
      boolean emptyAck = r[1] == 0 && ((r[0] >> 4) & 3) == 2;
      if (sameId && emptyAck) {
        out.add(r);
        continue; // a separate response follows
      }
      boolean separate = !out.isEmpty() && Arrays.equals(token, Arrays.copyOfRange(r, 4, 4 + (r[0] & 0x0f)));
      if (sameId || separate) {
        out.add(r);
        return out;
      }
    }
  }

  /**
   * A CoAP message (RFC 7252 section 3): version 1, the type, a request code, a fresh message id,
   * the token, Uri-Path options and {@code extra} options (number, value) in number order.
   */
  private byte[] message(int type, int code, byte[] token, List<String> path, List<Object[]> extra, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x40 | (type << 4) | token.length);
    out.write(code);
    int id = mid++;
    out.write(id >> 8);
    out.write(id);
    out.writeBytes(token);
    List<Object[]> options = new ArrayList<>(extra);
    for (String segment : path) {
      options.add(new Object[] {URI_PATH, segment.getBytes(StandardCharsets.UTF_8)});
    }
    options.sort((a, b) -> Integer.compare((int) a[0], (int) b[0]));
    int previous = 0;
    for (Object[] o : options) {
      int delta = (int) o[0] - previous;
      byte[] value = (byte[]) o[1];
      previous = (int) o[0];
      assertTrue(delta < 269 && value.length < 13, "short options only");
      out.write(((delta < 13 ? delta : 13) << 4) | value.length);
      if (delta >= 13) {
        out.write(delta - 13);
      }
      out.writeBytes(value);
    }
    if (payload != null && payload.length > 0) {
      out.write(0xFF);
      out.writeBytes(payload);
    }
    return out.toByteArray();
  }

  /** "c.dd" of an answer; "RST" or "ACK" for empty messages. */
  private static String code(byte[] r) {
    int type = (r[0] >> 4) & 3;
    int code = r[1] & 0xff;
    if (code == 0) {
      return type == 3 ? "RST" : "ACK";
    }
    return (code >> 5) + "." + String.format("%02d", code & 0x1f);
  }

  /** The payload after the 0xFF marker, skipping header, token and options; empty when none. */
  private static byte[] payload(byte[] r) {
    int i = 4 + (r[0] & 0x0f);
    while (i < r.length && (r[i] & 0xff) != 0xFF) {
      int delta = (r[i] >> 4) & 0x0f;
      int len = r[i] & 0x0f;
      i++;
      i += delta == 13 ? 1 : delta == 14 ? 2 : 0;
      if (len == 13) {
        len = (r[i] & 0xff) + 13;
        i++;
      } else if (len == 14) {
        len = (((r[i] & 0xff) << 8) | (r[i + 1] & 0xff)) + 269;
        i += 2;
      }
      i += len;
    }
    return i >= r.length ? new byte[0] : Arrays.copyOfRange(r, i + 1, r.length);
  }

  /** Values of these series in the coordinator's /metrics. */
  private static long[] scrape(Coordinator c, String... series) throws Exception {
    String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.apiPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    long[] out = new long[series.length];
    for (int i = 0; i < series.length; i++) {
      String prefix = series[i] + " ";
      String line = text.lines().map(l -> l.replace(",}", "}")).filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
      if (line == null) {
        throw new AssertionError("no " + series[i] + " in /metrics:\n" + text);
      }
      out[i] = (long) Double.parseDouble(line.substring(prefix.length()).trim());
    }
    return out;
  }

  @Test
  void the_payload_estimate_never_exceeds_the_real_request() {
    // requestBytes ignores options: a lower bound of the datagram's size.
    org.eclipse.californium.core.coap.Request r = org.eclipse.californium.core.coap.Request.newPost();
    r.setToken(new byte[] {1, 2, 3});
    r.getOptions().setUriPath("v1/telemetry");
    r.setPayload(new byte[10]);
    r.setMID(1);
    byte[] wire = new org.eclipse.californium.core.network.serialization.UdpDataSerializer().getByteArray(r);
    assertTrue(CoapIngest.requestBytes(r) <= wire.length, CoapIngest.requestBytes(r) + " > " + wire.length);
  }
}
