package dev.popw.internal.encoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Known answers, cross-checked with an independent big-integer implementation of base58btc. */
class Base58Test {
  @ParameterizedTest
  @CsvSource({
    "Hello World!, 2NEpo7TZRRrLZSi2U",
    "The quick brown fox jumps over the lazy dog, 7DdiPPYtxLjCD3wA1po2rvZHTDYjkZYiEtazrfiwJcwnKCizhGFhBGHeRdx"
  })
  void encodes_text_vectors(String text, String expected) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    assertEquals(expected, Base58.encode(bytes));
    assertArrayEquals(bytes, Base58.decode(expected));
  }

  @Test
  void keeps_leading_zero_bytes() {
    assertEquals("11233QC4", Base58.encode(Hex.decode("0000287fb4cd")));
    assertArrayEquals(Hex.decode("0000287fb4cd"), Base58.decode("11233QC4"));
  }

  @Test
  void round_trips_random_bytes() {
    Random r = new Random(42);
    for (int i = 0; i < 2000; i++) {
      byte[] b = new byte[r.nextInt(40)];
      r.nextBytes(b);
      if (b.length > 0 && r.nextBoolean()) {
        b[0] = 0;
      }
      assertArrayEquals(b, Base58.decode(Base58.encode(b)));
    }
  }

  @Test
  void rejects_characters_outside_the_alphabet() {
    assertThrows(IllegalArgumentException.class, () -> Base58.decode("abc0"));
    assertThrows(IllegalArgumentException.class, () -> Base58.decode("abcl"));
  }
}
