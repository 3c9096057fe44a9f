package dev.popw.coordinator.validation.coverage;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The coordinator's proof-of-coverage settings ({@code [coverage]} in coordinator.toml): how often
 * it issues entropy, where the denylist lives, and the validator's rules.
 *
 * @param entropyInterval new signed entropy every this long (API and MQTT {@code popw/v1/network/entropy})
 * @param denylistFile the denylist file; null: {@code coverage-denylist.txt} in the data directory
 */
public record CoverageSettings(Duration entropyInterval, Path denylistFile, CoverageRules rules) {
  public CoverageSettings {
    if (entropyInterval.toMillis() < 1000) {
      throw new IllegalArgumentException("coverage.entropy_interval_seconds must be at least 1");
    }
    if (entropyInterval.compareTo(rules.entropyWindow()) > 0) {
      throw new IllegalArgumentException("coverage.entropy_interval_seconds (" + entropyInterval.toSeconds()
          + ") must not exceed coverage.entropy_window_seconds (" + rules.entropyWindow().toSeconds()
          + "): a beacon could then find no entropy that is still fresh");
    }
  }

  public static CoverageSettings defaults() {
    return new CoverageSettings(Duration.ofSeconds(60), null, CoverageRules.defaults());
  }

  /** The denylist file: the one set, or {@code coverage-denylist.txt} in {@code dataDirectory}. */
  public Path denylistFile(Path dataDirectory) {
    return denylistFile != null ? denylistFile : dataDirectory.resolve("coverage-denylist.txt");
  }

  public CoverageSettings withRules(CoverageRules r) {
    return new CoverageSettings(entropyInterval, denylistFile, r);
  }

  public CoverageSettings withEntropyInterval(Duration d) {
    return new CoverageSettings(d, denylistFile, rules);
  }
}
