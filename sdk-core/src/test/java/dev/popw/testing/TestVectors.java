package dev.popw.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;

/**
 * Third-party test vectors, from the test classpath: the C2SP Wycheproof files are in
 * {@code sdk-core/src/test/resources/wycheproof/} (their source, license and checksums are in the
 * README there), so a fresh clone needs nothing beside the checkout.
 */
public final class TestVectors {
  private TestVectors() {}

  /**
   * Opens a Wycheproof file, e.g. {@code ed25519_test.json}; the caller closes it.
   *
   * @throws AssertionError if the file is not on the classpath
   */
  public static InputStream wycheproof(String file) {
    InputStream in = TestVectors.class.getResourceAsStream("/wycheproof/" + file);
    assertNotNull(in, "missing Wycheproof file wycheproof/" + file + " on the test classpath (sdk-core/src/test/resources)");
    return in;
  }
}
