package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The explorer's optional tile layer: the setting, the map answer's fields and the page's image policy. */
class ExplorerTilesTest {
  @TempDir Path dir;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aConfiguredTileLayerIsServedToTheMapAndAllowedByThePagesPolicy() throws Exception {
    Path cfg = dir.resolve("c.toml");
    Files.writeString(cfg, "[explorer]\ntile_url = \"https://tiles.example.org:8443/osm/{z}/{x}/{y}.png\"\ntile_attribution = \"© OpenStreetMap contributors\"\n");
    CoordinatorSettings s = SettingsLoader.load(cfg, Map.of()).withDataDirectory(dir).withCoap("127.0.0.1", -1, -1, Map.of())
        .withEmbeddedMqtt(-1).withApiPort(0);
    try (Coordinator c = Coordinator.start(s)) {
      String base = "http://127.0.0.1:" + c.apiPort();
      JsonNode hexes = new ObjectMapper().readTree(get(base + "/v1/map/hexes").body());
      assertEquals("https://tiles.example.org:8443/osm/{z}/{x}/{y}.png", hexes.get("tile_url").asText());
      assertEquals("© OpenStreetMap contributors", hexes.get("tile_attribution").asText());
      String csp = get(base + "/explorer/").headers().firstValue("Content-Security-Policy").orElseThrow();
      assertTrue(csp.contains("img-src 'self' data: https://tiles.example.org:8443;"), csp);
    }
  }

  @Test
  void withoutOneTheMapMakesNoOutsideRequest() throws Exception {
    CoordinatorSettings s = CoordinatorSettings.defaults().withDataDirectory(dir).withCoap("127.0.0.1", -1, -1, Map.of())
        .withEmbeddedMqtt(-1).withApiPort(0);
    try (Coordinator c = Coordinator.start(s)) {
      String base = "http://127.0.0.1:" + c.apiPort();
      assertTrue(new ObjectMapper().readTree(get(base + "/v1/map/hexes").body()).get("tile_url").isNull());
      String csp = get(base + "/explorer/").headers().firstValue("Content-Security-Policy").orElseThrow();
      assertTrue(csp.contains("img-src 'self' data:;"), csp);
    }
  }

  @Test
  void badTileSettingsAreRefusedWithTheKeyNamed() {
    for (String bad : new String[] {"ftp://x/{z}/{x}/{y}", "https://x/tiles.png", "https://x/{z}/{x}/{y}.png\" onload=\"", "javascript:{z}{x}{y}"}) {
      SettingsException e = assertThrows(SettingsException.class, () -> new ExplorerSettings(bad, null));
      assertTrue(e.getMessage().startsWith("explorer.tile_url"), e.getMessage());
    }
    assertThrows(SettingsException.class, () -> new ExplorerSettings("https://x/{z}/{x}/{y}.png", "two\nlines"));
    assertNull(new ExplorerSettings("  ", " ").tileUrl());
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
