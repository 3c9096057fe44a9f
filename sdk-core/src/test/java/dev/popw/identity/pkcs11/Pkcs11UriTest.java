package dev.popw.identity.pkcs11;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.SignerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 7512 URIs as signers read them; PINs from a file or the environment, never from the URI. */
class Pkcs11UriTest {
  @TempDir Path tmp;

  @Test
  void path_and_query_attributes_with_percent_encoding() {
    Pkcs11Uri u = Pkcs11Uri.parse("pkcs11:token=My%20Token;object=device;id=%01%ab;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so");
    assertEquals("My Token", u.token());
    assertEquals("device", u.object());
    assertArrayEquals(new byte[] {0x01, (byte) 0xab}, u.id());
    assertEquals(Path.of("/usr/lib/softhsm/libsofthsm2.so"), u.modulePath());
    assertEquals("env:POPW_PKCS11_PIN", u.pinSource());
    assertNull(u.serial());
  }

  @Test
  void the_pin_comes_from_a_file_or_a_variable_and_never_from_the_uri() throws Exception {
    Path pin = tmp.resolve("pin");
    Files.writeString(pin, "123456\n");
    String base = "pkcs11:token=t;object=k?module-path=/x.so";
    assertArrayEquals("123456".toCharArray(), Pkcs11Uri.parse(base + "&pin-source=file:" + pin).readPin(Map.of()));
    assertArrayEquals("9".toCharArray(), Pkcs11Uri.parse(base + "&pin-source=env:MY_PIN").readPin(Map.of("MY_PIN", "9")));
    assertArrayEquals("7".toCharArray(), Pkcs11Uri.parse(base).readPin(Map.of("POPW_PKCS11_PIN", "7")));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse(base).readPin(Map.of())).getMessage()
        .contains("POPW_PKCS11_PIN is not set"));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse(base + "&pin-value=1234")).getMessage()
        .startsWith("pin-value in a signer URI is refused"));
    Files.writeString(tmp.resolve("big"), "x".repeat(1000));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse(base + "&pin-source=file:" + tmp.resolve("big")).readPin(Map.of()))
        .getMessage().contains("larger than 256 bytes"));
  }

  @Test
  void mistakes_are_named() {
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse("pkcs11:token=t;object=k")).getMessage().contains("module-path"));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse("pkcs11:token=t?module-path=/x.so")).getMessage()
        .contains("object=LABEL or id="));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse("pkcs11:tokn=t;object=k?module-path=/x.so")).getMessage()
        .contains("unknown PKCS#11 URI attribute 'tokn'"));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Uri.parse("pkcs11:token=%zz;object=k?module-path=/x.so")).getMessage()
        .contains("bad percent-encoding"));
    assertTrue(assertThrows(SignerException.class, () -> Pkcs11Signer.open("pkcs11:token=t;object=k?module-path=/nonexistent/lib.so", Map.of()))
        .getMessage().startsWith("PKCS#11 module /nonexistent/lib.so not found"));
  }
}
