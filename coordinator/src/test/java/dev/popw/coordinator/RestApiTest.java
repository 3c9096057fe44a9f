package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.batch.MerkleTree;
import dev.popw.coordinator.ingest.IngestResult;
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
    try (Coordinator c = apiOnlyCoordinator()) {
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
      assertEquals(0, device.get("rejections_dropped").asInt(), "none deleted: the device is far below its cap");
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

  /** Issue 13, finding 7, against a running coordinator. */
  @Test
  void refuses_registrations_with_no_place_on_earth() throws Exception {
    try (Coordinator c = apiOnlyCoordinator()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      Clock now = Clock.systemUTC();
      for (double bad : new double[] {Double.NaN, 1e308}) {
        byte[] reg = Registrations.sign(signer, OWNER, DeviceKind.SENSOR,
            dev.popw.proto.v1.Location.newBuilder().setLatitude(bad).setLongitude(10).build(), "popw-test", now);
        assertEquals(400, post(base + "/v1/devices", "application/octet-stream", reg).statusCode(), "latitude " + bad);
      }
    }
  }

  /** Issue 13, finding 3, against a running coordinator. */
  @Test
  void registrations_only_move_forward() throws Exception {
    try (Coordinator c = apiOnlyCoordinator()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      String id = URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8);
      Clock now = Clock.systemUTC();
      EvmAddress second = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
      byte[] first = Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test",
          Clock.fixed(now.instant().minusSeconds(60), java.time.ZoneOffset.UTC));
      byte[] later = Registrations.sign(signer, second, DeviceKind.SENSOR, null, "popw-test", now);
      assertEquals(201, post(base + "/v1/devices", "application/octet-stream", first).statusCode());
      assertEquals(201, post(base + "/v1/devices", "application/octet-stream", later).statusCode());
      HttpResponse<String> replay = post(base + "/v1/devices", "application/octet-stream", first);
      assertEquals(400, replay.statusCode(), replay.body());
      assertTrue(replay.body().contains("not newer"), replay.body());
      assertEquals(second.toString(), get(base + "/v1/devices/" + id, 200).get("owner").asText(), "the replay moved nothing");
      assertEquals(201, post(base + "/v1/devices", "application/octet-stream", later).statusCode(), "re-sending the current one is idempotent");
      byte[] sameTime = Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test",
          Clock.fixed(java.time.Instant.ofEpochMilli(dev.popw.proto.v1.Registration.parseFrom(
              dev.popw.proto.v1.SignedRegistration.parseFrom(later).getRegistration()).getTimestampMs()), java.time.ZoneOffset.UTC));
      assertEquals(400, post(base + "/v1/devices", "application/octet-stream", sameTime).statusCode(), "same time, other content");

    }
  }

  /** Issue 13, finding 2, against a running coordinator. */
  @Test
  void compares_and_prints_uint64_times_and_sequence_numbers_as_unsigned() throws Exception {
    try (Coordinator c = apiOnlyCoordinator()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      Clock now = Clock.systemUTC();
      registerSensor(base, signer, now);
      long maxUnsigned = -1L; // 2^64 - 1
      IngestResult future = c.pipeline().submit(signRaw(signer, telemetry(signer, 1, maxUnsigned).setSensor(SampleTelemetry.weather())), null).join();
      assertEquals("FUTURE_TIMESTAMP", future.reason(), future.toString());
      IngestResult huge = c.pipeline().submit(signRaw(signer, telemetry(signer, maxUnsigned, now.millis()).setSensor(SampleTelemetry.weather())), null).join();
      assertEquals("BAD_SEQUENCE", huge.reason());
      assertEquals("sequence numbers above 2^63-1 are not supported", huge.detail());
      JsonNode rejected = get(base + "/v1/envelopes/" + HexFormat.of().formatHex(huge.envelopeHash()), 200);
      assertEquals("18446744073709551615", rejected.get("sequence").asText(), rejected.toString());
    }
  }

  /** Issue 13, finding 5, against a running coordinator. */
  @Test
  void refuses_a_payload_of_another_kind_than_registered() throws Exception {
    try (Coordinator c = apiOnlyCoordinator()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      Clock now = Clock.systemUTC();
      registerSensor(base, signer, now);
      IngestResult gpu = c.pipeline().submit(signRaw(signer, telemetry(signer, 2, now.millis()).setGpu(SampleTelemetry.gpus(1))), null).join();
      assertEquals("WRONG_KIND", gpu.reason(), gpu.toString());
    }
  }

  /** Issue 13, finding 4, against a running coordinator. */
  @Test
  void refuses_fields_outside_the_signed_telemetry() throws Exception {
    try (Coordinator c = apiOnlyCoordinator()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      Clock now = Clock.systemUTC();
      registerSensor(base, signer, now);
      byte[] good = signRaw(signer, telemetry(signer, 3, now.millis()).setSensor(SampleTelemetry.weather()));
      byte[] padded = java.util.Arrays.copyOf(good, good.length + 3);
      padded[good.length] = (byte) 0xf8; // field 127, varint 1
      padded[good.length + 1] = 0x07;
      padded[good.length + 2] = 0x01;
      IngestResult extra = c.pipeline().submit(padded, null).join();
      assertEquals("MALFORMED", extra.reason(), extra.toString());
      assertTrue(extra.detail().contains("field 127"), extra.detail());
      assertTrue(c.pipeline().submit(good, null).join().accepted(), "the envelope as signed is fine");
    }
  }

  /** Issue 13, finding 6, against a running coordinator. */
  @Test
  void unauthenticated_rejections_do_not_count_against_the_device_they_name() throws Exception {
    try (Coordinator c = apiOnlyCoordinator()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      String id = URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8);
      Clock now = Clock.systemUTC();
      registerSensor(base, signer, now);
      byte[] good = signRaw(signer, telemetry(signer, 3, now.millis()).setSensor(SampleTelemetry.weather()));
      assertEquals("WRONG_NETWORK", c.pipeline().submit(signRaw(signer, telemetry(signer, 2, now.millis()).setNetworkId("elsewhere")
          .setSensor(SampleTelemetry.weather())), null).join().reason());
      byte[] forged = good.clone();
      forged[forged.length - 1] ^= 1; // the signature is the last field
      IngestResult f = c.pipeline().submit(forged, null).join();
      assertEquals("BAD_SIGNATURE", f.reason());
      JsonNode device = get(base + "/v1/devices/" + id, 200);
      assertEquals(null, device.get("rejections").get("BAD_SIGNATURE"), device.toString());
      assertEquals(null, device.get("rejections").get("MALFORMED"), device.toString());
      assertEquals(1, device.get("rejections").get("WRONG_NETWORK").asInt(), "authenticated rejections still count");
    }
  }

  private static dev.popw.proto.v1.Telemetry.Builder telemetry(SoftwareSigner signer, long sequence, long timestampMs) {
    return dev.popw.proto.v1.Telemetry.newBuilder().setDeviceId(com.google.protobuf.ByteString.copyFrom(signer.deviceId().toBytes()))
        .setSequence(sequence).setTimestampMs(timestampMs).setNetworkId("popw-test");
  }

  private static byte[] signRaw(SoftwareSigner signer, dev.popw.proto.v1.Telemetry.Builder t) {
    byte[] tb = t.build().toByteArray();
    return dev.popw.proto.v1.SignedEnvelope.newBuilder().setVersion(1).setKeyTypeValue(signer.keyType().wireValue())
        .setPublicKey(com.google.protobuf.ByteString.copyFrom(signer.publicKey())).setTelemetry(com.google.protobuf.ByteString.copyFrom(tb))
        .setSignature(com.google.protobuf.ByteString.copyFrom(signer.sign(dev.popw.envelope.Envelopes.signingMessage(tb)))).build().toByteArray();
  }

  /** A coordinator with only the REST API (random port) and the embedded database in the test's folder. */
  private Coordinator apiOnlyCoordinator() {
    return Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1)));
  }

  /** Registers the signer as a sensor through the API, and checks it was created. */
  private void registerSensor(String base, SoftwareSigner signer, Clock now) throws Exception {
    assertEquals(201, post(base + "/v1/devices", "application/octet-stream",
        Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", now)).statusCode());
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
