package dev.popw.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Making a token's or secure element's signature low S: the one helper both hardware signers use. */
class EcdsaLowSTest {
  static final BigInteger N = EcdsaScheme.P256.domain().getN();

  static byte[] rs(BigInteger r, BigInteger s) {
    byte[] out = new byte[64];
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    System.arraycopy(rb, Math.max(0, rb.length - 32), out, 32 - Math.min(32, rb.length), Math.min(32, rb.length));
    System.arraycopy(sb, Math.max(0, sb.length - 32), out, 64 - Math.min(32, sb.length), Math.min(32, sb.length));
    return out;
  }

  @Test
  void aHighSBecomesNMinusSWithItsLeadingZeroBytes() {
    BigInteger r = BigInteger.valueOf(123456789);
    // n - s = 5: one significant byte, so the other 31 bytes of the low s must be zero
    assertArrayEquals(rs(r, BigInteger.valueOf(5)), EcdsaScheme.P256.lowS(rs(r, N.subtract(BigInteger.valueOf(5)))));
    BigInteger high = N.shiftRight(1).add(BigInteger.ONE);
    assertArrayEquals(rs(r, N.subtract(high)), EcdsaScheme.P256.lowS(rs(r, high)));
  }

  @Test
  void aLowSIsReturnedAsItIs() {
    byte[] low = rs(BigInteger.TEN, N.shiftRight(1));
    assertSame(low, EcdsaScheme.P256.lowS(low));
  }

  @Test
  void anythingButSixtyFourBytesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> EcdsaScheme.P256.lowS(new byte[63]));
    assertThrows(IllegalArgumentException.class, () -> EcdsaScheme.P256.lowS(null));
    assertThrows(IllegalArgumentException.class, () -> EcdsaScheme.P256.lowS(Arrays.copyOf(new byte[64], 65)));
  }
}
