package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.validation.coverage.H3;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The explorer's page and its list and summary endpoints on a running coordinator (embedded
 * default, no chain): what they count, their filters, their refusals (400 with a sentence, 404
 * for nothing by that name), the page's headers. The views themselves: ExplorerBrowserIT.
 */
class ExplorerApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final EvmAddress OWNER = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void the_explorer_endpoints_count_filter_search_and_refuse_clearly() throws Exception {
    CoordinatorSettings settings = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1));
    try (Coordinator c = Coordinator.builder(settings).closeEpochsAutomatically(false).start()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner sensor = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      Location at = Location.newBuilder().setLatitude(52.52).setLongitude(13.405).setH3Cell(H3.get().latLngToCell(52.52, 13.405, 9)).build();
      c.registry().register(Registrations.sign(sensor, OWNER, DeviceKind.SENSOR, at, "popw-test", Clock.systemUTC()));
      SoftwareSigner gpu = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(gpu, OWNER, DeviceKind.GPU, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(sensor).sequence(new FixedSequence(1)).networkId("popw-test").build();
      String hash = null;
      for (int i = 0; i < 3; i++) {
        hash = HexFormat.of().formatHex(c.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().envelopeHash());
      }
      c.batcher().sealAll();

      HttpResponse<String> root = send(base + "/");
      assertEquals(302, root.statusCode());
      assertEquals("/explorer/", root.headers().firstValue("Location").orElseThrow());
      HttpResponse<String> page = send(base + "/explorer/");
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("app.js") && page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
      assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("default-src 'self'"));
      assertEquals("text/javascript; charset=utf-8", send(base + "/explorer/app.js").headers().firstValue("Content-Type").orElseThrow());
      assertEquals(302, send(base + "/explorer").statusCode(), "without the slash the modules' relative URLs would break");
      for (String bad : new String[] {"/explorer/nope.js", "/explorer/..%2Fpom.xml", "/explorer/a/b.js", "/explorer/.hidden.js"}) {
        HttpResponse<String> r = send(base + bad);
        assertEquals(404, r.statusCode(), bad);
        assertTrue(r.body().contains("Open the explorer"), bad);
      }

      JsonNode net = get(base + "/v1/network", 200);
      assertEquals(2, net.path("devices").path("total").asInt());
      assertEquals(1, net.path("devices").path("by_kind").path("GPU").path("ACTIVE").asInt());
      assertEquals(3, net.path("envelopes").path("accepted").asInt());
      assertEquals(24, net.path("hours").size());
      assertEquals(3, net.path("hours").get(23).path("accepted").asInt(), "this hour's envelopes");
      assertEquals(1, net.path("batches").path("by_status").path("SEALED").asInt());
      assertEquals(1, net.path("batches").path("latest").size());
      assertFalse(net.path("chain").asBoolean());
      assertTrue(net.path("epoch").path("seconds_left").asLong() > 0);

      assertEquals(2, get(base + "/v1/devices", 200).path("total").asInt());
      assertEquals(1, get(base + "/v1/devices?kind=gpu", 200).path("total").asInt());
      assertEquals(2, get(base + "/v1/devices?owner=" + OWNER.toString().toLowerCase(), 200).path("total").asInt(), "any case");
      assertEquals(0, get(base + "/v1/devices?status=INACTIVE", 200).path("total").asInt());
      assertEquals(1, get(base + "/v1/devices?limit=1&offset=1", 200).path("items").size());
      assertTrue(get(base + "/v1/devices?kind=toaster", 400).path("error").asText().contains("kind must be"));
      assertTrue(get(base + "/v1/devices?owner=0x12", 400).path("error").asText().contains("not an EVM address"));

      JsonNode owner = get(base + "/v1/owners/" + OWNER.toString().toLowerCase(), 200);
      assertEquals(OWNER.toString(), owner.path("owner").asText());
      assertEquals(1, owner.path("devices").path("by_kind").path("SENSOR").path("ACTIVE").asInt());
      get(base + "/v1/owners/0x000000000000000000000000000000000000dEaD", 404);

      String id = URLEncoder.encode(sensor.deviceId().toString(), StandardCharsets.UTF_8);
      assertEquals(0, get(base + "/v1/devices/" + id + "/rejections", 200).path("items").size());
      get(base + "/v1/devices/" + URLEncoder.encode("did:key:z6MkNope", StandardCharsets.UTF_8) + "/rejections", 404);

      JsonNode hexes = get(base + "/v1/map/hexes?resolution=7", 200);
      assertEquals(1, hexes.path("items").size(), "the GPU node told no place");
      JsonNode cell = hexes.path("items").get(0);
      assertEquals(Long.toHexString(H3.get().cellToParent(H3.get().latLngToCell(52.52, 13.405, 9), 7)), cell.path("cell").asText());
      assertEquals(6, cell.path("boundary").size(), "a hexagon");
      get(base + "/v1/map/hexes?resolution=16", 400);

      assertEquals("device", search(base, sensor.deviceId().toString()).path("type").asText());
      assertEquals("envelope", search(base, "0x" + hash.toUpperCase()).path("type").asText());
      assertEquals(OWNER.toString(), search(base, OWNER.toString().toLowerCase()).path("id").asText());
      assertEquals("batch", search(base, "1").path("type").asText());
      assertEquals(0, get(base + "/v1/search?q=42", 200).path("results").size(), "no batch 42");
      assertTrue(get(base + "/v1/search?q=hello", 200).path("hint").asText().startsWith("search for a device id"));
      assertTrue(get(base + "/v1/search?q=" + "0x70997970C51812dc3A010C7d01b50e0d17dc79c8", 200).path("hint").asText().contains("checksum"));
      get(base + "/v1/search?q=" + "x".repeat(201), 400);
    }
  }

  private JsonNode search(String base, String q) throws Exception {
    JsonNode r = get(base + "/v1/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8), 200).path("results");
    assertEquals(1, r.size(), q + ": " + r);
    return r.get(0);
  }

  private HttpResponse<String> send(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String url, int status) throws Exception {
    HttpResponse<String> r = send(url);
    assertEquals(status, r.statusCode(), url + ": " + r.body());
    return JSON.readTree(r.body());
  }
}
