package dev.popw.coordinator.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.transport.mqtt.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MosquittoBundleTest {
  @TempDir Path dir;

  private DeviceCertificateAuthority ca() {
    return DeviceCertificateAuthority.loadOrCreate(dir.resolve("ca/ca.key"), dir.resolve("ca/ca.crt"), "popw-test", Duration.ofDays(30),
        Clock.systemUTC());
  }

  /** The ACL's patterns, with %u as Mosquitto fills it in (the certificate's CN), are exactly the device's topics. */
  @Test
  void the_acl_gives_a_device_its_own_topics_only_and_the_coordinator_the_prefix() {
    SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    String acl = MosquittoBundle.acl(Topics.PREFIX, "popw-coordinator-1");
    List<String> rules = acl.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    String u = device.deviceId().toString();
    assertEquals(List.of("pattern write " + Topics.telemetry(Topics.PREFIX, device.deviceId()),
        "pattern read " + Topics.receipts(Topics.PREFIX, device.deviceId()),
        "pattern read " + Topics.PREFIX + "/" + u + "/challenges",
        "user popw-coordinator-1", "topic readwrite " + Topics.PREFIX + "/#"),
        rules.stream().map(r -> r.replace("%u", u)).toList());
  }

  @Test
  void writes_every_file_with_owner_only_keys_and_certificates_from_the_ca() throws Exception {
    DeviceCertificateAuthority ca = ca();
    Path out = dir.resolve("bundle");
    List<Path> files = MosquittoBundle.write(ca, out, new MosquittoBundle.Options(Path.of("/etc/mosquitto/popw"), "popw-coordinator-1",
        List.of("broker.example.org"), 8883, null, Topics.PREFIX));
    assertEquals(MosquittoBundle.FILES.size(), files.size());
    for (Path f : files) {
      assertTrue(Files.size(f) > 0, f.toString());
    }
    for (String key : new String[] {"server.key", "coordinator.key"}) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(key))), key);
    }
    assertArrayEquals(ca.certificate().getEncoded(), DeviceCertificateAuthority.readCertificates(out.resolve("ca.crt")).get(0).getEncoded());
    X509Certificate coordinator = DeviceCertificateAuthority.readCertificates(out.resolve("coordinator.crt")).get(0);
    coordinator.verify(ca.certificate().getPublicKey());
    assertEquals(new X500Principal("CN=popw-coordinator-1"), coordinator.getSubjectX500Principal(), "the ACL's user");
    assertArrayEquals(KeyFiles.load(out.resolve("coordinator.key")).publicKey(), DeviceCertificateAuthority.rawPublicKey(coordinator.getPublicKey()));
    X509Certificate server = DeviceCertificateAuthority.readCertificates(out.resolve("server.crt")).get(0);
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage());
    assertArrayEquals(KeyFiles.load(out.resolve("server.key")).publicKey(), DeviceCertificateAuthority.rawPublicKey(server.getPublicKey()));
    String conf = Files.readString(out.resolve("mosquitto.conf"));
    for (String line : new String[] {"allow_anonymous false", "acl_file /etc/mosquitto/popw/acl", "listener 8883", "cafile /etc/mosquitto/popw/ca.crt",
        "certfile /etc/mosquitto/popw/server.crt", "keyfile /etc/mosquitto/popw/server.key", "require_certificate true",
        "use_identity_as_username true", "use_username_as_clientid true"}) {
      assertTrue(conf.lines().anyMatch(line::equals), line + " in\n" + conf);
    }
    PkiException again = assertThrows(PkiException.class, () -> MosquittoBundle.write(ca, out,
        new MosquittoBundle.Options(out, "popw-coordinator-1", List.of("localhost"), 8883, null, Topics.PREFIX)));
    assertTrue(again.getMessage().contains("already exists"), again.getMessage());
  }

  /** The coordinator's name gets rights over every device's topics: it must not be a device id. */
  @Test
  void refuses_a_coordinator_name_that_could_be_a_device() {
    String did = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId().toString();
    for (String bad : new String[] {did, "", "a/b", "a#", "a+b", "has space"}) {
      assertThrows(PkiException.class, () -> MosquittoBundle.checkCoordinatorName(bad), bad);
    }
    MosquittoBundle.checkCoordinatorName("popw-coordinator-1");
  }
}
