package dev.popw.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.keys.Schemes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyFilesTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void generated_key_file_is_owner_only_and_loads_back(KeyType type) throws IOException {
    Path file = dir.resolve("device.key");
    SoftwareSigner written = KeyFiles.generate(type, file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertTrue(Files.readString(file).startsWith("-----BEGIN PRIVATE KEY-----\n"));
    try (DeviceSigner loaded = DeviceSigners.open("file:" + file.toAbsolutePath())) {
      assertEquals(written.deviceId(), loaded.deviceId());
      byte[] msg = "hello".getBytes();
      assertEquals(SignatureCheck.VALID, Schemes.decodePublicKey(type, loaded.publicKey()).verify(msg, 0, msg.length, loaded.sign(msg)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r-----", "rw----r--", "rw-rw----", "rw-----w-"})
  void refuses_a_key_file_that_group_or_others_can_access(String mode) throws IOException {
    Path file = dir.resolve("device.key");
    KeyFiles.generate(KeyType.ED25519, file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    KeyFileException e = assertThrows(KeyFileException.class, () -> KeyFiles.load(file));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    assertTrue(e.getMessage().contains(mode), e.getMessage());
  }

  @Test
  void never_overwrites_an_existing_key() {
    Path file = dir.resolve("device.key");
    KeyFiles.generate(KeyType.ED25519, file);
    KeyFileException e = assertThrows(KeyFileException.class, () -> KeyFiles.generate(KeyType.ED25519, file));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
  }

  @Test
  void explains_missing_and_wrong_files() throws IOException {
    KeyFileException missing = assertThrows(KeyFileException.class, () -> DeviceSigners.open(dir.resolve("nope.key").toString()));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

    Path sec1 = dir.resolve("sec1.key");
    Files.writeString(sec1, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(sec1, PosixFilePermissions.fromString("rw-------"));
    KeyFileException e = assertThrows(KeyFileException.class, () -> KeyFiles.load(sec1));
    assertTrue(e.getMessage().contains("openssl pkcs8 -topk8"), e.getMessage());

    Path junk = dir.resolve("junk.key");
    Files.writeString(junk, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(junk, PosixFilePermissions.fromString("rw-------"));
    assertThrows(KeyFileException.class, () -> KeyFiles.load(junk));
  }

  @Test
  void unknown_signer_scheme_is_named_in_the_error() {
    SignerException e = assertThrows(SignerException.class, () -> DeviceSigners.open("ecc608://i2c-1:0x60?slot=0"));
    assertTrue(e.getMessage().contains("ecc608"), e.getMessage());
    assertTrue(e.getMessage().contains("supported: file"), e.getMessage());
  }

  /** Interoperability with OpenSSL, an independent PKCS#8 implementation, both ways. */
  @ParameterizedTest
  @ValueSource(strings = {"ED25519", "EC:P-256", "EC:secp256k1"})
  void reads_openssl_keys_and_openssl_reads_ours(String alg) throws Exception {
    Assumptions.assumeTrue(run("openssl", "version") == 0, "openssl is not installed");
    Path theirs = dir.resolve("openssl.key");
    int rc = alg.startsWith("EC:")
        ? run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + alg.substring(3), "-out", theirs.toString())
        : run("openssl", "genpkey", "-algorithm", alg, "-out", theirs.toString());
    assertEquals(0, rc);
    Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rw-------"));
    SoftwareSigner fromOpenssl = KeyFiles.load(theirs);
    Path pubDer = dir.resolve("pub.der");
    assertEquals(0, run("openssl", "pkey", "-in", theirs.toString(), "-pubout", "-outform", "DER", "-out", pubDer.toString()));
    assertArrayEquals(rawPublicKey(Files.readAllBytes(pubDer), fromOpenssl.keyType()), fromOpenssl.publicKey());

    Path ours = dir.resolve("ours.key");
    KeyFiles.write(fromOpenssl, ours);
    Path ourPub = dir.resolve("ourpub.der");
    assertEquals(0, run("openssl", "pkey", "-in", ours.toString(), "-pubout", "-outform", "DER", "-out", ourPub.toString()));
    assertArrayEquals(Files.readAllBytes(pubDer), Files.readAllBytes(ourPub));
  }

  private static byte[] rawPublicKey(byte[] spki, KeyType type) {
    if (type == KeyType.ED25519) {
      return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
    }
    byte[] uncompressed = Arrays.copyOfRange(spki, spki.length - 65, spki.length);
    return Schemes.ecdsa(type).decodeAnyPublicKey(uncompressed).point().getEncoded(true);
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    }
  }
}
