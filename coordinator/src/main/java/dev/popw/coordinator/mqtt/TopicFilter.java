package dev.popw.coordinator.mqtt;

/** MQTT topic filter matching: {@code +} one level, {@code #} the rest (MQTT 3.1.1 section 4.7). */
final class TopicFilter {
  private TopicFilter() {}

  static boolean matches(String filter, String topic) {
    String[] f = filter.split("/", -1);
    String[] t = topic.split("/", -1);
    if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
      return false; // wildcards do not match $-topics at the first level
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
