package dev.popw.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.popw.settings.EnvironmentCheck;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's settings: built-in defaults (the commented sample {@code device-agent/config/agent.toml},
 * packed in the jar, is the reference and must list every key), then the settings file, then
 * {@code POPW_<SECTION>_<KEY>} environment variables ({@code sources.gpu.enabled} →
 * {@code POPW_SOURCES_GPU_ENABLED}). Unknown keys and wrong types are errors that name the key; unknown
 * {@code POPW_*} variables are warnings ({@link #unknownVariables}).
 */
public final class AgentSettings {
  private final Map<String, Object> values;

  private AgentSettings(Map<String, Object> values) {
    this.values = values;
  }

  /** The defaults, as the sample file in the jar gives them. */
  public static Map<String, Object> defaults() {
    try (InputStream in = AgentSettings.class.getResourceAsStream("agent.toml")) {
      Map<String, Object> m = new LinkedHashMap<>();
      flatten("", new TomlMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)), m, null, null);
      return m;
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the built-in agent.toml is missing from the jar", e);
    }
  }

  /**
   * @param file the settings file, or null for defaults and environment only
   * @throws AgentSettingsException naming the problem
   */
  public static AgentSettings load(Path file, Map<String, String> env) {
    Map<String, Object> defaults = defaults();
    Map<String, Object> v = new LinkedHashMap<>(defaults);
    if (file != null) {
      JsonNode root;
      try {
        root = new TomlMapper().readTree(Files.readString(file));
      } catch (NoSuchFileException e) {
        throw new AgentSettingsException("settings file " + file + " does not exist (a commented sample: device-agent/config/agent.toml)");
      } catch (IOException e) {
        throw new AgentSettingsException("settings file " + file + " is not valid TOML: " + e.getMessage().split("\n")[0]);
      }
      flatten("", root, v, defaults, file);
    }
    for (Map.Entry<String, Object> d : defaults.entrySet()) {
      String name = envName(d.getKey());
      String text = env.get(name);
      if (text != null) {
        v.put(d.getKey(), convert(d.getKey(), text.trim(), d.getValue(), name));
      }
    }
    return new AgentSettings(v);
  }

  /**
   * Warnings for {@code POPW_*} variables in {@code env} that name no agent setting (a misspelled
   * override would otherwise be ignored without a word), each naming the likely intended variable
   * when one is close. Warnings, not errors: the environment is shared with the coordinator and the
   * launchers.
   */
  public static List<String> unknownVariables(Map<String, String> env) {
    return EnvironmentCheck.unknownVariables(env, defaults().keySet().stream().map(AgentSettings::envName).toList(), "popw-agent",
        "device-agent/config/agent.toml");
  }

  public static String envName(String key) {
    return "POPW_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  private static void flatten(String prefix, JsonNode node, Map<String, Object> out, Map<String, Object> known, Path file) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      JsonNode n = e.getValue();
      if (n.isObject()) {
        flatten(key + ".", n, out, known, file);
        continue;
      }
      Object value = n.isBoolean() ? (Object) n.asBoolean() : n.isIntegralNumber() ? (Object) n.asLong()
          : n.isNumber() ? (Object) n.asDouble() : n.isTextual() ? n.asText() : null;
      if (value == null) {
        throw new AgentSettingsException("setting '" + key + "' in " + file + " has an unsupported type");
      }
      if (known != null) {
        Object def = known.get(key);
        if (def == null) {
          throw new AgentSettingsException("unknown setting '" + key + "' in " + file + " (see device-agent/config/agent.toml)");
        }
        value = convert(key, value, def, "in " + file);
      }
      out.put(key, value);
    }
  }

  private static Object convert(String key, Object value, Object like, String where) {
    String text = value.toString();
    if (like instanceof Boolean) {
      if (value instanceof Boolean) {
        return value;
      }
      if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(text.toLowerCase(Locale.ROOT));
      }
      throw new AgentSettingsException("setting '" + key + "' (" + where + ") must be true or false, got '" + text + "'");
    }
    if (like instanceof Long) {
      try {
        return value instanceof Long ? (Long) value : text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new AgentSettingsException("setting '" + key + "' (" + where + ") must be an integer, got '" + text + "'");
      }
    }
    if (like instanceof Double) {
      try {
        return value instanceof Number ? ((Number) value).doubleValue() : Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new AgentSettingsException("setting '" + key + "' (" + where + ") must be a number, got '" + text + "'");
      }
    }
    if (!(value instanceof String)) {
      throw new AgentSettingsException("setting '" + key + "' (" + where + ") must be a string (in quotes)");
    }
    return value;
  }

  public String string(String key) {
    return (String) get(key);
  }

  public boolean bool(String key) {
    return (Boolean) get(key);
  }

  /** An integer setting, checked against a range. */
  public long integer(String key, long min, long max) {
    long n = (Long) get(key);
    if (n < min || n > max) {
      throw new AgentSettingsException("setting '" + key + "' must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  /** A 7-bit I2C address (0x03 to 0x77), named in hex in the error as datasheets and i2cdetect write it. */
  public int i2cAddress(String key) {
    long n = (Long) get(key);
    if (n < 0x03 || n > 0x77) {
      throw new AgentSettingsException("setting '" + key + "' must be an I2C address from 0x03 to 0x77, got "
          + (n < 0 ? Long.toString(n) : "0x" + Long.toHexString(n)));
    }
    return (int) n;
  }

  public double number(String key) {
    return (Double) get(key);
  }

  public Duration seconds(String key, long min, long max) {
    return Duration.ofSeconds(integer(key, min, max));
  }

  /** A path setting; relative paths are relative to the working directory. */
  public Path path(String key) {
    String s = string(key);
    if (s.isBlank()) {
      throw new AgentSettingsException("setting '" + key + "' must not be empty");
    }
    return Path.of(s);
  }

  /** The effective values, for {@code popw-agent info}. */
  public Map<String, Object> values() {
    return java.util.Collections.unmodifiableMap(values);
  }

  private Object get(String key) {
    Object v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("no setting " + key);
    }
    return v;
  }
}
