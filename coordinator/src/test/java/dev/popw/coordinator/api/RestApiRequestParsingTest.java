package dev.popw.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.TestKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request paths the REST API must parse without a server error, over a raw socket (an HTTP client
 * library would normalize them first). Regression tests for what the RestApiFuzzer found: a
 * segment decoded twice ("%25" became "%" and then a malformed escape: 500).
 */
class RestApiRequestParsingTest {
  @TempDir
  static Path dir;
  private static Coordinator coordinator;
  private static String device;

  @BeforeAll
  static void start() {
    coordinator = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0));
    SoftwareSigner signer = TestKeys.signer(KeyType.ED25519);
    coordinator.registry().register(Registrations.sign(signer, EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    device = signer.deviceId().toString();
  }

  @AfterAll
  static void stop() {
    coordinator.close();
  }

  @Test
  void a_malformed_escape_after_decoding_is_no_server_error() throws IOException {
    for (String path : new String[] {"/v1/devices/did%25zz", "/v1/devices/did%25zz/envelopes", "/v1/devices/%25/verdicts",
        "/v1/devices/%25E/epochs"}) {
      String answer = get(path);
      assertFalse(answer.startsWith("HTTP/1.1 5"), path + " -> " + answer);
      assertFalse(answer.contains("internal error"), answer);
    }
  }

  @Test
  void an_id_is_decoded_exactly_once() throws IOException {
    String encoded = device.replace(":", "%3A");
    assertTrue(get("/v1/devices/" + encoded).startsWith("HTTP/1.1 200"), "one encoding is decoded");
    assertTrue(get("/v1/devices/" + device.replace(":", "%253A")).startsWith("HTTP/1.1 404"), "a second one is not");
    assertTrue(get("/v1/devices/" + encoded + "///").startsWith("HTTP/1.1 200"), "trailing slashes do not count");
    assertTrue(get("/v1/devices/" + encoded + "/envelopes/").startsWith("HTTP/1.1 200"));
  }

  /** (Not "/v1/devices" with trailing slashes: that is the explorer's device list, GET /v1/devices.) */
  @Test
  void paths_without_a_route_are_not_found() throws IOException {
    for (String target : new String[] {"/" + "/".repeat(2_000) + "x", "/v1/nothing/" + "/".repeat(2_000), "/v1//devices//x"}) {
      String answer = get(target);
      assertTrue(answer.startsWith("HTTP/1.1 4"), target.length() > 40 ? target.substring(0, 40) + "... -> " + answer : target + " -> " + answer);
    }
  }

  /** The whole answer to a GET with this request target, sent as is. */
  private static String get(String target) throws IOException {
    try (Socket s = new Socket("127.0.0.1", coordinator.apiPort())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertFalse(answer.isEmpty(), "no answer to " + target);
      assertEquals(-1, in.read());
      return answer;
    }
  }
}
