package dev.popw.coordinator.signatures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyFiles;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the signature path, and the native receipt signer. */
class SignaturesTest {
  @Test
  void auto_chooses_the_native_path_where_it_loads_and_says_so_in_one_line() {
    org.junit.jupiter.api.Assumptions.assumeTrue(SignatureDifferentialTest.nativePlatform(), "ACCP has no native library for this platform");
    Signatures.Selection s = Signatures.select(Signatures.Mode.AUTO);
    assertNotNull(s.engine(), s.description());
    assertEquals("native", s.path());
    assertTrue(s.description().startsWith("signature verification: native, aws-lc (ACCP 2.5.0)"), s.description());
    assertEquals(1, s.description().lines().count());
  }

  @Test
  void bouncycastle_mode_uses_no_engine() {
    Signatures.Selection s = Signatures.select(Signatures.Mode.BOUNCY_CASTLE);
    assertNull(s.engine());
    assertEquals("bouncycastle", s.path());
  }

  @Test
  void modes_parse_and_a_wrong_one_is_one_clear_line() {
    assertEquals(Signatures.Mode.AUTO, Signatures.Mode.parse("Auto"));
    assertEquals(Signatures.Mode.NATIVE, Signatures.Mode.parse("native"));
    assertEquals(Signatures.Mode.BOUNCY_CASTLE, Signatures.Mode.parse("bouncycastle"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signatures.Mode.parse("openssl"));
    assertEquals("popw.signatures is 'openssl'; it must be auto, native or bouncycastle", e.getMessage());
  }

  @Test
  void the_native_receipt_signer_signs_exactly_as_bouncy_castle(@TempDir Path dir) {
    org.junit.jupiter.api.Assumptions.assumeTrue(SignatureDifferentialTest.nativePlatform(), "ACCP has no native library for this platform");
    Path file = dir.resolve("coordinator.key");
    SoftwareSigner reference = KeyFiles.generate(KeyType.ED25519, file);
    NativeReceiptSigner.Wrapped w = NativeReceiptSigner.wrap(reference, file, NativeSignatureEngine.load().engine());
    assertNull(w.problem());
    assertInstanceOf(NativeReceiptSigner.class, w.signer());
    assertArrayEquals(reference.publicKey(), w.signer().publicKey());
    for (int i = 0; i < 200; i++) {
      byte[] m = new byte[i];
      java.util.Arrays.fill(m, (byte) i);
      assertArrayEquals(reference.sign(m), w.signer().sign(m), "message of " + i + " bytes");
    }
  }

  @Test
  void without_an_engine_or_with_an_unreadable_key_file_receipts_are_signed_by_bouncy_castle(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("coordinator.key");
    SoftwareSigner reference = KeyFiles.generate(KeyType.ED25519, file);
    assertSame(reference, NativeReceiptSigner.wrap(reference, file, null).signer());
    Files.delete(file);
    NativeReceiptSigner.Wrapped w = NativeReceiptSigner.wrap(reference, file, NativeSignatureEngine.load().engine());
    assertSame(reference, w.signer());
    assertNotNull(w.problem());
  }
}
