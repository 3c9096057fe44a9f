package dev.popw.agent;

import dev.popw.identity.DeviceId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * The device's MQTT client certificate, which the coordinator's device CA issues for the device's
 * own key ({@code GET /v1/devices/{id}/certificate}, docs/mosquitto.md): {@code popw-agent register}
 * stores it in the state directory, and an {@code ssl://} transport presents it, with the device
 * key, to a broker that authenticates devices by certificate. JDK only.
 */
public final class DeviceCertificate {
  /** The device's certificate, then the CA's, in the state directory. */
  public static final String FILE = "device.crt";
  /** The device CA's certificate alone, in the state directory: {@code transport.ca_file} for a broker whose certificate it issued. */
  public static final String CA_FILE = "coordinator-ca.crt";

  private DeviceCertificate() {}

  /**
   * Fetches and stores the device's certificate.
   *
   * @return one line for the user: where it is stored and until when it is valid, or why there is none
   */
  public static String fetch(HttpClient http, String apiBase, DeviceId device, Path stateDir) throws IOException {
    HttpResponse<String> r;
    try {
      r = http.send(HttpRequest.newBuilder(URI.create(apiBase + "/v1/devices/" + URLEncoder.encode(device.toString(), StandardCharsets.UTF_8)
          + "/certificate")).timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return "no MQTT client certificate: cannot reach " + apiBase + " (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "no MQTT client certificate: interrupted";
    }
    if (r.statusCode() != 200) {
      String why = r.body();
      try {
        why = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("error").asText(r.body());
      } catch (IOException e) {
        // not JSON: show the body
      }
      return "no MQTT client certificate (needed only for a broker that authenticates devices by certificate): " + why;
    }
    List<X509Certificate> chain = parse(r.body());
    check(chain, device);
    X509Certificate ca = chain.get(chain.size() - 1);
    write(stateDir.resolve(CA_FILE), pem(ca));
    write(stateDir.resolve(FILE), r.body());
    return "MQTT client certificate for this device's key stored in " + stateDir.resolve(FILE) + " (valid until "
        + chain.get(0).getNotAfter().toInstant() + "); the CA's alone in " + stateDir.resolve(CA_FILE);
  }

  /**
   * Checks that a certificate chain names this device and certifies its own key: whoever answers
   * at the API address must not hand the agent someone else's certificate.
   *
   * @throws AgentSettingsException naming what does not match
   */
  static void check(List<X509Certificate> chain, DeviceId device) {
    X509Certificate leaf = chain.get(0);
    if (!leaf.getSubjectX500Principal().equals(new X500Principal("CN=" + device))) {
      throw new AgentSettingsException("the coordinator's certificate names " + leaf.getSubjectX500Principal().getName()
          + ", not this device (" + device + "); not stored");
    }
    if (!Arrays.equals(rawPublicKey(leaf.getPublicKey()), device.publicKey())) {
      throw new AgentSettingsException("the coordinator's certificate is not for this device's key; not stored");
    }
    if (chain.size() > 1) {
      try {
        leaf.verify(chain.get(chain.size() - 1).getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new AgentSettingsException("the coordinator's certificate is not signed by the CA it came with (" + e.getMessage()
            + "); not stored");
      }
    }
  }

  static List<X509Certificate> parse(String pem) {
    try {
      List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).stream()
          .map(X509Certificate.class::cast).toList();
      if (chain.isEmpty()) {
        throw new AgentSettingsException("the coordinator answered the certificate request with no certificate");
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new AgentSettingsException("the coordinator's certificate is unreadable: " + e.getMessage());
    }
  }

  /** The canonical encoding of the key, as in the device id: Ed25519 32 bytes, EC 33 bytes compressed. */
  static byte[] rawPublicKey(PublicKey key) {
    if (key instanceof ECPublicKey) {
      ECPublicKey ec = (ECPublicKey) key;
      byte[] out = new byte[33];
      out[0] = (byte) (ec.getW().getAffineY().testBit(0) ? 3 : 2);
      System.arraycopy(fixed32(ec.getW().getAffineX()), 0, out, 1, 32);
      return out;
    }
    if (key instanceof EdECPublicKey) {
      EdECPublicKey ed = (EdECPublicKey) key;
      byte[] bigEndian = fixed32(ed.getPoint().getY());
      byte[] out = new byte[32];
      for (int i = 0; i < 32; i++) {
        out[i] = bigEndian[31 - i];
      }
      if (ed.getPoint().isXOdd()) {
        out[31] |= (byte) 0x80;
      }
      return out;
    }
    return key.getEncoded();
  }

  private static byte[] fixed32(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, 32 - len, len);
    return out;
  }

  private static String pem(X509Certificate c) {
    try {
      return "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(c.getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new AgentSettingsException("cannot encode the CA certificate: " + e.getMessage());
    }
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The client certificate an {@code ssl://} transport presents: {@code transport.cert_file}, else
   * the stored {@value #FILE} when there is one, else none (null).
   */
  public static Path configured(AgentSettings s) {
    String configured = s.string("transport.cert_file");
    if (!configured.isBlank()) {
      return Path.of(configured.trim());
    }
    Path stored = s.path("state_dir").resolve(FILE);
    return Files.exists(stored) ? stored : null;
  }

  /**
   * The device key as a file for TLS: {@code key_file} when it is a path or a {@code file:} URI.
   *
   * @throws AgentSettingsException when the key is held elsewhere (a hardware signer)
   */
  public static Path keyFile(AgentSettings s) {
    String k = s.string("key_file").trim();
    if (k.startsWith("file:")) {
      return Path.of(URI.create(k));
    }
    int colon = k.indexOf(':');
    if (colon > 1 && k.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
      throw new AgentSettingsException("a client certificate needs the device key in a PKCS#8 file for TLS, but key_file is '" + k
          + "'; leave transport.cert_file empty and remove " + FILE + " from state_dir, or use a broker without client certificates");
    }
    return Path.of(k);
  }
}
