package dev.popw.identity.pkcs11;

import dev.popw.identity.SignerException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A PKCS#11 URI (RFC 7512) naming a device key: {@code
 * pkcs11:token=popw;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/popw/pin}.
 *
 * <p>Path attributes: {@code token} (the token label), {@code object} (the key's label), {@code id}
 * (its CKA_ID, percent-encoded bytes), {@code serial}, {@code manufacturer}, {@code model}, {@code
 * slot-id}, {@code type} ({@code private} or absent). Query attributes: {@code module-path}, {@code
 * pin-source}: {@code file:/path} (RFC 7512) or {@code env:NAME} (our extension: an environment
 * variable). Without {@code pin-source} the PIN comes from {@code POPW_PKCS11_PIN}. {@code pin-value}
 * is refused: a PIN on the command line is visible to every user of the machine.
 */
public final class Pkcs11Uri {
  /** The environment variable read when the URI has no {@code pin-source}. */
  public static final String DEFAULT_PIN_VARIABLE = "POPW_PKCS11_PIN";
  private static final Set<String> PATH_ATTRS = Set.of("token", "object", "id", "serial", "manufacturer", "model", "slot-id", "type",
      "library-manufacturer", "library-description", "library-version", "slot-manufacturer", "slot-description");
  private static final Set<String> QUERY_ATTRS = Set.of("module-path", "module-name", "pin-source", "pin-value");
  private static final int MAX_PIN_FILE = 256;

  private final String text;
  private final Map<String, byte[]> path;
  private final Map<String, String> query;

  private Pkcs11Uri(String text, Map<String, byte[]> path, Map<String, String> query) {
    this.text = text;
    this.path = path;
    this.query = query;
  }

  /**
   * Parses a {@code pkcs11:} URI.
   *
   * @throws SignerException naming what is wrong
   */
  public static Pkcs11Uri parse(String uri) {
    String s = uri == null ? "" : uri.strip();
    if (!s.regionMatches(true, 0, "pkcs11:", 0, 7)) {
      throw new SignerException("not a PKCS#11 URI (expected pkcs11:token=...;object=...?module-path=...): " + s);
    }
    String rest = s.substring(7);
    int q = rest.indexOf('?');
    String p = q < 0 ? rest : rest.substring(0, q);
    Map<String, byte[]> path = new LinkedHashMap<>();
    for (String part : p.split(";", -1)) {
      if (part.isEmpty()) {
        continue;
      }
      String[] kv = keyValue(part, s);
      if (!PATH_ATTRS.contains(kv[0])) {
        throw new SignerException("unknown PKCS#11 URI attribute '" + kv[0] + "' in " + s + " (known: token, object, id, serial, "
            + "manufacturer, model, slot-id, type)");
      }
      path.put(kv[0], decode(kv[1], s));
    }
    Map<String, String> query = new LinkedHashMap<>();
    if (q >= 0) {
      for (String part : rest.substring(q + 1).split("&", -1)) {
        if (part.isEmpty()) {
          continue;
        }
        String[] kv = keyValue(part, s);
        if (!QUERY_ATTRS.contains(kv[0])) {
          throw new SignerException("unknown PKCS#11 URI query attribute '" + kv[0] + "' in " + s
              + " (known: module-path, pin-source)");
        }
        query.put(kv[0], new String(decode(kv[1], s), StandardCharsets.UTF_8));
      }
    }
    if (query.containsKey("pin-value")) {
      throw new SignerException("pin-value in a signer URI is refused (command lines and settings are readable by others): use "
          + "pin-source=file:/path/to/pin (mode 0600) or pin-source=env:VARIABLE, or set " + DEFAULT_PIN_VARIABLE);
    }
    if (!query.containsKey("module-path")) {
      throw new SignerException("the PKCS#11 URI needs module-path (the token's library), for example "
          + "?module-path=/usr/lib/softhsm/libsofthsm2.so: " + s);
    }
    if (path.containsKey("type") && !"private".equals(str(path.get("type")))) {
      throw new SignerException("a device signer is a private key: type must be 'private' or absent in " + s);
    }
    if (!path.containsKey("object") && !path.containsKey("id")) {
      throw new SignerException("the PKCS#11 URI must name the key with object=LABEL or id=%xx...: " + s);
    }
    return new Pkcs11Uri(s, path, query);
  }

  private static String[] keyValue(String part, String uri) {
    int eq = part.indexOf('=');
    if (eq <= 0) {
      throw new SignerException("malformed PKCS#11 URI attribute '" + part + "' in " + uri + " (expected name=value)");
    }
    return new String[] {part.substring(0, eq).toLowerCase(java.util.Locale.ROOT), part.substring(eq + 1)};
  }

  private static byte[] decode(String v, String uri) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b = v.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '%') {
        if (i + 2 >= b.length) {
          throw new SignerException("bad percent-encoding in " + uri);
        }
        int hi = Character.digit(b[i + 1], 16);
        int lo = Character.digit(b[i + 2], 16);
        if (hi < 0 || lo < 0) {
          throw new SignerException("bad percent-encoding in " + uri);
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(b[i]);
      }
    }
    return out.toByteArray();
  }

  private static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  public Path modulePath() {
    return Path.of(query.get("module-path"));
  }

  /** The token label, or null (any token). */
  public String token() {
    return str(path.get("token"));
  }

  public String serial() {
    return str(path.get("serial"));
  }

  public String manufacturer() {
    return str(path.get("manufacturer"));
  }

  public String model() {
    return str(path.get("model"));
  }

  /** The key's label (CKA_LABEL), or null. */
  public String object() {
    return str(path.get("object"));
  }

  /** The key's CKA_ID, or null. */
  public byte[] id() {
    byte[] id = path.get("id");
    return id == null ? null : id.clone();
  }

  /** The slot id, or null. */
  public Long slotId() {
    String v = str(path.get("slot-id"));
    if (v == null) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new SignerException("slot-id must be a number in " + text);
    }
  }

  /** Where the PIN comes from, as the user wrote it (for messages; never the PIN). */
  public String pinSource() {
    return query.getOrDefault("pin-source", "env:" + DEFAULT_PIN_VARIABLE);
  }

  /**
   * Reads the PIN from its source.
   *
   * @param env the environment (System.getenv() in production)
   * @throws SignerException if the source is missing or unreadable
   */
  public char[] readPin(Map<String, String> env) {
    String src = pinSource();
    if (src.startsWith("env:")) {
      String name = src.substring(4);
      String v = env.get(name);
      if (v == null || v.isEmpty()) {
        throw new SignerException("no PIN for the PKCS#11 token: environment variable " + name + " is not set (pin-source " + src + ")");
      }
      return v.toCharArray();
    }
    if (src.startsWith("file:")) {
      Path f = Path.of(src.startsWith("file://") ? src.substring(7) : src.substring(5));
      try {
        if (Files.size(f) > MAX_PIN_FILE) {
          throw new SignerException("PIN file " + f + " is larger than " + MAX_PIN_FILE + " bytes: is it the right file?");
        }
        String pin = Files.readString(f, StandardCharsets.UTF_8).strip();
        if (pin.isEmpty()) {
          throw new SignerException("PIN file " + f + " is empty");
        }
        return pin.toCharArray();
      } catch (IOException e) {
        throw new SignerException("cannot read the PIN file " + f + " (pin-source " + src + "): " + e.getMessage());
      }
    }
    throw new SignerException("pin-source must be file:/path or env:VARIABLE, got '" + src + "'");
  }

  @Override
  public String toString() {
    return text;
  }
}
