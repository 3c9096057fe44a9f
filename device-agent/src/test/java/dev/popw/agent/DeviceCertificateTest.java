package dev.popw.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.pki.DeviceCertificateAuthority;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's side of device certificates: the checks on what the coordinator sends, and the settings. */
class DeviceCertificateTest {
  @TempDir Path dir;

  private DeviceCertificateAuthority ca() {
    return DeviceCertificateAuthority.loadOrCreate(dir.resolve("ca.key"), dir.resolve("ca.crt"), "popw-test", Duration.ofDays(1),
        Clock.systemUTC());
  }

  /** The JDK-only key comparison agrees with the device id's encoding, whatever the parity of the point. */
  @Test
  void reads_the_devices_key_out_of_its_certificate() {
    DeviceCertificateAuthority ca = ca();
    for (KeyType t : new KeyType[] {KeyType.ED25519, KeyType.ECDSA_P256}) {
      for (int i = 0; i < 16; i++) {
        SoftwareSigner s = SoftwareSigner.generate(t, new SecureRandom());
        assertArrayEquals(s.publicKey(), DeviceCertificate.rawPublicKey(ca.issueDevice(s.deviceId()).getPublicKey()), t.toString());
      }
    }
  }

  @Test
  void refuses_a_certificate_for_another_device_or_another_key() {
    DeviceCertificateAuthority ca = ca();
    SoftwareSigner me = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    SoftwareSigner other = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    DeviceCertificate.check(List.of(ca.issueDevice(me.deviceId()), ca.certificate()), me.deviceId());
    assertTrue(assertThrows(AgentSettingsException.class,
        () -> DeviceCertificate.check(List.of(ca.issueDevice(other.deviceId())), me.deviceId())).getMessage().contains("not this device"));
    X509Certificate myNameOtherKey = ca.issueClient(me.deviceId().toString(), KeyType.ED25519, other.publicKey());
    assertTrue(assertThrows(AgentSettingsException.class, () -> DeviceCertificate.check(List.of(myNameOtherKey), me.deviceId()))
        .getMessage().contains("not for this device's key"));
    DeviceCertificateAuthority elsewhere = DeviceCertificateAuthority.loadOrCreate(dir.resolve("x/ca.key"), dir.resolve("x/ca.crt"), "x",
        Duration.ofDays(1), Clock.systemUTC());
    assertTrue(assertThrows(AgentSettingsException.class, () -> DeviceCertificate.check(List.of(elsewhere.issueDevice(me.deviceId()),
        ca.certificate()), me.deviceId())).getMessage().contains("not signed by the CA"));
  }

  @Test
  void the_transport_takes_the_stored_certificate_for_ssl_only() throws Exception {
    Path state = dir.resolve("state");
    AgentSettings s = AgentSettings.load(null, Map.of("POPW_STATE_DIR", state.toString(), "POPW_TRANSPORT_URL", "ssl://127.0.0.1:8883"));
    assertNull(DeviceCertificate.configured(s), "none stored, none configured");
    Files.createDirectories(state);
    Files.writeString(state.resolve(DeviceCertificate.FILE), "x");
    assertEquals(state.resolve(DeviceCertificate.FILE), DeviceCertificate.configured(s));
    AgentSettings configured = AgentSettings.load(null, Map.of("POPW_TRANSPORT_CERT_FILE", "/etc/popw/device.crt"));
    assertEquals(Path.of("/etc/popw/device.crt"), DeviceCertificate.configured(configured));
    assertTrue(assertThrows(AgentSettingsException.class, () -> Agent.transport(configured)).getMessage().contains("not ssl://"));
    AgentSettings hardware = AgentSettings.load(null, Map.of("POPW_KEY_FILE", "ecc608://i2c-1:0x60"));
    assertTrue(assertThrows(AgentSettingsException.class, () -> DeviceCertificate.keyFile(hardware)).getMessage().contains("PKCS#8 file"));
    assertEquals(Path.of("/k/device.key"), DeviceCertificate.keyFile(AgentSettings.load(null, Map.of("POPW_KEY_FILE", "file:/k/device.key"))));
  }
}
