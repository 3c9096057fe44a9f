package dev.popw.coordinator.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The level-walking matcher against a plain reading of MQTT 3.1.1 section 4.7 (split both on
 * {@code /}, compare level by level), over every valid filter and topic built from a small alphabet
 * that hits the edges: empty levels, leading and trailing slashes, {@code $}-topics.
 */
class TopicFilterTest {
  private static final String[] LEVELS = {"", "a", "b", "ab", "+", "#", "$SYS", "$a"};

  /** The reference: the matcher as the broker had it before issue 18's pass. */
  static boolean reference(String filter, String topic) {
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
      return false;
    }
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals("#")) {
        return true;
      }
      if (i >= t.length) {
        return false;
      }
      if (!f[i].equals("+") && !f[i].equals(t[i])) {
        return false;
      }
    }
    return f.length == t.length;
  }

  private static String random(SplittableRandom r, boolean wildcards) {
    int n = r.nextInt(1, 5);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      String l;
      do {
        l = LEVELS[r.nextInt(LEVELS.length)];
      } while (!wildcards && (l.equals("+") || l.equals("#")) || l.startsWith("$") && i > 0);
      b.append(i == 0 ? "" : "/").append(l);
    }
    return b.toString();
  }

  @Test
  void agrees_with_the_split_reading_on_200000_pairs() {
    SplittableRandom r = new SplittableRandom(4_7);
    int matched = 0;
    for (int i = 0; i < 200_000; i++) {
      String filter = random(r, true);
      if (!TopicFilter.valid(filter)) {
        continue;
      }
      String topic = random(r, false);
      boolean expected = reference(filter, topic);
      assertEquals(expected, TopicFilter.matches(filter, topic), () -> "filter '" + filter + "', topic '" + topic + "'");
      matched += expected ? 1 : 0;
    }
    assertTrue(matched > 1_000, "the pairs include matches: " + matched);
  }

  @Test
  void the_rules_and_edges_by_name() {
    assertTrue(TopicFilter.matches("a/+/c", "a/b/c"));
    assertTrue(TopicFilter.matches("a/#", "a/b/c"));
    assertTrue(TopicFilter.matches("a/#", "a"));
    assertFalse(TopicFilter.matches("a/+", "a/b/c"));
    assertFalse(TopicFilter.matches("#", "$SYS/x"));
    assertFalse(TopicFilter.valid("a/#/b"));
    assertFalse(TopicFilter.valid("a/b+"));
    assertTrue(TopicFilter.matches("a/", "a/"));
    assertFalse(TopicFilter.matches("a/", "a"));
    assertFalse(TopicFilter.matches("a", "a/"));
    assertTrue(TopicFilter.matches("+", ""));
    assertTrue(TopicFilter.matches("+/+", "/"));
    assertTrue(TopicFilter.matches("#", ""));
    assertFalse(TopicFilter.matches("+/x", "$SYS/x"));
    assertTrue(TopicFilter.matches("$SYS/#", "$SYS/x"));
    assertTrue(TopicFilter.matches("popw/v1/devices/+/telemetry", "popw/v1/devices/did:key:z6Mk/telemetry"));
    assertFalse(TopicFilter.matches("popw/v1/devices/+/telemetry", "popw/v1/devices/a/b/telemetry"));
    assertFalse(TopicFilter.hasWildcard("popw/v1/devices/a/receipts"));
    assertTrue(TopicFilter.hasWildcard("popw/v1/devices/+/receipts"));
  }
}
