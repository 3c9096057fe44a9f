package dev.popw.coordinator;

import dev.popw.coordinator.validation.gpu.GpuClass;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.gpuproof.TileVerifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code [gpu_proofs]} settings: keys, defaults and parsing, for {@link SettingsLoader}. */
final class GpuProofSettings {
  private static final String P = "gpu_proofs.";
  private static final String[] INTS = {"min_interval_seconds", "max_interval_seconds", "online_window_seconds", "opened_tiles",
      "probe_reads", "open_deadline_seconds", "network_allowance_seconds", "report_interval_seconds", "max_in_flight"};
  private static final String[] CLASS_INTS = {"n", "tile", "matrices", "max_probe_mib"};
  private static final String[] CLASS_NUMBERS = {"tops", "peak_tops", "units"};

  private GpuProofSettings() {}

  static void keys(Map<String, Character> keys) {
    keys.put(P + "enabled", 'b');
    for (String k : INTS) {
      keys.put(P + k, 'i');
    }
    keys.put(P + "probe_fraction", 'd');
    keys.put(P + "deadline_slack", 'd');
    keys.put(P + "verify", 's');
    for (String c : GpuProofRules.CLASS_NAMES) {
      String k = P + "classes." + c + ".";
      keys.put(k + "match", 's');
      for (String i : CLASS_INTS) {
        keys.put(k + i, 'i');
      }
      for (String d : CLASS_NUMBERS) {
        keys.put(k + d, 'd');
      }
    }
  }

  static void defaults(Map<String, String> m, GpuProofRules r) {
    m.put(P + "enabled", Boolean.toString(r.enabled()));
    m.put(P + "min_interval_seconds", Long.toString(r.minInterval().toSeconds()));
    m.put(P + "max_interval_seconds", Long.toString(r.maxInterval().toSeconds()));
    m.put(P + "online_window_seconds", Long.toString(r.onlineWindow().toSeconds()));
    m.put(P + "opened_tiles", Integer.toString(r.openedTiles()));
    m.put(P + "probe_reads", Integer.toString(r.probeReads()));
    m.put(P + "open_deadline_seconds", Long.toString(r.openDeadline().toSeconds()));
    m.put(P + "network_allowance_seconds", Long.toString(r.networkAllowance().toSeconds()));
    m.put(P + "report_interval_seconds", Long.toString(r.reportInterval().toSeconds()));
    m.put(P + "max_in_flight", Integer.toString(r.maxInFlight()));
    m.put(P + "probe_fraction", Double.toString(r.probeFraction()));
    m.put(P + "deadline_slack", Double.toString(r.deadlineSlack()));
    m.put(P + "verify", r.verify().name().toLowerCase(Locale.ROOT));
    for (GpuClass c : r.classes()) {
      String k = P + "classes." + c.name() + ".";
      m.put(k + "match", String.join(",", c.match()));
      m.put(k + "n", Integer.toString(c.n()));
      m.put(k + "tile", Integer.toString(c.tile()));
      m.put(k + "matrices", Integer.toString(c.matrices()));
      m.put(k + "max_probe_mib", Long.toString(c.maxProbeMib()));
      m.put(k + "tops", Double.toString(c.tops()));
      m.put(k + "peak_tops", Double.toString(c.peakTops()));
      m.put(k + "units", Double.toString(c.units()));
    }
  }

  /** The rules the values give, with one clear line for a bad one. */
  static GpuProofRules build(Map<String, String> v) {
    try {
      List<GpuClass> classes = new ArrayList<>();
      for (String c : GpuProofRules.CLASS_NAMES) {
        String k = P + "classes." + c + ".";
        List<String> match = Arrays.stream(v.get(k + "match").split(",")).filter(s -> !s.isEmpty()).toList();
        if (match.isEmpty()) {
          continue; // an emptied row is off
        }
        classes.add(new GpuClass(c, match, number(v, k + "tops", 1e-9, 1e6), number(v, k + "peak_tops", 1e-9, 1e6),
            integer(v, k + "n", 8, 65_536), integer(v, k + "tile", 2, 256), integer(v, k + "matrices", 1, 1_000_000),
            number(v, k + "units", 0, 1e9), integer(v, k + "max_probe_mib", 0, 1 << 20)));
      }
      String verify = v.get(P + "verify").trim().toUpperCase(Locale.ROOT);
      TileVerifier.Method method;
      try {
        method = TileVerifier.Method.valueOf(verify);
      } catch (IllegalArgumentException e) {
        throw new SettingsException("setting 'gpu_proofs.verify' must be auto, recompute or freivalds, got '" + v.get(P + "verify") + "'");
      }
      return new GpuProofRules(bool(v, P + "enabled"), seconds(v, "min_interval_seconds", 1, 30 * 86_400),
          seconds(v, "max_interval_seconds", 1, 30 * 86_400), seconds(v, "online_window_seconds", 1, 30 * 86_400),
          integer(v, P + "opened_tiles", 1, 1024), integer(v, P + "probe_reads", 0, 1024), number(v, P + "probe_fraction", 0, 1),
          seconds(v, "open_deadline_seconds", 1, 86_400), seconds(v, "network_allowance_seconds", 0, 86_400),
          number(v, P + "deadline_slack", 1, 1000), seconds(v, "report_interval_seconds", 1, 86_400),
          integer(v, P + "max_in_flight", 1, 10_000_000), method, classes);
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
  }

  private static Duration seconds(Map<String, String> v, String key, int min, int max) {
    return Duration.ofSeconds(integer(v, P + key, min, max));
  }

  private static int integer(Map<String, String> v, String key, int min, int max) {
    String t = v.get(key).trim();
    int n;
    try {
      n = Integer.parseInt(t);
    } catch (NumberFormatException e) {
      throw new SettingsException("setting '" + key + "' (or " + SettingsLoader.envName(key) + ") must be an integer, got '" + t + "'");
    }
    if (n < min || n > max) {
      throw new SettingsException("setting '" + key + "' must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  private static double number(Map<String, String> v, String key, double min, double max) {
    String t = v.get(key).trim();
    double d;
    try {
      d = Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw new SettingsException("setting '" + key + "' (or " + SettingsLoader.envName(key) + ") must be a number, got '" + t + "'");
    }
    if (!(d >= min && d <= max)) {
      throw new SettingsException("setting '" + key + "' must be between " + min + " and " + max + ", got " + t);
    }
    return d;
  }

  private static boolean bool(Map<String, String> v, String key) {
    String t = v.get(key).trim().toLowerCase(Locale.ROOT);
    if (!t.equals("true") && !t.equals("false")) {
      throw new SettingsException("setting '" + key + "' (or " + SettingsLoader.envName(key) + ") must be true or false, got '" + v.get(key) + "'");
    }
    return Boolean.parseBoolean(t);
  }
}
