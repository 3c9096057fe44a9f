package dev.popw.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popw.coordinator.cli.CoordinatorCli;
import dev.popw.coordinator.pki.DeviceCertificateAuthority;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /v1/devices/{id}/certificate and popw-coordinator mosquitto-config. */
class DeviceCertificateApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private Coordinator coordinator() {
    return Coordinator.start(CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(dir.resolve("data"))
        .withCoap("127.0.0.1", -1, -1, Map.of()).withEmbeddedMqtt(-1).withApiPort(0).withBatch(1000, Duration.ofHours(1)));
  }

  private HttpResponse<String> get(Coordinator c, String deviceId) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.apiPort() + "/v1/devices/"
        + URLEncoder.encode(deviceId, StandardCharsets.UTF_8) + "/certificate")).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SoftwareSigner register(Coordinator c, KeyType type) {
    SoftwareSigner s = SoftwareSigner.generate(type, new SecureRandom());
    c.registry().register(Registrations.sign(s, OWNER, DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
    return s;
  }

  @Test
  void a_registered_device_gets_a_certificate_for_its_own_key_then_the_ca() throws Exception {
    byte[] firstCa;
    try (Coordinator c = coordinator()) {
      firstCa = c.deviceCa().certificate().getEncoded();
      assertTrue(Files.exists(dir.resolve("data/device-ca.key")) && Files.exists(dir.resolve("data/device-ca.crt")),
          "the device CA is created on first start, in the data directory");
      for (KeyType type : new KeyType[] {KeyType.ED25519, KeyType.ECDSA_P256}) {
        SoftwareSigner device = register(c, type);
        HttpResponse<String> r = get(c, device.deviceId().toString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/x-pem-file", r.headers().firstValue("Content-Type").orElse(""));
        List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.US_ASCII))).stream()
            .map(X509Certificate.class::cast).toList();
        assertEquals(2, chain.size(), "the device's certificate, then the CA's");
        assertArrayEquals(c.deviceCa().certificate().getEncoded(), chain.get(1).getEncoded());
        chain.get(0).verify(chain.get(1).getPublicKey());
        assertEquals(new X500Principal("CN=" + device.deviceId()), chain.get(0).getSubjectX500Principal());
        assertArrayEquals(device.publicKey(), DeviceCertificateAuthority.rawPublicKey(chain.get(0).getPublicKey()));
      }
      SoftwareSigner k1 = register(c, KeyType.ECDSA_SECP256K1);
      HttpResponse<String> refused = get(c, k1.deviceId().toString());
      assertEquals(409, refused.statusCode(), refused.body());
      assertTrue(JSON.readTree(refused.body()).get("error").asText().contains("secp256k1"), refused.body());

      HttpResponse<String> unknown = get(c, SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId().toString());
      assertEquals(404, unknown.statusCode());
      assertTrue(JSON.readTree(unknown.body()).get("error").asText().startsWith("no registered device"), unknown.body());
      assertEquals(404, get(c, "not-a-device").statusCode());

      SoftwareSigner inactive = register(c, KeyType.ED25519);
      c.registry().setActive(inactive.deviceId(), false);
      HttpResponse<String> off = get(c, inactive.deviceId().toString());
      assertEquals(403, off.statusCode(), off.body());
      assertTrue(JSON.readTree(off.body()).get("error").asText().contains("INACTIVE"), off.body());

      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.apiPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String line : new String[] {"popw_device_certificates_total{outcome=\"issued\"} 2.0",
          "popw_device_certificates_total{outcome=\"unsupported_key\"} 1.0", "popw_device_certificates_total{outcome=\"unknown_device\"} 2.0",
          "popw_device_certificates_total{outcome=\"inactive\"} 1.0"}) {
        assertTrue(metrics.contains(line), line + " in\n" + metrics);
      }
    }
    try (Coordinator c = coordinator()) {
      assertArrayEquals(firstCa, c.deviceCa().certificate().getEncoded(), "the next start loads the same CA");
    }
  }

  @Test
  void mosquitto_config_writes_the_bundle_and_reports_mistakes_in_one_line() throws Exception {
    assertEquals(0, CoordinatorCli.execute("mosquitto-config", "--help"));
    Path settings = dir.resolve("c.toml");
    Files.writeString(settings, "data_dir = \"" + dir.resolve("data") + "\"\n");
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(stdout, true));
    System.setErr(new PrintStream(stderr, true));
    try {
      assertEquals(0, CoordinatorCli.execute("mosquitto-config", dir.resolve("bundle").toString(), "-c", settings.toString(),
          "--host", "broker.example.org", "--port", "8884"));
      assertTrue(stdout.toString().contains("url = \"ssl://broker.example.org:8884\""), stdout.toString());
      assertTrue(Files.exists(dir.resolve("data/device-ca.crt")), "the CLI created the data directory's device CA");
      assertEquals(1, CoordinatorCli.execute("mosquitto-config", dir.resolve("bundle").toString(), "-c", settings.toString()));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    String e = stderr.toString();
    assertTrue(e.startsWith("popw-coordinator: ") && e.contains("already exists"), e);
    assertEquals(1, e.strip().lines().count(), "one line, no stack trace: " + e);
  }
}
