package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API over real HTTP against a running coordinator (embedded database). */
class RestApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void registers_devices_and_explains_every_envelope() throws Exception {
    try (Coordinator c = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1)))) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, new SecureRandom());
      byte[] reg = Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC());

      HttpResponse<String> created = post(base + "/v1/devices", "application/octet-stream", reg);
      assertEquals(201, created.statusCode(), created.body());
      assertEquals(OWNER.toString(), JSON.readTree(created.body()).get("owner").asText());
      assertEquals(HexFormat.of().formatHex(c.receiptKey()), JSON.readTree(created.body()).get("coordinator_key").asText(),
          "the registration response names the key that signs receipts");
      HttpResponse<String> again = post(base + "/v1/devices", "application/json",
          JSON.writeValueAsBytes(Map.of("registration", Base64.getEncoder().encodeToString(reg))));
      assertEquals(201, again.statusCode(), "JSON form, idempotent: " + again.body());
      HttpResponse<String> bad = post(base + "/v1/devices", "application/octet-stream", new byte[] {1, 2});
      assertEquals(400, bad.statusCode());
      assertTrue(JSON.readTree(bad.body()).get("error").asText().contains("invalid registration"));

      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      List<SealedEnvelope> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        SealedEnvelope e = sealer.seal(SampleTelemetry.weather());
        sent.add(e);
        assertTrue(c.pipeline().submit(e.bytes(), null).join().accepted());
      }
      SealedEnvelope wrongNet = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(50)).networkId("elsewhere").build()
          .seal(SampleTelemetry.weather());
      c.pipeline().submit(wrongNet.bytes(), null).join();

      String id = URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8);
      JsonNode device = get(base + "/v1/devices/" + id, 200);
      assertEquals(5, device.get("accepted").asInt());
      assertEquals(1, device.get("rejections").get("WRONG_NETWORK").asInt());
      assertEquals(signer.deviceId().evmAddress().orElseThrow().toString(), device.get("device_address").asText());
      JsonNode page = get(base + "/v1/devices/" + id + "/envelopes?limit=2", 200);
      assertEquals(5, page.get("total").asInt());
      assertEquals(2, page.get("items").size());
      assertEquals(5, page.get("items").get(0).get("sequence").asInt(), "newest first");

      JsonNode before = get(base + "/v1/envelopes/" + HexFormat.of().formatHex(sent.get(2).hash()), 200);
      assertEquals("ACCEPTED", before.get("status").asText());
      assertTrue(before.get("merkle_proof") == null, "no proof before the batch is sealed");
      c.batcher().sealAll();
      JsonNode after = get(base + "/v1/envelopes/" + HexFormat.of().formatHex(sent.get(2).hash()), 200);
      List<byte[]> proof = new ArrayList<>();
      after.get("merkle_proof").forEach(n -> proof.add(HexFormat.of().parseHex(n.asText().substring(2))));
      byte[] root = HexFormat.of().parseHex(after.get("batch").get("merkle_root").asText().substring(2));
      assertTrue(MerkleTree.verify(proof, root, sent.get(2).hash()), "the API's proof verifies");
      assertEquals(after.get("batch").get("batch_id").asLong(), get(base + "/v1/batches/" + after.get("batch").get("batch_id").asLong(), 200)
          .get("batch_id").asLong());
      assertEquals(1, get(base + "/v1/batches", 200).get("items").size());

      // The fuller receipt is signed too, and bound to the device.
      HttpResponse<byte[]> signed = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/envelopes/"
          + HexFormat.of().formatHex(sent.get(2).hash()) + "/receipt")).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, signed.statusCode());
      dev.popw.receipt.ReceiptCheck check = dev.popw.receipt.ReceiptTrust.pinned(c.receiptKey()).check(signed.body(), signer.deviceId());
      assertTrue(check.isValid(), String.valueOf(check.failure()));
      assertEquals(after.get("batch").get("batch_id").asLong(), check.receipt().getBatchId());
      assertTrue(java.util.Arrays.equals(signer.deviceId().toBytes(), check.receipt().getDeviceId().toByteArray()));
      assertEquals(dev.popw.receipt.ReceiptFailure.WRONG_DEVICE, dev.popw.receipt.ReceiptTrust.pinned(c.receiptKey())
          .check(signed.body(), SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId()).failure());

      JsonNode rejected = get(base + "/v1/envelopes/" + HexFormat.of().formatHex(wrongNet.hash()), 200);
      assertEquals("REJECTED", rejected.get("status").asText());
      assertEquals("WRONG_NETWORK", rejected.get("reason").asText());

      get(base + "/v1/envelopes/" + "00".repeat(32), 404);
      get(base + "/v1/envelopes/xyz", 400);
      get(base + "/v1/devices/did:key:z6MkNobody", 404);
      get(base + "/v1/nothing", 404);

      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("popw_envelopes_total{outcome=\"ACCEPTED\"} 5.0"), metrics.body());
      assertTrue(metrics.body().contains("popw_envelopes_total{outcome=\"WRONG_NETWORK\"} 1.0"), metrics.body());
      assertTrue(metrics.body().contains("popw_batch_envelopes_count 1"), metrics.body());
      assertEquals("ok", get(base + "/health", 200).get("status").asText());
    }
  }

  @Test
  void the_register_command_posts_registration_files_to_the_api() throws Exception {
    try (Coordinator c = Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0))) {
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      Path good = dir.resolve("device.reg");
      java.nio.file.Files.write(good, Registrations.sign(signer, OWNER, DeviceKind.COVERAGE, null, "popw-test", Clock.systemUTC()));
      Path wrongNet = dir.resolve("other.reg");
      java.nio.file.Files.write(wrongNet, Registrations.sign(signer, OWNER, DeviceKind.COVERAGE, null, "elsewhere", Clock.systemUTC()));
      String api = "http://127.0.0.1:" + c.apiPort();
      assertEquals(0, dev.popw.coordinator.cli.CoordinatorCli.execute("register", "--api", api, good.toString()));
      assertTrue(c.store().devices().device(signer.deviceId().toString()).isPresent());
      assertEquals(1, dev.popw.coordinator.cli.CoordinatorCli.execute("register", "--api", api, wrongNet.toString()));
      assertEquals(1, dev.popw.coordinator.cli.CoordinatorCli.execute("register", "--api", "http://127.0.0.1:1", good.toString()),
          "an unreachable coordinator is an error, not a stack trace");
    }
  }

  private HttpResponse<String> post(String url, String type, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode get(String url, int expectedStatus) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(expectedStatus, r.statusCode(), url + " -> " + r.body());
    return JSON.readTree(r.body());
  }
}
