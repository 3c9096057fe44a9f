package dev.popw.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;

/** The JDK's SHA-256 behind {@link Sha256}: FIPS 180-2 vectors, and Bouncy Castle's digest over every length around the block edges. */
class Sha256Test {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void matches_the_fips_180_2_vectors() {
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", HEX.formatHex(Sha256.hash(new byte[0])));
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HEX.formatHex(Sha256.hash("abc".getBytes(StandardCharsets.US_ASCII))));
    assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        HEX.formatHex(Sha256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes(StandardCharsets.US_ASCII))));
  }

  @Test
  void agrees_with_bouncy_castle_for_every_length_and_offset() {
    SplittableRandom r = new SplittableRandom(18);
    for (int len = 0; len <= 300; len++) {
      byte[] buf = new byte[len + 7];
      r.nextBytes(buf);
      int off = len % 7;
      SHA256Digest d = new SHA256Digest();
      d.update(buf, off, len);
      byte[] expected = new byte[32];
      d.doFinal(expected, 0);
      assertArrayEquals(expected, Sha256.hash(buf, off, len), "length " + len);
    }
  }

  @Test
  void a_call_that_throws_leaves_the_next_digest_intact() {
    byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
    try {
      Sha256.hash(abc, 2, 5); // out of bounds: refused before any byte is taken
    } catch (IllegalArgumentException | IndexOutOfBoundsException expected) {
      // what MessageDigest throws
    }
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", HEX.formatHex(Sha256.hash(abc)));
  }
}
