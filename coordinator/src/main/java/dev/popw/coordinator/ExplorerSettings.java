package dev.popw.coordinator;

import java.util.Map;

/**
 * {@code [explorer]}: the optional tile layer under the explorer's map (docs/explorer.md). Without
 * one the map is the H3 hexagons alone and the page makes no outside request.
 *
 * @param tileUrl a slippy-map tile URL with {z}, {x} and {y} (Web Mercator), or null
 * @param tileAttribution the tiles' attribution, shown on the map, or null
 */
public record ExplorerSettings(String tileUrl, String tileAttribution) {
  public ExplorerSettings {
    if (tileUrl != null && tileUrl.isBlank()) {
      tileUrl = null;
    }
    if (tileAttribution != null && tileAttribution.isBlank()) {
      tileAttribution = null;
    }
    if (tileUrl != null) {
      if (!tileUrl.matches("https?://[A-Za-z0-9.\\-]+(:[0-9]{1,5})?/[A-Za-z0-9._~/{}\\-]*") || !tileUrl.contains("{z}")
          || !tileUrl.contains("{x}") || !tileUrl.contains("{y}")) {
        throw new SettingsException("explorer.tile_url must be an http(s) URL with {z}, {x} and {y} in its path, such as"
            + " https://tiles.example.org/{z}/{x}/{y}.png; got '" + tileUrl + "'");
      }
    }
    if (tileAttribution != null && (tileAttribution.length() > 200 || tileAttribution.chars().anyMatch(c -> c < 0x20))) {
      throw new SettingsException("explorer.tile_attribution must be one line of at most 200 characters");
    }
  }

  public static ExplorerSettings defaults() {
    return new ExplorerSettings(null, null);
  }

  static void keys(Map<String, Character> keys) {
    keys.put("explorer.tile_url", 's');
    keys.put("explorer.tile_attribution", 's');
  }

  static void defaults(Map<String, String> m, ExplorerSettings e) {
    m.put("explorer.tile_url", e.tileUrl() == null ? "" : e.tileUrl());
    m.put("explorer.tile_attribution", e.tileAttribution() == null ? "" : e.tileAttribution());
  }

  static ExplorerSettings build(Map<String, String> v) {
    return new ExplorerSettings(v.get("explorer.tile_url").trim(), v.get("explorer.tile_attribution").trim());
  }
}
