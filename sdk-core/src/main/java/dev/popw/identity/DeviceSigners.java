package dev.popw.identity;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Opens a device signer from a URI.
 *
 * <ul>
 *   <li>{@code file:/path/device.key} or a plain path: a PKCS#8 PEM key file ({@link KeyFiles});
 *   <li>{@code pkcs11:token=...;object=...?module-path=...&pin-source=file:...}: a key in a PKCS#11
 *       token or a TPM 2.0 ({@link dev.popw.identity.pkcs11.Pkcs11Signer}, registered in sdk-core);
 *   <li>any other scheme: a {@link SignerProvider} found with {@link ServiceLoader}, for example the
 *       device agent's {@code ecc608://i2c-1:0x60?slot=0} (an ATECC608 over Pi4J). See
 *       docs/hardware-keys.md.
 * </ul>
 */
public final class DeviceSigners {
  private DeviceSigners() {}

  /**
   * Opens the signer named by {@code uriOrPath}.
   *
   * @throws SignerException with a message fit for the user: unknown scheme, missing or unsafe key
   *     file, unsupported key
   */
  public static DeviceSigner open(String uriOrPath) {
    if (uriOrPath == null || uriOrPath.isBlank()) {
      throw new SignerException("no signer given: expected a key file path or a URI such as file:/etc/popw/device.key");
    }
    String s = uriOrPath.trim();
    int colon = s.indexOf(':');
    boolean hasScheme = colon > 1 && s.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
    if (!hasScheme) {
      return KeyFiles.load(Path.of(s));
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new SignerException("not a valid signer URI '" + s + "': " + e.getReason());
    }
    return open(uri);
  }

  /**
   * Opens the signer named by {@code uri}.
   *
   * @throws SignerException with a message fit for the user
   */
  public static DeviceSigner open(URI uri) {
    String scheme = uri.getScheme() == null ? "file" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("file")) {
      String path = uri.getPath() != null ? uri.getPath() : uri.getSchemeSpecificPart();
      return KeyFiles.load(Path.of(path));
    }
    List<String> known = new ArrayList<>();
    known.add("file");
    for (SignerProvider p : ServiceLoader.load(SignerProvider.class)) {
      if (p.scheme().equalsIgnoreCase(scheme)) {
        return p.open(uri);
      }
      known.add(p.scheme());
    }
    throw new SignerException("no signer available for '" + scheme + ":' URIs (" + uri + "); supported: " + String.join(", ", known));
  }
}
