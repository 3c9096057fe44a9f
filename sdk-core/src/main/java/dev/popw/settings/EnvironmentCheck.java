package dev.popw.settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds {@code POPW_*} environment variables that a program does not read, so that a misspelled
 * override ({@code POPW_TRANSPORT_ULR}) is reported instead of silently ignored. They are warnings,
 * not errors: the environment is shared (a coordinator and an agent started from one shell,
 * launcher variables, a systemd environment file), and a device should not stop over a variable
 * meant for another program (docs/decisions.md).
 */
public final class EnvironmentCheck {
  /** {@code POPW_*} variables that are not settings: launchers, debugging, tests. */
  public static final Set<String> NOT_SETTINGS = Set.of("POPW_DEBUG", "POPW_AGENT_JAR", "POPW_AGENT_JAVA_OPTS",
      "POPW_TEST_PG_URL", "POPW_TEST_PG_USER");

  private EnvironmentCheck() {}

  /**
   * One line per unknown {@code POPW_*} variable, in name order, naming the likely intended
   * variable when one is close.
   *
   * @param env the environment
   * @param known the variables this program reads as settings
   * @param program the program's name, e.g. {@code popw-agent}
   * @param reference where the settings are listed, e.g. {@code device-agent/config/agent.toml}
   */
  public static List<String> unknownVariables(Map<String, String> env, Collection<String> known, String program, String reference) {
    List<String> out = new ArrayList<>();
    for (String name : new TreeSet<>(env.keySet())) {
      if (!name.startsWith("POPW_") || known.contains(name) || NOT_SETTINGS.contains(name)) {
        continue;
      }
      String close = closest(name, known);
      out.add(name + " is not a " + program + " setting and is ignored" + (close != null ? "; did you mean " + close + "?"
          : " (settings: " + reference + ")"));
    }
    return out;
  }

  /** The known name at the smallest edit distance, if that distance is small for names this long. */
  static String closest(String name, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : new TreeSet<>(known)) {
      int d = distance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.max(2, Math.min(name.length(), best == null ? 0 : best.length()) / 6) ? best : null;
  }

  /** Levenshtein distance (insertions, deletions, substitutions). */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
