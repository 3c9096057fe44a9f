package dev.popw.coordinator.fuzz;

import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.popw.coordinator.mqtt.BrokerSettings;
import dev.popw.coordinator.mqtt.DeviceAuthenticator;
import dev.popw.coordinator.mqtt.EmbeddedBroker;
import dev.popw.fuzz.FuzzStats;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.testing.Await;
import dev.popw.testing.TestKeys;
import dev.popw.transport.mqtt.ConnectToken;
import dev.popw.transport.mqtt.MqttTransport;
import dev.popw.transport.mqtt.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the embedded MQTT broker's packet handling over real TCP: one broker
 * for the class on a free loopback port, one connection per input. The first byte of an input is
 * the mode: bit 0 clear, the rest are the first bytes of the connection; set, they follow a valid
 * CONNECT of a registered device (bit 1: MQTT 5 instead of 3.1.1) whose CONNACK has arrived, so
 * they reach what an authenticated device may do. The harness then
 * half-closes and reads until the broker closes.
 *
 * <p>Findings: the broker neither answers nor closes within 10 s (a hang), a handler throws
 * something other than an I/O error (its catch-all logs "MQTT connection ... failed"), sessions of
 * closed connections stay behind, or a fresh valid client (CONNECT/CONNACK, PINGREQ/PINGRESP) is
 * no longer served (checked every 256 runs and at the end).
 */
class EmbeddedBrokerFuzzer {
  static {
    // What Jazzer instruments for coverage in this fork: the broker, its authentication (connect tokens,
    // device ids) and Netty's MQTT codec (read when the fuzz test starts, after this class is
    // initialized).
    System.setProperty("jazzer.instrument", "dev.popw.coordinator.mqtt.**,dev.popw.transport.mqtt.**,dev.popw.identity.**,dev.popw.internal.**,io.netty.handler.codec.mqtt.**");
    // The broker logs what its handlers threw at debug level; the log watch looks for it.
    System.setProperty("org.slf4j.simpleLogger.log.dev.popw.coordinator.mqtt.EmbeddedBroker", "debug");
  }

  private static final FuzzStats STATS = new FuzzStats("EmbeddedBrokerFuzzer");
  private static EmbeddedBroker broker;
  private static FuzzSupport.LogWatch log;

  /** The device the harness connects as (registered and active for the broker), and its topics. */
  private static final SoftwareSigner DEVICE = TestKeys.signer(KeyType.ED25519);
  private static final String NETWORK = "popw-test";
  private static final String CLIENT_ID = MqttTransport.defaultClientId(DEVICE.deviceId());
  private static final String TELEMETRY = Topics.telemetry(Topics.PREFIX, DEVICE.deviceId());
  private static final String RECEIPTS = Topics.receipts(Topics.PREFIX, DEVICE.deviceId());
  private static final AtomicLong LAST_TOKEN = new AtomicLong();

  /**
   * The broker under test, built as the coordinator builds it (default limits, devices
   * authenticate with a signed connect token); the one place that does, with {@link
   * #validConnect} the one place that knows how to get in.
   */
  static EmbeddedBroker startBroker() {
    EmbeddedBroker b = new EmbeddedBroker("127.0.0.1", 0, BrokerSettings.defaults(), new DeviceAuthenticator(NETWORK, Clock.systemUTC(),
        BrokerSettings.defaults().tokenWindow(), id -> id.equals(DEVICE.deviceId()), TestKeys.coordinator().deviceId()));
    // As in the coordinator: an in-process subscriber gates the PUBACKs of QoS 1 telemetry.
    b.subscribeInternal(Topics.allTelemetry(Topics.PREFIX), (topic, payload) -> CompletableFuture.completedFuture(null));
    b.start();
    return b;
  }

  /**
   * A CONNECT that {@link #startBroker}'s broker accepts: MQTT 3.1.1 (level 4) or 5, clean start,
   * keep-alive 60 s, the device's id as user name and a fresh connect token (each newer than the
   * last: the broker refuses replays) as password.
   */
  static byte[] validConnect(int level) {
    long millis = LAST_TOKEN.updateAndGet(last -> Math.max(System.currentTimeMillis(), last + 1));
    return connect(level, CLIENT_ID, DEVICE.deviceId().toString(), ConnectToken.password(DEVICE, NETWORK, CLIENT_ID, millis));
  }

  /** A CONNECT packet; user name and password are left out when null. */
  static byte[] connect(int level, String clientId, String username, String password) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    int flags = 0x02 | (username != null ? 0x80 : 0) | (password != null ? 0x40 : 0);
    v.writeBytes(new byte[] {0, 4, 'M', 'Q', 'T', 'T', (byte) level, (byte) flags, 0, 60});
    if (level >= 5) {
      v.write(0); // no properties
    }
    v.writeBytes(utf8(clientId));
    if (username != null) {
      v.writeBytes(utf8(username));
    }
    if (password != null) {
      v.writeBytes(utf8(password));
    }
    return packet(0x10, v.toByteArray());
  }

  static byte[] packet(int firstByte, byte[] rest) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(firstByte);
    int n = rest.length;
    do {
      int digit = n % 128;
      n /= 128;
      p.write(n > 0 ? digit | 0x80 : digit);
    } while (n > 0);
    p.writeBytes(rest);
    return p.toByteArray();
  }

  @BeforeAll
  static void start() {
    log = new FuzzSupport.LogWatch(l -> l.contains("MQTT connection") && l.contains(" failed: ")
        && !l.contains("java.io.IOException") && !l.contains("java.net.SocketException"));
    broker = startBroker();
    // Warm-up: the classes of the usual paths load now and are instrumented when Jazzer starts,
    // not on the event loop during the first runs (which then looked like a hang).
    try {
      for (byte[] seed : (Iterable<byte[]>) packets()::iterator) {
        try {
        new EmbeddedBrokerFuzzer().run(seed);
      } catch (AssertionError e) {
        // a seed that fails is reported by its own run
      }
      }
      servesAFreshClient();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    STATS.reset();
  }

  @AfterAll
  static void stop() throws IOException {
    try (SilentCloseable network = FuzzSupport.allowLoopback(broker.port())) {
      servesAFreshClient();
    } finally {
      STATS.report();
      broker.close();
      log.close();
    }
  }

  static Stream<byte[]> packets() {
    List<byte[]> seeds = new ArrayList<>();
    seeds.add(mode(0, validConnect(4))); // replayed later: refused as stale
    seeds.add(mode(0, validConnect(5)));
    seeds.add(mode(0, connect(4, CLIENT_ID, null, null))); // no credentials
    seeds.add(mode(0, connect(5, "", DEVICE.deviceId().toString(), "v1.1.AAAA")));
    seeds.add(mode(0, connect(4, CLIENT_ID, "did:key:z6MkNobody", "v1.1764000000000." + "A".repeat(86))));
    seeds.add(mode(0, packet(0xC0, new byte[0]))); // PINGREQ before CONNECT
    seeds.add(mode(0, "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    for (int level : new int[] {4, 5}) {
      int m = level == 5 ? 3 : 1;
      byte[] props = level == 5 ? new byte[] {0} : new byte[0];
      seeds.add(mode(m, packet(0xC0, new byte[0])));
      seeds.add(mode(m, packet(0xE0, new byte[0]))); // DISCONNECT
      seeds.add(mode(m, subscribe(1, RECEIPTS, 1, props)));
      seeds.add(mode(m, subscribe(2, "$share/g/popw/#", 1, props))); // denied
      seeds.add(mode(m, subscribe(3, "a/#/b", 0, props))); // invalid
      seeds.add(mode(m, subscribe(4, EmbeddedBroker.NETWORK_PREFIX + "epochs", 0, props)));
      seeds.add(mode(m, FuzzSupport.concat(subscribe(5, RECEIPTS, 1, props), publish(TELEMETRY, 1, 7, props, "envelope"), packet(0x40, new byte[] {0, 1}))));
      seeds.add(mode(m, publish(TELEMETRY, 0, 0, props, "")));
      seeds.add(mode(m, publish("popw/v1/devices/did:key:z6MkOther/telemetry", 1, 9, props, "not mine"))); // denied
      seeds.add(mode(m, FuzzSupport.concat(subscribe(6, RECEIPTS, 0, props), unsubscribe(7, RECEIPTS, props))));
      seeds.add(mode(m, packet(0x10, new byte[] {0, 4, 'M', 'Q', 'T', 'T', (byte) level, 2, 0, 60}))); // a second CONNECT
    }
    return seeds.stream();
  }

  private static byte[] mode(int m, byte[] bytes) {
    return FuzzSupport.concat(new byte[] {(byte) m}, bytes);
  }

  private static byte[] subscribe(int packetId, String filter, int qos, byte[] props) {
    return packet(0x82, FuzzSupport.concat(new byte[] {(byte) (packetId >> 8), (byte) packetId}, props, utf8(filter), new byte[] {(byte) qos}));
  }

  private static byte[] unsubscribe(int packetId, String filter, byte[] props) {
    return packet(0xA2, FuzzSupport.concat(new byte[] {(byte) (packetId >> 8), (byte) packetId}, props, utf8(filter)));
  }

  private static byte[] publish(String topic, int qos, int packetId, byte[] props, String payload) {
    byte[] id = qos > 0 ? new byte[] {(byte) (packetId >> 8), (byte) packetId} : new byte[0];
    return packet(0x30 | qos << 1, FuzzSupport.concat(utf8(topic), id, props, payload.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] utf8(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return FuzzSupport.concat(new byte[] {(byte) (b.length >> 8), (byte) b.length}, b);
  }

  @MethodSource
  @FuzzTest(maxDuration = "10s")
  void packets(byte[] input) throws IOException {
    // Jazzer's SSRF detector is configured per run (it is reset when fuzzing starts).
    try (SilentCloseable network = FuzzSupport.allowLoopback(broker.port())) {
      run(input);
    }
  }

  private void run(byte[] input) throws IOException {
    int m = input.length == 0 ? 0 : input[0];
    boolean afterConnect = (m & 1) != 0;
    int level = (m & 2) != 0 ? 5 : 4;
    byte[] bytes = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    FuzzSupport.Ending end;
    try (Socket s = FuzzSupport.connect(broker.port())) {
      if (afterConnect) {
        s.getOutputStream().write(validConnect(level));
        readConnack(s.getInputStream(), "the fuzz connection's CONNECT");
      }
      end = FuzzSupport.sendAndDrain(s, bytes, received, "the broker");
    }
    List<String> thrown = log.take();
    if (!thrown.isEmpty()) {
      throw new AssertionError("a broker handler threw on this input: " + thrown);
    }
    STATS.run((afterConnect ? "after-CONNECT-" : "first-bytes-") + end);
    if (STATS.runs() % 256 == 0) {
      servesAFreshClient();
    }
  }

  /** No session of a closed connection is left, and a new client connects and pings. */
  private static void servesAFreshClient() throws IOException {
    Await.until(Duration.ofSeconds(5), () -> broker.clientCount() == 0,
        () -> broker.clientCount() + " sessions of closed connections are still registered");
    try (Socket s = FuzzSupport.connect(broker.port())) {
      s.getOutputStream().write(validConnect(5));
      readConnack(s.getInputStream(), "a fresh client's CONNECT");
      s.getOutputStream().write(new byte[] {(byte) 0xC0, 0});
      byte[] pong = FuzzSupport.readFully(s.getInputStream(), 2, "PINGREQ");
      if (pong[0] != (byte) 0xD0 || pong[1] != 0) {
        throw new AssertionError("PINGREQ answered with " + FuzzSupport.printable(pong));
      }
    } catch (java.net.SocketTimeoutException e) {
      throw new AssertionError("the broker no longer serves a fresh client within " + FuzzSupport.ANSWER_TIMEOUT_MS + " ms", e);
    }
  }

  /** Reads one CONNACK and checks that it accepts the connection (return/reason code 0). */
  private static void readConnack(InputStream in, String what) throws IOException {
    byte[] head = FuzzSupport.readFully(in, 2, what);
    if (head[0] != 0x20) {
      throw new AssertionError(what + " answered with packet type " + (head[0] & 0xff) + ", not CONNACK");
    }
    int len = head[1] & 0x7f;
    int shift = 7;
    byte b = head[1];
    while ((b & 0x80) != 0) {
      b = FuzzSupport.readFully(in, 1, what)[0];
      len |= (b & 0x7f) << shift;
      shift += 7;
    }
    byte[] body = FuzzSupport.readFully(in, len, what);
    if (body.length < 2 || body[1] != 0) {
      throw new AssertionError(what + " was refused: CONNACK " + FuzzSupport.printable(body));
    }
  }
}
