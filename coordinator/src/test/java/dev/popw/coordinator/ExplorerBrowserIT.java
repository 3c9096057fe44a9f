package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.chain.ChainSettings;
import dev.popw.coordinator.store.BatchSettlement;
import dev.popw.coordinator.testing.Anvil;
import dev.popw.coordinator.testing.BrowserNpm;
import dev.popw.coordinator.validation.coverage.H3;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The explorer end to end in a real headless Chromium (Debian's chromium, driven by playwright-core
 * from src/test/browser/explorer.mjs): a coordinator on the embedded default (H2, embedded broker)
 * settling on a real anvil, with devices of each kind registered and sensors sending signed
 * envelopes, valid, invalid and equivocating. The script checks that each view shows the numbers
 * the API gives, that search finds each kind of id, that new envelopes appear without a reload,
 * that unknown ids get a clear page, that "verify inclusion" gets the chain's answer, and walks
 * the main views with the keyboard only. Screenshots go to target/explorer-screenshots (or
 * -Dexplorer.screenshots=DIR, which is how docs/explorer/*.png are made).
 */
class ExplorerBrowserIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NETWORK = "popw-test";
  private static final EvmAddress OWNER_A = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  private static final EvmAddress OWNER_B = EvmAddress.parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void every_view_shows_the_api_numbers_search_live_updates_unknown_ids_and_a_keyboard_walk() throws Exception {
    Path scripts = BrowserNpm.require();
    Path anvil = Anvil.binary();
    CoordinatorSettings settings = CoordinatorSettings.defaults().withNetwork(NETWORK).withDataDirectory(dir)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(0).withApiPort(0).withBatch(4, Duration.ofSeconds(2))
        .withEpochs(Duration.ofSeconds(3), Duration.ZERO)
        .withChain(new ChainSettings("dev", "", 0, null, "", "", 1, Duration.ofMillis(100), Duration.ofMinutes(3), anvil.toString(), 0));
    try (Coordinator c = Coordinator.start(settings)) {
      String base = "http://127.0.0.1:" + c.apiPort();
      Sensor s1 = sensor(c, OWNER_A, 52.5200, 13.4050);
      Sensor s2 = sensor(c, OWNER_A, 52.5300, 13.3000);
      String coverage = register(c, DeviceKind.COVERAGE, OWNER_A, 52.5100, 13.4200);
      String gpu = register(c, DeviceKind.GPU, OWNER_B, null, null);
      List<String> hashes = new ArrayList<>();
      String hot = null;
      for (int i = 0; i < 8; i++) {
        String h = s1.send(i == 3 ? 150 : 20 + i * 0.1);
        hashes.add(h);
        if (i == 3) {
          hot = h;
        }
      }
      for (int i = 0; i < 4; i++) {
        s2.send(18 + i * 0.1);
      }
      // Sequence 1 again with other content: rejected as EQUIVOCATION, stored as evidence.
      EnvelopeSealer again = EnvelopeSealer.builder().signer(s1.signer).sequence(new FixedSequence(1)).networkId(NETWORK).build();
      byte[] dupe = again.seal(reading(25.5)).bytes();
      var r = c.pipeline().submit(dupe, null).join();
      assertTrue(!r.accepted(), "the equivocating envelope is rejected");
      String rejected = HexFormat.of().formatHex(r.envelopeHash());

      String hotHex = hot;
      await(() -> !get(base + "/v1/envelopes/" + hotHex + "/verdict").path("status").asText().equals("PENDING"), "the hot reading is judged");
      await(() -> {
        Map<String, Long> s = c.store().batches().settlementCounts();
        return s.getOrDefault(BatchSettlement.CONFIRMED, 0L) >= 3 && s.keySet().equals(java.util.Set.of(BatchSettlement.CONFIRMED));
      }, "the three batches are confirmed on the chain");
      // the rewards engine has computed the closed epoch: the owner's devices have rows (zeros: no consent in this fixture)
      await(() -> get(base + "/v1/owners/" + OWNER_A + "/rewards").path("epochs").size() > 0, "the owner's rewards are computed");
      JsonNode env = get(base + "/v1/envelopes/" + hashes.get(0));
      assertEquals("CONFIRMED", env.path("batch").path("status").asText(), env.toString());

      ObjectNode fixture = JSON.createObjectNode();
      fixture.put("base", base);
      fixture.put("sensor", s1.id);
      fixture.put("coverage", coverage);
      fixture.put("gpu", gpu);
      fixture.put("owner", OWNER_A.toString());
      fixture.put("owner_b", OWNER_B.toString());
      fixture.put("hot", hot);
      fixture.put("confirmed", hashes.get(0));
      fixture.put("rejected", rejected);
      fixture.put("batch", env.path("batch").path("batch_id").asLong());
      fixture.put("screenshots", System.getProperty("explorer.screenshots", Path.of("target/explorer-screenshots").toAbsolutePath().toString()));
      Path fixtureFile = dir.resolve("fixture.json");
      JSON.writeValue(fixtureFile.toFile(), fixture);

      Process node = new ProcessBuilder("node", scripts.resolve("explorer.mjs").toString(), fixtureFile.toString())
          .directory(scripts.toFile()).redirectErrorStream(true).start();
      StringBuilder out = new StringBuilder();
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
          OutputStream toNode = node.getOutputStream()) {
        String line;
        while ((line = lines.readLine()) != null) {
          out.append(line).append('\n');
          if (line.equals("@@send")) {
            // The live-update check: three new envelopes while the page is open.
            for (int i = 0; i < 3; i++) {
              s2.send(19 + i * 0.1);
            }
            toNode.write("sent\n".getBytes(StandardCharsets.UTF_8));
            toNode.flush();
          }
        }
      }
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the browser script ends");
      System.out.println(out);
      assertEquals(0, node.exitValue(), "explorer.mjs failed:\n" + out);
      assertTrue(out.toString().contains("all explorer checks passed"), out.toString());
    }
  }

  private JsonNode get(String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError(url + ": " + e.getMessage(), e);
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(100);
    }
  }

  private static SensorReading reading(double celsius) {
    return SensorReading.newBuilder()
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(celsius).setUnit(Unit.CELSIUS)).build();
  }

  private static Location location(double lat, double lon) {
    return Location.newBuilder().setLatitude(lat).setLongitude(lon).setH3Cell(H3.get().latLngToCell(lat, lon, 9)).build();
  }

  private static String register(Coordinator c, DeviceKind kind, EvmAddress owner, Double lat, Double lon) {
    SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    c.registry().register(Registrations.sign(s, owner, kind, lat == null ? null : location(lat, lon), NETWORK, Clock.systemUTC()));
    return s.deviceId().toString();
  }

  private static Sensor sensor(Coordinator c, EvmAddress owner, double lat, double lon) {
    SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    c.registry().register(Registrations.sign(s, owner, DeviceKind.SENSOR, location(lat, lon), NETWORK, Clock.systemUTC()));
    return new Sensor(c, s, s.deviceId().toString(),
        EnvelopeSealer.builder().signer(s).sequence(new FixedSequence(1)).networkId(NETWORK).build());
  }

  /** A sensor that sends signed readings into the coordinator's pipeline. */
  private record Sensor(Coordinator c, SoftwareSigner signer, String id, EnvelopeSealer sealer) {
    String send(double celsius) {
      var r = c.pipeline().submit(sealer.seal(reading(celsius)).bytes(), null).join();
      assertTrue(r.accepted(), r.reason());
      return HexFormat.of().formatHex(r.envelopeHash());
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
