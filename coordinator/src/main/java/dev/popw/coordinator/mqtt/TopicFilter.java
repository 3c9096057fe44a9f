package dev.popw.coordinator.mqtt;

/** MQTT topic filter matching: {@code +} one level, {@code #} the rest (MQTT 3.1.1 section 4.7). */
final class TopicFilter {
  private TopicFilter() {}

  /**
   * Whether {@code filter} matches {@code topic}. Walks both strings level by level without
   * splitting them: the broker calls it for every message it routes (issue 18).
   */
  static boolean matches(String filter, String topic) {
    int fl = filter.length();
    int tl = topic.length();
    if (topic.startsWith("$") && fl > 0 && (filter.charAt(0) == '+' || filter.charAt(0) == '#') && (fl == 1 || filter.charAt(1) == '/')) {
      return false; // wildcards do not match $-topics at the first level
    }
    int fi = 0;
    int ti = 0;
    for (;;) {
      int fe = filter.indexOf('/', fi);
      fe = fe < 0 ? fl : fe;
      boolean single = fe - fi == 1;
      if (single && filter.charAt(fi) == '#') {
        return true;
      }
      if (ti > tl) {
        return false; // the topic has fewer levels
      }
      int te = topic.indexOf('/', ti);
      te = te < 0 ? tl : te;
      if (!(single && filter.charAt(fi) == '+') && (fe - fi != te - ti || !filter.regionMatches(fi, topic, ti, fe - fi))) {
        return false;
      }
      fi = fe + 1;
      ti = te + 1;
      if (fi > fl) {
        return ti > tl; // the filter's last level: a match when it was the topic's last too
      }
    }
  }

  /** Whether the filter has a wildcard level ({@code +} or {@code #}); false for a plain topic name. */
  static boolean hasWildcard(String filter) {
    return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
  }

  static boolean valid(String filter) {
    if (filter.isEmpty()) {
      return false;
    }
    String[] f = filter.split("/", -1);
    for (int i = 0; i < f.length; i++) {
      if (f[i].contains("#") && (!f[i].equals("#") || i != f.length - 1)) {
        return false;
      }
      if (f[i].contains("+") && !f[i].equals("+")) {
        return false;
      }
    }
    return true;
  }
}
