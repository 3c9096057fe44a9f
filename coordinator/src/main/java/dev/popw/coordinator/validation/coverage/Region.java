package dev.popw.coordinator.validation.coverage;

/** A LoRa frequency plan by its band: a frequency belongs to the first configured region whose band holds it. */
public record Region(String name, long minHz, long maxHz) {
  public Region {
    if (!name.matches("[A-Z0-9_]{1,16}") || minHz <= 0 || maxHz < minHz) {
      throw new IllegalArgumentException("a region is NAME:min_hz-max_hz with min <= max, got " + name + ":" + minHz + "-" + maxHz);
    }
  }

  public boolean contains(long hz) {
    return hz >= minHz && hz <= maxHz;
  }

  /** Parses "EU868:863000000-870000000,US915:902000000-928000000". */
  public static java.util.List<Region> parseList(String text) {
    java.util.List<Region> out = new java.util.ArrayList<>();
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int colon = p.indexOf(':');
      int dash = p.indexOf('-', colon + 1);
      if (colon <= 0 || dash < 0) {
        throw new IllegalArgumentException("validation.coverage.regions: '" + p + "' is not NAME:min_hz-max_hz");
      }
      try {
        out.add(new Region(p.substring(0, colon), Long.parseLong(p.substring(colon + 1, dash).trim()),
            Long.parseLong(p.substring(dash + 1).trim())));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("validation.coverage.regions: '" + p + "' has a frequency that is not an integer (Hz)");
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("validation.coverage.regions must name at least one region");
    }
    return java.util.List.copyOf(out);
  }

  @Override
  public String toString() {
    return name + ":" + minHz + "-" + maxHz;
  }
}
