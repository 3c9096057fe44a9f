package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.api.ApiSettings;
import dev.popw.coordinator.api.OperatorTokens;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13, item 6: operator actions through the API, behind a bearer token. */
class OperatorApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private static final String TOKEN = "7c4a8d09ca3762af61e59520943dc264";
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void deactivating_and_reactivating_a_device_needs_an_operator_token() throws Exception {
    try (Coordinator c = coordinator(ApiSettings.defaults().toBuilder().operatorTokens(OperatorTokens.of("test", TOKEN)).build())) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      String deactivate = base + "/v1/operator/devices/" + URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8) + "/deactivate";
      String reactivate = deactivate.replace("/deactivate", "/reactivate");

      HttpResponse<String> none = post(deactivate, null);
      assertEquals(401, none.statusCode(), none.body());
      assertEquals("Bearer realm=\"popw-coordinator\"", none.headers().firstValue("WWW-Authenticate").orElse(null));
      assertTrue(error(none).contains("Authorization: Bearer"), none.body());
      HttpResponse<String> wrong = post(deactivate, "Bearer " + TOKEN.replace('7', '8'));
      assertEquals(401, wrong.statusCode());
      assertEquals("the operator token is not valid", error(wrong));
      assertEquals(401, post(deactivate, "Basic " + TOKEN).statusCode(), "only bearer tokens");
      assertTrue(c.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().accepted(), "still active");

      HttpResponse<String> done = post(deactivate, "Bearer " + TOKEN);
      assertEquals(200, done.statusCode(), done.body());
      JsonNode device = JSON.readTree(done.body());
      assertEquals("INACTIVE", device.get("status").asText());
      assertTrue(device.get("changed").asBoolean());
      assertEquals(signer.deviceId().toString(), device.get("device_id").asText());
      assertEquals("DEVICE_INACTIVE", c.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().reason());
      assertTrue(!JSON.readTree(post(deactivate, "bearer " + TOKEN).body()).get("changed").asBoolean(), "again: nothing changes");

      HttpResponse<String> back = post(reactivate, "Bearer " + TOKEN);
      assertEquals("ACTIVE", JSON.readTree(back.body()).get("status").asText(), back.body());
      assertTrue(c.pipeline().submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().accepted());

      String stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId().toString();
      assertEquals(404, post(base + "/v1/operator/devices/" + stranger + "/deactivate", "Bearer " + TOKEN).statusCode(), "not registered");
      assertEquals(400, post(base + "/v1/operator/devices/nonsense/deactivate", "Bearer " + TOKEN).statusCode());
      assertEquals(404, post(base + "/v1/operator/denylist", "Bearer " + TOKEN).statusCode(), "no such action (yet)");
      assertEquals(401, post(base + "/v1/operator/denylist", null).statusCode(), "but the whole /v1/operator/ tree needs the token first");
      assertEquals(401, post(base + "/v1/%6Fperator/devices/x/deactivate", null).statusCode(), "an encoded path is the same path");

      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertEquals(2.0, ApiLimitsTest.gauge(metrics, "popw_api_operator_actions_total{action=\"deactivate_device\"}"));
      assertEquals(1.0, ApiLimitsTest.gauge(metrics, "popw_api_operator_actions_total{action=\"reactivate_device\"}"));
      assertEquals(5.0, ApiLimitsTest.gauge(metrics, "popw_api_refused_total{reason=\"unauthorized\"}"));
    }
  }

  @Test
  void without_a_configured_token_operator_actions_are_refused() throws Exception {
    try (Coordinator c = coordinator(ApiSettings.defaults())) {
      HttpResponse<String> r = post("http://127.0.0.1:" + c.apiPort() + "/v1/operator/devices/x/deactivate", "Bearer " + TOKEN);
      assertEquals(401, r.statusCode());
      assertTrue(error(r).startsWith("operator actions are disabled"), r.body());
    }
  }

  @Test
  void reads_can_require_the_token_too_but_health_and_registration_stay_open() throws Exception {
    try (Coordinator c = coordinator(ApiSettings.defaults().toBuilder().operatorTokens(OperatorTokens.of("test", TOKEN))
        .readRequiresToken(true).build())) {
      String base = "http://127.0.0.1:" + c.apiPort();
      assertEquals(401, get(base + "/v1/batches", null).statusCode());
      assertEquals(401, get(base + "/metrics", null).statusCode());
      assertEquals(200, get(base + "/v1/batches", "Bearer " + TOKEN).statusCode());
      assertEquals(200, get(base + "/metrics", "Bearer " + TOKEN).statusCode());
      assertEquals(200, get(base + "/health", null).statusCode());
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      HttpResponse<String> reg = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/devices"))
          .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(
              Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, reg.statusCode(), "devices register without an operator token: " + reg.body());
    }
  }

  @Test
  void editing_the_coverage_denylist_needs_an_operator_token_and_reading_it_does_not() throws Exception {
    try (Coordinator c = coordinator(ApiSettings.defaults().toBuilder().operatorTokens(OperatorTokens.of("test", TOKEN)).build())) {
      String url = "http://127.0.0.1:" + c.apiPort() + "/v1/coverage/denylist";
      String device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId().toString();
      String body = "{\"device_id\": \"" + device + "\", \"reason\": \"test\"}";
      HttpResponse<String> anonymous = postJson(url, body, null);
      assertEquals(401, anonymous.statusCode(), "from this machine too: loopback is no operator");
      assertEquals(401, postJson(url, body, "Bearer " + TOKEN.replace('7', '8')).statusCode());
      assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(url + "?device_id=" + device)).DELETE().build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> added = postJson(url, body, "Bearer " + TOKEN);
      assertTrue(added.statusCode() / 100 == 2, added.statusCode() + " " + added.body());
      HttpResponse<String> list = get(url, null);
      assertEquals(200, list.statusCode(), "reading stays open");
      assertTrue(list.body().contains(device), list.body());
    }
  }

  private HttpResponse<String> postJson(String url, String json, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String error(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).get("error").asText();
  }

  private HttpResponse<String> post(String url, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String url, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Coordinator coordinator(ApiSettings api) {
    return Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir).withCoap("127.0.0.1", -1, -1, Map.of())
        .withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1)).toBuilder().api(api).build());
  }
}
