package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The work layer through a running coordinator built from parts: verdicts PENDING while the epoch
 * is open, decided with their numbers when the injected clock closes it, served by the API,
 * counted in Prometheus, and told to listeners as events.
 */
class WorkApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void verdicts_are_pending_until_the_epoch_closes_then_explained_counted_and_announced() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
    List<EpochRecord> closed = new CopyOnWriteArrayList<>();
    List<SealedBatch> sealed = new CopyOnWriteArrayList<>();
    CoordinatorSettings settings = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(0).withApiPort(0).withBatch(1000, Duration.ofHours(1))
        .withEpochs(Duration.ofMinutes(10), Duration.ofSeconds(30));
    try (Coordinator c = Coordinator.builder(settings).clock(clock).closeEpochsAutomatically(false).listener(new CoordinatorListener() {
      @Override
      public void epochClosed(EpochRecord epoch) {
        closed.add(epoch);
      }

      @Override
      public void batchSealed(SealedBatch batch) {
        sealed.add(batch);
      }
    }).start()) {
      String base = "http://127.0.0.1:" + c.apiPort();
      JsonNode health = get(base + "/health", 200);
      assertEquals("embedded broker on port " + c.mqttPort(), health.get("mqtt").asText(), "the embedded broker takes telemetry");

      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      c.registry().register(Registrations.sign(signer, OWNER, DeviceKind.SENSOR, null, "popw-test", clock));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(clock).networkId("popw-test").build();
      byte[] good = null;
      byte[] hot = null;
      for (int i = 0; i < 5; i++) {
        double t = i == 2 ? 150 : 20 + i * 0.1;
        SensorReading r = SensorReading.newBuilder()
            .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(t).setUnit(Unit.CELSIUS)).build();
        byte[] h = c.pipeline().submit(sealer.seal(r).bytes(), null).join().envelopeHash();
        if (i == 0) {
          good = h;
        } else if (i == 2) {
          hot = h;
        }
        clock.advance(Duration.ofSeconds(60));
      }
      String hotHex = HexFormat.of().formatHex(hot);
      JsonNode pending = get(base + "/v1/envelopes/" + hotHex + "/verdict", 200);
      assertEquals("PENDING", pending.get("status").asText());
      assertEquals("EPOCH_OPEN", pending.get("reason").asText());
      long epoch = pending.get("epoch").asLong();
      assertEquals(Instant.parse("2026-11-24T12:00:00Z").toEpochMilli() / 600_000, epoch);
      assertEquals("OPEN", get(base + "/v1/epochs/current", 200).get("status").asText());
      assertEquals(0, c.epochs().tick().size(), "12:05: the 12:00 epoch is open");

      clock.set(Instant.parse("2026-11-24T12:10:31Z"));
      assertEquals(1, c.epochs().tick().size());
      assertEquals(1, closed.size(), "listeners are told");
      assertEquals(epoch, closed.get(0).epoch());

      JsonNode v = get(base + "/v1/envelopes/" + hotHex + "/verdict", 200);
      assertEquals("INVALID", v.get("status").asText());
      assertEquals("OUT_OF_RANGE", v.get("reason").asText());
      assertEquals("temperature 150.0 °C is outside the physical range [-90.0, 60.0] °C", v.get("explanation").asText());
      assertEquals("VALID", get(base + "/v1/envelopes/" + HexFormat.of().formatHex(good) + "/verdict", 200).get("status").asText());
      assertEquals("INVALID", get(base + "/v1/envelopes/" + hotHex, 200).get("verdict").get("status").asText(),
          "the envelope view carries its verdict");

      JsonNode e = get(base + "/v1/epochs/" + epoch, 200);
      assertEquals("CLOSED", e.get("status").asText());
      assertEquals(5, e.get("envelopes").asInt());
      assertEquals(1, e.get("by_reason").get("INVALID/OUT_OF_RANGE").asInt());
      assertEquals(4, e.get("by_kind").get("SENSOR").get("VALID/OK").asInt());
      assertEquals("0x" + HexFormat.of().formatHex(closed.get(0).verdictSetHash()), e.get("verdict_set_hash").asText());
      assertEquals(1, get(base + "/v1/epochs", 200).get("items").size());

      String id = URLEncoder.encode(signer.deviceId().toString(), StandardCharsets.UTF_8);
      JsonNode invalid = get(base + "/v1/devices/" + id + "/verdicts?status=INVALID", 200);
      assertEquals(1, invalid.get("total").asInt());
      assertEquals("3", invalid.get("items").get(0).get("sequence").asText());
      assertEquals(5, get(base + "/v1/devices/" + id + "/verdicts", 200).get("total").asInt());
      JsonNode summary = get(base + "/v1/epochs/" + epoch + "/devices", 200).get("items").get(0);
      assertEquals(4, summary.get("valid").asInt());
      assertTrue(summary.get("explanation").asText().startsWith("4 of 5 readings valid (80.0%)"), summary.toString());
      assertEquals(1, get(base + "/v1/devices/" + id + "/epochs", 200).get("items").size());
      JsonNode device = get(base + "/v1/devices/" + id, 200);
      assertEquals(0, device.get("sequence_numbers_missing").asInt());
      assertEquals(1, device.get("verdicts").get("invalid").asInt());
      assertTrue(get(base + "/v1/epochs/" + epoch + "/audit", 200).get("matches").asBoolean());
      assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/v1/epochs/" + (epoch + 5) + "/audit")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(400, http.send(HttpRequest.newBuilder(URI.create(base + "/v1/epochs/abc")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());

      String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(metrics.contains("popw_verdicts_total{kind=\"SENSOR\",reason=\"OUT_OF_RANGE\",status=\"INVALID\"} 1.0"), metrics);
      assertTrue(metrics.contains("popw_verdicts_total{kind=\"SENSOR\",reason=\"OK\",status=\"VALID\"} 4.0"), metrics);

      // An envelope stored with a receipt time inside the closed epoch has no verdict until the epoch is reopened.
      clock.set(Instant.parse("2026-11-24T12:09:00Z"));
      SensorReading late = SensorReading.newBuilder()
          .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(20.4).setUnit(Unit.CELSIUS)).build();
      byte[] lateHash = c.pipeline().submit(sealer.seal(late).bytes(), null).join().envelopeHash();
      String lateHex = HexFormat.of().formatHex(lateHash);
      assertEquals("NOT_VALIDATED", get(base + "/v1/envelopes/" + lateHex + "/verdict", 200).get("reason").asText());
      c.epochs().reopen(epoch);
      clock.set(Instant.parse("2026-11-24T12:10:31Z"));
      assertEquals(1, c.epochs().tick().size(), "the reopened epoch closes again");
      assertEquals("VALID", get(base + "/v1/envelopes/" + lateHex + "/verdict", 200).get("status").asText());

      c.batcher().sealAll();
      assertEquals(1, sealed.size(), "batch sealed is an event too");
      assertEquals(6, sealed.get(0).envelopeCount());
    }
  }

  private JsonNode get(String url, int status) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(status, r.statusCode(), url + ": " + r.body());
    return JSON.readTree(r.body());
  }
}
