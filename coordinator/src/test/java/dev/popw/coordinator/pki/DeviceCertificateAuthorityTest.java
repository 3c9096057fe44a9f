package dev.popw.coordinator.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DeviceCertificateAuthorityTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  private DeviceCertificateAuthority ca() {
    return DeviceCertificateAuthority.loadOrCreate(dir.resolve("ca.key"), dir.resolve("ca.crt"), "popw-test", Duration.ofDays(30), CLOCK);
  }

  @Test
  void is_created_on_first_use_with_an_owner_only_key_and_loaded_afterwards() throws Exception {
    X509Certificate first = ca().certificate();
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    assertTrue(first.getBasicConstraints() >= 0, "a CA certificate");
    assertEquals(first.getSubjectX500Principal(), first.getIssuerX500Principal(), "self-signed");
    first.verify(first.getPublicKey());
    assertTrue(first.getSubjectX500Principal().getName().contains("O=popw-test"), first.getSubjectX500Principal().getName());
    assertArrayEquals(first.getEncoded(), ca().certificate().getEncoded(), "the second start loads the same CA");
  }

  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"ED25519", "ECDSA_P256"})
  void issues_a_client_certificate_for_the_devices_own_key_named_by_its_device_id(KeyType type) throws Exception {
    DeviceCertificateAuthority ca = ca();
    SoftwareSigner device = SoftwareSigner.generate(type, new SecureRandom());
    X509Certificate c = ca.issueDevice(device.deviceId());
    c.verify(ca.certificate().getPublicKey());
    assertEquals(new X500Principal("CN=" + device.deviceId()), c.getSubjectX500Principal());
    assertArrayEquals(device.publicKey(), DeviceCertificateAuthority.rawPublicKey(c.getPublicKey()), "the device's own key");
    assertEquals(List.of("1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage(), "clientAuth only: not usable as a server certificate");
    assertEquals(-1, c.getBasicConstraints(), "not a CA");
    Collection<List<?>> san = c.getSubjectAlternativeNames();
    assertEquals(List.of(List.of(6, device.deviceId().toString())), List.copyOf(san), "the did:key as a URI name");
    assertEquals(CLOCK.instant().minus(DeviceCertificateAuthority.BACKDATE), c.getNotBefore().toInstant());
    assertEquals(CLOCK.instant().plus(Duration.ofDays(30)), c.getNotAfter().toInstant());
    assertFalse(c.getSerialNumber().equals(ca.issueDevice(device.deviceId()).getSerialNumber()), "random serial numbers");
  }

  @Test
  void never_issues_past_its_own_end() {
    DeviceCertificateAuthority ca = DeviceCertificateAuthority.loadOrCreate(dir.resolve("ca.key"), dir.resolve("ca.crt"), "popw-test",
        Duration.ofDays(100_000), CLOCK);
    X509Certificate c = ca.issueDevice(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId());
    assertEquals(ca.certificate().getNotAfter(), c.getNotAfter());
  }

  @Test
  void refuses_secp256k1_devices_which_cannot_do_tls() {
    PkiException e = assertThrows(PkiException.class,
        () -> ca().issueDevice(SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, new SecureRandom()).deviceId()));
    assertTrue(e.unsupportedKey());
    assertTrue(e.getMessage().contains("secp256k1"), e.getMessage());
  }

  @Test
  void issues_server_certificates_for_host_names_and_addresses() throws Exception {
    DeviceCertificateAuthority ca = ca();
    SoftwareSigner key = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
    X509Certificate c = ca.issueServer(List.of("broker.example.org", "127.0.0.1"), KeyType.ECDSA_P256, key.publicKey());
    c.verify(ca.certificate().getPublicKey());
    assertEquals(List.of(List.of(2, "broker.example.org"), List.of(7, "127.0.0.1")), List.copyOf(c.getSubjectAlternativeNames()));
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), c.getExtendedKeyUsage(), "serverAuth");
  }

  @Test
  void a_lost_certificate_is_issued_again_for_the_same_key_and_earlier_certificates_still_verify() throws Exception {
    DeviceCertificateAuthority ca = ca();
    X509Certificate device = ca.issueDevice(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId());
    Files.delete(dir.resolve("ca.crt"));
    X509Certificate renewed = ca().certificate();
    device.verify(renewed.getPublicKey());
    assertEquals(ca.certificate().getSubjectX500Principal(), renewed.getSubjectX500Principal());
  }

  @Test
  void unusable_files_are_named() throws Exception {
    ca();
    // a certificate that is not the key's
    Path otherDir = dir.resolve("other");
    DeviceCertificateAuthority.loadOrCreate(otherDir.resolve("ca.key"), otherDir.resolve("ca.crt"), "x", Duration.ofDays(1), CLOCK);
    Files.copy(otherDir.resolve("ca.crt"), dir.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertTrue(assertThrows(PkiException.class, this::ca).getMessage().contains("is not the certificate of the key"));
    // a certificate without its key
    Files.delete(dir.resolve("ca.key"));
    assertTrue(assertThrows(PkiException.class, this::ca).getMessage().contains("exists but its key"));
    assertFalse(Files.exists(dir.resolve("ca.key")), "no new key is made for an existing certificate");
    // a key readable by others
    Files.delete(dir.resolve("ca.crt"));
    KeyFiles.generate(KeyType.ECDSA_P256, dir.resolve("ca.key"));
    Files.setPosixFilePermissions(dir.resolve("ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
    assertTrue(assertThrows(PkiException.class, this::ca).getMessage().contains("chmod 600"));
    // a key of another type
    Files.delete(dir.resolve("ca.key"));
    KeyFiles.generate(KeyType.ED25519, dir.resolve("ca.key"));
    assertTrue(assertThrows(PkiException.class, this::ca).getMessage().contains("signs with P-256"));
  }
}
